// Tests the RequestHandler API over loopback: the request accessors, the
// Server/Date headers, send_error's page, logging in Python's format,
// close_connection, header sanitising, and handlers that fail (before
// and after their response began).
#include "http/request_handler.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include <mutex>
#include <regex>
#include <stdexcept>

#include "http/log_writer.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::exchange;
using testing::LogCapture;
using testing::RawClient;
using testing::send_text;
using testing::TestServer;

// GET's entry is found without a scan: wherever it was registered, after
// a replacement, in a copy of the table, and never for a method that only
// looks like it.
TEST(HandlerTable, FindsGetWhereverItWasRegisteredAndInCopies) {
  HandlerTable table;
  EXPECT_EQ(table.find_entry("GET"), nullptr);
  table.on("POST", [](RequestHandler&) {}).on("SPAM", [](RequestHandler&) {});
  EXPECT_EQ(table.find_entry("GET"), nullptr);
  table.on("GET", [](RequestHandler&) {}).on("GE", [](RequestHandler&) {});
  table.on_streaming("GET", [](RequestHandler&) {});  // replaces it
  HandlerTable copy = table;
  table.on("PUT", [](RequestHandler&) {});  // may move the original's entries
  for (const HandlerTable* each : {&table, &copy}) {
    const HandlerTable::Entry* get = each->find_entry("GET");
    ASSERT_NE(get, nullptr);
    EXPECT_EQ(get->method, "GET");
    EXPECT_TRUE(get->streams_body);
    EXPECT_EQ(each->find_entry("GE")->method, "GE");
    EXPECT_EQ(each->find_entry("GEt"), nullptr);
    EXPECT_EQ(each->find_entry("get"), nullptr);
    EXPECT_EQ(each->find_entry("GETS"), nullptr);
    EXPECT_EQ(each->find_entry("SPAM")->method, "SPAM");
  }
  EXPECT_EQ(copy.find_entry("PUT"), nullptr);
}

TEST(RequestHandler, ExposesTheRequestLikePython) {
  HandlerTable table;
  std::mutex mutex;
  std::vector<std::string> seen;
  table.on("PATCH", [&](RequestHandler& h) {
    std::lock_guard<std::mutex> lock(mutex);
    seen = {std::string(h.command()),
            std::string(h.path()),
            std::string(h.request_version()),
            std::string(h.requestline()),
            std::string(h.headers().get("x-one", "")),
            std::to_string(h.headers().get_all("X-Many").size()),
            std::string(h.body()),
            h.client_address().host(),
            h.address_string(),
            std::to_string(&h.server() == nullptr),
            h.close_connection() ? "close" : "keep"};
    send_text(h, 200, "ok");
  });
  TestServer server(table);
  auto response = exchange(server.port(),
                           "PATCH /p?q=1 HTTP/1.1\r\nHost: t\r\nX-One: 1\r\nX-Many: a\r\n"
                           "x-many: b\r\nContent-Length: 4\r\n\r\nbody");
  ASSERT_TRUE(response);
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"PATCH", "/p?q=1", "HTTP/1.1", "PATCH /p?q=1 HTTP/1.1", "1",
                                      "2", "body", "127.0.0.1", "127.0.0.1", "0", "keep"}));
}

TEST(RequestHandler, EveryResponseCarriesServerAndDate) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) { send_text(h, 200, h.version_string()); });
  ServerOptions options = testing::quiet_options();
  options.server_version = "Test/1.2";
  options.sys_version = "Extra/3";
  TestServer server(table, options);
  auto response = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Server"), "Test/1.2 Extra/3");
  EXPECT_EQ(response->body, "Test/1.2 Extra/3");
  std::regex imf(R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT)");
  EXPECT_TRUE(std::regex_match(response->header("Date"), imf)) << response->header("Date");
}

TEST(RequestHandler, SendErrorBuildsThePageFromTheFormat) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    if (h.path() == "/custom") {
      h.send_error(404, "Gone <fishing>", "Try & see");
    } else {
      h.send_error(403);
    }
  });
  ServerOptions options = testing::quiet_options();
  options.error_message_format = "[{code}|{message}|{explain}|{other}]";
  options.error_content_type = "text/x-error";
  TestServer server(table, options);
  auto custom = exchange(server.port(), "GET /custom HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->status, 404);
  EXPECT_EQ(custom->reason, "Gone <fishing>");
  EXPECT_EQ(custom->body, "[404|Gone &lt;fishing&gt;|Try &amp; see|{other}]");
  EXPECT_EQ(custom->header("Content-Type"), "text/x-error");
  auto plain = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->reason, "Forbidden");
  EXPECT_EQ(plain->body,
            "[403|Forbidden|" + std::string(StatusTable::standard().explain(403)) + "|{other}]");
}

TEST(RequestHandler, OverriddenReasonPhrasesAreUsed) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) { send_text(h, 299, "custom"); });
  ServerOptions options = testing::quiet_options();
  options.responses.set(299, "Quite Fine", "A code of our own");
  TestServer server(table, options);
  auto response = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 299);
  EXPECT_EQ(response->reason, "Quite Fine");
}

TEST(RequestHandler, LogsInPythonsFormat) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    h.log_message("custom %d %s", 42, "line\x1b[31m");
    send_text(h, 200, "ok");
  });
  LogCapture log;
  ServerOptions options;
  options.log_sink = log.sink();
  {
    TestServer server(table, options);
    ASSERT_TRUE(exchange(server.port(), "GET /logged HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(exchange(server.port(), "NOPE /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 4u);
  std::string stamp = R"(127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d\] )";
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(stamp + R"(custom 42 line\\x1b\[31m\n)")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(stamp + R"("GET /logged HTTP/1\.1" 200 -\n)")))
      << lines[1];
  EXPECT_TRUE(std::regex_match(
      lines[2], std::regex(stamp + R"(code 501, message Unsupported method \('NOPE'\)\n)")))
      << lines[2];
  EXPECT_TRUE(std::regex_match(lines[3], std::regex(stamp + R"("NOPE /x HTTP/1\.1" 501 -\n)")))
      << lines[3];
}

// Python 3.12's escaping, on bytes: C0, DEL and C1 controls as \xNN
// (the 8-bit CSI 0x9b too, and U+009B's UTF-8 form), a backslash doubled
// so that a client's own "\x1b" cannot pass for an escape, bytes outside
// UTF-8 as \xNN; well-formed UTF-8 text as it is.
TEST(RequestHandler, LogLinesCarryNoTerminalControls) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    h.log_message("said %s",
                  "\x9b"
                  "31m \xc2\x9b"
                  "1m \\x1b \x1b");
    send_text(h, 200, "ok");
  });
  LogCapture log;
  ServerOptions options;
  options.log_sink = log.sink();
  {
    TestServer server(table, options);
    ASSERT_TRUE(exchange(server.port(),
                         "GET /\x9b"
                         "31m/\xc2\x9b/\\x1b/\xc3\xa9/\xe9/\xe6\x97\xa5/\"q\" HTTP/1.1\r\n"
                         "Host: t\r\n\r\n"));
  }
  std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  std::string stamp = R"(127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d\] )";
  std::string message = lines[0].substr(lines[0].find("] ") + 2);
  EXPECT_EQ(message, "said \\x9b31m \\xc2\\x9b1m \\\\x1b \\x1b\n");
  std::string request = lines[1].substr(lines[1].find("] ") + 2);
  EXPECT_EQ(
      request,
      "\"GET /\\x9b31m/\\xc2\\x9b/\\\\x1b/\xc3\xa9/\\xe9/\xe6\x97\xa5/\"q\" HTTP/1.1\" 200 -\n");
}

/// What the process writes to fd 2 while `action` runs.
std::string captured_stderr(const std::function<void()>& action) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK), 0);
  std::fflush(stderr);
  int saved = ::dup(2);
  ::dup2(pipe_fds[1], 2);
  action();
  // The default log's lines are written by its thread: wait for it.
  EXPECT_TRUE(stderr_log_writer().flush(std::chrono::seconds(10)));
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(pipe_fds[1]);
  std::string text;
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], chunk, sizeof chunk)) > 0)
    text.append(chunk, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  return text;
}

TEST(RequestHandler, AnEmptySinkTurnsLoggingOff) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    h.log_message("the marker line");
    send_text(h, 200, "ok");
  });
  auto serve_one = [&](ServerOptions options) {
    return captured_stderr([&] {
      TestServer server(table, options);
      auto response = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      ASSERT_TRUE(response);
      EXPECT_EQ(response->status, 200);
    });
  };
  // The default sink writes to stderr, which the capture sees...
  EXPECT_NE(serve_one(ServerOptions{}).find("the marker line"), std::string::npos);
  // ...and an empty one writes nothing at all.
  EXPECT_EQ(serve_one(testing::quiet_options()), "");
}

TEST(RequestHandler, LogRequestAndLogErrorWriteTheirLines) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    h.log_request(404, 12);
    h.log_error("disk %s at %d%%", "full", 97);
    h.respond(200, "text/plain", "ok");
  });
  LogCapture log;
  ServerOptions options;
  options.log_sink = log.sink();
  {
    TestServer server(table, options);
    ASSERT_TRUE(exchange(server.port(), "GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  std::vector<std::string> lines = log.lines();
  ASSERT_GE(lines.size(), 2u);
  std::string stamp = R"(127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d\] )";
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(stamp + R"("GET /x HTTP/1\.1" 404 12\n)")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(stamp + R"(disk full at 97%\n)"))) << lines[1];
}

TEST(RequestHandler, FlushHeadersSendsTheHeadBeforeTheHandlerReturns) {
  int client_fd = -1;
  std::atomic<bool> polled{false};
  bool head_was_out = false;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& h) {
    h.send_response(200);
    h.send_header("Content-Length", "4");
    h.end_headers();
    h.flush_headers();  // as Python's end_headers() does; otherwise it waits for the batch's end
    // Still inside the handler: the client's socket already has the head
    // (the client reads nothing until this poll is done).
    pollfd readable{client_fd, POLLIN, 0};
    head_was_out = ::poll(&readable, 1, 5000) == 1;
    polled = true;
    h.write("body");
  });
  TestServer server(table);
  RawClient client(server.port());
  client_fd = client.fd();
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!polled && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();  // awaiting the handler's look, bounded
  }
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "body");
  EXPECT_TRUE(polled);
  EXPECT_TRUE(head_was_out);
}

TEST(RequestHandler, AHandlerMayCloseTheConnection) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    h.set_close_connection(true);
    send_text(h, 200, "last");
  });
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST(RequestHandler, ConnectionHeaderFromTheHandlerDecides) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    h.send_response(200);
    h.send_header("Connection", "close");
    h.send_header("Content-Length", "0");
    h.end_headers();
  });
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header_count("Connection"), 1u);
  EXPECT_TRUE(client.closed_by_peer());
}

TEST(RequestHandler, HeaderValuesCannotSplitTheResponse) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    h.send_response(200);
    h.send_header("X-Echo", "a\r\nSet-Cookie: evil=1");
    h.send_header("Content-Length", "0");
    h.end_headers();
  });
  TestServer server(table);
  auto response = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->has_header("Set-Cookie"));
  EXPECT_EQ(response->header("X-Echo"), "a  Set-Cookie: evil=1");
}

TEST(RequestHandler, AThrowingHandlerGets500AndOthersGoOn) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    if (h.path() == "/throw") throw std::runtime_error("boom");
    send_text(h, 200, "fine");
  });
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("GET /throw HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto failed = client.read_response();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "fine");
}

// A throw after part of the response was queued cannot be answered with a
// 500 any more; the response must not look complete either (a cache or a
// proxy would keep it): the connection closes where the response stopped.
HandlerTable throwing_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    std::string_view path = h.path();
    if (path == "/fine") return send_text(h, 200, "fine");
    h.send_response(200);
    if (path == "/after-status") throw std::runtime_error("after the status line");
    if (path == "/after-headers") {
      h.send_header("Content-Length", "0");
      h.end_headers();
      throw std::runtime_error("after a whole response");
    }
    h.end_headers();  // chunked
    h.write("part");
    throw std::runtime_error("mid-body");
  });
  return table;
}

TEST(RequestHandler, AThrowAfterTheStatusLineCutsTheHeaderSection) {
  HandlerTable table = throwing_table();
  LogCapture log;
  ServerOptions options;
  options.log_sink = log.sink();
  {
    TestServer server(table, options);
    RawClient client(server.port());
    ASSERT_TRUE(client.send("GET /after-status HTTP/1.1\r\nHost: t\r\n\r\n"));
    std::string all;
    EXPECT_TRUE(client.closed_by_peer(&all));
    EXPECT_TRUE(all.starts_with("HTTP/1.1 200 OK\r\n")) << all;
    EXPECT_EQ(all.find("\r\n\r\n"), std::string::npos) << "a complete head: " << all;
  }
  bool logged = false;
  for (const std::string& line : log.lines())
    logged |= line.find("handler failed: after the status line") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST(RequestHandler, AThrowMidBodyLeavesTheChunkedBodyUnterminated) {
  HandlerTable table = throwing_table();
  TestServer server(table);
  RawClient client(server.port());
  // The response before it was complete and goes out whole.
  ASSERT_TRUE(
      client.send("GET /fine HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /mid-body HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /fine HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "fine");
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_TRUE(rest.ends_with("\r\n\r\n4\r\npart\r\n")) << rest;
}

TEST(RequestHandler, AThrowAfterACompleteResponseClosesTheConnection) {
  HandlerTable table = throwing_table();
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("GET /after-headers HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /fine HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_EQ(rest, "");
}

// send_error() once part of the response is queued says the same as a
// throw: the response failed. Its chunked body must not be ended, nor a
// second status line put into its header section.
HandlerTable late_error_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    if (h.path() == "/fine") return send_text(h, 200, "fine");
    h.send_response(200);
    h.send_header("X-Early", "1");
    if (h.path() == "/in-head") return h.send_error(404);
    h.write("part");  // chunked
    h.send_error(500);
  });
  return table;
}

TEST(RequestHandler, SendErrorMidBodyLeavesTheChunkedBodyUnterminated) {
  HandlerTable table = late_error_table();
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("GET /mid-body HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /fine HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string all;
  EXPECT_TRUE(client.closed_by_peer(&all));
  EXPECT_TRUE(all.ends_with("\r\n\r\n4\r\npart\r\n")) << all;
}

TEST(RequestHandler, SendErrorInTheHeaderSectionCutsIt) {
  HandlerTable table = late_error_table();
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("GET /in-head HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /fine HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string all;
  EXPECT_TRUE(client.closed_by_peer(&all));
  EXPECT_TRUE(all.starts_with("HTTP/1.1 200 OK\r\n")) << all;
  EXPECT_TRUE(all.ends_with("X-Early: 1\r\n")) << all;
  EXPECT_EQ(all.find("404"), std::string::npos) << all;
}

TEST(RequestHandler, AHandlerThatSendsNothingGets500) {
  HandlerTable table;
  table.on("GET", [](RequestHandler&) {});
  TestServer server(table);
  auto response = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
}

TEST(RequestHandler, HeadFallsBackToTheGetHandler) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) { send_text(h, 200, std::string(h.command())); });
  TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = client.read_response(true);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Length"), "4");  // "HEAD"
}

TEST(RequestHandler, DateTimeStringsHaveTheirFormats) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    send_text(h, 200,
              h.date_time_string(784111777) + "|" + h.date_time_string() + "|" +
                  h.log_date_time_string());
  });
  TestServer server(table);
  auto response = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_TRUE(std::regex_match(
      response->body,
      std::regex(R"(Sun, 06 Nov 1994 08:49:37 GMT\|[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} )"
                 R"(\d\d:\d\d:\d\d GMT\|\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d)")))
      << response->body;
}

}  // namespace
}  // namespace basehttp
