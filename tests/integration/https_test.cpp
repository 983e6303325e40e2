// HTTPS end to end: an HTTPServer with ServerOptions::tls on a loopback
// port, against TlsClient (a blocking OpenSSL client that trusts the test
// CA, every wait bounded). Everything that works over plain HTTP works
// here too: keep-alive, pipelining, chunked bodies both ways,
// 100-continue, streamed and deferred responses, CGI, static files with
// ranges, a graceful drain, metrics and the access log, and a slow reader
// of a large response held to bounded memory.
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "basehttp.hpp"
#include "tests/support/process_memory.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/stream_producers.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_certificates.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tls_client.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::send_text;
using testing::TestCertificates;
using testing::TestServer;
using testing::TlsClient;

ServerOptions tls_options() {
  ServerOptions options = testing::quiet_options();
  TlsOptions tls;
  tls.certificate.chain_file = TestCertificates::get().server_chain;
  tls.certificate.key_file = TestCertificates::get().server_key;
  options.tls = tls;
  return options;
}

HandlerTable hello_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    testing::send_text(handler, 200, "hello " + std::string(handler.path()));
  });
  table.on("POST", [](RequestHandler& handler) {
    testing::send_text(handler, 200, "got " + std::string(handler.body()));
  });
  return table;
}

TEST(Https, KeepAliveServesThreeRequestsOnOneConnection) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    std::string path = "/r" + std::to_string(i);
    ASSERT_TRUE(client.send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello " + path);
  }
  size_t accepted = 0;
  server.run_in_loop([&] { accepted = server.server().stats().connections_accepted; });
  EXPECT_EQ(accepted, 1u);
}

TEST(Https, PipelinedRequestsAreAnsweredInOrder) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(
      client.send("GET /a HTTP/1.1\r\nHost: l\r\n\r\nGET /b HTTP/1.1\r\nHost: l\r\n\r\n"
                  "GET /c HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n"));
  for (const char* path : {"/a", "/b", "/c"}) {
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, std::string("hello ") + path);
  }
  EXPECT_TRUE(client.closed_by_peer());
}

TEST(Https, ChunkedPostBody) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(
      client.send("POST /p HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "got hello world");
}

TEST(Https, StaticFileOfOneMebibyteIsByteIdentical) {
  namespace fs = std::filesystem;
  char pattern[] = "/tmp/basehttp-https-files-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  fs::path top = pattern;
  std::string content(1 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  std::ofstream(top / "big.bin", std::ios::binary) << content;
  {
    StaticFilesOptions files_options;
    files_options.root = top.string();
    StaticFiles files(files_options);
    HandlerTable table;
    table.on("GET", [&](RequestHandler& handler) { files.handle(handler); });
    TestServer server(table, tls_options());
    TlsClient client(server.port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send("GET /big.bin HTTP/1.1\r\nHost: l\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->body == content) << "body differs, " << response->body.size();
  }
  fs::remove_all(top);
}

TEST(Https, PlainHttpRequestGetsA400AndAClose) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  testing::RawClient client(server.port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  std::string answer = client.read_until_close();
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(answer.find("plain HTTP request"), std::string::npos);
}

TEST(Https, SilentClientIsClosedAtTheHandshakeDeadline) {
  HandlerTable table = hello_table();
  ServerOptions options = tls_options();
  options.handshake_timeout = std::chrono::milliseconds(200);
  TestServer server(table, options);
  testing::RawClient client(server.port());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  uint64_t counted = 0;
  server.run_in_loop(
      [&] { counted = server.server().stats().timeout_count(TimeoutKind::kHandshake); });
  EXPECT_EQ(counted, 1u);
  EXPECT_EQ(name_of(TimeoutKind::kHandshake), "handshake");
}

// Once the handshake is done the connection waits as any idle one: the
// handshake deadline is not left running over it.
TEST(Https, HandshakeDeadlineEndsWithTheHandshake) {
  HandlerTable table = hello_table();
  ServerOptions options = tls_options();
  options.handshake_timeout = std::chrono::milliseconds(100);
  TestServer server(table, options);
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the time that must pass
  ASSERT_TRUE(client.send("GET /later HTTP/1.1\r\nHost: l\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "hello /later");
  uint64_t counted = 1;
  server.run_in_loop(
      [&] { counted = server.server().stats().timeout_count(TimeoutKind::kHandshake); });
  EXPECT_EQ(counted, 0u);
}

TEST(Https, TricklingClientHelloIsClosedAtTheHandshakeDeadline) {
  HandlerTable table = hello_table();
  ServerOptions options = tls_options();
  options.handshake_timeout = std::chrono::milliseconds(300);
  TestServer server(table, options);
  testing::RawClient client(server.port());
  // A TLS record header, then a byte every 50 ms: progress, never done.
  ASSERT_TRUE(client.send(std::string("\x16\x03\x01\x02\x00", 5)));
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    if (!client.silent_for(std::chrono::milliseconds(50)) || !client.send(std::string(1, '\x01'))) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
  uint64_t counted = 0;
  server.run_in_loop(
      [&] { counted = server.server().stats().timeout_count(TimeoutKind::kHandshake); });
  EXPECT_EQ(counted, 1u);
}

TEST(Https, WrongPasswordThrowsAtConstruction) {
  HandlerTable table = hello_table();
  ServerOptions options = testing::quiet_options();
  TlsOptions tls;
  tls.certificate.chain_file = TestCertificates::get().server_chain;
  tls.certificate.key_file = TestCertificates::get().encrypted_key;
  tls.certificate.password = "wrong horse";
  options.tls = tls;
  try {
    HTTPServer server(ServerAddress{"127.0.0.1", 0}, table, options);
    FAIL() << "constructed with a wrong password";
  } catch (const std::system_error& error) {
    // OpenSSL's reason varies with the garbage a wrong password decrypts
    // to; the server's own words do not.
    EXPECT_NE(std::string(error.what()).find("wrong password?"), std::string::npos) << error.what();
  }
}

TEST(Https, ReloadCertificatesKeepsServingAndReportsFailure) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  bool reloaded = false;
  server.run_in_loop([&] { reloaded = server.server().reload_certificates().ok(); });
  EXPECT_TRUE(reloaded);
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  HandlerTable plain_table = hello_table();
  TestServer plain(plain_table);
  bool plain_reloaded = true;
  plain.run_in_loop([&] { plain_reloaded = plain.server().reload_certificates().ok(); });
  EXPECT_FALSE(plain_reloaded);
}

std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra) +
         "\r\n";
}

// Waits (bounded) until `condition` holds, asking the loop each time.
bool eventually_in_loop(TestServer& server, const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    bool held = false;
    server.run_in_loop([&] { held = condition(); });
    if (held) return true;
    std::this_thread::sleep_for(milliseconds(2));  // polls a condition, with a deadline
  }
  return false;
}

TEST(Https, StreamedEventsArriveAsChunksFromLaterIterations) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    if (handler.path() != "/events") return send_text(handler, 200, "plain");
    handler.send_response(200);
    handler.send_header("Content-Type", "text/event-stream");
    testing::tick_events(handler.stream(), handler.server().loop(), 3, milliseconds(20));
  });
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(get("/events")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(response->body, "data: tick 3\n\ndata: tick 2\n\ndata: tick 1\n\n");
  ASSERT_TRUE(client.send(get("/after")));
  auto after = client.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "plain");
}

// Pieces of every size around a record's payload (16 KiB), produced on
// another thread and posted to the loop one by one.
TEST(Https, StreamFedFromAnotherThreadArrivesWhole) {
  std::string expected;
  std::vector<std::string> pieces;
  for (size_t size : {1u, 100u, 16383u, 16384u, 16385u, 40000u, 7u, 70000u}) {
    pieces.emplace_back(size, static_cast<char>('a' + pieces.size()));
    expected += pieces.back();
  }
  std::vector<std::thread> workers;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    handler.send_response(200);
    ResponseStream stream = handler.stream();
    HTTPServer& http = handler.server();
    workers.emplace_back([&pieces, &http, stream] {
      for (const std::string& piece : pieces)
        http.post([stream, &piece](HTTPServer&) { stream.write(piece); });
      http.post([stream](HTTPServer&) { stream.finish(); });
    });
  });
  {
    TestServer server(table, tls_options());
    TlsClient client(server.port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(get("/produced")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->header("Transfer-Encoding"), "chunked");
    EXPECT_TRUE(response->body == expected) << response->body.size() << " bytes";
  }
  for (auto& worker : workers)
    worker.join();
}

// A chunked request body, in chunks that straddle the client's records,
// read piece by piece by a streaming handler.
TEST(Https, ChunkedRequestBodyIsReadByAStreamingHandler) {
  auto received = std::make_shared<std::string>();
  HandlerTable table;
  table.on_streaming("PUT", [received](RequestHandler& handler) {
    received->clear();
    handler.read_body([received](std::string_view data) { received->append(data); },
                      [received](RequestHandler& done) {
                        send_text(done, 200, std::to_string(received->size()));
                      });
  });
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  std::string body;
  ASSERT_TRUE(client.send("PUT /up HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n"));
  for (size_t size : {5u, 16384u, 30000u, 1u, 65536u}) {
    std::string chunk(size, static_cast<char>('A' + body.size() % 26));
    body += chunk;
    std::ostringstream framed;
    framed << std::hex << size << "\r\n" << chunk << "\r\n";
    ASSERT_TRUE(client.send(framed.str()));
  }
  ASSERT_TRUE(client.send("0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, std::to_string(body.size()));
  bool same = false;
  server.run_in_loop([&] { same = *received == body; });
  EXPECT_TRUE(same);
  // The connection goes on.
  ASSERT_TRUE(client.send("PUT /again HTTP/1.1\r\nHost: l\r\nContent-Length: 3\r\n\r\nabc"));
  auto again = client.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "3");
}

TEST(Https, ContinueComesBeforeTheBodyIsSent) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(
      "POST /e HTTP/1.1\r\nHost: l\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = client.read_interim();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("body"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "got body");
  ASSERT_TRUE(client.send(get("/next")));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hello /next");
}

// A handler that refuses the body, a body over the limit and an unknown
// expectation: the final status instead of 100, and a close (with
// close_notify) since the body was never read.
TEST(Https, RefusedExpectationsAreAnsweredAndClosed) {
  HandlerTable table = hello_table();
  table.on_streaming("PUT", [](RequestHandler& handler) {
    if (handler.headers().get("X-Allowed") != "yes") return send_text(handler, 403, "no");
    handler.read_body([](std::string_view) {},
                      [](RequestHandler& done) { send_text(done, 200, "read"); });
  });
  ServerOptions options = tls_options();
  options.limits.max_body_bytes = 1000;
  TestServer server(table, options);
  struct Case {
    std::string request;
    int status;
  };
  for (const Case& refused : {
           Case{"PUT /x HTTP/1.1\r\nHost: l\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
                403},
           Case{"POST /x HTTP/1.1\r\nHost: l\r\nExpect: 100-continue\r\n"
                "Content-Length: 100000000\r\n\r\n",
                413},
           Case{"POST /x HTTP/1.1\r\nHost: l\r\nExpect: 200-ok\r\nContent-Length: 5\r\n\r\n", 417},
       }) {
    TlsClient client(server.port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(refused.request));
    auto response = client.read_response();
    ASSERT_TRUE(response) << refused.request;
    EXPECT_EQ(response->status, refused.status) << refused.request;
    EXPECT_EQ(response->header("Connection"), "close") << refused.request;
    EXPECT_TRUE(client.closed_by_peer()) << refused.request;
    EXPECT_TRUE(client.close_notify_received()) << refused.request;
  }
  TlsClient allowed(server.port());
  ASSERT_TRUE(allowed.connected());
  ASSERT_TRUE(
      allowed.send("PUT /x HTTP/1.1\r\nHost: l\r\nX-Allowed: yes\r\nExpect: 100-continue\r\n"
                   "Content-Length: 5\r\n\r\n"));
  auto interim = allowed.read_interim();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(allowed.send("abcde"));
  auto response = allowed.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "read");
}

TEST(Https, DeferredResponsesFromATimerAndAnotherThreadKeepTheirOrder) {
  std::vector<std::thread> workers;
  std::promise<bool> posted;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& h) {
    DeferredResponse deferred = h.defer();
    if (h.path() == "/timer") {
      h.server().loop().run_after(milliseconds(20), [deferred] {
        deferred.complete([](RequestHandler& later) { send_text(later, 200, "from a timer"); });
      });
      return;
    }
    workers.emplace_back([deferred, &posted] {
      deferred.post([](RequestHandler& later) { send_text(later, 200, "from a thread"); },
                    [&posted](bool completed) { posted.set_value(completed); });
    });
  });
  {
    TestServer server(table, tls_options());
    TlsClient client(server.port());
    ASSERT_TRUE(client.connected());
    // Pipelined: the second waits for the first, deferred one.
    ASSERT_TRUE(client.send(get("/timer") + get("/thread")));
    auto first = client.read_response();
    auto second = client.read_response();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->body, "from a timer");
    EXPECT_EQ(second->body, "from a thread");
    auto completed = posted.get_future();
    ASSERT_EQ(completed.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(completed.get());
  }
  for (auto& worker : workers)
    worker.join();
}

// "NAME=value" lines of `body`: the value of `name`, or "<unset>".
std::string variable(const std::string& body, const std::string& name) {
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return "<unset>";
}

// Over TLS a script is told so as web servers tell it (Apache's mod_ssl,
// nginx's fastcgi_params): HTTPS=on and REQUEST_SCHEME=https. Its output
// and a POST body pass through intact.
TEST(Https, CgiScriptsRunWithHttpsInTheirEnvironment) {
  testing::TempFolder folder("https-cgi");
  std::filesystem::create_directory(folder.file("cgi-bin"));
  auto script = [&](const std::string& name, const std::string& body) {
    std::string path = folder.file("cgi-bin/" + name);
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
  };
  script("env.sh", "printf 'Content-Type: text/plain\\n\\n'\nenv\n");
  script("echo.sh", "printf 'Content-Type: application/octet-stream\\n\\n'\ncat\n");
  CgiOptions cgi_options;
  cgi_options.root = folder.path();
  Cgi cgi(cgi_options);
  HandlerTable table;
  cgi.install(table);
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(get("/cgi-bin/env.sh?q=1")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(variable(response->body, "QUERY_STRING"), "q=1");
  EXPECT_EQ(variable(response->body, "SERVER_PORT"), std::to_string(server.port()));
  EXPECT_EQ(variable(response->body, "HTTPS"), "on");
  EXPECT_EQ(variable(response->body, "REQUEST_SCHEME"), "https");

  std::string body(200000, '\0');
  for (size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  ASSERT_TRUE(client.send("POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: l\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
  auto echoed = client.read_response();
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->status, 200);
  EXPECT_TRUE(echoed->body == body) << echoed->body.size() << " bytes";
}

// Ranges of a file larger than the bounded copy buffer (a record's worth):
// one range across many records, a suffix, an open end, several ranges
// (answered with the whole file, as over plain HTTP) and one beyond the
// end; all on one connection, byte-identical.
TEST(Https, StaticFileRangesAreByteIdentical) {
  testing::TempFolder folder("https-ranges");
  std::string content(300000, '\0');
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  std::ofstream(folder.file("data.bin"), std::ios::binary) << content;
  StaticFilesOptions files_options;
  files_options.root = folder.path();
  StaticFiles files(files_options);
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) { files.handle(handler); });
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  struct Case {
    const char* range;
    int status;
    std::string content_range;
    std::string body;
  };
  for (const Case& asked : {
           Case{"bytes=100000-250000", 206, "bytes 100000-250000/300000",
                content.substr(100000, 150001)},
           Case{"bytes=-3", 206, "bytes 299997-299999/300000", content.substr(299997)},
           Case{"bytes=283616-", 206, "bytes 283616-299999/300000", content.substr(283616)},
           Case{"bytes=0-1,5-6", 200, "", content},
           Case{"bytes=400000-", 416, "bytes */300000", ""},
       }) {
    ASSERT_TRUE(client.send(get("/data.bin", std::string("Range: ") + asked.range + "\r\n")));
    auto response = client.read_response();
    ASSERT_TRUE(response) << asked.range;
    EXPECT_EQ(response->status, asked.status) << asked.range;
    EXPECT_EQ(response->header("Content-Range"), asked.content_range) << asked.range;
    if (asked.status != 416) {
      EXPECT_TRUE(response->body == asked.body)
          << asked.range << ": " << response->body.size() << " bytes";
    }
  }
}

// shutdown(): the idle keep-alive connection is closed at once, the one
// with a request in flight when its response is done; each ends with
// close_notify; then serve_forever() returns.
TEST(Https, GracefulDrainFinishesTheRequestInFlight) {
  std::optional<DeferredResponse> in_flight;
  std::promise<void> dispatched;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    if (handler.path() != "/slow") return send_text(handler, 200, "quick");
    in_flight = handler.defer();
    dispatched.set_value();
  });
  ServerOptions options = tls_options();
  options.drain_timeout = std::chrono::seconds(10);
  HTTPServer server(ServerAddress{"127.0.0.1", 0}, table, options);
  std::promise<void> served;
  std::thread serving([&] {
    server.serve_forever();
    served.set_value();
  });
  auto stopped = served.get_future();
  TlsClient idle(server.server_port());
  TlsClient busy(server.server_port());
  ASSERT_TRUE(idle.connected() && busy.connected());
  ASSERT_TRUE(idle.send(get("/quick")));
  ASSERT_TRUE(idle.read_response());
  ASSERT_TRUE(busy.send(get("/slow")));
  ASSERT_EQ(dispatched.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  std::thread stopper([&] { server.shutdown(); });  // returns once drained

  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_TRUE(idle.close_notify_received());
  EXPECT_EQ(stopped.wait_for(milliseconds(50)), std::future_status::timeout)
      << "stopped with a request in flight";
  in_flight->post([](RequestHandler& later) { send_text(later, 200, "finished"); });
  auto response = busy.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "finished");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(busy.closed_by_peer());
  EXPECT_TRUE(busy.close_notify_received());
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  stopper.join();
  serving.join();
}

// The same requests over plain HTTP and over TLS: the same access log
// lines (but the port) and the same counters in /metrics.
TEST(Https, RequestsAreLoggedAndCountedAsOverPlainHttp) {
  auto run = [](bool tls) {
    testing::TempFolder folder("https-log");
    AccessLogOptions log_options;
    log_options.path = folder.file("access.log");
    AccessLog log(log_options);
    Metrics metrics;
    HandlerTable table = hello_table();
    metrics.install(table);
    ServerOptions options = tls ? tls_options() : testing::quiet_options();
    options.request_logger = log.combined_logger();
    std::string scrape;
    {
      TestServer server(table, options);
      std::unique_ptr<testing::RawClient> client =
          tls ? std::make_unique<TlsClient>(server.port())
              : std::make_unique<testing::RawClient>(server.port());
      EXPECT_TRUE(client->connected());
      EXPECT_TRUE(client->send(get("/counted", "User-Agent: parity\r\nReferer: /from\r\n") +
                               get("/second") + get("/metrics")));
      for (int i = 0; i < 3; ++i) {
        auto response = client->read_response();
        EXPECT_TRUE(response);
        if (response) scrape = response->body;
      }
    }
    log.flush();
    std::ifstream in(log_options.path);
    std::string lines, line;
    while (std::getline(in, line)) {
      // The time of day differs between the runs.
      size_t open = line.find('['), close = line.find(']');
      if (open != std::string::npos && close != std::string::npos) line.erase(open, close - open);
      lines += line + "\n";
    }
    std::string counters;
    std::istringstream samples(scrape);
    while (std::getline(samples, line)) {
      for (const char* name : {"basehttp_requests_total", "basehttp_responses_total",
                               "basehttp_connections_accepted_total"}) {
        if (line.rfind(name, 0) == 0) counters += line + "\n";
      }
    }
    return std::make_pair(lines, counters);
  };
  auto plain = run(false);
  auto tls = run(true);
  EXPECT_NE(plain.first.find("\"GET /counted HTTP/1.1\" 200 14 \"/from\" \"parity\""),
            std::string::npos)
      << plain.first;
  EXPECT_EQ(tls.first, plain.first);
  EXPECT_NE(plain.second.find("basehttp_requests_total "), std::string::npos) << plain.second;
  EXPECT_EQ(tls.second, plain.second);
}

// A reader that takes nothing while the server produces 32 MiB, then reads
// it all: the producer is held at the high-water mark, and the process
// never holds more than a fraction of the response.
TEST(Https, ASlowReaderOfALargeResponseKeepsMemoryBounded) {
  constexpr uint64_t kTotal = 32ull << 20;
  std::shared_ptr<testing::Producer> producer;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    handler.send_response(200);
    handler.send_header("Content-Length", std::to_string(kTotal));
    producer = std::make_shared<testing::Producer>();
    producer->stream = handler.stream();
    producer->left = kTotal;
    producer->pump();
  });
  ServerOptions options = tls_options();
  TestServer server(table, options);
  ASSERT_TRUE(testing::reset_peak_resident());
  long peak_before = testing::peak_resident_kib();
  TlsClient client(server.port(), TlsClient::Duration(60000), 64 * 1024);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(get("/big")));
  // The client reads nothing until the producer has to wait for it.
  EXPECT_TRUE(eventually_in_loop(server, [&] { return producer && !producer->stream.writable(); }));
  auto head = client.read_interim();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->status, 200);
  EXPECT_EQ(client.discard(kTotal), kTotal);
  long growth_kib = testing::peak_resident_kib() - peak_before;
  EXPECT_LT(growth_kib, 16 * 1024) << "32 MiB sent should not be held in memory";
  uint64_t most_queued = 0;
  server.run_in_loop([&] { most_queued = producer->most_queued; });
  EXPECT_LE(most_queued, options.output_high_water + 64 * 1024);
}

// HTTP/1.0 has no chunked encoding: the body ends with the stream. Over
// TLS that end must be the close_notify alert, or the client cannot tell
// the whole body from a cut one.
TEST(Https, ACloseDelimitedBodyEndsWithCloseNotify) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    handler.send_response(200);
    testing::tick_events(handler.stream(), handler.server().loop(), 3, milliseconds(10));
  });
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET /events HTTP/1.0\r\n\r\n"));
  std::string all = client.read_until_close();
  EXPECT_TRUE(all.ends_with("\r\n\r\ndata: tick 3\n\ndata: tick 2\n\ndata: tick 1\n\n")) << all;
  EXPECT_TRUE(client.close_notify_received());
}

// The other way round: a response cut short must not end with
// close_notify, which would vouch for a truncated body (for a
// close-delimited HTTP/1.0 body, the only sign the client has). Cut by a
// throw of its producer, its handler or a deferred completion, by
// send_error() after it began, or short of its Content-Length; an earlier
// pipelined response still arrives whole.
TEST(Https, ACutResponseEndsWithoutCloseNotify) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    std::string path(handler.path());
    if (path == "/whole") return send_text(handler, 200, "whole");
    if (path == "/deferred") {
      DeferredResponse deferred = handler.defer();
      handler.server().loop().run_after(milliseconds(1), [deferred] {
        deferred.complete([](RequestHandler& later) {
          later.send_response(200);
          later.end_headers();
          later.write("part");
          throw std::runtime_error("completion failed");
        });
      });
      return;
    }
    handler.send_response(200);
    if (path == "/short") handler.send_header("Content-Length", "10");
    if (path != "/producer") {
      handler.end_headers();
      handler.write("part");
      if (path == "/handler") throw std::runtime_error("handler failed");
      if (path == "/error") handler.send_error(500);
      return;
    }
    ResponseStream stream = handler.stream();
    stream.write("part");
    stream.on_drain([] { throw std::runtime_error("producer failed"); });
  });
  TestServer server(table, tls_options());
  for (const char* path : {"/producer", "/handler", "/deferred", "/error", "/short"}) {
    for (const char* version : {"HTTP/1.0", "HTTP/1.1"}) {
      std::string where = std::string(path) + " " + version;
      TlsClient client(server.port());
      ASSERT_TRUE(client.connected());
      std::string ask =
          std::string(" ") + version + "\r\nHost: l\r\nConnection: keep-alive\r\n\r\n";
      ASSERT_TRUE(client.send("GET /whole" + ask + "GET " + path + ask));
      auto whole = client.read_response();
      ASSERT_TRUE(whole) << where;
      EXPECT_EQ(whole->body, "whole") << where;
      std::string rest;
      EXPECT_TRUE(client.closed_by_peer(&rest)) << where;
      bool chunked = rest.find("Transfer-Encoding: chunked") != std::string::npos;
      EXPECT_TRUE(rest.ends_with(chunked ? "\r\n\r\n4\r\npart\r\n" : "\r\n\r\npart"))
          << where << ": " << rest;
      EXPECT_FALSE(client.close_notify_received()) << where << ": a cut body vouched for";
    }
  }
}

// A client that sends its body at once (without waiting for 100) to a
// handler that refuses it still gets the answer: the server reads on and
// drops the body (lingering close) rather than resetting the connection.
TEST(Https, ARefusalReachesAClientStillSendingItsBody) {
  HandlerTable table = hello_table();
  ServerOptions options = tls_options();
  options.limits.max_body_bytes = 1000;
  TestServer server(table, options);
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  std::string head = "POST /big HTTP/1.1\r\nHost: l\r\nContent-Length: 20000000\r\n\r\n";
  ASSERT_TRUE(client.send(head + std::string(256 * 1024, 'b')));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("Connection"), "close");
}

// A client that sends close_notify after its requests (a TLS half-close,
// like a plain client's shutdown(SHUT_WR)) still gets every answer. (As
// over plain HTTP, a client that half-closes while its answer is deferred
// is taken to have left: see Session::on_hangup_while_paused.)
TEST(Https, AnswersAClientThatSentCloseNotify) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(get("/a") + get("/b") + get("/c")));
  client.shutdown_write();
  for (const char* path : {"/a", "/b", "/c"}) {
    auto response = client.read_response();
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->body, std::string("hello ") + path);
  }
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(client.close_notify_received());
}

// A file larger than the socket buffers, to a client with a small receive
// window: the bounded copy path is refused by a full socket again and
// again, and must offer OpenSSL the same bytes each time it retries.
TEST(Https, AStaticFileToASlowReaderIsByteIdentical) {
  testing::TempFolder folder("https-slow-file");
  std::string content(8 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::ofstream(folder.file("large.bin"), std::ios::binary) << content;
  StaticFilesOptions files_options;
  files_options.root = folder.path();
  StaticFiles files(files_options);
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) { files.handle(handler); });
  TestServer server(table, tls_options());
  TlsClient client(server.port(), TlsClient::Duration(60000), 16 * 1024);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(get("/large.bin") + get("/large.bin", "Range: bytes=1000000-\r\n")));
  // The server fills the window before anything is read.
  EXPECT_TRUE(
      eventually_in_loop(server, [&] { return server.server().queued_output_bytes() > 0; }));
  auto whole = client.read_response();
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_TRUE(whole->body == content) << whole->body.size() << " bytes";
  auto tail = client.read_response();
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->status, 206);
  EXPECT_TRUE(tail->body == content.substr(1000000)) << tail->body.size() << " bytes";
}

// A client that leaves over TLS (here without close_notify, as a killed
// process would) is noticed as over plain HTTP: a deferred response's
// completion is a reported no-op, a stream's producer is told.
TEST(Https, AClientThatLeavesIsNoticedByDeferredAndStreamedResponses) {
  std::promise<DeferredResponse> handed_over;
  std::atomic<bool> told{false};
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    if (handler.path() == "/deferred") return handed_over.set_value(handler.defer());
    handler.send_response(200);
    ResponseStream stream = handler.stream();
    stream.write("first part");
    stream.on_close([&] { told = true; });
  });
  TestServer server(table, tls_options());
  auto future = handed_over.get_future();
  {
    TlsClient waiting(server.port());
    TlsClient streamed(server.port());
    ASSERT_TRUE(waiting.connected() && streamed.connected());
    ASSERT_TRUE(waiting.send(get("/deferred")));
    ASSERT_TRUE(streamed.send(get("/stream")));
    ASSERT_TRUE(streamed.read_interim());
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  }  // both leave
  DeferredResponse deferred = future.get();
  EXPECT_TRUE(eventually_in_loop(server, [&] { return !deferred.pending() && told; }));
  std::promise<bool> result;
  deferred.post([](RequestHandler&) { ADD_FAILURE() << "completed for a client that left"; },
                [&result](bool completed) { result.set_value(completed); });
  auto completed = result.get_future();
  ASSERT_EQ(completed.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(completed.get());
  size_t open = 1;
  EXPECT_TRUE(eventually_in_loop(server,
                                 [&] {
                                   open = server.server().connection_count();
                                   return open == 0;
                                 }))
      << open << " connections still open";
}

// The upload half of the 100 MiB pair (tests/integration/tls_faults_test.py
// downloads through basehttpd, whose CGI takes bodies of at most
// limits.max_body_bytes): a streamed PUT, hashed piece by piece as it
// Idle past idle_release_after: the connection gives back its buffers,
// and the next requests (one pipelined behind a partial one, whose rest
// comes after another idle period) make them again.
TEST(Https, AConnectionIdleLongEnoughToGiveBackItsBuffersStillWorks) {
  ServerOptions options = tls_options();
  options.idle_release_after = milliseconds(50);
  options.keep_alive_timeout = milliseconds(5000);
  HandlerTable table = hello_table();
  TestServer server(table, options);
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get("/again")));
    auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "hello /again");
    ASSERT_TRUE(client.silent_for(milliseconds(150)));
  }
  ASSERT_TRUE(client.send(get("/p1") + "GET /p2 HTTP/1.1\r\nHo"));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "hello /p1");
  ASSERT_TRUE(client.silent_for(milliseconds(150)));
  ASSERT_TRUE(client.send("st: l\r\n\r\n"));
  auto second = client.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "hello /p2");
}

// arrives, answers the sha256 of what it was given.
TEST(Https, HundredMebibyteUploadIsByteIdentical) {
  using Digest = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
  auto hex = [](EVP_MD_CTX* context) {
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context, sum, &size);
    std::string text;
    for (unsigned int i = 0; i < size; ++i) {
      static constexpr char kDigits[] = "0123456789abcdef";
      text += kDigits[sum[i] >> 4];
      text += kDigits[sum[i] & 0xf];
    }
    return text;
  };
  HandlerTable table;
  table.on_streaming("PUT", [&hex](RequestHandler& handler) {
    auto digest = std::make_shared<Digest>(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(digest->get(), EVP_sha256(), nullptr);
    auto bytes = std::make_shared<uint64_t>(0);
    handler.read_body(
        [digest, bytes](std::string_view piece) {
          EVP_DigestUpdate(digest->get(), piece.data(), piece.size());
          *bytes += piece.size();
        },
        [digest, bytes, &hex](RequestHandler& done) {
          testing::send_text(done, 200, hex(digest->get()) + " " + std::to_string(*bytes));
        });
  });
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  constexpr size_t kSize = size_t{100} << 20;
  ASSERT_TRUE(client.send(
      "PUT /up HTTP/1.1\r\nHost: l\r\nContent-Length: " + std::to_string(kSize) + "\r\n\r\n"));
  Digest sent(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(sent.get(), EVP_sha256(), nullptr);
  std::string piece(1 << 20, '\0');
  uint32_t state = 16;
  for (size_t offset = 0; offset < kSize; offset += piece.size()) {
    for (char& byte : piece) {  // xorshift: every MiB differs from the last
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      byte = static_cast<char>(state);
    }
    EVP_DigestUpdate(sent.get(), piece.data(), piece.size());
    ASSERT_TRUE(client.send(piece)) << "at " << offset;
  }
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, hex(sent.get()) + " " + std::to_string(kSize));
}

}  // namespace
}  // namespace basehttp
