#include "handlers/operations/metrics.hpp"

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "handlers/operations/path_route.hpp"
#include "http/deferred_response.hpp"
#include "http/server.hpp"
#include "reactor/event_loop.hpp"

namespace basehttp {
namespace {

void append_number(std::string& out, uint64_t value) {
  char digits[24];
  int length = std::snprintf(digits, sizeof(digits), "%" PRIu64, value);
  out.append(digits, static_cast<size_t>(length));
}

// Exact: whole seconds, then nine digits of nanoseconds.
void append_seconds(std::string& out, uint64_t nanoseconds) {
  char text[40];
  int length = std::snprintf(text, sizeof(text), "%" PRIu64 ".%09" PRIu64,
                             nanoseconds / 1'000'000'000u, nanoseconds % 1'000'000'000u);
  out.append(text, static_cast<size_t>(length));
}

// Writes the exposition text of one server's numbers.
class Writer {
 public:
  Writer(std::string& out, std::string_view prefix) : out_(out), prefix_(prefix) {}

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    name_(name);
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    name_(name);
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, uint64_t value, std::string_view label = {},
              std::string_view label_value = {}) {
    name_(name);
    if (!label.empty()) {
      out_ += '{';
      out_ += label;
      out_ += "=\"";
      out_ += label_value;
      out_ += "\"}";
    }
    out_ += ' ';
    append_number(out_, value);
    out_ += '\n';
  }
  void single(std::string_view name, std::string_view type, std::string_view help, uint64_t value) {
    family(name, type, help);
    sample(name, value);
  }
  void histogram(std::string_view name, std::string_view help, const LatencyHistogram& h) {
    family(name, "histogram", help);
    std::string bucket = std::string(name) + "_bucket";
    for (size_t i = 0; i < LatencyHistogram::kBounds; ++i) {
      sample(bucket, h.cumulative(i), "le", LatencyHistogram::kBoundLabels[i]);
    }
    sample(bucket, h.count(), "le", "+Inf");
    name_(name);
    out_ += "_sum ";
    append_seconds(out_, h.sum_nanoseconds());
    out_ += '\n';
    sample(std::string(name) + "_count", h.count());
  }

 private:
  void name_(std::string_view name) {
    out_ += prefix_;
    out_ += '_';
    out_ += name;
  }

  std::string& out_;
  std::string_view prefix_;
};

void reply(RequestHandler& handler, const std::string& body) {
  handler.send_response(200);
  handler.send_header("Content-Type", Metrics::kContentType);
  handler.send_header("Cache-Control", "no-store");
  handler.send_header("Content-Length", std::to_string(body.size()));
  handler.end_headers();
  handler.write(body);
}

// One scrape of a server with several loops, on the loop of the request.
struct Gather {
  const Metrics* metrics = nullptr;
  EventLoop* home = nullptr;
  DeferredResponse response;
  ServerStats total;
  size_t loops = 0;
  size_t waiting = 0;
  bool draining = false;
  bool latency = false;
  bool done = false;
  EventLoop::TimerId timer = 0;
};

void finish(const std::shared_ptr<Gather>& gather, bool complete) {
  if (gather->done) return;
  gather->done = true;
  if (gather->timer != 0) gather->home->cancel(gather->timer);
  gather->timer = 0;
  // The server may be gone (destroyed on a loop it shared) and with it
  // the Metrics object, which only had to outlive the server.
  if (!gather->response.pending()) return;
  if (!complete) {
    gather->response.complete([](RequestHandler& handler) {
      handler.send_error(503, "Metrics unavailable", "An event loop did not report in time.");
    });
    return;
  }
  std::string body =
      gather->metrics->render(gather->total, gather->loops, gather->draining, gather->latency);
  gather->response.complete([&body](RequestHandler& handler) { reply(handler, body); });
}

}  // namespace

Metrics::Metrics(MetricsOptions options) : options_(std::move(options)) {}

void Metrics::install(HandlerTable& table, std::string path) const {
  route_path(table, std::move(path), [this](RequestHandler& handler) { handle(handler); });
}

void Metrics::handle(RequestHandler& handler) const {
  HTTPServer& own = handler.server();
  LoopGroup& loops = own.loops();
  if (loops.size() == 1) {
    reply(handler, render(own.stats(), 1, own.draining(), own.options().latency_histograms));
    return;
  }
  auto gather = std::make_shared<Gather>();
  gather->metrics = this;
  gather->home = &own.loop();
  gather->response = handler.defer();
  gather->loops = loops.size();
  gather->waiting = loops.size();
  gather->draining = own.draining();
  gather->latency = own.options().latency_histograms;
  for (size_t i = 0; i < loops.size(); ++i) {
    HTTPServer* server = &loops[i];
    if (server == &own) {
      gather->total += own.stats();
      --gather->waiting;
      continue;
    }
    // Copied on its own loop thread, summed back on ours: each ServerStats
    // is only ever touched by the thread that owns it.
    server->post([gather](HTTPServer& server) {
      ServerStats stats = server.stats();
      gather->home->post([gather, stats] {
        gather->total += stats;
        if (--gather->waiting == 0) finish(gather, true);
      });
    });
  }
  gather->timer = gather->home->run_after(options_.gather_timeout, [gather] {
    gather->timer = 0;
    finish(gather, false);
  });
}

std::string Metrics::render(const ServerStats& stats, size_t loops, bool draining,
                            bool latency) const {
  std::string out;
  out.reserve(8192);
  Writer w(out, options_.prefix);
  w.single("connections_accepted_total", "counter", "Connections accepted.",
           stats.connections_accepted);
  w.single("connections_open", "gauge", "Connections open now.", stats.connections_open);
  w.single("requests_total", "counter", "Requests dispatched to a handler.", stats.requests);
  w.family("responses_total", "counter", "Responses by status class.");
  static constexpr std::string_view kClasses[] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (size_t i = 1; i < stats.responses_by_class.size(); ++i) {
    w.sample("responses_total", stats.responses_by_class[i], "code", kClasses[i]);
  }
  w.single("received_bytes_total", "counter", "Bytes read from clients.", stats.bytes_in);
  w.single("sent_bytes_total", "counter", "Bytes taken by the kernel for clients.",
           stats.bytes_out);
  w.family("parse_errors_total", "counter", "Requests refused as unparsable, by kind.");
  for (size_t i = 0; i < stats.parse_errors.size(); ++i) {
    w.sample("parse_errors_total", stats.parse_errors[i], "kind",
             name_of(static_cast<ParseErrorKind>(i)));
  }
  w.family("timeouts_total", "counter", "Connections ended by a deadline, by kind.");
  for (size_t i = 0; i < stats.timeouts.size(); ++i) {
    w.sample("timeouts_total", stats.timeouts[i], "kind", name_of(static_cast<TimeoutKind>(i)));
  }
  w.single("tls_handshakes_total", "counter", "TLS handshakes completed.", stats.tls_handshakes);
  w.single("tls_ktls_send_connections_total", "counter",
           "TLS connections whose sending the kernel encrypts (kernel TLS, files sent with "
           "SSL_sendfile).",
           stats.tls_ktls_send_connections);
  w.single("log_lines_dropped_total", "counter",
           "Log lines dropped because the log's writer fell behind and its buffer was full.",
           stats.log_lines_dropped);
  w.single("event_loops", "gauge", "Event loops serving, each on a thread.", loops);
  w.single("draining", "gauge", "1 once a shutdown was asked for.", draining ? 1 : 0);
  if (!latency) return out;
  w.histogram("request_header_seconds",
              "From a request's first byte to the end of its header section.",
              stats.header_latency);
  w.histogram("request_handler_seconds",
              "From dispatch to the response being complete in the output queue.",
              stats.handler_latency);
  w.histogram("request_duration_seconds",
              "From a request's first byte to its response's last byte sent.",
              stats.response_latency);
  return out;
}

}  // namespace basehttp
