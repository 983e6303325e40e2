// Tests HTTPServer::stats(): the counters move with what the server did:
// connections, requests, responses by class, bytes both ways, parse errors
// and timeouts by kind. Read from the test thread through the loop.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::send_text;
using testing::TestServer;

ServerStats read_stats(TestServer& server) {
  ServerStats stats;
  server.run_in_loop([&] { stats = server.server().stats(); });
  return stats;
}

TEST(ServerStats, CountWhatTheServerDid) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    if (handler.path() == "/missing") return handler.send_error(404);
    send_text(handler, 200, "ok");
  });
  ServerOptions options = testing::quiet_options();
  options.header_timeout = milliseconds(200);
  TestServer server(table, options);
  {
    RawClient client(server.port());
    std::string requests =
        "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_TRUE(client.send(requests));
    ASSERT_TRUE(client.read_response());
    ASSERT_TRUE(client.read_response());
    ServerStats stats = read_stats(server);
    EXPECT_EQ(stats.connections_accepted, 1u);
    EXPECT_EQ(stats.connections_open, 1u);
    EXPECT_EQ(stats.requests, 2u);
    EXPECT_EQ(stats.responses_by_class[2], 1u);
    EXPECT_EQ(stats.responses_by_class[4], 1u);
    EXPECT_EQ(stats.bytes_in, requests.size());
    EXPECT_GT(stats.bytes_out, 100u);
  }
  RawClient smuggler(server.port());
  ASSERT_TRUE(smuggler.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  ASSERT_TRUE(smuggler.closed_by_peer());
  RawClient slow(server.port());
  ASSERT_TRUE(slow.send("GET / HTTP/1.1\r\nHo"));  // and nothing more
  auto timed_out = slow.read_response();
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 408);

  ServerStats stats = read_stats(server);
  EXPECT_EQ(stats.connections_accepted, 3u);
  EXPECT_EQ(stats.requests, 2u) << "bad or unfinished requests reach no handler";
  EXPECT_EQ(stats.responses_by_class[4], 3u);
  EXPECT_EQ(stats.parse_error_count(ParseErrorKind::kBadRequest), 1u);
  EXPECT_EQ(stats.timeout_count(TimeoutKind::kHeader), 1u);
  EXPECT_EQ(stats.timeout_count(TimeoutKind::kSend), 0u);
  EXPECT_EQ(name_of(ParseErrorKind::kHeaderTooLarge), "header_too_large");
  EXPECT_EQ(name_of(TimeoutKind::kKeepAlive), "keep_alive");
}

}  // namespace
}  // namespace basehttp
