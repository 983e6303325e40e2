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

SysResult<void> make_pipe(Pipe& pipe, bool parent_reads) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return SysError(errno, "pipe2");
  pipe.read.reset(fds[0]);
  pipe.write.reset(fds[1]);
  // Only the parent's end is nonblocking: the child expects ordinary,
  // blocking stdio.
  FileDescriptor& parent = parent_reads ? pipe.read : pipe.write;
  if (::fcntl(parent.get(), F_SETFL, O_NONBLOCK) != 0) return SysError(errno, "fcntl");
  return {};
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

SysResult<ChildProcess> ChildProcess::spawn(const SpawnRequest& request) {
  Pipe in, out, err;
  for (auto [pipe, parent_reads] : {std::pair{&in, false}, {&out, true}, {&err, true}}) {
    if (auto made = make_pipe(*pipe, parent_reads); !made) return made.failure();
  }

  const ChildFd stdio[] = {{in.read.get(), 0}, {out.write.get(), 1}, {err.write.get(), 2}};
  SpawnOptions options;
  options.fds = stdio;
  // Close-on-exec is the rule here, but an embedding application may hold
  // descriptors without it: none of them may reach the child.
  options.close_other_fds = true;
  if (!request.directory.empty()) options.directory = request.directory.c_str();
  options.new_process_group = true;
  auto spawned = spawn_process(request.program, request.arguments, &request.environment, options);
  if (!spawned) return spawned.failure();
  pid_t pid = spawned.value();

  // Until it is reaped the pid cannot name another process, so the pidfd
  // is surely this child's.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int error = errno;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return SysError(error, "pidfd_open");
  }
  ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);  // pidfd_open sets it; say so for older kernels

  ChildProcess started;
  started.pid_ = pid;
  started.pidfd_.reset(pidfd);
  started.stdin_ = std::move(in.write);
  started.stdout_ = std::move(out.read);
  started.stderr_ = std::move(err.read);
  return started;
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
