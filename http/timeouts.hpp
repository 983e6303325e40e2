// Timeouts: every kind of wait a connection can be under, as one table, and
// the deadline lists and the tick that expire them. A connection waits under
// one kind at a time; each row names the option its length comes from, the
// counter (ServerStats::timeouts) an expiry adds to, and its name in logs
// and metrics. Adding a timeout: a Wait value, a row in kTimeoutRows, its
// ServerOptions field, and the branch in Session::on_deadline() that says
// what an expiry does. One per server; loop thread only. Internal.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "http/server_options.hpp"
#include "http/server_stats.hpp"
#include "reactor/deadline_list.hpp"
#include "reactor/event_loop.hpp"

namespace basehttp {

/// Which deadline a connection waits under.
enum class Wait : uint8_t {
  kHeader,     ///< a request's header section, timed from its first byte
  kBody,       ///< the next bytes of a request body
  kSend,       ///< the client to take queued response bytes
  kIdle,       ///< between requests, before giving back buffers and state
  kKeepAlive,  ///< between requests, resources given back, until closed
  kHandshake,  ///< a TLS handshake, timed from the connection's accept
  kCount,
  kNone = kCount,  ///< the application's business (a deferred response), or closed
};

struct TimeoutRow {
  Wait wait;
  /// For logs and metrics ("header", "keep_alive").
  std::string_view name;
  /// How long the wait lasts, from the options.
  std::chrono::milliseconds (*length)(const ServerOptions& options);
  /// The counter an expiry adds to; kCount: none (an expiry is not a failure).
  TimeoutKind counted;
};

/// Every kind of wait, in Wait order.
extern const std::array<TimeoutRow, static_cast<size_t>(Wait::kCount)> kTimeoutRows;

class Timeouts {
 public:
  /// `on_expired` runs for each entry whose deadline passed, taken off its list.
  using Expired = std::function<void(DeadlineEntry& entry, Wait wait)>;

  Timeouts(EventLoop& loop, const ServerOptions& options, Expired on_expired);
  ~Timeouts();
  Timeouts(const Timeouts&) = delete;
  Timeouts& operator=(const Timeouts&) = delete;

  /// Puts `entry` under `wait`'s deadline from now (kNone: under none).
  void wait_on(DeadlineEntry& entry, Wait wait) {
    if (wait == Wait::kNone) {
      if (entry.list() != nullptr) entry.list()->remove(entry);
      return;
    }
    lists_[static_cast<size_t>(wait)].schedule(entry, loop_.now());
    if (tick_timer_ == 0) start_tick();
  }
  /// Expires what is due; stops the tick when nobody waits.
  void tick(EventLoop::Clock::time_point now);
  /// How often the tick runs while somebody waits.
  EventLoop::Duration tick_interval() const { return tick_interval_; }
  /// The length of `wait` (for tests and logs).
  EventLoop::Duration length(Wait wait) const { return lists_[static_cast<size_t>(wait)].wait(); }

 private:
  void start_tick();

  EventLoop& loop_;
  Expired on_expired_;
  std::array<DeadlineList, static_cast<size_t>(Wait::kCount)> lists_;
  EventLoop::Duration tick_interval_{};
  EventLoop::TimerId tick_timer_ = 0;
};

}  // namespace basehttp
