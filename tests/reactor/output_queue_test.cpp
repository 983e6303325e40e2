// Tests reactor/output_queue against a socketpair: ordering across copied,
// moved and file segments, partial writes, and a file that shrinks; and,
// through a transport without sendfile, file regions read into a bounded
// buffer, with partial writes and -EAGAIN from the transport.
#include "reactor/output_queue.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include "reactor/stream_io.hpp"
#include "tests/reactor/scripted_transport.hpp"
#include "tests/support/unlinked_file.hpp"

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

TEST(OutputQueue, KeepsOrderAcrossSegmentKinds) {
  SocketPair pair;
  OutputQueue queue;
  std::string large(OutputQueue::kMoveThreshold * 2, 'L');
  queue.append("head ");
  queue.append(std::string(large));
  queue.append(" middle ");
  queue.append_file(testing::unlinked_file("0123456789"), 2, 5);
  queue.append(" tail");
  EXPECT_EQ(queue.size(), 5 + large.size() + 8 + 5 + 5);
  EXPECT_EQ(queue.flush_to(pair.writer.get()), 0);
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
    int result = queue.flush_to(pair.writer.get());
    ASSERT_TRUE(result == 0 || result == -EAGAIN);
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
  queue.append_file(testing::unlinked_file("short"), 0, 100);
  EXPECT_EQ(queue.flush_to(pair.writer.get()), -EIO);
}

TEST(OutputQueue, FailsWhenThePeerIsGone) {
  // As every EventLoop makes it: an error value, not the end of the process
  // (this test may run before any loop was made).
  std::signal(SIGPIPE, SIG_IGN);
  SocketPair pair;
  pair.reader.reset();
  OutputQueue queue;
  queue.append("to nobody");
  EXPECT_EQ(queue.flush_to(pair.writer.get()), -EPIPE);
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
  EXPECT_EQ(queue.flush_to(pair.writer.get()), 0);
  EXPECT_EQ(pair.drain(), "abc");
}

// A file region of many buffers' worth, as bytes that show any misplaced offset.
std::string pattern(size_t size) {
  std::string bytes(size, '\0');
  uint32_t state = 12345;
  for (char& byte : bytes) {
    state = state * 1103515245 + 12345;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

// Flushes until empty, reading the peer's side as it goes; bounded.
std::string flush_all(OutputQueue& queue, SocketPair& pair, StreamIo io) {
  std::string received;
  for (int rounds = 0; !queue.empty() && rounds < 100000; ++rounds) {
    int result = queue.flush_to(io);
    EXPECT_TRUE(result == 0 || result == -EAGAIN) << result;
    if (result != 0 && result != -EAGAIN) break;
    received += pair.drain();
  }
  return received + pair.drain();
}

TEST(OutputQueue, ReadsAFileInBoundedPiecesWhenTheTransportCannotSendfile) {
  SocketPair pair;
  testing::ScriptedTransport transport;
  std::string content = pattern(64 * OutputQueue::kFileChunk + 123);
  OutputQueue queue;
  queue.append("head ");
  queue.append_file(testing::unlinked_file(content), 0, content.size());
  queue.append(" tail");
  std::string received = flush_all(queue, pair, StreamIo{pair.writer.get(), &transport});
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(received == "head " + content + " tail");  // not EXPECT_EQ: 1 MiB of diff
  EXPECT_EQ(transport.files_sent, 0);
  // The file never was in memory at once, only a piece of it.
  EXPECT_LE(transport.largest_write, OutputQueue::kFileChunk);
  EXPECT_GE(transport.writes, 64);
  EXPECT_FALSE(queue.released());
  queue.release_if_empty();
  EXPECT_TRUE(queue.released());
}

TEST(OutputQueue, ReadsAFileRegionThroughPartialWritesAndEagain) {
  SocketPair pair;
  testing::ScriptedTransport transport;
  transport.max_write = 777;  // never a whole piece at once
  transport.eagain_every = 4;
  std::string content = pattern(5 * OutputQueue::kFileChunk);
  std::string large(OutputQueue::kMoveThreshold * 3, 'L');
  auto file = testing::unlinked_file(content);
  OutputQueue queue;
  queue.append("a");
  queue.append_file(file, 100, 3 * OutputQueue::kFileChunk);
  queue.append(std::string(large));
  // The same file again, from inside the piece read last.
  uint64_t again = 100 + 3 * OutputQueue::kFileChunk - 500;
  queue.append_file(file, again, 1000);
  queue.append("z");
  std::string received = flush_all(queue, pair, StreamIo{pair.writer.get(), &transport});
  EXPECT_TRUE(queue.empty());
  std::string expected = "a" + content.substr(100, 3 * OutputQueue::kFileChunk) + large +
                         content.substr(again, 1000) + "z";
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
  EXPECT_EQ(transport.moved_write_errors, 0);
  EXPECT_LE(transport.largest_write, OutputQueue::kFileChunk);
}

TEST(OutputQueue, UsesTheTransportsSendfileWhenItHasOne) {
  SocketPair pair;
  testing::ScriptedTransport transport;
  transport.send_file_allowed = true;
  OutputQueue queue;
  queue.append_file(testing::unlinked_file("0123456789"), 3, 4);
  EXPECT_EQ(flush_all(queue, pair, StreamIo{pair.writer.get(), &transport}), "3456");
  EXPECT_GE(transport.files_sent, 1);
  EXPECT_EQ(transport.writes, 0);
}

TEST(OutputQueue, FailsWithoutSendfileWhenTheFileIsShorterThanPromised) {
  SocketPair pair;
  testing::ScriptedTransport transport;
  OutputQueue queue;
  queue.append_file(testing::unlinked_file("short"), 0, 100);
  int result = 0;
  for (int rounds = 0; rounds < 100 && (result == 0 || result == -EAGAIN) && !queue.empty();
       ++rounds) {
    result = queue.flush_to(StreamIo{pair.writer.get(), &transport});
  }
  EXPECT_EQ(result, -EIO);
  EXPECT_EQ(pair.drain(), "short");
}

TEST(OutputQueue, ReturnsTheTransportsError) {
  SocketPair pair;
  testing::ScriptedTransport transport;
  transport.write_error = -ECONNRESET;
  OutputQueue queue;
  queue.append("lost");
  EXPECT_EQ(queue.flush_to(StreamIo{pair.writer.get(), &transport}), -ECONNRESET);
  queue.append_file(testing::unlinked_file("also lost"), 0, 9);
  EXPECT_EQ(queue.flush_to(StreamIo{pair.writer.get(), &transport}), -ECONNRESET);
}

}  // namespace
}  // namespace basehttp
