// GracefulShutdown: how one server stops without cutting a response short.
// Draining first (health checks learn of it; responses say Connection:
// close), for ServerOptions::shutdown_delay; then no new connections, idle
// ones closed, requests in flight answered and flushed; whatever is left
// after drain_timeout closed. It also keeps the state another thread waits
// on in HTTPServer::shutdown(). One per server; loop thread only, except
// wait_until_stopped(). Internal.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

#include "reactor/event_loop.hpp"

namespace basehttp {

class ServerContext;

class GracefulShutdown {
 public:
  /// One of the steps below, for fanning it out to the other loops.
  using Step = void (GracefulShutdown::*)();
  struct Hooks {
    /// Closes the listening socket.
    std::function<void()> stop_accepting;
    /// Runs `step` on the other loops' servers, each on its own thread.
    std::function<void(Step step)> on_other_loops;
  };

  GracefulShutdown(ServerContext& context, Hooks hooks);
  ~GracefulShutdown();
  GracefulShutdown(const GracefulShutdown&) = delete;
  GracefulShutdown& operator=(const GracefulShutdown&) = delete;

  /// Draining now (here and on the other loops); the shutdown after the delay.
  void begin_drain();
  /// Only the flag: another loop's server began draining.
  void mark_draining();
  /// Stops accepting and closes what is idle; the rest as it finishes.
  void begin_shutdown();
  /// Closes every connection at once.
  void close_remaining();
  /// A connection went away: the shutdown may be complete.
  void check_drained();
  /// SIGINT or SIGTERM: the first drains, a second stops waiting.
  void on_signal();

  /// serve_forever() begins: false when the shutdown has already finished.
  bool enter_serving();
  /// serve_forever() has returned.
  void leave_serving();
  /// Any thread but the loop's: waits until the shutdown has finished and
  /// serve_forever() (if it runs) has returned.
  void wait_until_stopped();

 private:
  ServerContext& context_;
  Hooks hooks_;
  EventLoop::TimerId delay_timer_ = 0;    // the shutdown_delay, while it runs
  EventLoop::TimerId unheard_timer_ = 0;  // closes connections not heard from (begin_shutdown)
  EventLoop::TimerId drain_timer_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool serving_ = false;  // inside serve_forever()
  bool drained_ = false;  // shutdown finished: no connection left
};

}  // namespace basehttp
