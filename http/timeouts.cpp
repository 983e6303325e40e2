#include "http/timeouts.hpp"

#include <algorithm>
#include <utility>

namespace basehttp {
namespace {

using std::chrono::milliseconds;

// Idle then keep-alive: the connection gives its buffers back after the
// first, and is closed when both together have passed keep_alive_timeout.
milliseconds idle_length(const ServerOptions& options) {
  return std::min(options.idle_release_after, options.keep_alive_timeout);
}
milliseconds keep_alive_length(const ServerOptions& options) {
  return options.keep_alive_timeout - idle_length(options);
}

template <size_t... kIndex>
std::array<DeadlineList, sizeof...(kIndex)> make_lists(const ServerOptions& options,
                                                       std::index_sequence<kIndex...>) {
  return {DeadlineList(kTimeoutRows[kIndex].length(options))...};
}

}  // namespace

const std::array<TimeoutRow, static_cast<size_t>(Wait::kCount)> kTimeoutRows = {{
    {Wait::kHeader, "header", [](const ServerOptions& o) { return o.header_timeout; },
     TimeoutKind::kHeader},
    {Wait::kBody, "body", [](const ServerOptions& o) { return o.body_timeout; },
     TimeoutKind::kBody},
    {Wait::kSend, "send", [](const ServerOptions& o) { return o.send_timeout; },
     TimeoutKind::kSend},
    {Wait::kIdle, "idle", idle_length, TimeoutKind::kCount},
    {Wait::kKeepAlive, "keep_alive", keep_alive_length, TimeoutKind::kKeepAlive},
    {Wait::kHandshake, "handshake", [](const ServerOptions& o) { return o.handshake_timeout; },
     TimeoutKind::kHandshake},
}};

Timeouts::Timeouts(EventLoop& loop, const ServerOptions& options, Expired on_expired)
    : loop_(loop),
      on_expired_(std::move(on_expired)),
      lists_(make_lists(options, std::make_index_sequence<static_cast<size_t>(Wait::kCount)>())) {
  // Deadlines are checked a few times per shortest wait: fine enough, and
  // the tick only runs while some connection waits.
  auto shortest = std::min({options.header_timeout, options.body_timeout, options.send_timeout,
                            options.keep_alive_timeout, options.handshake_timeout,
                            std::max(options.idle_release_after, milliseconds(1))});
  tick_interval_ =
      std::clamp<EventLoop::Duration>(shortest / 4, milliseconds(5), milliseconds(1000));
}

Timeouts::~Timeouts() {
  if (tick_timer_ != 0) loop_.cancel(tick_timer_);
}

void Timeouts::start_tick() {
  tick_timer_ = loop_.run_every(tick_interval_, [this] { tick(EventLoop::Clock::now()); });
}

void Timeouts::tick(EventLoop::Clock::time_point now) {
  bool waiting = false;
  for (size_t i = 0; i < lists_.size(); ++i) {
    while (DeadlineEntry* due = lists_[i].pop_expired(now)) {
      on_expired_(*due, static_cast<Wait>(i));
    }
    waiting |= !lists_[i].empty();
  }
  if (!waiting && tick_timer_ != 0) {
    loop_.cancel(tick_timer_);  // nobody waits: no wake-ups on an idle server
    tick_timer_ = 0;
  }
}

}  // namespace basehttp
