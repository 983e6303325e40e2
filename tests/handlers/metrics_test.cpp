// Tests Metrics: the exposition text follows the Prometheus text format
// (HELP and TYPE before each family, counters ending in _total, cumulative
// buckets up to +Inf equal to _count), its numbers move with the requests
// a server answers, per-phase latency sees the time a phase really took,
// and a server with several loops reports the sum of all of them.
#include "handlers/operations/metrics.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "handlers/operations/path_route.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::send_text;
using testing::TestServer;

// The value of the sample written exactly as `series` ("x_total",
// "x_bucket{le=\"+Inf\"}"), or -1 when there is none.
double value_of(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::strtod(line.c_str() + series.size(), nullptr);
  }
  return -1;
}

std::string scrape(uint16_t port) {
  RawClient client(port);
  EXPECT_TRUE(client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = client.read_response();
  if (!response) return {};
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Type"), Metrics::kContentType);
  return response->body;
}

HandlerTable table_with(const Metrics& metrics) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    if (handler.path() == "/slow") {
      DeferredResponse later = handler.defer();
      handler.server().loop().run_after(milliseconds(60), [later] {
        later.complete([](RequestHandler& h) { send_text(h, 200, "late"); });
      });
      return;
    }
    send_text(handler, handler.path() == "/missing" ? 404 : 200, "ok");
  });
  metrics.install(table);
  return table;
}

TEST(Metrics, TlsHandshakesAndKernelTlsConnectionsAreCounters) {
  ServerStats stats;
  stats.tls_handshakes = 5;
  stats.tls_ktls_send_connections = 2;
  ServerStats other;
  other.tls_handshakes = 1;
  other.tls_ktls_send_connections = 1;
  stats += other;  // another loop's
  std::string text = Metrics().render(stats, 2, false);
  EXPECT_NE(text.find("# TYPE basehttp_tls_handshakes_total counter\n"
                      "basehttp_tls_handshakes_total 6\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE basehttp_tls_ktls_send_connections_total counter\n"
                      "basehttp_tls_ktls_send_connections_total 3\n"),
            std::string::npos)
      << text;
  // A plain server shows them at 0, so a dashboard's series always exist.
  std::string plain = Metrics().render(ServerStats{}, 1, false);
  EXPECT_EQ(value_of(plain, "basehttp_tls_handshakes_total"), 0);
  EXPECT_EQ(value_of(plain, "basehttp_tls_ktls_send_connections_total"), 0);
}

TEST(Metrics, RenderFollowsTheTextFormat) {
  ServerStats stats;
  stats.requests = 7;
  stats.responses_by_class[2] = 6;
  stats.responses_by_class[4] = 1;
  stats.response_latency.observe(std::chrono::microseconds(300), 2);
  stats.response_latency.observe(std::chrono::seconds(20));
  std::string text = Metrics().render(stats, 2, false);
  EXPECT_NE(text.find("# HELP basehttp_requests_total "), std::string::npos);
  EXPECT_NE(text.find("# TYPE basehttp_requests_total counter\nbasehttp_requests_total 7\n"),
            std::string::npos);
  EXPECT_EQ(value_of(text, "basehttp_responses_total{code=\"2xx\"}"), 6);
  EXPECT_EQ(value_of(text, "basehttp_responses_total{code=\"4xx\"}"), 1);
  EXPECT_EQ(value_of(text, "basehttp_event_loops"), 2);
  EXPECT_NE(text.find("# TYPE basehttp_request_duration_seconds histogram\n"), std::string::npos);
  const std::string bucket = "basehttp_request_duration_seconds_bucket";
  EXPECT_EQ(value_of(text, bucket + "{le=\"0.00025\"}"), 0);
  EXPECT_EQ(value_of(text, bucket + "{le=\"0.0005\"}"), 2);
  EXPECT_EQ(value_of(text, bucket + "{le=\"10\"}"), 2);
  EXPECT_EQ(value_of(text, bucket + "{le=\"+Inf\"}"), 3);
  EXPECT_EQ(value_of(text, "basehttp_request_duration_seconds_count"), 3);
  EXPECT_NE(text.find("basehttp_request_duration_seconds_sum 20.000600000\n"), std::string::npos);
  // Every sample line belongs to the family its TYPE line announced last.
  std::istringstream lines(text);
  std::string line, family;
  while (std::getline(lines, line)) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
    } else if (line[0] != '#') {
      EXPECT_EQ(line.rfind(family, 0), 0u) << line << " after TYPE " << family;
    }
  }
  EXPECT_EQ(Metrics().render(stats, 1, true, false).find("_seconds"), std::string::npos)
      << "histograms the server does not keep are left out";
}

TEST(Metrics, NumbersMoveWithTheRequestsServed) {
  Metrics metrics;
  HandlerTable table = table_with(metrics);
  ServerOptions options = testing::quiet_options();
  options.latency_histograms = true;
  TestServer server(table, options);

  std::string before = scrape(server.port());
  EXPECT_EQ(value_of(before, "basehttp_requests_total"), 1) << before;  // this scrape
  {
    RawClient client(server.port());
    ASSERT_TRUE(
        client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(client.read_response());
    ASSERT_TRUE(client.read_response());
    // A header section that takes 80 ms to arrive.
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHo"));
    std::this_thread::sleep_for(milliseconds(80));  // the delay measured, not a synchronisation
    ASSERT_TRUE(client.send("st: t\r\n\r\n"));
    ASSERT_TRUE(client.read_response());
    ASSERT_TRUE(client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto late = client.read_response();
    ASSERT_TRUE(late);
    EXPECT_EQ(late->body, "late");
  }
  std::string after = scrape(server.port());
  EXPECT_EQ(value_of(after, "basehttp_requests_total"), 6) << after;
  EXPECT_EQ(value_of(after, "basehttp_responses_total{code=\"2xx\"}"), 4);  // 3 + first scrape
  EXPECT_EQ(value_of(after, "basehttp_responses_total{code=\"4xx\"}"), 1);
  EXPECT_EQ(value_of(after, "basehttp_connections_accepted_total"), 3);
  EXPECT_GT(value_of(after, "basehttp_received_bytes_total"), 100);

  // Per phase: the slow header section and the deferred handler were seen
  // at their length (the loop's clock moves between iterations).
  const std::string header = "basehttp_request_header_seconds";
  EXPECT_EQ(value_of(after, header + "_count"), 6);
  EXPECT_EQ(value_of(after, header + "_bucket{le=\"0.05\"}"), 5) << after;
  EXPECT_GE(value_of(after, header + "_sum"), 0.07);
  const std::string handler = "basehttp_request_handler_seconds";
  EXPECT_EQ(value_of(after, handler + "_count"), 5) << "this scrape's own is not done yet";
  EXPECT_EQ(value_of(after, handler + "_bucket{le=\"0.05\"}"), 4);
  EXPECT_EQ(value_of(after, handler + "_bucket{le=\"+Inf\"}"), 5);
  const std::string duration = "basehttp_request_duration_seconds";
  EXPECT_EQ(value_of(after, duration + "_count"), 5);
  EXPECT_GE(value_of(after, duration + "_sum"), 0.07 + 0.06);
}

TEST(Metrics, SumsEveryLoop) {
  Metrics metrics;
  HandlerTable table = table_with(metrics);
  ServerOptions options = testing::quiet_options();
  options.threads = 3;
  options.latency_histograms = true;
  TestServer server(table, options);
  ASSERT_EQ(server.server().loops().size(), 3u);
  constexpr int kClients = 60;
  for (int i = 0; i < kClients; ++i) {  // new connections: the kernel spreads them
    RawClient client(server.port());
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    ASSERT_TRUE(client.read_response());
  }
  // Wherever the scrape lands, it reports all loops: the scrapes are counted too.
  for (int i = 1; i <= 6; ++i) {
    std::string text = scrape(server.port());
    EXPECT_EQ(value_of(text, "basehttp_event_loops"), 3);
    EXPECT_EQ(value_of(text, "basehttp_requests_total"), kClients + i) << text;
    EXPECT_EQ(value_of(text, "basehttp_request_header_seconds_count"), kClients + i);
  }
  uint64_t served_elsewhere = 0;
  LoopGroup& loops = server.server().loops();
  for (size_t i = 1; i < loops.size(); ++i) {
    HTTPServer* loop_server = &loops[i];
    uint64_t requests = 0;
    std::promise<void> done;
    loop_server->loop().post([&] {
      requests = loop_server->stats().requests;
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    served_elsewhere += requests;
  }
  EXPECT_GT(served_elsewhere, 0u) << "the other loops served nobody: the sum proves little";
}

TEST(PathRoute, LeavesOtherTargetsToTheEntriesBefore) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "files"); });
  route_path(table, "/status", [](RequestHandler& handler) { send_text(handler, 200, "status"); });
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("GET /status?verbose=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /status/x HTTP/1.1\r\nHost: t\r\n\r\n"
                  "HEAD /status HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto first = client.read_response();
  auto second = client.read_response();
  auto head = client.read_response(/*head_request=*/true);
  ASSERT_TRUE(first && second && head);
  EXPECT_EQ(first->body, "status");
  EXPECT_EQ(second->body, "files");
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "6");
  EXPECT_TRUE(target_is("/metrics", "/metrics"));
  EXPECT_FALSE(target_is("/metricsx", "/metrics"));
}

}  // namespace
}  // namespace basehttp
