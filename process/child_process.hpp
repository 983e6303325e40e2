// ChildProcess: a program started with posix_spawn, with pipes to its
// stdin, stdout and stderr and a pidfd that becomes readable when it exits,
// so that an EventLoop can drive all four without blocking. The parent's
// ends are nonblocking and close-on-exec; in the child only fds 0-2 are
// open, the signal mask is empty, every signal has its default action and
// the process leads a group of its own, so that kill() also reaches what it
// started. Move-only; one owner thread at a time.
//
// Destroying a child that was not reaped kills its group with SIGKILL and
// waits for it (a short block): hand it to a ChildReaper to avoid that.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "reactor/file_descriptor.hpp"
#include "reactor/result.hpp"

namespace basehttp {

/// What to start and how.
struct SpawnRequest {
  /// The file executed (absolute, or relative to `directory`).
  std::string program;
  /// argv, argv[0] included.
  std::vector<std::string> arguments;
  /// The whole environment, "NAME=value" each; nothing else is inherited.
  std::vector<std::string> environment;
  /// The child's working folder; empty keeps the parent's.
  std::string directory;
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  /// Starts `request`: the running child, or the errno of the step that
  /// failed ("posix_spawn": ENOENT, EACCES, ENOEXEC, EAGAIN; "pidfd_open":
  /// ENOSYS on a kernel without pidfd; "pipe2"); nothing is left running
  /// or open on failure.
  static SysResult<ChildProcess> spawn(const SpawnRequest& request);

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  /// The parent's ends: write the child's stdin, read its stdout and
  /// stderr. Reset them to close them (the child sees EOF or EPIPE).
  FileDescriptor& stdin_pipe() { return stdin_; }
  FileDescriptor& stdout_pipe() { return stdout_; }
  FileDescriptor& stderr_pipe() { return stderr_; }
  /// Readable once the child has exited (then try_reap() succeeds).
  int pidfd() const { return pidfd_.get(); }

  /// Sends `signal` to the child's process group while the child is not
  /// reaped (its group id cannot be reused before); false afterwards.
  bool kill(int signal) const;
  /// waitpid(WNOHANG): true once the child is reaped (also when someone
  /// else reaped it, as a SIGCHLD set to SIG_IGN does: status then unknown).
  bool try_reap();
  bool reaped() const { return reaped_; }
  /// The waitpid status once reaped; -1 when unknown.
  int wait_status() const { return status_; }
  /// Kills the group (SIGKILL) if not reaped and waits for the child.
  void kill_and_wait();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = -1;
  FileDescriptor pidfd_;
  FileDescriptor stdin_;
  FileDescriptor stdout_;
  FileDescriptor stderr_;
};

}  // namespace basehttp
