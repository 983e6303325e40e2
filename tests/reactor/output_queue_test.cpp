// Tests reactor/output_queue against a socketpair: ordering across copied,
// moved and file segments, partial writes, and a file that shrinks.
#include "reactor/output_queue.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace basehttp {
namespace {

struct SocketPair {
  FileDescriptor writer, reader;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    writer.reset(fds[0]);
    reader.reset(fds[1]);
  }
  std::string drain() {
    std::string all;
    char chunk[65536];
    for (;;) {
      ssize_t n = ::read(reader.get(), chunk, sizeof(chunk));
      if (n <= 0) break;
      all.append(chunk, static_cast<size_t>(n));
    }
    return all;
  }
};

std::shared_ptr<const FileDescriptor> temp_file(const std::string& content) {
  char path[] = "/tmp/basehttp-oq-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  unlink(path);
  EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  return std::make_shared<const FileDescriptor>(fd);
}

TEST(OutputQueue, KeepsOrderAcrossSegmentKinds) {
  SocketPair pair;
  OutputQueue queue;
  std::string large(OutputQueue::kMoveThreshold * 2, 'L');
  queue.append("head ");
  queue.append(std::string(large));
  queue.append(" middle ");
  queue.append_file(temp_file("0123456789"), 2, 5);
  queue.append(" tail");
  EXPECT_EQ(queue.size(), 5 + large.size() + 8 + 5 + 5);
  EXPECT_EQ(queue.flush_to(pair.writer.get()), OutputQueue::FlushResult::kDrained);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(pair.drain(), "head " + large + " middle 23456 tail");
}

TEST(OutputQueue, ResumesAfterAPartialWrite) {
  SocketPair pair;
  int small = 4096;
  setsockopt(pair.writer.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  std::string expected;
  OutputQueue queue;
  for (int i = 0; i < 200; ++i) {
    std::string piece = "piece-" + std::to_string(i) + std::string(i * 37 % 9000, 'p');
    expected += piece;
    if (i % 3 == 0) {
      queue.append(std::move(piece));
    } else {
      queue.append(piece);
    }
  }
  std::string received;
  int rounds = 0;
  while (!queue.empty() && rounds++ < 100000) {
    OutputQueue::FlushResult result = queue.flush_to(pair.writer.get());
    ASSERT_NE(result, OutputQueue::FlushResult::kFailed);
    received += pair.drain();
  }
  received += pair.drain();
  EXPECT_TRUE(queue.empty());
  EXPECT_GT(rounds, 1);  // the socket really filled up
  EXPECT_EQ(received, expected);
}

TEST(OutputQueue, FailsWhenTheFileIsShorterThanPromised) {
  SocketPair pair;
  OutputQueue queue;
  queue.append_file(temp_file("short"), 0, 100);
  int error = 0;
  EXPECT_EQ(queue.flush_to(pair.writer.get(), &error), OutputQueue::FlushResult::kFailed);
  EXPECT_EQ(error, EIO);
}

TEST(OutputQueue, FailsWhenThePeerIsGone) {
  SocketPair pair;
  pair.reader.reset();
  OutputQueue queue;
  queue.append("to nobody");
  int error = 0;
  EXPECT_EQ(queue.flush_to(pair.writer.get(), &error), OutputQueue::FlushResult::kFailed);
  EXPECT_EQ(error, EPIPE);
}

TEST(OutputQueue, CommitsBytesFormattedInPlace) {
  SocketPair pair;
  OutputQueue queue;
  queue.append("a");
  Buffer& block = queue.copy_block();
  block.ensure_writable(2);
  std::memcpy(block.begin_write(), "bc", 2);
  queue.commit_copied(2);
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.flush_to(pair.writer.get()), OutputQueue::FlushResult::kDrained);
  EXPECT_EQ(pair.drain(), "abc");
}

}  // namespace
}  // namespace basehttp
