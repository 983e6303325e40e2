// Tests ServerOptions::threads: several loops on one port, each on its own
// thread with its own SO_REUSEPORT listener (or a shared unix socket):
// connections spread over them, every response right, handlers on their
// connection's loop thread, and a graceful drain with every loop busy.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "basehttp.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::send_text;

/// The threads handlers ran on, and how many ran.
struct Seen {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  std::atomic<int> dispatched{0};
  void note() {
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
    ++dispatched;
  }
  size_t thread_count() {
    std::lock_guard<std::mutex> lock(mutex);
    return threads.size();
  }
};

ServerOptions two_loops() {
  ServerOptions options = testing::quiet_options();
  options.threads = 2;
  return options;
}

TEST(Threads, TwoHundredClientsSpreadOverBothLoops) {
  Seen seen;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    EXPECT_TRUE(handler.server().loop().running_in_this_thread());
    seen.note();
    send_text(handler, 200, handler.path());
  });
  testing::TestServer server(table, two_loops());
  ASSERT_EQ(server.server().other_loops().size(), 1u);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<RawClient>(server.port()));
    ASSERT_TRUE(clients.back()->connected());
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      std::string path = "/" + std::to_string(i) + "/" + std::to_string(round);
      ASSERT_TRUE(clients[i]->send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n"));
    }
    for (size_t i = 0; i < clients.size(); ++i) {
      auto response = clients[i]->read_response();
      ASSERT_TRUE(response) << "client " << i;
      EXPECT_EQ(response->body, "/" + std::to_string(i) + "/" + std::to_string(round));
    }
  }
  EXPECT_EQ(seen.dispatched.load(), 400);
  EXPECT_EQ(seen.thread_count(), 2u) << "the kernel gave every connection to one loop";
}

TEST(Threads, ShutdownDrainsEveryLoop) {
  Seen seen;
  HandlerTable table;
  // Each answer comes 200 ms later from its loop's timer: in flight at shutdown.
  table.on("GET", [&](RequestHandler& handler) {
    DeferredResponse later = handler.defer();
    handler.server().loop().run_after(milliseconds(200), [later] {
      later.complete([](RequestHandler& h) { send_text(h, 200, "late but whole"); });
    });
    seen.note();
  });
  auto server = std::make_unique<testing::TestServer>(table, two_loops());
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(std::make_unique<RawClient>(server->port()));
    ASSERT_TRUE(clients.back()->send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.dispatched.load() < 40 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();  // awaiting a condition, bounded by the deadline
  }
  ASSERT_EQ(seen.dispatched.load(), 40);
  EXPECT_EQ(seen.thread_count(), 2u);
  std::thread stopping([&] { server.reset(); });  // shutdown(), then join
  for (auto& client : clients) {
    auto response = client->read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "late but whole");
    EXPECT_EQ(response->header("Connection"), "close");
    EXPECT_TRUE(client->closed_by_peer());
  }
  stopping.join();
}

TEST(Threads, LoopsShareAUnixSocket) {
  Seen seen;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    seen.note();
    send_text(handler, 200, "unix");
  });
  testing::TempFolder folder("threads");
  std::string path = folder.file("server.sock");
  {
    testing::TestServer server(table, two_loops(), ServerAddress::unix_socket(path));
    for (int i = 0; i < 20; ++i) {
      RawClient client(RawClient::UnixPath{path});
      ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
      auto response = client.read_response();
      ASSERT_TRUE(response);
      EXPECT_EQ(response->body, "unix");
    }
  }
  EXPECT_EQ(seen.dispatched.load(), 20);
}

}  // namespace
}  // namespace basehttp
