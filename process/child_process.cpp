#include "process/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "process/spawn.hpp"

namespace basehttp {
namespace {

struct Pipe {
  FileDescriptor read;
  FileDescriptor write;
};

int make_pipe(Pipe& pipe, bool parent_reads) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno;
  pipe.read.reset(fds[0]);
  pipe.write.reset(fds[1]);
  // Only the parent's end is nonblocking: the child expects ordinary,
  // blocking stdio.
  FileDescriptor& parent = parent_reads ? pipe.read : pipe.write;
  return ::fcntl(parent.get(), F_SETFL, O_NONBLOCK) != 0 ? errno : 0;
}

}  // namespace

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      reaped_(other.reaped_),
      status_(other.status_),
      pidfd_(std::move(other.pidfd_)),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_wait();
    pid_ = std::exchange(other.pid_, -1);
    reaped_ = other.reaped_;
    status_ = other.status_;
    pidfd_ = std::move(other.pidfd_);
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    stderr_ = std::move(other.stderr_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  kill_and_wait();
}

int ChildProcess::spawn(const SpawnRequest& request, ChildProcess& child) {
  Pipe in, out, err;
  if (int error = make_pipe(in, false)) return error;
  if (int error = make_pipe(out, true)) return error;
  if (int error = make_pipe(err, true)) return error;

  const ChildFd stdio[] = {{in.read.get(), 0}, {out.write.get(), 1}, {err.write.get(), 2}};
  SpawnOptions options;
  options.fds = stdio;
  // Close-on-exec is the rule here, but an embedding application may hold
  // descriptors without it: none of them may reach the child.
  options.close_other_fds = true;
  if (!request.directory.empty()) options.directory = request.directory.c_str();
  options.new_process_group = true;
  pid_t pid = -1;
  int error = spawn_process(request.program, request.arguments, &request.environment, options, pid);
  if (error != 0) return error;

  // Until it is reaped the pid cannot name another process, so the pidfd
  // is surely this child's.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    error = errno;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return error;
  }
  ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);  // pidfd_open sets it; say so for older kernels

  ChildProcess started;
  started.pid_ = pid;
  started.pidfd_.reset(pidfd);
  started.stdin_ = std::move(in.write);
  started.stdout_ = std::move(out.read);
  started.stderr_ = std::move(err.read);
  child = std::move(started);
  return 0;
}

bool ChildProcess::kill(int signal) const {
  if (pid_ <= 0 || reaped_) return false;
  return ::kill(-pid_, signal) == 0;
}

bool ChildProcess::try_reap() {
  if (pid_ <= 0 || reaped_) return reaped_;
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == 0) return false;
  reaped_ = true;
  status_ = result == pid_ ? status : -1;  // ECHILD: reaped elsewhere
  pidfd_.reset();
  return true;
}

void ChildProcess::kill_and_wait() {
  if (pid_ <= 0) return;
  if (!reaped_) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    pid_t result;
    do {
      result = ::waitpid(pid_, &status, 0);
    } while (result < 0 && errno == EINTR);
    reaped_ = true;
    status_ = result == pid_ ? status : -1;
  }
  pidfd_.reset();
  stdin_.reset();
  stdout_.reset();
  stderr_.reset();
  pid_ = -1;
}

}  // namespace basehttp
