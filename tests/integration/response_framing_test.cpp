// Tests the response framing RequestHandler applies: HEAD, 204, 205, 304,
// 1xx (through send_response, send_error and respond), chunked without a
// Content-Length, close-delimited for HTTP/1.0, and what happens when a
// handler's body disagrees with its Content-Length.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::RawClient;
using testing::send_text;
using testing::TestServer;

class FramingTest : public ::testing::Test {
 protected:
  FramingTest() {
    table_.on("GET", [](RequestHandler& h) {
      std::string_view path = h.path();
      if (path == "/fixed") {
        send_text(h, 200, "fixed body");
      } else if (path == "/stream") {  // no Content-Length
        h.send_response(200);
        h.send_header("Content-Type", "text/plain");
        h.end_headers();
        h.write("part one, ");
        h.write(std::string(5000, 'x'));
        h.write("");
        h.write(", part three");
      } else if (path == "/204") {
        h.send_response(204);
        h.end_headers();
        h.write("never sent");
      } else if (path == "/304") {
        h.send_response(304);
        h.send_header("ETag", "\"v1\"");
        h.end_headers();
        h.write("never sent");
      } else if (path == "/early-hints") {
        h.send_response_only(103);
        h.send_header("Link", "</style.css>; rel=preload");
        h.end_headers();
        send_text(h, 200, "final");
      } else if (path == "/205") {
        h.send_response(205);
        h.end_headers();
        h.write("never sent");
      } else if (path.starts_with("/framed/")) {  // as a CGI script may answer
        h.send_response(std::stoi(std::string(path.substr(8))));
        h.send_header("Content-Length", "5");
        h.send_header("Transfer-Encoding", "chunked");
        h.end_headers();
        h.write("hello");
      } else if (path.starts_with("/error/")) {
        h.send_error(std::stoi(std::string(path.substr(7))));
      } else if (path.starts_with("/respond/")) {
        h.respond(std::stoi(std::string(path.substr(9))), "text/plain", "never sent");
      } else if (path == "/switch") {  // a 101 and nothing after it
        h.send_response(101);
        h.send_header("Upgrade", "nothing-we-speak");
        h.end_headers();
      } else if (path == "/short") {  // promises 10 bytes, sends 3
        h.send_response(200);
        h.send_header("Content-Length", "10");
        h.end_headers();
        h.write("abc");
      } else if (path == "/long") {  // promises 3 bytes, sends 10
        h.send_response(200);
        h.send_header("Content-Length", "3");
        h.end_headers();
        h.write("abcdefghij");
      }
    });
  }
  HandlerTable table_;
  std::unique_ptr<TestServer> server_ = std::make_unique<TestServer>(table_);
  uint16_t port() const { return server_->port(); }
};

std::string get(std::string_view path, std::string_view method = "GET",
                std::string_view version = "HTTP/1.1") {
  return std::string(method) + " " + std::string(path) + " " + std::string(version) +
         "\r\nHost: t\r\n\r\n";
}

TEST_F(FramingTest, HeadHasGetsHeadersWithoutTheBody) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/fixed", "HEAD") + get("/fixed")));
  auto head = client.read_response(/*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "10");  // as GET would say
  auto full = client.read_response();               // parses only if HEAD sent no body
  ASSERT_TRUE(full);
  EXPECT_EQ(full->body, "fixed body");
}

// The server's own answer to a HEAD it cannot serve (a malformed field
// line: 400) is a HEAD's too: the head says how long the page is, and no
// page follows.
TEST_F(FramingTest, AnErrorAnsweringAHeadHasNoBody) {
  RawClient client(port());
  ASSERT_TRUE(client.send("HEAD /fixed HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n"));
  std::string bytes = client.read_until_close();
  size_t head_end = bytes.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << bytes;
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 400 ")) << bytes;
  EXPECT_NE(bytes.find("Content-Length: "), std::string::npos) << bytes;
  EXPECT_EQ(bytes.size(), head_end + 4) << bytes;
}

TEST_F(FramingTest, HeadOfAStreamedResponseSendsNoChunks) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/stream", "HEAD") + get("/fixed")));
  auto head = client.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Transfer-Encoding"), "chunked");
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "fixed body");
}

TEST_F(FramingTest, ChunksABodyWithoutContentLength) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/stream")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(response->has_header("Content-Length"));
  EXPECT_EQ(response->body, "part one, " + std::string(5000, 'x') + ", part three");
  ASSERT_TRUE(client.send(get("/fixed")));  // framing kept the connection usable
  EXPECT_TRUE(client.read_response());
}

TEST_F(FramingTest, Http10ClientGetsACloseDelimitedBody) {
  RawClient client(port());
  ASSERT_TRUE(client.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::string all = client.read_until_close();
  EXPECT_EQ(all.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(all.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(all.ends_with("\r\n\r\npart one, " + std::string(5000, 'x') + ", part three")) << all;
}

TEST_F(FramingTest, NoContentAndNotModifiedNeverCarryABody) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/204") + get("/304") + get("/fixed")));
  auto no_content = client.read_response();
  auto not_modified = client.read_response();
  auto fixed = client.read_response();
  ASSERT_TRUE(no_content && not_modified && fixed);
  EXPECT_EQ(no_content->status, 204);
  EXPECT_FALSE(no_content->has_header("Transfer-Encoding"));
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_EQ(not_modified->header("ETag"), "\"v1\"");
  EXPECT_EQ(fixed->body, "fixed body");
}

// RFC 9110 §15.3.5, §15.3.6, §15.4.5: no content, whichever call made the
// response; §8.6: no Content-Length in a 204. A 205 says its empty content
// with Content-Length: 0 (one of the ways §15.3.6 allows), so the
// connection can go on.
void expect_no_content(const testing::Response& response, int status) {
  EXPECT_EQ(response.status, status);
  EXPECT_EQ(response.body, "");
  EXPECT_FALSE(response.has_header("Content-Type")) << status;
  EXPECT_FALSE(response.has_header("Transfer-Encoding")) << status;
  if (status == 205) {
    EXPECT_EQ(response.header("Content-Length"), "0");
  } else {
    EXPECT_FALSE(response.has_header("Content-Length")) << status;
  }
}

TEST_F(FramingTest, SendErrorWithANoContentStatusSendsNoContent) {
  for (int status : {204, 205, 304}) {
    RawClient client(port());
    std::string path = "/error/" + std::to_string(status);
    ASSERT_TRUE(client.send(get(path) + get("/fixed")));
    auto error = client.read_response(/*head_request=*/true);  // reads no body
    ASSERT_TRUE(error);
    expect_no_content(*error, status);
    auto next = client.read_response();  // parses only if no body bytes came
    ASSERT_TRUE(next) << status;
    EXPECT_EQ(next->body, "fixed body");
  }
}

TEST_F(FramingTest, RespondWithANoContentStatusSendsNoContent) {
  for (int status : {204, 205, 304}) {
    for (std::string_view method : {"GET", "HEAD"}) {
      RawClient client(port());
      std::string path = "/respond/" + std::to_string(status);
      ASSERT_TRUE(client.send(get(path, method) + get("/fixed")));
      auto response = client.read_response(/*head_request=*/true);
      ASSERT_TRUE(response);
      expect_no_content(*response, status);
      auto next = client.read_response();
      ASSERT_TRUE(next) << status << " " << method;
      EXPECT_EQ(next->body, "fixed body");
    }
  }
}

TEST_F(FramingTest, ResetContentNeverCarriesABody) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/205") + get("/fixed")));
  auto reset = client.read_response(/*head_request=*/true);
  ASSERT_TRUE(reset);
  expect_no_content(*reset, 205);
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "fixed body");
}

// A handler's framing fields on a 204 or 205 would promise bytes that
// are never sent: the client would wait for them.
TEST_F(FramingTest, NoContentStatusesDropTheHandlersFramingFields) {
  for (int status : {204, 205}) {
    RawClient client(port());
    ASSERT_TRUE(client.send(get("/framed/" + std::to_string(status)) + get("/fixed")));
    auto response = client.read_response(/*head_request=*/true);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, status);
    EXPECT_FALSE(response->has_header("Transfer-Encoding"));
    EXPECT_EQ(response->header_count("Content-Length"), status == 205 ? 1u : 0u);
    EXPECT_EQ(response->header("Content-Length"), status == 205 ? "0" : "");
    auto next = client.read_response();
    ASSERT_TRUE(next) << status;
    EXPECT_EQ(next->body, "fixed body");
  }
}

TEST_F(FramingTest, HeadOfAnErrorPageSaysItsLengthWithoutTheBody) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/error/404", "HEAD") + get("/fixed")));
  auto head = client.read_response(/*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 404);
  EXPECT_EQ(head->header("Content-Type"), ServerOptions().error_content_type);
  EXPECT_NE(head->header("Content-Length"), "");
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "fixed body");
}

// Python takes send_error(1xx) for the whole response and closes the
// connection after it; a second, final response would be one the handler
// never sent.
TEST_F(FramingTest, SendErrorWithAnInterimStatusIsTheWholeResponse) {
  for (int status : {101, 102}) {
    RawClient client(port());
    ASSERT_TRUE(client.send(get("/error/" + std::to_string(status)) + get("/fixed")));
    auto interim = client.read_interim();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, status);
    EXPECT_FALSE(interim->has_header("Content-Length"));
    EXPECT_FALSE(interim->has_header("Content-Type"));
    std::string rest;
    EXPECT_TRUE(client.closed_by_peer(&rest));
    EXPECT_EQ(rest, "") << status;
  }
}

TEST_F(FramingTest, RespondWithAnInterimStatusIsTheWholeResponse) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/respond/102") + get("/fixed")));
  auto interim = client.read_interim();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 102);
  EXPECT_FALSE(interim->has_header("Content-Length"));
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_EQ(rest, "");
}

// After a 101 the connection no longer speaks HTTP/1.1: a 500 for the
// missing final response would land in the other protocol.
TEST_F(FramingTest, NothingFollowsASwitchingProtocolsHead) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/switch")));
  auto interim = client.read_interim();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 101);
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_EQ(rest, "");
}

TEST_F(FramingTest, InterimResponsesPrecedeTheFinalOne) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/early-hints")));
  auto hints = client.read_interim();
  ASSERT_TRUE(hints);
  EXPECT_EQ(hints->status, 103);
  EXPECT_EQ(hints->header("Link"), "</style.css>; rel=preload");
  auto final_response = client.read_response();
  ASSERT_TRUE(final_response);
  EXPECT_EQ(final_response->body, "final");
}

TEST_F(FramingTest, AShortBodyEndsTheConnection) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/short")));
  std::string all;
  EXPECT_TRUE(client.closed_by_peer(&all));
  EXPECT_TRUE(all.ends_with("\r\n\r\nabc")) << all;
}

TEST_F(FramingTest, ALongBodyIsCutAtItsContentLength) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/long")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "abc");
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_EQ(rest, "");
}

TEST(FramingProtocol, Http10ProtocolVersionClosesEveryConnection) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) { send_text(h, 200, "ok"); });
  ServerOptions options = testing::quiet_options();
  options.protocol_version = "HTTP/1.0";
  TestServer server(table, options);
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->version, "HTTP/1.0");
  EXPECT_TRUE(client.closed_by_peer());
}

}  // namespace
}  // namespace basehttp
