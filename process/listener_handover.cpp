#include "process/listener_handover.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process/spawn.hpp"

namespace basehttp {

ListenerHandover::~ListenerHandover() {
  if (timer_ != 0) loop_.cancel(timer_);
  if (reap_timer_ != 0) loop_.cancel(reap_timer_);
  for (const Ending& ending : ending_) {
    ::kill(ending.pid, SIGKILL);
    while (::waitpid(ending.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

SysResult<void> ListenerHandover::start(int listening_fd, const std::vector<std::string>& argv,
                                        std::chrono::milliseconds ready_timeout, Done done) {
  if (in_progress()) return SysError(EALREADY, "handover");
  if (argv.empty()) return SysError(EINVAL, "handover");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return SysError(errno, "pipe2");
  FileDescriptor read_end(pipe_fds[0]);
  FileDescriptor write_end(pipe_fds[1]);
  if (::fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) return SysError(errno, "fcntl");

  const ChildFd given[] = {{listening_fd, kListenFd}, {write_end.get(), kReadyFd}};
  SpawnOptions options;
  options.fds = given;
  // Only the signals the loop takes or ignores: a restarted program keeps
  // any other action it was started with (an ignored SIGQUIT stays so).
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2})
    sigaddset(&defaults, signal_number);
  options.default_signals = &defaults;
  auto spawned = spawn_process(argv[0], argv, nullptr, options);
  if (!spawned) return spawned.failure();

  // Our copies of the write end close here: the pipe reads EOF as soon as
  // the child has closed (or never kept) its own.
  child_ = spawned.value();
  ready_pipe_ = std::move(read_end);
  received_.clear();
  done_ = std::move(done);
  watch_ = std::make_unique<FdWatch>(loop_, ready_pipe_.get(), true, false,
                                     [this](Readiness) { on_readable(); });
  timer_ = loop_.run_after(ready_timeout, [this, ready_timeout] {
    timer_ = 0;
    finish(false, "not ready after " + std::to_string(ready_timeout.count()) + " ms");
  });
  return {};
}

void ListenerHandover::on_readable() {
  char chunk[64];
  for (;;) {
    ssize_t n = ::read(ready_pipe_.get(), chunk, sizeof(chunk));
    if (n > 0) {
      received_.append(chunk, static_cast<size_t>(n));
      if (received_.find("READY=1\n") != std::string::npos) return finish(true, {});
      if (received_.size() > 4096) return finish(false, "unexpected readiness message");
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EOF: the process closed the pipe, and has exited or is exiting (its
    // descriptors close before it can be reaped) or lives on without it.
    return finish(false, "the new process exited before it was ready");
  }
}

void ListenerHandover::finish(bool ready, const std::string& failure) {
  if (timer_ != 0) loop_.cancel(timer_);
  timer_ = 0;
  // The watch may be the caller of this function: it stops now and is
  // destroyed once the current events are handled.
  watch_->stop();
  loop_.run_soon([watch = std::shared_ptr<FdWatch>(std::move(watch_))] {});
  ready_pipe_.reset();
  if (!ready) end_child();
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(ready, failure);
}

void ListenerHandover::end_child() {
  ::kill(child_, SIGTERM);
  ending_.push_back(Ending{child_, loop_.now() + kKillGrace});
  reap_ending();
  // Failures are rare and the wait short: a poll every few milliseconds
  // costs less than a pidfd and its watch.
  if (!ending_.empty() && reap_timer_ == 0) {
    reap_timer_ = loop_.run_every(std::chrono::milliseconds(10), [this] { reap_ending(); });
  }
}

void ListenerHandover::reap_ending() {
  auto now = EventLoop::Clock::now();
  for (size_t i = 0; i < ending_.size();) {
    Ending& ending = ending_[i];
    pid_t reaped = ::waitpid(ending.pid, nullptr, WNOHANG);
    if (reaped == ending.pid || (reaped < 0 && errno == ECHILD)) {
      ending_[i] = ending_.back();
      ending_.pop_back();
      continue;
    }
    if (!ending.killed && now >= ending.kill_at) {
      ::kill(ending.pid, SIGKILL);
      ending.killed = true;
    }
    ++i;
  }
  if (ending_.empty() && reap_timer_ != 0) {
    loop_.cancel(reap_timer_);
    reap_timer_ = 0;
  }
}

void ListenerHandover::report_ready(int fd) {
  static constexpr char kReady[] = "READY=1\n";
  ssize_t written;
  do {
    written = ::write(fd, kReady, sizeof(kReady) - 1);
  } while (written < 0 && errno == EINTR);
  ::close(fd);
}

}  // namespace basehttp
