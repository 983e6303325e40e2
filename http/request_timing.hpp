// RequestTiming: where a connection's current request is in its phases
// (first byte, header section, dispatch, response queued, last byte sent)
// and the ServerStats histograms each phase is counted into. Times are the
// loop's, read once per iteration, so timing a phase costs no clock read;
// nothing allocates. Held by a Session; loop thread only. Built without
// stats (ServerOptions::latency_histograms off) every call returns at once.
#pragma once

#include <chrono>
#include <cstdint>

#include "http/server_stats.hpp"
#include "reactor/buffer.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/output_queue.hpp"

namespace basehttp {

class RequestTiming {
 public:
  using TimePoint = EventLoop::Clock::time_point;

  explicit RequestTiming(ServerStats* stats) : stats_(stats) {}

  // The calls below take the loop (and the output queue) rather than what
  // they read from it, so that with no stats they cost one test and branch.
  /// Parsing is about to start on `input`: with bytes there, see begin(now).
  void begin(const EventLoop& loop, const Buffer& input) {
    if (stats_ != nullptr && !input.empty()) begin(loop.now());
  }
  void headers_complete(const EventLoop& loop) {
    if (stats_ != nullptr) headers_complete(loop.now());
  }
  void dispatched(const EventLoop& loop) {
    if (stats_ != nullptr) dispatched(loop.now());
  }
  void finished(const EventLoop& loop, const OutputQueue& output) {
    if (stats_ != nullptr) finished(loop.now(), output.bytes_sent() + output.size());
  }
  void sent(const EventLoop& loop, uint64_t bytes_sent) {
    if (unsent_ != 0) sent(loop.now(), bytes_sent);
  }

  /// Bytes of a request are about to be parsed: the first call for a
  /// request marks its first byte (later calls change nothing).
  void begin(TimePoint now) {
    if (stats_ == nullptr || started_) return;
    start_ = now;
    started_ = true;
    headers_counted_ = false;
  }
  /// The request's header section is complete (also reached through
  /// dispatched() for requests whose parse ends with the headers).
  void headers_complete(TimePoint now) {
    if (stats_ == nullptr || headers_counted_) return;
    begin(now);
    headers_counted_ = true;
    stats_->header_latency.observe(now - start_);
  }
  /// The request goes to its handler.
  void dispatched(TimePoint now) {
    if (stats_ == nullptr) return;
    headers_complete(now);
    dispatch_ = now;
  }
  /// The response is whole in the output queue; its last byte is the
  /// connection's output byte number `last_byte` (bytes sent + queued).
  void finished(TimePoint now, uint64_t last_byte) {
    if (stats_ == nullptr) return;
    stats_->handler_latency.observe(now - dispatch_);
    // Pipelined responses still queued are counted together once the last
    // of them is out, each from the first byte of the earliest: exact for
    // a batch read at once, an upper bound otherwise.
    if (unsent_ == 0) unsent_start_ = start_;
    ++unsent_;
    unsent_last_byte_ = last_byte;
    started_ = false;
  }
  /// The kernel has taken `bytes_sent` bytes of the connection's output.
  void sent(TimePoint now, uint64_t bytes_sent) {
    if (unsent_ == 0 || bytes_sent < unsent_last_byte_) return;
    stats_->response_latency.observe(now - unsent_start_, unsent_);
    unsent_ = 0;
  }

 private:
  ServerStats* stats_;
  TimePoint start_{};
  TimePoint dispatch_{};
  TimePoint unsent_start_{};
  uint64_t unsent_last_byte_ = 0;
  uint32_t unsent_ = 0;  // responses finished whose last byte is not out yet
  bool started_ = false;
  bool headers_counted_ = false;
};

}  // namespace basehttp
