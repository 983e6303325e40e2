// Tests Health with ServerOptions::shutdown_delay: 200 while serving; from
// the moment a shutdown is asked for, 503 while the server still accepts
// and answers (each response with Connection: close), and only after the
// delay does it stop accepting.
#include "handlers/operations/health.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::RawClient;
using testing::send_text;
using testing::TestServer;

std::optional<testing::Response> get(uint16_t port, const char* path) {
  RawClient client(port);
  if (!client.connected()) return std::nullopt;
  if (!client.send(std::string("GET ") + path + " HTTP/1.1\r\nHost: t\r\n\r\n")) return {};
  return client.read_response();
}

TEST(Health, TurnsTo503WhenADrainStartsBeforeTheListenerCloses) {
  Health health;
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "page"); });
  health.install(table);
  ServerOptions options = testing::quiet_options();
  options.shutdown_delay = milliseconds(1500);
  TestServer server(table, options);

  auto healthy = get(server.port(), "/healthz");
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->status, 200);
  EXPECT_EQ(healthy->body, "ok\n");
  RawClient keep_alive(server.port());
  ASSERT_TRUE(keep_alive.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto first = keep_alive.read_response();
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->has_header("Connection"));

  steady_clock::time_point asked = steady_clock::now();
  server.run_in_loop([&] { server.server().shutdown(); });  // on the loop: only starts it
  auto draining = get(server.port(), "/healthz");
  ASSERT_TRUE(draining) << "the server must still accept during the delay";
  EXPECT_EQ(draining->status, 503);
  EXPECT_EQ(draining->body, "draining\n");
  // Busy keep-alive clients are told to go, between requests, with an answer.
  ASSERT_TRUE(keep_alive.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto second = keep_alive.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->header("Connection"), "close");
  EXPECT_TRUE(keep_alive.closed_by_peer());
  auto page = get(server.port(), "/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);

  // After the delay the listener closes (polled with a bound).
  bool refused = false;
  while (steady_clock::now() - asked < std::chrono::seconds(10)) {
    RawClient probe(server.port());
    if (!probe.connected()) {
      refused = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));  // polling a condition with a deadline
  }
  EXPECT_TRUE(refused);
  EXPECT_GE(steady_clock::now() - asked, milliseconds(1400));
}

}  // namespace
}  // namespace basehttp
