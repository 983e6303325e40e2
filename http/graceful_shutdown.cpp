#include "http/graceful_shutdown.hpp"

#include <algorithm>
#include <utility>

#include "http/server_context.hpp"
#include "http/session.hpp"

namespace basehttp {
namespace {

// How long a shutdown waits for the first request of a connection it has
// just accepted (see begin_shutdown()).
constexpr std::chrono::milliseconds kUnheardGrace{1000};

}  // namespace

GracefulShutdown::GracefulShutdown(ServerContext& context, Hooks hooks)
    : context_(context), hooks_(std::move(hooks)) {}

GracefulShutdown::~GracefulShutdown() {
  EventLoop& loop = context_.loop;
  for (EventLoop::TimerId timer : {drain_timer_, delay_timer_, unheard_timer_}) {
    if (timer != 0) loop.cancel(timer);
  }
}

void GracefulShutdown::on_signal() {
  if (!context_.draining) {
    begin_drain();
  } else {
    begin_shutdown();  // a second signal: stop waiting
    close_remaining();
  }
}

void GracefulShutdown::begin_drain() {
  if (context_.draining) return;
  context_.draining = true;
  hooks_.on_other_loops(&GracefulShutdown::mark_draining);
  if (context_.options.shutdown_delay.count() <= 0) {
    begin_shutdown();
    return;
  }
  delay_timer_ = context_.loop.run_after(context_.options.shutdown_delay, [this] {
    delay_timer_ = 0;
    begin_shutdown();
  });
}

void GracefulShutdown::mark_draining() {
  context_.draining = true;
}

void GracefulShutdown::begin_shutdown() {
  if (context_.shutting_down || stopping_) return;
  stopping_ = true;
  context_.draining = true;
  EventLoop& loop = context_.loop;
  if (delay_timer_ != 0) {
    loop.cancel(delay_timer_);
    delay_timer_ = 0;
  }
  hooks_.on_other_loops(&GracefulShutdown::begin_shutdown);
  // Clients that connected before now wait in the backlog: they are taken
  // (and get the grace below) rather than reset by closing the listener.
  hooks_.stop_accepting();
  context_.shutting_down = true;
  // Connections accepted but not heard from yet get a moment for their
  // first request (a client that connected has one on its way), answered
  // with Connection: close; then they are closed like the idle ones.
  context_.sessions.for_each(
      [](Session& session) { session.begin_shutdown(/*close_unheard=*/false); });
  context_.sessions.close_parked(/*abort=*/false);  // idle, and heard from
  unheard_timer_ = loop.run_after(std::min(kUnheardGrace, context_.options.drain_timeout), [this] {
    unheard_timer_ = 0;
    context_.sessions.for_each([](Session& session) { session.begin_shutdown(); });
  });
  drain_timer_ = loop.run_after(context_.options.drain_timeout, [this] {
    drain_timer_ = 0;
    close_remaining();
  });
  check_drained();
}

void GracefulShutdown::close_remaining() {
  hooks_.on_other_loops(&GracefulShutdown::close_remaining);
  context_.sessions.for_each([](Session& session) { session.abort(); });
  context_.sessions.close_parked(/*abort=*/true);
}

void GracefulShutdown::check_drained() {
  if (context_.sessions.size() != 0) return;
  EventLoop& loop = context_.loop;
  if (drain_timer_ != 0) {
    loop.cancel(drain_timer_);
    drain_timer_ = 0;
  }
  if (unheard_timer_ != 0) {
    loop.cancel(unheard_timer_);
    unheard_timer_ = 0;
  }
  bool stop_loop;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    drained_ = true;
    stop_loop = serving_;
  }
  changed_.notify_all();
  if (stop_loop) loop.stop();
}

bool GracefulShutdown::enter_serving() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (drained_) return false;
  serving_ = true;
  return true;
}

void GracefulShutdown::leave_serving() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    serving_ = false;
  }
  changed_.notify_all();
}

void GracefulShutdown::wait_until_stopped() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return drained_ && !serving_; });
}

}  // namespace basehttp
