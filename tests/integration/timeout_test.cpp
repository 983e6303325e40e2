// Timeouts and connection limits over loopback, with short timeouts: the
// header section (timed from its first byte, slowloris-proof), the body
// (between bytes), keep-alive, send; idle connections giving back their
// resources and still working; max_connections.
#include <gtest/gtest.h>

#include <atomic>
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

HandlerTable echo_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    if (h.path() == "/huge") {
      h.send_response(200);
      h.send_header("Content-Length", std::to_string(64 << 20));
      h.end_headers();
      h.write(std::string(64 << 20, 'h'));
      return;
    }
    send_text(h, 200, h.path());
  });
  table.on("POST", [](RequestHandler& h) { send_text(h, 200, h.body()); });
  return table;
}

ServerOptions short_timeouts() {
  ServerOptions options = testing::quiet_options();
  options.header_timeout = milliseconds(300);
  options.body_timeout = milliseconds(300);
  options.keep_alive_timeout = milliseconds(400);
  options.send_timeout = milliseconds(300);
  options.idle_release_after = milliseconds(50);
  return options;
}

double seconds_since(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

// The defaults follow nginx's (client_body_timeout, send_timeout 60 s),
// with the header section held to 30 s against slowloris and keep-alive to
// 60 s; shutdown drains for 10 s.
TEST(TimeoutDefaults, AreNginxLike) {
  ServerOptions defaults;
  EXPECT_EQ(defaults.header_timeout, milliseconds(30000));
  EXPECT_EQ(defaults.body_timeout, milliseconds(60000));
  EXPECT_EQ(defaults.keep_alive_timeout, milliseconds(60000));
  EXPECT_EQ(defaults.send_timeout, milliseconds(60000));
  EXPECT_EQ(defaults.drain_timeout, milliseconds(10000));
}

class TimeoutTest : public ::testing::Test {
 protected:
  HandlerTable table_ = echo_table();
  TestServer server_{table_, short_timeouts()};
  uint16_t port() const { return server_.port(); }
};

TEST_F(TimeoutTest, ATricklingHeaderSectionGets408AfterTheHeaderTimeout) {
  RawClient client(port());
  auto start = steady_clock::now();
  ASSERT_TRUE(client.send("GET /slow HTTP/1.1\r\nHost: t\r\n"));
  // A slowloris client: one more byte every 50 ms, never the end of the section.
  std::atomic<bool> answered{false};
  std::thread trickle([&client, &answered] {
    for (int i = 0; i < 40 && !answered; ++i) {
      if (!client.send("X")) return;
      std::this_thread::sleep_for(milliseconds(50));  // the client's pace, not a synchronisation
    }
  });
  std::optional<testing::Response> response = client.read_response();
  double elapsed = seconds_since(start);
  answered = true;
  trickle.join();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_GE(elapsed, 0.29);
  EXPECT_LT(elapsed, 1.5);  // the trickle did not extend it to its 2 s
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(TimeoutTest, ABodyTimesOutBetweenBytesNotInTotal) {
  RawClient client(port());
  ASSERT_TRUE(client.send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 12\r\n\r\n"));
  // Ten bytes over 500 ms, more than the 300 ms body timeout in all, but
  // never more than 50 ms apart: still within it.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client.send("b"));
    ASSERT_TRUE(client.silent_for(milliseconds(50)));
  }
  auto stalled = steady_clock::now();
  auto response = client.read_response();  // then nothing: 408
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_GE(seconds_since(stalled), 0.2);
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(TimeoutTest, AnIdleKeepAliveConnectionIsClosedQuietly) {
  RawClient client(port());
  ASSERT_TRUE(client.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(client.read_response());
  auto start = steady_clock::now();
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_EQ(rest, "");  // closed, no 408: nothing was asked
  EXPECT_GE(seconds_since(start), 0.35);
  EXPECT_LT(seconds_since(start), 2.0);
}

TEST_F(TimeoutTest, AConnectionThatNeverSpeaksIsClosed) {
  RawClient client(port());
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_EQ(rest, "");
}

TEST_F(TimeoutTest, AConnectionIdleLongEnoughToGiveBackItsResourcesStillWorks) {
  RawClient client(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "/again");
    // Idle past idle_release_after (50 ms), within keep-alive (400 ms).
    ASSERT_TRUE(client.silent_for(milliseconds(150)));
  }
  // Pipelined after a release, with a partial request left over.
  ASSERT_TRUE(client.send("GET /p1 HTTP/1.1\r\nHost: t\r\n\r\nGET /p2 HTTP/1.1\r\nHo"));
  EXPECT_EQ(client.read_response()->body, "/p1");
  ASSERT_TRUE(client.send("st: t\r\n\r\n"));
  EXPECT_EQ(client.read_response()->body, "/p2");
}

TEST_F(TimeoutTest, AClientThatStopsReadingIsDropped) {
  RawClient client(port(), "127.0.0.1", milliseconds(10000), 16 * 1024);
  ASSERT_TRUE(client.send("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n"));
  // Never read: the server's queue stops moving and the send timeout ends it.
  auto start = steady_clock::now();
  bool gone = false;
  while (!gone && seconds_since(start) < 5) {
    size_t connections = 1;
    server_.run_in_loop([&] { connections = server_.server().connection_count(); });
    gone = connections == 0;
    if (!gone) std::this_thread::yield();
  }
  EXPECT_TRUE(gone);
  EXPECT_GE(seconds_since(start), 0.25);
}

TEST(MaxConnections, ExtraClientsWaitForAFreeSlot) {
  HandlerTable table = echo_table();
  ServerOptions options = testing::quiet_options();
  options.max_connections = 2;
  TestServer server(table, options);
  auto first = std::make_unique<RawClient>(server.port());
  RawClient second(server.port());
  ASSERT_TRUE(first->send("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(second.send("GET /2 HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(first->read_response());
  ASSERT_TRUE(second.read_response());
  RawClient third(server.port());  // connects (backlog), is not accepted yet
  ASSERT_TRUE(third.send("GET /3 HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_TRUE(third.silent_for(milliseconds(150)));
  first.reset();  // a slot frees
  auto response = third.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "/3");
}

}  // namespace
}  // namespace basehttp
