// Tests that an HTTPServer may be destroyed on a loop it shares with
// another server while work it started is still pending there: deferred
// responses completed later by timers and by another thread, a metrics
// scrape waiting for another loop, a closed connection awaiting its
// release at the end of the iteration. Each finds the server gone and
// does nothing; the other server on the loop serves on. (Run it under
// AddressSanitizer: before, each of them touched the freed server.)
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "basehttp.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::send_text;

TEST(ServerLifetime, DestroyedOnASharedLoopWithWorkPending) {
  char pattern[] = "/tmp/basehttp-lifetime-XXXXXX";
  std::string folder = ::mkdtemp(pattern);
  std::string socket_path = folder + "/doomed.sock";
  EventLoop loop;
  loop.run_after(milliseconds(10000), [&] {
    ADD_FAILURE() << "watchdog: the loop ran too long";
    loop.stop();
  });

  HandlerTable other_table;
  other_table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "other"); });
  HTTPServer other(loop, ServerAddress{"127.0.0.1", 0}, other_table, testing::quiet_options());

  MetricsOptions metrics_options;
  metrics_options.gather_timeout = milliseconds(100);
  Metrics metrics(metrics_options);
  std::unique_ptr<HTTPServer> doomed;
  std::vector<DeferredResponse> deferred;
  std::vector<bool> completed;  // what the completions reported, in order
  std::unique_ptr<RawClient> closer;
  int dispatched = 0;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    std::string path(handler.path());
    if (path == "/close") {
      // The connection closes in this iteration (its release is queued for
      // the end of it); the server goes at the end of it too, first.
      send_text(handler, 200, "bye");
      loop.run_soon([&] { doomed.reset(); });
      return;
    }
    if (path == "/metrics") {
      metrics.handle(handler);  // waits for the other loop, which never runs
    } else {
      DeferredResponse later = handler.defer();
      deferred.push_back(later);
      loop.run_after(milliseconds(50), [&completed, later] {
        completed.push_back(later.complete([](RequestHandler& h) { send_text(h, 200, "late"); }));
      });
    }
    if (++dispatched == 2) {
      ASSERT_TRUE(closer->send("GET /close HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    }
  });
  ServerOptions options = testing::quiet_options();
  options.threads = 2;  // a unix socket is shared: only this loop, the one run, accepts
  doomed =
      std::make_unique<HTTPServer>(loop, ServerAddress::unix_socket(socket_path), table, options);

  RawClient waiting(RawClient::UnixPath{socket_path});
  RawClient scraper(RawClient::UnixPath{socket_path});
  closer = std::make_unique<RawClient>(RawClient::UnixPath{socket_path});
  ASSERT_TRUE(waiting.send("GET /later HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(scraper.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));

  // Once the server is gone: a completion posted from another thread.
  bool posted_done = false, posted_completed = true;
  std::string other_body;
  loop.run_after(milliseconds(20), [&] {
    ASSERT_EQ(doomed, nullptr) << "the server was not destroyed";
    std::thread poster([&] {
      deferred.at(0).post([](RequestHandler& h) { send_text(h, 200, "posted"); },
                          [&](bool result) {
                            posted_done = true;
                            posted_completed = result;
                          });
    });
    poster.join();
  });
  // After the timers above: the other server still answers.
  std::thread client;
  loop.run_after(milliseconds(200), [&] {
    client = std::thread([&] {
      auto response = testing::exchange(other.server_port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      if (response) other_body = response->body;
      loop.stop();
    });
  });
  loop.run();
  if (client.joinable()) client.join();

  EXPECT_EQ(doomed, nullptr);
  EXPECT_EQ(completed, std::vector<bool>{false});
  EXPECT_TRUE(posted_done);
  EXPECT_FALSE(posted_completed);
  EXPECT_EQ(other_body, "other");
  EXPECT_TRUE(waiting.closed_by_peer());
  EXPECT_TRUE(scraper.closed_by_peer());
  EXPECT_TRUE(closer->read_response());
  std::filesystem::remove_all(folder);
}

// A client that connected before the shutdown began is still in the
// listener's backlog when the listener closes: it is served (with
// Connection: close), not reset by the close.
TEST(ServerLifetime, ShutdownServesConnectionsStillInTheBacklog) {
  std::unique_ptr<RawClient> waiting;
  uint16_t port = 0;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    if (handler.path() == "/stop") {
      // On the loop thread: this connection completes in the kernel and
      // waits in the backlog, unaccepted, while the shutdown begins.
      waiting = std::make_unique<RawClient>(port);
      ASSERT_TRUE(waiting->connected());
      ASSERT_TRUE(waiting->send("GET /late HTTP/1.1\r\nHost: t\r\n\r\n"));
      handler.server().shutdown();
    }
    send_text(handler, 200, handler.path());
  });
  testing::TestServer server(table);
  port = server.port();
  RawClient first(port);
  ASSERT_TRUE(first.send("GET /stop HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto stopped = first.read_response();
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->body, "/stop");
  ASSERT_TRUE(waiting);
  auto late = waiting->read_response();
  ASSERT_TRUE(late) << "the connection in the backlog was not answered";
  EXPECT_EQ(late->status, 200);
  EXPECT_EQ(late->body, "/late");
  EXPECT_EQ(late->header("Connection"), "close");
}

}  // namespace
}  // namespace basehttp
