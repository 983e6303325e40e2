// Tests process/spawn: what a started program inherits. Descriptors given
// under numbers that are also the parent's sources reach the child
// crossed as asked, not overwritten by the dup2 before; the signal mask
// and ignored signals do not leak into the child; a folder and a process
// group of its own are applied when asked.
#include "process/spawn.hpp"

#include "process/child_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "reactor/file_descriptor.hpp"

namespace basehttp {
namespace {

struct Pipe {
  FileDescriptor read;
  FileDescriptor write;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

/// Everything written to `fd` until EOF, within 5 s.
std::string read_all(int fd) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd poll_fd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) {
      ADD_FAILURE() << "no EOF within 5 s";
      return text;
    }
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n > 0) {
      text.append(chunk, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return text;
    }
  }
}

/// Waits for `pid`, killing it if it has not exited once its output ended.
void reap(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    ::usleep(10000);  // a poll, bounded: a plain child has no pidfd here
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

/// Runs `arguments` with its stdout on a pipe and returns what it wrote.
std::string output_of(const std::vector<std::string>& arguments, SpawnOptions options = {}) {
  Pipe out;
  const ChildFd fds[] = {{out.write.get(), 1}};
  options.fds = fds;
  auto spawned = spawn_process(arguments[0], arguments, nullptr, options);
  EXPECT_TRUE(spawned.ok()) << spawned.message();
  if (!spawned) return {};
  out.write.reset();
  std::string text = read_all(out.read.get());
  reap(spawned.value());
  return text;
}

/// The signals 1-31 in the mask on the line of /proc/PID/status that
/// starts with `field`. glibc's posix_spawn leaves its own two internal
/// signals (32 and 33) ignored in the child whatever it is asked, so the
/// real-time range is not looked at.
unsigned long status_signals(const std::string& status, const std::string& field) {
  size_t at = status.find("\n" + field + ":");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << field << " in " << status;
    return ~0UL;
  }
  return std::stoul(status.substr(at + field.size() + 2), nullptr, 16) & 0x7fffffffUL;
}

// Each source is also the other's target: given one after the other
// without a copy, the second dup2 would read what the first just put there,
// and both numbers would name the same pipe.
TEST(Spawn, CrossedDescriptorsReachTheChildAsAsked) {
  Pipe first, second;
  int a = first.write.get();
  int b = second.write.get();
  ASSERT_LT(std::max(a, b), 10) << "the shell names single-digit descriptors only";
  const ChildFd crossed[] = {{b, a}, {a, b}};
  SpawnOptions options;
  options.fds = crossed;
  std::string script =
      "printf to-second >&" + std::to_string(a) + "; printf to-first >&" + std::to_string(b);
  std::vector<std::string> arguments{"/bin/sh", "-c", script};
  auto spawned = spawn_process(arguments[0], arguments, nullptr, options);
  ASSERT_TRUE(spawned.ok()) << spawned.message();
  first.write.reset();
  second.write.reset();
  EXPECT_EQ(read_all(first.read.get()), "to-first");
  EXPECT_EQ(read_all(second.read.get()), "to-second");
  reap(spawned.value());
}

// An event loop blocks the signals it takes through a signalfd and ignores
// SIGPIPE: a started program must see neither.
TEST(Spawn, TheChildStartsWithNoSignalBlockedOrIgnored) {
  sigset_t blocked, previous;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigaddset(&blocked, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &blocked, &previous), 0);
  struct sigaction ignore {
  }, previous_pipe{}, previous_quit{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous_pipe);
  ::sigaction(SIGQUIT, &ignore, &previous_quit);

  std::string status = output_of({"/bin/cat", "/proc/self/status"});

  ::sigaction(SIGQUIT, &previous_quit, nullptr);
  ::sigaction(SIGPIPE, &previous_pipe, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  EXPECT_EQ(status_signals(status, "SigBlk"), 0UL);
  EXPECT_EQ(status_signals(status, "SigIgn"), 0UL);
}

// Only the signals named are reset: others keep the parent's action.
TEST(Spawn, OnlyTheNamedSignalsAreReset) {
  struct sigaction ignore {
  }, previous_pipe{}, previous_quit{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous_pipe);
  ::sigaction(SIGQUIT, &ignore, &previous_quit);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  SpawnOptions options;
  options.default_signals = &defaults;

  // What this process ignores now, SIGQUIT included (and SIGHUP under nohup).
  std::ifstream own_file("/proc/self/status");
  std::string own((std::istreambuf_iterator<char>(own_file)), std::istreambuf_iterator<char>());

  std::string status = output_of({"/bin/cat", "/proc/self/status"}, options);

  ::sigaction(SIGQUIT, &previous_quit, nullptr);
  ::sigaction(SIGPIPE, &previous_pipe, nullptr);
  unsigned long inherited = status_signals(own, "SigIgn");
  ASSERT_NE(inherited & (1UL << (SIGQUIT - 1)), 0UL);
  EXPECT_EQ(status_signals(status, "SigIgn"), inherited & ~(1UL << (SIGPIPE - 1)));
}

TEST(Spawn, RunsInTheFolderAskedFor) {
  SpawnOptions options;
  options.directory = "/";
  EXPECT_EQ(output_of({"/bin/pwd"}, options), "/\n");
}

TEST(Spawn, LeadsAProcessGroupOfItsOwnWhenAsked) {
  SpawnOptions options;
  options.new_process_group = true;
  // pid and process group, the first and fifth fields of /proc/self/stat
  // (the second, the command name, holds no space for cat).
  std::string own = output_of({"/bin/cat", "/proc/self/stat"}, options);
  std::vector<std::string> fields;
  for (size_t start = 0, end; fields.size() < 5; start = end + 1) {
    end = own.find(' ', start);
    if (end == std::string::npos) break;
    fields.push_back(own.substr(start, end - start));
  }
  ASSERT_EQ(fields.size(), 5u) << own;
  EXPECT_EQ(fields[0], fields[4]);

  std::string shared = output_of({"/bin/cat", "/proc/self/stat"});
  EXPECT_NE(shared.find(" " + std::to_string(::getpgrp()) + " "), std::string::npos) << shared;
}

TEST(Spawn, AMissingProgramIsAnErrorAndStartsNothing) {
  std::vector<std::string> arguments{"/nonexistent/program"};
  auto spawned = spawn_process(arguments[0], arguments, nullptr, {});
  EXPECT_EQ(spawned.error(), ENOENT);
  EXPECT_EQ(spawned.what(), "posix_spawn");
}

TEST(Spawn, MoreDescriptorsThanAllowedAreRefusedAsAValue) {
  Pipe out;
  std::vector<ChildFd> fds;
  for (int i = 0; i <= static_cast<int>(SpawnOptions::kMaxChildFds); ++i)
    fds.push_back({out.write.get(), 3 + i});
  SpawnOptions options;
  options.fds = fds;
  std::vector<std::string> arguments{"/bin/true"};
  EXPECT_EQ(spawn_process(arguments[0], arguments, nullptr, options).error(), EINVAL);
}

// A source that is not open cannot be lifted above the targets: the fcntl
// that copies it fails, and nothing is started.
TEST(Spawn, AClosedSourceDescriptorIsAnErrorValue) {
  int closed;
  {
    Pipe spare;
    closed = spare.read.get();
  }
  const ChildFd fds[] = {{closed, closed + 1}};
  SpawnOptions options;
  options.fds = fds;
  std::vector<std::string> arguments{"/bin/true"};
  auto spawned = spawn_process(arguments[0], arguments, nullptr, options);
  EXPECT_EQ(spawned.error(), EBADF);
  EXPECT_EQ(spawned.what(), "fcntl");
}

TEST(ChildProcess, AMissingProgramIsAnErrorValueWithNothingStarted) {
  SpawnRequest request;
  request.program = "/nonexistent/program";
  request.arguments = {request.program};
  auto child = ChildProcess::spawn(request);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error(), ENOENT);
  EXPECT_EQ(child.message(), std::string("posix_spawn: ") + std::strerror(ENOENT));
}

TEST(ChildProcess, AStartedChildComesBackAsTheValue) {
  SpawnRequest request;
  request.program = "/bin/sh";
  request.arguments = {"sh", "-c", "printf started"};
  auto child = ChildProcess::spawn(request);
  ASSERT_TRUE(child.ok()) << child.message();
  EXPECT_GT(child.value().pid(), 0);
  EXPECT_EQ(read_all(child.value().stdout_pipe().get()), "started");
  child.value().kill_and_wait();
  EXPECT_TRUE(child.value().reaped());
}

}  // namespace
}  // namespace basehttp
