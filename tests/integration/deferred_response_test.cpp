// Tests RequestHandler::defer() and DeferredResponse: completion from a
// timer, from another thread, inside the handler, after the client left;
// request order on a pipelined connection; shutdown with a response in
// flight; a completion that throws.
#include "http/deferred_response.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::send_text;
using testing::TestServer;

std::string get(std::string_view path) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n\r\n";
}

TEST(DeferredResponse, CompletedFromATimer) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    if (h.path() != "/later") {
      send_text(h, 200, "now");
      return;
    }
    DeferredResponse deferred = h.defer();
    h.server().loop().run_after(milliseconds(20), [deferred] {
      bool completed = deferred.complete([](RequestHandler& later) {
        send_text(later, 200, "later: " + std::string(later.path()));
      });
      EXPECT_TRUE(completed);
    });
  });
  TestServer server(table);
  RawClient client(server.port());
  // Pipelined: the second request waits for the deferred first one.
  ASSERT_TRUE(client.send(get("/later") + get("/second")));
  auto first = client.read_response();
  auto second = client.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "later: /later");
  EXPECT_EQ(second->body, "now");
}

TEST(DeferredResponse, CompletedFromAnotherThread) {
  std::mutex mutex;
  std::vector<std::thread> workers;
  std::promise<bool> result;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& h) {
    DeferredResponse deferred = h.defer();
    std::lock_guard<std::mutex> lock(mutex);
    workers.emplace_back([deferred, &result] {
      std::string computed = "computed off the loop";  // the worker's work
      deferred.post([computed](RequestHandler& later) { send_text(later, 200, computed); },
                    [&result](bool completed) { result.set_value(completed); });
    });
  });
  {
    TestServer server(table);
    RawClient client(server.port());
    ASSERT_TRUE(client.send(get("/work")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "computed off the loop");
    auto completed = result.get_future();
    ASSERT_EQ(completed.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_TRUE(completed.get());
  }
  for (auto& worker : workers)
    worker.join();
}

TEST(DeferredResponse, CompletingInsideTheHandlerWorks) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    DeferredResponse deferred = h.defer();
    EXPECT_TRUE(deferred.complete([](RequestHandler& same) { send_text(same, 200, "at once"); }));
    EXPECT_FALSE(deferred.complete([](RequestHandler&) { ADD_FAILURE() << "ran twice"; }));
  });
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/") + get("/")));
  EXPECT_EQ(client.read_response()->body, "at once");
  EXPECT_EQ(client.read_response()->body, "at once");
}

TEST(DeferredResponse, CompletingTwiceIsAReportedNoOp) {
  std::promise<std::pair<bool, bool>> outcome;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& h) {
    DeferredResponse deferred = h.defer();
    h.server().loop().run_after(milliseconds(1), [deferred, &outcome] {
      bool first = deferred.complete([](RequestHandler& later) { send_text(later, 200, "one"); });
      bool second = deferred.complete([](RequestHandler& later) { send_text(later, 200, "two"); });
      outcome.set_value({first, second});
    });
  });
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "one");
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get(), std::make_pair(true, false));
}

TEST(DeferredResponse, AfterTheClientLeftCompletionIsADetectedNoOp) {
  std::promise<DeferredResponse> handed_over;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& h) { handed_over.set_value(h.defer()); });
  TestServer server(table);
  auto future = handed_over.get_future();
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(get("/abandoned")));
    ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  }  // the client leaves
  DeferredResponse deferred = future.get();
  // Wait (bounded) until the server has noticed.
  bool pending = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pending && std::chrono::steady_clock::now() < deadline) {
    server.run_in_loop([&] { pending = deferred.pending(); });
  }
  ASSERT_FALSE(pending);
  std::promise<bool> result;
  bool ran = false;
  deferred.post([&ran](RequestHandler&) { ran = true; },
                [&result](bool completed) { result.set_value(completed); });
  auto completed = result.get_future();
  ASSERT_EQ(completed.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_FALSE(completed.get());
  EXPECT_FALSE(ran);
}

// A completion that throws after queuing part of the response: the body
// stays unterminated and the connection closes, as for a handler.
TEST(DeferredResponse, ACompletionThatThrowsMidBodyCutsTheResponse) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    DeferredResponse deferred = h.defer();
    h.server().loop().run_after(milliseconds(1), [deferred] {
      deferred.complete([](RequestHandler& later) {
        later.send_response(200);
        later.end_headers();
        later.write("part");
        throw std::runtime_error("completion failed");
      });
    });
  });
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/") + get("/")));
  std::string all;
  EXPECT_TRUE(client.closed_by_peer(&all));
  EXPECT_TRUE(all.ends_with("\r\n\r\n4\r\npart\r\n")) << all;
}

TEST(DeferredResponse, ShutdownWaitsForTheResponseInFlight) {
  std::promise<void> dispatched;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& h) {
    DeferredResponse deferred = h.defer();
    dispatched.set_value();
    h.server().loop().run_after(milliseconds(100), [deferred] {
      deferred.complete([](RequestHandler& later) { send_text(later, 200, "finished"); });
    });
  });
  TestServer server(table);
  RawClient busy(server.port());
  RawClient idle(server.port());
  ASSERT_TRUE(busy.send(get("/slow")));
  ASSERT_EQ(dispatched.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  server.server().shutdown();  // returns once the response is out and the connections are gone
  auto response = busy.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "finished");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(busy.closed_by_peer());
  EXPECT_TRUE(idle.closed_by_peer());
  RawClient late(server.port());
  EXPECT_FALSE(late.connected());  // no longer listening
}

}  // namespace
}  // namespace basehttp
