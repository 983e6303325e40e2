#include "process/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace basehttp {
namespace {

struct Pipe {
  FileDescriptor read;
  FileDescriptor write;
};

// The child's end must not sit on 0-2 already (a parent started with
// those closed), or one dup2 in the child would overwrite another's source.
int lift_above_stdio(FileDescriptor& fd) {
  if (fd.get() > 2) return 0;
  int lifted = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (lifted < 0) return errno;
  fd.reset(lifted);
  return 0;
}

int make_pipe(Pipe& pipe, bool parent_reads) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno;
  pipe.read.reset(fds[0]);
  pipe.write.reset(fds[1]);
  // Only the parent's end is nonblocking: the child expects ordinary,
  // blocking stdio.
  FileDescriptor& parent = parent_reads ? pipe.read : pipe.write;
  FileDescriptor& child = parent_reads ? pipe.write : pipe.read;
  if (::fcntl(parent.get(), F_SETFL, O_NONBLOCK) != 0) return errno;
  return lift_above_stdio(child);
}

std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (const std::string& text : strings)
    result.push_back(const_cast<char*>(text.c_str()));
  result.push_back(nullptr);
  return result;
}

// Owns the posix_spawn attribute objects for the length of one spawn.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

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

  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&setup.actions, err.write.get(), 2);
  // Close-on-exec is the rule here, but an embedding application may hold
  // descriptors without it: none of them may reach the child.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  if (!request.directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, request.directory.c_str());
  }
  // A loop that takes SIGTERM through a signalfd blocks it, and it ignores
  // SIGPIPE: a child must inherit neither, or it could not be stopped
  // with SIGTERM and would see EPIPE where a program expects to die.
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setflags(&setup.attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attributes, 0);
  posix_spawnattr_setsigmask(&setup.attributes, &empty);
  posix_spawnattr_setsigdefault(&setup.attributes, &all);

  std::vector<char*> argv = pointers(request.arguments);
  std::vector<char*> envp = pointers(request.environment);
  pid_t pid = -1;
  int error = posix_spawn(&pid, request.program.c_str(), &setup.actions, &setup.attributes,
                          argv.data(), envp.data());
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
