// Metrics: the server's counters and latency histograms (ServerStats) in
// the Prometheus text exposition format, for a scraper to GET at a path
// such as /metrics. With several event loops (ServerOptions::threads) it
// sums them all: each loop's stats are copied on that loop's own thread
// (through EventLoop::post), so no counter is ever read while another
// thread writes it, and the response is completed once every loop has
// answered. Built before serving; handle() runs on the loop threads.
// Must outlive the HandlerTable entries that call it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "http/handler_table.hpp"
#include "http/request_handler.hpp"
#include "http/server_stats.hpp"

namespace basehttp {

struct MetricsOptions {
  /// Start of every metric name: "basehttp_requests_total".
  std::string prefix = "basehttp";
  /// How long a scrape waits for the other loops' counters (a loop that
  /// has already stopped, late in a shutdown, never answers); then 503.
  std::chrono::milliseconds gather_timeout{1000};
};

class Metrics {
 public:
  explicit Metrics(MetricsOptions options = {});

  /// Answers one request with the metrics of the server that dispatched
  /// it and of the loops that serve beside it (HTTPServer::loops()).
  void handle(RequestHandler& handler) const;
  /// Answers GET and HEAD of `path` (see route_path()).
  void install(HandlerTable& table, std::string path = "/metrics") const;

  /// The exposition text for `stats`, summed over `loops` event loops, and
  /// whether the server is draining; the latency histograms only when the
  /// server keeps them (ServerOptions::latency_histograms). Any thread.
  std::string render(const ServerStats& stats, size_t loops, bool draining,
                     bool latency = true) const;

  /// The Content-Type of the text format, version 0.0.4.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  MetricsOptions options_;
};

}  // namespace basehttp
