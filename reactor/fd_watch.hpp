// FdWatch: application code's own file descriptor (a database client's
// socket, a pipe, an inotify fd) watched by an EventLoop, so a service can
// drive it on the thread that serves HTTP. Edge-triggered, like everything
// on the loop: the callback runs when the fd becomes readable or writable,
// and it must read (or write) until EAGAIN, or it will not be told again.
// The watch does not own the fd; destroying the watch (or stop()) takes the
// fd off the loop, and no callback runs after that, even for readiness
// already collected in the current iteration. The callback may stop the
// watch or destroy it (its own captures stay alive until it returns).
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>

#include "reactor/io_handler.hpp"

namespace basehttp {

class EventLoop;

/// What became ready; error and hang-up are reported with whichever of
/// readable/writable was asked for, since reading or writing finds them.
struct Readiness {
  bool readable = false;
  bool writable = false;
  bool hangup = false;  ///< the peer closed (EPOLLHUP or EPOLLRDHUP)
  bool error = false;   ///< EPOLLERR: the next read or write returns the error
};

class FdWatch final : public IoHandler {
 public:
  using Callback = std::function<void(Readiness)>;

  /// Starts watching `fd` (nonblocking, the caller's) for readability
  /// and/or writability. Aborts if epoll refuses the fd (a closed or
  /// unpollable fd, such as a regular file, is a bug in the caller).
  FdWatch(EventLoop& loop, int fd, bool readable, bool writable, Callback callback);
  ~FdWatch();
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  /// Changes what is watched (an epoll_ctl); a state already true is
  /// reported again at once, as a fresh edge.
  void watch(bool readable, bool writable);
  /// Takes the fd off the loop; the watch is inert afterwards.
  void stop();
  bool active() const { return fd_ >= 0; }
  int fd() const { return fd_; }

 private:
  void handle_events(uint32_t events) override;
  static uint32_t mask(bool readable, bool writable);

  EventLoop& loop_;
  int fd_;
  Callback callback_;
  bool* destroyed_ = nullptr;  // set while the callback runs: tells it the watch is gone
};

}  // namespace basehttp
