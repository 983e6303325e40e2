// ListenerHandover: hands a listening socket to a new process (this program
// restarted, or a new version of it) so that a restart loses no
// connection. The new process gets the socket as fd 3 and a readiness pipe
// as fd 4; once it serves it writes "READY=1\n" there (report_ready()),
// and the old process, told on its loop, stops accepting and drains. The
// socket, with the connections waiting in its accept queue, stays open in
// the new process throughout: there is one queue, not one per process.
// (Two processes with SO_REUSEPORT listeners have a queue each, and the
// old one's close resets the connections still in it unless
// net.ipv4.tcp_migrate_req is 1.) A new process that fails (not ready in
// time, or its pipe closed first) gets SIGTERM, SIGKILL if it is still
// there kKillGrace later, and is reaped, so none is left as a zombie;
// one that said it is ready is the successor and is left alone.
// start() and the callback: loop thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "reactor/event_loop.hpp"
#include "reactor/fd_watch.hpp"
#include "reactor/file_descriptor.hpp"
#include "reactor/result.hpp"

namespace basehttp {

class ListenerHandover {
 public:
  /// Where the new process finds the listening socket and the pipe.
  static constexpr int kListenFd = 3;
  static constexpr int kReadyFd = 4;
  /// Runs once per start(): `ready` true when the new process said it
  /// serves; false with why when it closed the pipe (exited) first or took
  /// too long (it is then ended and reaped, see above). Loop thread.
  using Done = std::function<void(bool ready, const std::string& failure)>;

  /// How long a failed process has between SIGTERM and SIGKILL.
  static constexpr std::chrono::milliseconds kKillGrace{5000};

  explicit ListenerHandover(EventLoop& loop) : loop_(loop) {}
  /// Kills (SIGKILL) and waits for the failed processes not reaped yet; a
  /// handover still in progress is left to run (it may be the successor).
  ~ListenerHandover();
  ListenerHandover(const ListenerHandover&) = delete;
  ListenerHandover& operator=(const ListenerHandover&) = delete;

  /// Starts `argv` (argv[0] is the program's path; the environment is
  /// this process's) with `listening_fd` as fd 3 and the pipe as fd 4, the
  /// signal mask cleared and default signal actions. `listening_fd` stays
  /// open here. Fails (EALREADY while one is in progress, EINVAL for an
  /// empty argv, or the errno of "pipe2", "fcntl", "posix_spawn") when no
  /// process could be started; nothing else happens then, and `done` never
  /// runs. Otherwise `done` runs later.
  SysResult<void> start(int listening_fd, const std::vector<std::string>& argv,
                        std::chrono::milliseconds ready_timeout, Done done);
  /// A handover was started and `done` has not run yet.
  bool in_progress() const { return watch_ != nullptr; }
  /// The process started last (0 before any).
  pid_t child() const { return child_; }

  /// The new process's side: tells the old one it serves, through `fd`
  /// (kReadyFd when started by start()), and closes it. Any thread.
  static void report_ready(int fd);

 private:
  void on_readable();
  void finish(bool ready, const std::string& failure);
  /// Ends the process started last, which failed.
  void end_child();
  /// Reaps the failed processes that exited, SIGKILLs the late ones.
  void reap_ending();

  // A failed process, from SIGTERM until it is reaped.
  struct Ending {
    pid_t pid;
    EventLoop::Clock::time_point kill_at;
    bool killed = false;
  };

  EventLoop& loop_;
  FileDescriptor ready_pipe_;  // read end
  std::unique_ptr<FdWatch> watch_;
  EventLoop::TimerId timer_ = 0;
  std::string received_;
  Done done_;
  pid_t child_ = 0;
  std::vector<Ending> ending_;
  EventLoop::TimerId reap_timer_ = 0;  // polls ending_ while it is not empty
};

}  // namespace basehttp
