// Tests reactor/fd_watch: an application's own fds on the loop: readable
// and writable edges, hang-up, changing interest, and a watch destroyed by
// an earlier event of the same iteration never being called.
#include "reactor/fd_watch.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "reactor/event_loop.hpp"
#include "reactor/file_descriptor.hpp"
#include "tests/support/loop_watchdog.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;

using testing::watchdog;

struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    read_end = FileDescriptor(fds[0]);
    write_end = FileDescriptor(fds[1]);
  }
  FileDescriptor read_end, write_end;
};

std::string drain(int fd) {
  std::string bytes;
  char chunk[4096];
  ssize_t got;
  while ((got = ::read(fd, chunk, sizeof chunk)) > 0)
    bytes.append(chunk, static_cast<size_t>(got));
  return bytes;
}

TEST(FdWatch, ReportsReadableUntilTheWriterCloses) {
  EventLoop loop;
  watchdog(loop);
  Pipe pipe;
  std::string received;
  bool saw_hangup = false;
  FdWatch watch(loop, pipe.read_end.get(), true, false, [&](Readiness ready) {
    EXPECT_TRUE(ready.readable);
    received += drain(pipe.read_end.get());
    if (received == "ping") {
      ASSERT_EQ(::write(pipe.write_end.get(), "pong", 4), 4);  // a new edge
    } else if (received == "pingpong") {
      pipe.write_end.reset();
    }
    if (ready.hangup) {
      saw_hangup = true;
      loop.stop();
    }
  });
  ASSERT_EQ(::write(pipe.write_end.get(), "ping", 4), 4);
  loop.run();
  EXPECT_EQ(received, "pingpong");
  EXPECT_TRUE(saw_hangup);
}

TEST(FdWatch, ReportsWritableAndFollowsAChangeOfInterest) {
  EventLoop loop;
  watchdog(loop);
  Pipe pipe;
  int writable_calls = 0;
  std::unique_ptr<FdWatch> watch;
  watch = std::make_unique<FdWatch>(loop, pipe.write_end.get(), false, true, [&](Readiness ready) {
    ASSERT_TRUE(ready.writable);
    if (++writable_calls == 1) {
      // Fill the pipe: the next edge comes only once the reader makes room.
      std::string block(65536, 'x');
      while (::write(pipe.write_end.get(), block.data(), block.size()) > 0) {
      }
      loop.run_soon([&] { drain(pipe.read_end.get()); });
    } else {
      watch->watch(false, false);  // nothing more wanted
      loop.run_soon([&] { loop.stop(); });
    }
  });
  loop.run();
  EXPECT_EQ(writable_calls, 2);
}

TEST(FdWatch, AWatchDestroyedEarlierInTheIterationIsNotCalled) {
  EventLoop loop;
  watchdog(loop);
  Pipe first, second;
  std::unique_ptr<FdWatch> first_watch, second_watch;
  int calls = 0;
  // Whichever runs first destroys the other, whose readiness was already
  // collected in the same epoll_wait: it must not run.
  auto on_ready = [&](Readiness) {
    ++calls;
    first_watch.reset();
    second_watch.reset();
    loop.run_soon([&] { loop.stop(); });
  };
  first_watch = std::make_unique<FdWatch>(loop, first.read_end.get(), true, false, on_ready);
  second_watch = std::make_unique<FdWatch>(loop, second.read_end.get(), true, false, on_ready);
  ASSERT_EQ(::write(first.write_end.get(), "a", 1), 1);
  ASSERT_EQ(::write(second.write_end.get(), "b", 1), 1);
  loop.run();
  EXPECT_EQ(calls, 1);
}

TEST(FdWatch, StopTakesTheFdOffTheLoop) {
  EventLoop loop;
  watchdog(loop);
  Pipe pipe;
  int calls = 0;
  FdWatch watch(loop, pipe.read_end.get(), true, false, [&](Readiness) { ++calls; });
  watch.stop();
  EXPECT_FALSE(watch.active());
  ASSERT_EQ(::write(pipe.write_end.get(), "a", 1), 1);
  // A later fd that is readable proves the loop went round at least once.
  Pipe marker;
  FdWatch marker_watch(loop, marker.read_end.get(), true, false, [&](Readiness) { loop.stop(); });
  ASSERT_EQ(::write(marker.write_end.get(), "m", 1), 1);
  loop.run();
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace basehttp
