// Tests ResponseStream: bodies written over time (chunked for HTTP/1.1,
// close-delimited for 1.0), a fast producer kept at the pace of a slow
// client by writable()/on_drain() with bounded memory, and the producer
// told when its client leaves; no body for a no-content status, and a
// producer callback that throws.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "basehttp.hpp"
#include "tests/support/process_memory.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/stream_producers.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::Producer;
using testing::RawClient;
using testing::send_text;

HandlerTable events_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    if (handler.path() != "/events") return send_text(handler, 200, "plain");
    handler.send_response(200);
    handler.send_header("Content-Type", "text/event-stream");
    testing::tick_events(handler.stream(), handler.server().loop(), 3, milliseconds(20));
  });
  return table;
}

TEST(ResponseStream, EventsArriveAsChunksAndTheConnectionGoesOn) {
  HandlerTable table = events_table();
  testing::TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(response->body, "data: tick 3\n\ndata: tick 2\n\ndata: tick 1\n\n");
  ASSERT_TRUE(client.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto after = client.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "plain");
}

TEST(ResponseStream, Http10GetsACloseDelimitedBody) {
  HandlerTable table = events_table();
  testing::TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET /events HTTP/1.0\r\n\r\n"));
  std::string all = client.read_until_close();
  EXPECT_NE(all.find("Connection: close\r\n"), std::string::npos) << all;
  EXPECT_EQ(all.find("Transfer-Encoding"), std::string::npos) << all;
  EXPECT_NE(all.find("\r\n\r\ndata: tick 3\n\ndata: tick 2\n\ndata: tick 1\n\n"), std::string::npos)
      << all;
}

TEST(ResponseStream, ANoContentStatusStreamsNoBody) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    if (handler.path() != "/reset") return send_text(handler, 200, "plain");
    handler.send_response(205);
    ResponseStream stream = handler.stream();
    stream.write("never sent");
    stream.finish();
  });
  testing::TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("GET /reset HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto reset = client.read_response(/*head_request=*/true);
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 205);
  EXPECT_FALSE(reset->has_header("Transfer-Encoding"));
  EXPECT_EQ(reset->header("Content-Length"), "0");
  auto after = client.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "plain");
}

// A producer callback that throws must not unwind through the server's
// loop: the stream is aborted, its body left unterminated.
TEST(ResponseStream, AThrowingDrainCallbackAbortsTheStream) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    handler.send_response(200);
    ResponseStream stream = handler.stream();
    stream.write("part");
    stream.on_drain([] { throw std::runtime_error("producer failed"); });
  });
  testing::TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET /failing HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string all;
  EXPECT_TRUE(client.closed_by_peer(&all));
  EXPECT_TRUE(all.ends_with("\r\n\r\n4\r\npart\r\n")) << all;
  RawClient next(server.port());  // the server still serves
  ASSERT_TRUE(next.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_TRUE(next.read_interim());
}

TEST(ResponseStream, AFastProducerKeepsThePaceOfASlowClient) {
  constexpr uint64_t kTotal = 256ull << 20;
  std::shared_ptr<Producer> producer;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    handler.send_response(200);
    handler.send_header("Content-Length", std::to_string(kTotal));
    producer = std::make_shared<Producer>();
    producer->stream = handler.stream();
    producer->left = kTotal;
    producer->pump();
  });
  ServerOptions options = testing::quiet_options();
  testing::TestServer server(table, options);
  ASSERT_TRUE(testing::reset_peak_resident());
  long peak_before = testing::peak_resident_kib();
  RawClient client(server.port(), "127.0.0.1", RawClient::Duration(60000), 64 * 1024);
  ASSERT_TRUE(client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.read_interim();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->status, 200);
  EXPECT_EQ(client.discard(kTotal), kTotal);
  long growth_kib = testing::peak_resident_kib() - peak_before;
  EXPECT_LT(growth_kib, 32 * 1024) << "256 MiB streamed should not be held in memory";
  uint64_t most_queued = 0;
  server.run_in_loop([&] { most_queued = producer->most_queued; });
  EXPECT_LE(most_queued, options.output_high_water + 64 * 1024);
}

TEST(ResponseStream, TheProducerLearnsThatItsClientLeft) {
  std::atomic<bool> told{false};
  std::atomic<bool> started{false};
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    handler.send_response(200);
    ResponseStream stream = handler.stream();
    stream.write("first part");
    stream.on_close([&] { told = true; });
    started = true;
  });
  testing::TestServer server(table);
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto head = client.read_interim();
    ASSERT_TRUE(head);
  }  // the client leaves mid-stream
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!told && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();  // awaiting the callback, bounded
  }
  EXPECT_TRUE(started);
  EXPECT_TRUE(told);
}

}  // namespace
}  // namespace basehttp
