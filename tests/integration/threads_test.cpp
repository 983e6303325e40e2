// Tests ServerOptions::threads: several loops on one port, each on its own
// thread with its own SO_REUSEPORT listener (or a shared unix socket):
// connections spread over them, every response right, handlers on their
// connection's loop thread, and a graceful drain with every loop busy.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "basehttp.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/without_openat2.hpp"

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
  ASSERT_EQ(server.server().loops().size(), 2u);
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

// Each loop batches its own log lines and hands them to the one writer:
// both formats, clients on both loops at once, every line whole and each
// client's lines in the order of its requests.
TEST(Threads, BothLoopsLogWholeLinesInOrder) {
  for (bool combined : {false, true}) {
    testing::TempFolder folder("threads-log");
    std::string path = folder.file("access.log");
    constexpr int kClients = 20, kRounds = 30;
    {
      AccessLog log({path});
      HandlerTable table;
      table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "page"); });
      ServerOptions options = two_loops();
      if (combined) {
        options.request_logger = log.combined_logger();
      } else {
        options.log_sink = log.sink();
      }
      testing::TestServer server(table, options);
      std::vector<std::unique_ptr<RawClient>> clients;
      for (int i = 0; i < kClients; ++i)
        clients.push_back(std::make_unique<RawClient>(server.port()));
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kClients; ++i) {
          std::string target = "/" + std::to_string(i) + "/" + std::to_string(round);
          ASSERT_TRUE(clients[i]->send("GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n"));
        }
        for (int i = 0; i < kClients; ++i)
          ASSERT_TRUE(clients[i]->read_response()) << "client " << i;
      }
    }  // both loops hand their last lines over; the log writes them
    std::ifstream in(path);
    std::vector<int> next_round(kClients, 0);
    std::regex shape(
        combined ? R"(127\.0\.0\.1 - - \[[^\]]+\] "GET /(\d+)/(\d+) HTTP/1\.1" 200 4 "-" "-")"
                 : R"(127\.0\.0\.1 - - \[[^\]]+\] "GET /(\d+)/(\d+) HTTP/1\.1" 200 -)");
    int count = 0;
    for (std::string line; std::getline(in, line); ++count) {
      std::smatch match;
      ASSERT_TRUE(std::regex_match(line, match, shape)) << line;
      int client = std::stoi(match[1].str()), round = std::stoi(match[2].str());
      ASSERT_LT(client, kClients);
      EXPECT_EQ(round, next_round[client]) << line;
      next_round[client] = round + 1;
    }
    EXPECT_EQ(count, kClients * kRounds) << (combined ? "combined" : "python");
  }
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

// A scrape sums every loop: the stats are copied on each loop's own thread
// and summed on the scrape's (posts both ways, under TSan here).
TEST(Threads, AMetricsScrapeGathersEveryLoop) {
  Metrics metrics;
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "page"); });
  metrics.install(table);
  testing::TestServer server(table, two_loops());
  for (int i = 0; i < 10; ++i) {
    RawClient client(server.port());  // new connections: the kernel spreads them
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    ASSERT_TRUE(client.read_response());
  }
  for (int i = 0; i < 4; ++i) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_NE(response->body.find("basehttp_event_loops 2\n"), std::string::npos) << response->body;
    EXPECT_NE(response->body.find("basehttp_requests_total " + std::to_string(11 + i) + "\n"),
              std::string::npos)
        << response->body;
  }
}

/// Both loops serve files at once, with the kernel's openat2 or (hidden)
/// without it; returns what went wrong, empty when all went right.
std::string serve_files_from_both_loops() {
  namespace fs = std::filesystem;
  char pattern[] = "/tmp/basehttp-threads-files-XXXXXX";
  fs::path top = ::mkdtemp(pattern);
  fs::create_directory(top / "root");
  std::ofstream(top / "secret.txt") << "secret";
  std::ofstream(top / "root" / "hello.txt") << "hello";
  fs::create_symlink("../secret.txt", top / "root" / "link-out");
  std::string failure;
  {
    StaticFilesOptions files_options;
    files_options.root = (top / "root").string();
    files_options.open_file_cache = 0;  // every request opens its file
    StaticFiles files(files_options);
    // Each loop's first answer waits (bounded) until the other loop has
    // opened its first file too, so that the loops' first opens overlap
    // as on a busy server, with nothing between them that orders them.
    std::mutex first_mutex;
    std::condition_variable first_seen;
    std::set<std::thread::id> loops_seen;
    HandlerTable table;
    table.on("GET", [&](RequestHandler& handler) {
      files.handle(handler);
      std::unique_lock<std::mutex> lock(first_mutex);
      if (!loops_seen.insert(std::this_thread::get_id()).second) return;
      first_seen.notify_all();
      first_seen.wait_for(lock, std::chrono::seconds(2), [&] { return loops_seen.size() >= 2; });
    });
    testing::TestServer server(table, two_loops());
    std::vector<std::thread> clients;
    std::mutex failure_mutex;
    for (int i = 0; i < 8; ++i) {
      clients.emplace_back([&, i] {
        for (int round = 0; round < 10; ++round) {
          RawClient client(server.port());
          const char* target = (i + round) % 2 == 0 ? "/hello.txt" : "/link-out";
          client.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
          auto response = client.read_response();
          int expected = target[1] == 'h' ? 200 : 404;
          if (!response || response->status != expected ||
              response->body.find("secret") != std::string::npos) {
            std::lock_guard<std::mutex> lock(failure_mutex);
            failure = std::string("wrong answer for ") + target;
          }
        }
      });
    }
    for (std::thread& client : clients)
      client.join();
  }
  fs::remove_all(top);
  return failure;
}

TEST(Threads, StaticFilesFromEveryLoop) {
  EXPECT_EQ(serve_files_from_both_loops(), "");
}

// Without openat2 each loop takes the fallback: whether it is there is
// decided once, not rediscovered by every loop (a data race under TSan).
TEST(Threads, StaticFilesFromEveryLoopWithoutOpenat2) {
  if (!testing::can_hide_openat2()) {
    GTEST_SKIP() << "seccomp filters are refused here: the fallback cannot be reached";
  }
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(testing::exit_with_check_without_openat2(serve_files_from_both_loops),
              ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace basehttp
