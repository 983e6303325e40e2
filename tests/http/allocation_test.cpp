// The request path allocates nothing in steady state: keep-alive requests,
// plaintext and json, one at a time and pipelined, through the in-process
// exchange and through real sockets (counted on the server's loop thread).
#include <gtest/gtest.h>

#include <string>

#include "tests/support/allocation_counter.hpp"
#include "tests/support/hello_handlers.hpp"
#include "tests/support/in_process_exchange.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::InProcessExchange;
using testing::thread_allocations;

std::string requests(std::string_view path, int count) {
  std::string batch;
  for (int i = 0; i < count; ++i) {
    batch += "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
  }
  return batch;
}

struct Case {
  const char* name;
  bool python_style;
  const char* path;
  int pipelined;
};

// The counter itself: if it were not linked in, every test here would
// see 0 and pass.
TEST(AllocationCounter, CountsThisThreadsAllocations) {
  uint64_t before = thread_allocations();
  // A call of the function, not a new-expression: the compiler may not elide it.
  void* block = ::operator new(64);
  uint64_t after = thread_allocations();
  ::operator delete(block);
  EXPECT_EQ(after - before, 1u);
}

class SteadyState : public ::testing::TestWithParam<Case> {};

TEST_P(SteadyState, AllocatesNothingPerRequest) {
  const Case& c = GetParam();
  HandlerTable table = testing::hello_handlers(c.python_style ? testing::ResponseStyle::kPythonCalls
                                                              : testing::ResponseStyle::kRespond);
  ServerOptions options;
  options.log_sink = nullptr;
  InProcessExchange exchange(table, options);
  std::string batch = requests(c.path, c.pipelined);
  std::string response = exchange.exchange(batch);
  ASSERT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  for (int i = 0; i < 100; ++i)
    exchange.feed(batch);  // warm up: buffers reach their size
  uint64_t before = thread_allocations();
  size_t produced = 0;
  for (int i = 0; i < 1000; ++i)
    produced += exchange.feed(batch);
  EXPECT_EQ(thread_allocations() - before, 0u) << "over " << 1000 * c.pipelined << " requests";
  EXPECT_EQ(produced, 1000 * response.size());
}

INSTANTIATE_TEST_SUITE_P(
    Requests, SteadyState,
    ::testing::Values(Case{"plaintext", false, "/plaintext", 1},
                      Case{"plaintext_pipelined16", false, "/plaintext", 16},
                      Case{"json", false, "/json", 1}, Case{"json_pipelined16", false, "/json", 16},
                      Case{"python_style_plaintext", true, "/plaintext", 1},
                      Case{"python_style_json_pipelined16", true, "/json", 16}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// Per-phase latency is recorded on the request path too: still no allocation.
TEST(SteadyStateWithLatencyHistograms, AllocatesNothingPerRequest) {
  for (int pipelined : {1, 16}) {
    HandlerTable table = testing::hello_handlers(testing::ResponseStyle::kRespond);
    ServerOptions options;
    options.log_sink = nullptr;
    options.latency_histograms = true;
    InProcessExchange exchange(table, options);
    std::string batch = requests("/plaintext", pipelined);
    ASSERT_EQ(exchange.exchange(batch).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    for (int i = 0; i < 100; ++i)
      exchange.feed(batch);
    uint64_t before = thread_allocations();
    for (int i = 0; i < 1000; ++i)
      exchange.feed(batch);
    EXPECT_EQ(thread_allocations() - before, 0u) << "over " << 1000 * pipelined << " requests";
  }
}

TEST(SteadyStateOverSockets, TheLoopThreadAllocatesNothingPerRequest) {
  HandlerTable table = testing::hello_handlers(testing::ResponseStyle::kRespond);
  testing::TestServer server(table);
  testing::RawClient client(server.port());
  auto round = [&](int count, bool pipelined) {
    if (pipelined) {
      ASSERT_TRUE(client.send(requests("/plaintext", count)));
      for (int i = 0; i < count; ++i)
        ASSERT_TRUE(client.read_response());
    } else {
      for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(client.send(requests("/json", 1)));
        ASSERT_TRUE(client.read_response());
      }
    }
  };
  auto traffic = [&] {
    round(1000, false);
    round(1600, true);
  };
  traffic();  // warm up with the same traffic: buffers reach their size
  // Taking a count costs the loop thread something itself (the posted call
  // and its promise): measure that with no traffic, then with traffic.
  auto allocations_over = [&](auto traffic) {
    uint64_t before = 0, after = 0;
    server.run_in_loop([&] { before = thread_allocations(); });
    traffic();
    server.run_in_loop([&] { after = thread_allocations(); });
    return after - before;
  };
  uint64_t idle = allocations_over([] {});
  uint64_t busy = allocations_over(traffic);
  EXPECT_EQ(busy, idle) << "2600 requests allocated " << busy - idle << " times";
}

}  // namespace
}  // namespace basehttp
