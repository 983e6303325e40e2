// Tests process/listener_handover: a new process that says it is ready
// takes over and is left running; one that misses the deadline, dies at
// once, or closes its readiness pipe and lives on is a failed handover,
// and none of them is left behind as a zombie (or still running).
#include "process/listener_handover.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "reactor/event_loop.hpp"
#include "reactor/file_descriptor.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;

/// A process exists, running or a zombie, while /proc lists it.
bool listed(pid_t pid) {
  return ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

struct Outcome {
  bool done = false;
  bool ready = false;
  std::string failure;
  pid_t child = 0;
  bool gone = false;  ///< the child left no trace in /proc
};

/// Hands a socket stand-in to `argv`, then runs the loop until the handover
/// is over and, for a failed one, the child has gone (bounded).
Outcome hand_over(const std::vector<std::string>& argv, milliseconds ready_timeout) {
  EventLoop loop;
  FileDescriptor listener(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Outcome outcome;
  {
    ListenerHandover handover(loop);
    auto started = handover.start(listener.get(), argv, ready_timeout,
                                  [&](bool ready, const std::string& failure) {
                                    outcome.done = true;
                                    outcome.ready = ready;
                                    outcome.failure = failure;
                                  });
    EXPECT_TRUE(started.ok()) << started.message();
    if (!started) return outcome;
    outcome.child = handover.child();
    loop.run_every(milliseconds(5), [&] {
      outcome.gone = !listed(outcome.child);
      if (outcome.done && (outcome.ready || outcome.gone)) loop.stop();
    });
    loop.run_after(milliseconds(5000), [&] { loop.stop(); });
    loop.run();
  }
  return outcome;
}

TEST(ListenerHandover, AReadyProcessTakesOverAndIsLeftRunning) {
  Outcome outcome =
      hand_over({"/bin/sh", "-c", "printf 'READY=1\\n' >&4; exec sleep 30"}, milliseconds(5000));
  EXPECT_TRUE(outcome.done);
  EXPECT_TRUE(outcome.ready) << outcome.failure;
  EXPECT_TRUE(listed(outcome.child));
  ::kill(outcome.child, SIGKILL);
  ::waitpid(outcome.child, nullptr, 0);
}

TEST(ListenerHandover, AProcessNeverReadyIsTerminatedAndReaped) {
  Outcome outcome = hand_over({"/bin/sleep", "30"}, milliseconds(100));
  EXPECT_TRUE(outcome.done);
  EXPECT_FALSE(outcome.ready);
  EXPECT_NE(outcome.failure.find("not ready"), std::string::npos) << outcome.failure;
  EXPECT_TRUE(outcome.gone) << "process " << outcome.child << " left behind";
}

TEST(ListenerHandover, AProcessThatDiesAtOnceIsReaped) {
  Outcome outcome = hand_over({"/bin/sh", "-c", "exit 3"}, milliseconds(5000));
  EXPECT_TRUE(outcome.done);
  EXPECT_FALSE(outcome.ready);
  EXPECT_TRUE(outcome.gone) << "process " << outcome.child << " left behind";
}

// EOF on the pipe before the exit: the process is not waited for in vain,
// nor left running with the listening socket.
TEST(ListenerHandover, AProcessThatClosesThePipeAndLivesOnIsEnded) {
  Outcome outcome = hand_over({"/bin/sh", "-c", "exec 4>&-; exec sleep 30"}, milliseconds(5000));
  EXPECT_TRUE(outcome.done);
  EXPECT_FALSE(outcome.ready);
  EXPECT_TRUE(outcome.gone) << "process " << outcome.child << " left behind";
}

// The handover object goes while a failed process is still being ended.
TEST(ListenerHandover, DestroyedWhileEndingAProcessLeavesNone) {
  EventLoop loop;
  FileDescriptor listener(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  pid_t child = 0;
  {
    ListenerHandover handover(loop);
    // Ignores SIGTERM: only the destructor's SIGKILL ends it.
    auto started =
        handover.start(listener.get(), {"/bin/sh", "-c", "trap '' TERM; exec sleep 30"},
                       milliseconds(100), [&](bool, const std::string&) { loop.stop(); });
    ASSERT_TRUE(started.ok()) << started.message();
    child = handover.child();
    loop.run_after(milliseconds(5000), [&] { loop.stop(); });
    loop.run();
  }
  EXPECT_FALSE(listed(child)) << "process " << child << " left behind";
}

// What cannot start is said at once, as a value naming the failed step
// (basehttpd prints it), and the callback never runs.
TEST(ListenerHandover, AStartThatFailsReturnsTheErrorAndNeverCallsBack) {
  EventLoop loop;
  FileDescriptor listener(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ListenerHandover handover(loop);
  bool called = false;
  auto done = [&](bool, const std::string&) { called = true; };

  auto missing = handover.start(listener.get(), {"/nonexistent/program"}, milliseconds(100), done);
  EXPECT_EQ(missing.error(), ENOENT);
  EXPECT_EQ(missing.message(), std::string("posix_spawn: ") + std::strerror(ENOENT));
  EXPECT_FALSE(handover.in_progress());

  auto empty = handover.start(listener.get(), {}, milliseconds(100), done);
  EXPECT_EQ(empty.error(), EINVAL);
  EXPECT_EQ(empty.what(), "handover");

  loop.run_after(milliseconds(20), [&] { loop.stop(); });
  loop.run();
  EXPECT_FALSE(called);
}

TEST(ListenerHandover, ASecondStartWhileOneIsInProgressIsEalready) {
  EventLoop loop;
  FileDescriptor listener(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ListenerHandover handover(loop);
  int calls = 0;
  auto done = [&](bool, const std::string&) {
    ++calls;
    loop.stop();
  };
  auto first =
      handover.start(listener.get(), {"/bin/sh", "-c", "exec sleep 30"}, milliseconds(50), done);
  ASSERT_TRUE(first.ok()) << first.message();
  auto second = handover.start(listener.get(), {"/bin/true"}, milliseconds(50), done);
  EXPECT_EQ(second.error(), EALREADY);
  loop.run_after(milliseconds(5000), [&] { loop.stop(); });
  loop.run();
  EXPECT_EQ(calls, 1);  // the first one's outcome only
}

}  // namespace
}  // namespace basehttp
