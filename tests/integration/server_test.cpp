// Loopback tests of http/server with real sockets: keep-alive, pipelining,
// slow and vanishing clients, many connections, large bodies both ways,
// 100-continue, HTTP/1.0, Connection: close, method dispatch, error statuses.
#include "http/server.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "reactor/listen_socket.hpp"
#include "tests/support/bad_requests.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::exchange;
using testing::RawClient;
using testing::Response;
using testing::send_text;
using testing::TestServer;

// GET echoes the path; POST echoes the body; SPAM has a handler of its own.
HandlerTable echo_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) { send_text(h, 200, h.path()); });
  table.on("POST", [](RequestHandler& h) { send_text(h, 200, h.body()); });
  table.on("SPAM", [](RequestHandler& h) { send_text(h, 200, "eggs"); });
  return table;
}

std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

class ServerTest : public ::testing::Test {
 protected:
  HandlerTable table_ = echo_table();
  std::unique_ptr<TestServer> server_ = std::make_unique<TestServer>(table_);
  uint16_t port() const { return server_->port(); }
};

TEST_F(ServerTest, ReportsItsEphemeralPort) {
  EXPECT_NE(server_->server().server_port(), 0);
  EXPECT_EQ(server_->server().server_name(), "127.0.0.1");
}

TEST_F(ServerTest, KeepsTheConnectionAliveAcrossRequests) {
  RawClient client(port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.send(get("/r" + std::to_string(i))));
    auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "/r" + std::to_string(i));
    EXPECT_FALSE(response->has_header("Connection"));
  }
  EXPECT_TRUE(client.silent_for(std::chrono::milliseconds(50)));  // still open, nothing extra
}

TEST_F(ServerTest, AnswersAHundredPipelinedRequestsInOrder) {
  RawClient client(port());
  std::string batch;
  for (int i = 0; i < 100; ++i)
    batch += get("/p" + std::to_string(i));
  ASSERT_TRUE(client.send(batch));
  for (int i = 0; i < 100; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "/p" + std::to_string(i));
  }
}

TEST_F(ServerTest, ServesAClientThatSendsOneByteAtATime) {
  RawClient client(port());
  std::string request =
      "POST /slow HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello" + get("/after");
  for (char c : request)
    ASSERT_TRUE(client.send(std::string_view(&c, 1)));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "hello");
  auto second = client.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "/after");
}

TEST_F(ServerTest, AClientLeavingMidRequestDoesNotDisturbOthers) {
  RawClient steady(port());
  ASSERT_TRUE(steady.send(get("/one")));
  ASSERT_TRUE(steady.read_response());
  {
    RawClient leaver(port());
    ASSERT_TRUE(
        leaver.send("POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\npartial"));
  }  // closed mid-body
  {
    RawClient leaver(port());
    ASSERT_TRUE(leaver.send("GET /half-a-request-li"));
  }
  ASSERT_TRUE(steady.send(get("/two")));
  auto response = steady.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "/two");
}

TEST_F(ServerTest, ServesTwoHundredConcurrentConnections) {
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  for (int i = 0; i < kClients; ++i)
    ASSERT_TRUE(clients[i]->send(get("/c" + std::to_string(i))));
  for (int i = 0; i < kClients; ++i) {
    auto response = clients[i]->read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "/c" + std::to_string(i));
  }
}

TEST_F(ServerTest, StreamsA16MiBResponseToASlowReader) {
  std::string big(16 * 1024 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  table_.on("GET", [&big](RequestHandler& h) {
    h.send_response(200);
    h.send_header("Content-Length", std::to_string(big.size()));
    h.end_headers();
    h.write(std::string(big));
  });
  // A small receive window: the server's writes come back short many times.
  RawClient client(port(), "127.0.0.1", std::chrono::milliseconds(20000), 32 * 1024);
  ASSERT_TRUE(client.send(get("/big")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body.size(), big.size());
  EXPECT_TRUE(response->body == big);
  // The connection is still usable afterwards.
  ASSERT_TRUE(client.send(get("/big")));
  EXPECT_TRUE(client.read_response());
}

TEST_F(ServerTest, AcceptsAOneMiBBodyWithContentLength) {
  std::string body(1024 * 1024, 'x');
  for (size_t i = 0; i < body.size(); i += 4096)
    body[i] = static_cast<char>('0' + i / 4096 % 10);
  RawClient client(port());
  ASSERT_TRUE(client.send("POST /up HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->body == body);
}

TEST_F(ServerTest, AcceptsAOneMiBChunkedBody) {
  std::string body;
  std::string wire = "POST /up HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; body.size() < 1024 * 1024; ++i) {
    std::string chunk(1000 + i % 3000, static_cast<char>('a' + i % 26));
    char size_line[32];
    std::snprintf(size_line, sizeof(size_line), "%zx;n=%d\r\n", chunk.size(), i);
    wire += size_line + chunk + "\r\n";
    body += chunk;
  }
  wire += "0\r\nX-Trailer: yes\r\n\r\n";
  RawClient client(port());
  ASSERT_TRUE(client.send(wire));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body.size(), body.size());
  EXPECT_TRUE(response->body == body);
}

TEST_F(ServerTest, SendsOneHundredContinueBeforeTheBody) {
  RawClient client(port());
  ASSERT_TRUE(client.send(
      "POST /e HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = client.read_interim();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("body"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "body");
}

TEST_F(ServerTest, NoContinueWhenNoHandlerWouldReadTheBody) {
  RawClient client(port());
  ASSERT_TRUE(client.send(
      "PUT /e HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 501);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(ServerTest, NoContinueForABodyOverTheLimit) {
  RawClient client(port());
  ASSERT_TRUE(
      client.send("POST /e HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n"
                  "Content-Length: 100000000\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(ServerTest, Http10ClosesByDefault) {
  RawClient client(port());
  ASSERT_TRUE(client.send("GET /old HTTP/1.0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "/old");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(ServerTest, Http10KeepAliveWhenAsked) {
  RawClient client(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send("GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->header("Connection"), "keep-alive");
  }
}

TEST_F(ServerTest, ConnectionCloseClosesAfterTheResponse) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/bye", "Connection: close\r\n") + get("/never")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "/bye");
  EXPECT_EQ(response->header("Connection"), "close");
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_EQ(rest, "");  // the pipelined request after "close" is not answered
}

TEST_F(ServerTest, AnswersAHalfClosedClient) {
  RawClient client(port());
  ASSERT_TRUE(client.send(get("/a") + get("/b")));
  client.shutdown_write();
  auto first = client.read_response();
  auto second = client.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->body, "/b");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(ServerTest, DispatchesAnyMethodToken) {
  auto response = exchange(port(), "SPAM /tin HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "eggs");
}

TEST_F(ServerTest, UnknownMethodGets501AndTheConnectionStays) {
  RawClient client(port());
  ASSERT_TRUE(client.send("EGGS /x HTTP/1.1\r\nHost: test\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 501);
  EXPECT_EQ(response->reason, "Unsupported method ('EGGS')");
  EXPECT_NE(response->body.find("Unsupported method ('EGGS')"), std::string::npos)
      << response->body;
  ASSERT_TRUE(client.send(get("/still-here")));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "/still-here");
}

struct ErrorCase {
  const char* name;
  std::string request;
  int status;
};

class ServerErrorTest : public ServerTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(ServerErrorTest, AnswersWithTheStatusAndCloses) {
  const ErrorCase& error = GetParam();
  RawClient client(port());
  ASSERT_TRUE(client.send(error.request + get("/smuggled")));
  auto response = client.read_response();
  ASSERT_TRUE(response) << error.name;
  EXPECT_EQ(response->status, error.status) << error.name;
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_EQ(std::to_string(response->body.size()), response->header("Content-Length"));
  EXPECT_TRUE(response->has_header("Date"));
  EXPECT_TRUE(response->has_header("Server"));
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest)) << error.name;
  EXPECT_EQ(rest, "") << error.name;  // "/smuggled" was never answered
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, ServerErrorTest,
    ::testing::Values(
        ErrorCase{"bad_request_line", "GET / HTTP/1.1 extra\r\nHost: t\r\n\r\n", 400},
        ErrorCase{"bad_header", "GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n", 400},
        ErrorCase{"uri_too_long", "GET /" + std::string(70000, 'u') + " HTTP/1.1\r\n\r\n", 414},
        ErrorCase{"too_many_fields",
                  [] {
                    std::string request = "GET / HTTP/1.1\r\nHost: t\r\n";
                    for (int i = 0; i < 100; ++i)
                      request += "X-" + std::to_string(i) + ": v\r\n";
                    return request + "\r\n";
                  }(),
                  431},
        ErrorCase{"fields_too_large",
                  "GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(70000, 'h') + "\r\n\r\n", 431},
        ErrorCase{"body_too_large", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 9000000\r\n\r\n",
                  413},
        ErrorCase{"http2", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
        ErrorCase{"unsupported_coding",
                  "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        ErrorCase{"absolute_form_conflicting_host",
                  "GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n", 400},
        ErrorCase{"obs_fold", "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400},
        ErrorCase{"cl_and_te",
                  "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                  400}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

// Each limit set in ServerOptions::limits is the one the connections' parsers
// hold a request to: the request at the limit is served, one byte (or
// field) more is refused.
TEST(ServerOptionsTest, EveryLimitReachesTheParser) {
  HandlerTable table = echo_table();
  ServerOptions options = testing::quiet_options();
  options.limits.max_request_line = 64;
  options.limits.max_header_fields = 3;
  options.limits.max_header_bytes = 100;
  options.limits.max_body_bytes = 10;
  TestServer server(table, options);
  auto status_of = [&](const std::string& request) {
    auto response = exchange(server.port(), request);
    return response ? response->status : 0;
  };
  // "GET " and " HTTP/1.1\r\n" are 15 bytes of the line.
  auto line_of = [](size_t length) {
    return "GET /" + std::string(length - 16, 'a') + " HTTP/1.1\r\n";
  };
  EXPECT_EQ(status_of(line_of(64) + "Host: t\r\n\r\n"), 200);
  EXPECT_EQ(status_of(line_of(65) + "Host: t\r\n\r\n"), 414);
  EXPECT_EQ(status_of(get("/", "A: 1\r\nB: 2\r\n")), 200);  // Host is the third
  EXPECT_EQ(status_of(get("/", "A: 1\r\nB: 2\r\nC: 3\r\n")), 431);
  // "Host: test\r\n" and "X: " with CRLF are 12 + 5 bytes of field lines.
  EXPECT_EQ(status_of(get("/", "X: " + std::string(83, 'h') + "\r\n")), 200);
  EXPECT_EQ(status_of(get("/", "X: " + std::string(84, 'h') + "\r\n")), 431);
  std::string post = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ";
  EXPECT_EQ(status_of(post + "10\r\n\r\n" + std::string(10, 'b')), 200);
  EXPECT_EQ(status_of(post + "11\r\n\r\n" + std::string(11, 'b')), 413);
}

// ServerOptions::listen reaches the listening socket: with reuse_port, a
// second SO_REUSEPORT listener may share the server's port; without, not.
TEST(ServerOptionsTest, ListenOptionsReachTheListener) {
  HandlerTable table = echo_table();
  ListenOptions sharing;
  sharing.reuse_port = true;
  for (bool reuse_port : {false, true}) {
    ServerOptions options = testing::quiet_options();
    options.listen.reuse_port = reuse_port;
    TestServer server(table, options);
    auto address = SocketAddress::parse("127.0.0.1", server.port());
    ASSERT_TRUE(address);
    if (reuse_port) {
      EXPECT_TRUE(listen_tcp(*address, sharing).ok());
    } else {
      EXPECT_EQ(listen_tcp(*address, sharing).error(), EADDRINUSE);
    }
  }
}

// The parser's whole rejection table, through a real connection: the
// status, a close, and nothing after the bad bytes answered.
class ServerRejectsTest : public ServerTest,
                          public ::testing::WithParamInterface<testing::BadRequest> {};

TEST_P(ServerRejectsTest, AnswersWithTheStatusAndCloses) {
  const testing::BadRequest& bad = GetParam();
  RawClient client(port());
  ASSERT_TRUE(client.send(bad.bytes + get("/smuggled")));
  auto response = client.read_response();
  ASSERT_TRUE(response) << bad.name;
  EXPECT_EQ(response->status, bad.status) << bad.name;
  EXPECT_EQ(response->header("Connection"), "close") << bad.name;
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest)) << bad.name;
  EXPECT_EQ(rest, "") << bad.name;  // "/smuggled" was never answered
}

INSTANTIATE_TEST_SUITE_P(Table, ServerRejectsTest, ::testing::ValuesIn(testing::bad_requests()),
                         [](const ::testing::TestParamInfo<testing::BadRequest>& info) {
                           return info.param.name;
                         });
INSTANTIATE_TEST_SUITE_P(StrayLineEnds, ServerRejectsTest,
                         ::testing::ValuesIn(testing::stray_line_end_requests()),
                         [](const ::testing::TestParamInfo<testing::BadRequest>& info) {
                           return info.param.name;
                         });

// An HTTP/0.9 request is one line, "GET /", and its client then waits
// for a bare body. basehttp speaks HTTP/1.x only: it answers that line at
// once, without waiting for more, with an HTTP/1.1 400 and a close (where
// Python would send the file with no status line).
TEST_F(ServerTest, AnHttp09RequestGets400AtOnce) {
  for (const char* line : {"GET /\r\n", "GET /index.html\r\n"}) {
    RawClient client(port());
    ASSERT_TRUE(client.send(line));
    auto response = client.read_response();
    ASSERT_TRUE(response) << line;
    EXPECT_EQ(response->version, "HTTP/1.1") << line;
    EXPECT_EQ(response->status, 400) << line;
    EXPECT_EQ(response->header("Connection"), "close") << line;
    EXPECT_TRUE(client.closed_by_peer()) << line;
  }
}

TEST_F(ServerTest, ABodyOverTheLimitIsRefusedWhileTheClientStillSends) {
  // The 413 must reach a client that keeps writing its body (lingering close).
  RawClient client(port());
  std::string head = "POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 20000000\r\n\r\n";
  ASSERT_TRUE(client.send(head + std::string(256 * 1024, 'b')));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

TEST(ServerIpv6, ServesOnIpv6Loopback) {
  HandlerTable table = echo_table();
  TestServer server(table, testing::quiet_options(), "::1");
  RawClient client(server.port(), "::1");
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(get("/six")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "/six");
  EXPECT_EQ(server.server().server_name(), "::1");
}

TEST(ServerBind, ABusyPortThrows) {
  HandlerTable table = echo_table();
  TestServer first(table);
  EXPECT_THROW(HTTPServer(ServerAddress{"127.0.0.1", first.port()}, table), std::system_error);
}

}  // namespace
}  // namespace basehttp

namespace basehttp {
namespace {

TEST_F(ServerTest, AClientResettingMidResponseDoesNotDisturbOthers) {
  table_.on("GET", [](RequestHandler& h) {
    if (h.path() == "/huge") {
      h.send_response(200);
      h.send_header("Content-Length", std::to_string(32 << 20));
      h.end_headers();
      h.write(std::string(32 << 20, 'r'));
    } else {
      send_text(h, 200, h.path());
    }
  });
  for (int i = 0; i < 3; ++i) {
    RawClient resetter(port());
    ASSERT_TRUE(resetter.send(get("/huge")));
    ASSERT_TRUE(resetter.read_interim());  // the headers have arrived: the body is being written
    linger abortive{1, 0};                 // close() now sends RST
    setsockopt(resetter.fd(), SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  }
  auto response = exchange(port(), get("/fine"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "/fine");
}

}  // namespace
}  // namespace basehttp
