// Session and SessionTable, driven through a ServerContext and a
// socketpair: no HTTPServer, no listener, no port. The loop runs on the
// test's thread until the client end has what the test waits for, or a
// deadline passes.
#include "http/session.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "http/server_context.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;

class SessionHarness {
 public:
  explicit SessionHarness(const HandlerTable& table,
                          ServerOptions options = testing::quiet_options())
      : context_(loop_, table, std::move(options)) {}
  ~SessionHarness() {
    for (int fd : clients_)
      ::close(fd);
  }

  /// A new connection: its session in the table, and the client's end.
  int connect(Session** session = nullptr) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    clients_.push_back(fds[0]);
    Session& opened = context_.sessions.open(context_, FileDescriptor(fds[1]),
                                             *SocketAddress::parse("127.0.0.1", 40000));
    if (session != nullptr) *session = &opened;
    return fds[0];
  }

  /// Runs the loop until `done` holds (checked after each iteration's
  /// work) or five seconds pass; false on the deadline.
  bool run_until(const std::function<bool()>& done) {
    bool met = false;
    EventLoop::TimerId check = loop_.run_every(milliseconds(1), [&] {
      if (done()) {
        met = true;
        loop_.stop();
      }
    });
    EventLoop::TimerId deadline = loop_.run_after(std::chrono::seconds(5), [&] { loop_.stop(); });
    loop_.run();
    loop_.cancel(check);
    loop_.cancel(deadline);
    return met;
  }

  /// Sends `request` from `client` and returns what arrives until it
  /// holds `until` (or the peer closes, or the deadline).
  std::string exchange(int client, std::string_view request, std::string_view until) {
    EXPECT_EQ(::write(client, request.data(), request.size()),
              static_cast<ssize_t>(request.size()));
    std::string received;
    bool closed = false;
    run_until([&] {
      char chunk[4096];
      ssize_t n;
      while ((n = ::read(client, chunk, sizeof(chunk))) > 0)
        received.append(chunk, static_cast<size_t>(n));
      closed |= n == 0;
      return closed || received.find(until) != std::string::npos;
    });
    return received;
  }

  ServerContext& context() { return context_; }
  EventLoop& loop() { return loop_; }

 private:
  EventLoop loop_;
  ServerContext context_;
  std::vector<int> clients_;
};

constexpr std::string_view kGet = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

HandlerTable hello_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    handler.respond(200, "text/plain", "hello " + std::string(handler.path()));
  });
  return table;
}

TEST(Session, AnswersRequestsOnTheSameConnection) {
  HandlerTable table = hello_table();
  SessionHarness harness(table);
  int client = harness.connect();
  for (int i = 0; i < 2; ++i) {
    std::string response = harness.exchange(client, kGet, "hello /x");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    EXPECT_NE(response.find("Content-Length: 8\r\n"), std::string::npos) << response;
  }
  EXPECT_EQ(harness.context().stats.requests, 2u);
  EXPECT_EQ(harness.context().sessions.size(), 1u);
}

TEST(Session, BadRequestIsAnsweredAndTheConnectionClosed) {
  HandlerTable table = hello_table();
  SessionHarness harness(table);
  int client = harness.connect();
  // Read until the server closes.
  std::string response =
      harness.exchange(client, "GET /x HTTP/1.1\r\nHost: a b\r\n\r\n", "not in any response");
  EXPECT_EQ(response.rfind("HTTP/1.1 400 ", 0), 0u) << response;
  EXPECT_NE(response.find("Connection: close\r\n"), std::string::npos);
  // The server lingers for the client's end of stream, then closes, and the
  // session is destroyed at the end of a loop iteration.
  ::shutdown(client, SHUT_WR);
  EXPECT_TRUE(harness.run_until([&] { return harness.context().sessions.size() == 0; }));
  EXPECT_EQ(harness.context().stats.parse_error_count(ParseErrorKind::kBadRequest), 1u);
}

TEST(Session, DrainingMakesResponsesSayClose) {
  HandlerTable table = hello_table();
  SessionHarness harness(table);
  int client = harness.connect();
  harness.context().draining = true;
  std::string response = harness.exchange(client, kGet, "hello /x");
  EXPECT_NE(response.find("Connection: close\r\n"), std::string::npos) << response;
}

TEST(Session, HeaderTimeoutAnswers408) {
  HandlerTable table = hello_table();
  ServerOptions options = testing::quiet_options();
  options.header_timeout = milliseconds(50);
  SessionHarness harness(table, options);
  int client = harness.connect();
  std::string response = harness.exchange(client, "GET /x HTTP/1.1\r\n", "\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 408 ", 0), 0u) << response;
  EXPECT_EQ(harness.context().stats.timeout_count(TimeoutKind::kHeader), 1u);
}

TEST(SessionTable, AStaleHandleSaysGone) {
  HandlerTable table;
  DeferredResponse handle;
  table.on("GET", [&](RequestHandler& handler) { handle = handler.defer(); });
  SessionHarness harness(table);
  int client = harness.connect();
  ASSERT_EQ(::write(client, kGet.data(), kGet.size()), static_cast<ssize_t>(kGet.size()));
  ASSERT_TRUE(harness.run_until([&] { return static_cast<bool>(handle); }));
  ASSERT_TRUE(handle.pending());
  // The client leaves: its session closes and is destroyed; the slot is reused.
  ::shutdown(client, SHUT_RDWR);
  EXPECT_TRUE(harness.run_until([&] { return harness.context().sessions.size() == 0; }));
  EXPECT_FALSE(handle.pending());
  harness.connect();  // takes the freed slot, one generation on
  bool ran = false;
  EXPECT_FALSE(handle.pending());
  EXPECT_FALSE(handle.complete([&](RequestHandler&) { ran = true; }));
  EXPECT_FALSE(ran);
  EXPECT_EQ(harness.context().sessions.size(), 1u);
}

TEST(SessionTable, FindsOnlyTheGenerationItWasGiven) {
  HandlerTable table = hello_table();
  SessionHarness harness(table);
  Session* first = nullptr;
  int client = harness.connect(&first);
  EXPECT_EQ(harness.context().sessions.find(0, 0), first);
  EXPECT_EQ(harness.context().sessions.find(0, 1), nullptr);
  EXPECT_EQ(harness.context().sessions.find(1, 0), nullptr);
  ::shutdown(client, SHUT_RDWR);
  EXPECT_TRUE(harness.run_until([&] { return harness.context().sessions.size() == 0; }));
  EXPECT_EQ(harness.context().sessions.find(0, 0), nullptr);
  Session* second = nullptr;
  harness.connect(&second);
  EXPECT_EQ(harness.context().sessions.find(0, 1), second);  // the slot, one generation on
  EXPECT_EQ(harness.context().sessions.find(0, 0), nullptr);
}

ServerOptions parking_options(milliseconds keep_alive = milliseconds(5000)) {
  ServerOptions options = testing::quiet_options();
  options.idle_release_after = milliseconds(20);
  options.keep_alive_timeout = keep_alive;
  return options;
}

TEST(SessionTable, AnIdleConnectionIsParkedAndItsNextRequestWakesIt) {
  HandlerTable table = hello_table();
  SessionHarness harness(table, parking_options());
  SessionTable& sessions = harness.context().sessions;
  int client = harness.connect();
  EXPECT_NE(harness.exchange(client, kGet, "hello /x").find("200 OK"), std::string::npos);
  ASSERT_TRUE(harness.run_until([&] { return sessions.parked() == 1; }));
  EXPECT_EQ(sessions.size(), 1u);
  // A request and a partial one: the woken session answers the first and
  // keeps the rest, which another parking must not lose.
  std::string response =
      harness.exchange(client, std::string(kGet) + "GET /y HTTP/1.1\r\nHo", "hello /x");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_EQ(sessions.parked(), 0u);
  EXPECT_NE(harness.exchange(client, "st: t\r\n\r\n", "hello /y").find("hello /y"),
            std::string::npos);
  ASSERT_TRUE(harness.run_until([&] { return sessions.parked() == 1; }));
  EXPECT_NE(harness.exchange(client, kGet, "hello /x").find("hello /x"), std::string::npos);
  EXPECT_EQ(harness.context().stats.requests, 4u);
}

TEST(SessionTable, AParkedConnectionClosesAtItsKeepAliveDeadline) {
  HandlerTable table = hello_table();
  SessionHarness harness(table, parking_options(milliseconds(300)));
  SessionTable& sessions = harness.context().sessions;
  int client = harness.connect();
  harness.exchange(client, kGet, "hello /x");
  ASSERT_TRUE(harness.run_until([&] { return sessions.parked() == 1; }));
  ASSERT_TRUE(harness.run_until([&] { return sessions.size() == 0; }));
  EXPECT_EQ(sessions.parked(), 0u);
  EXPECT_EQ(harness.context().stats.timeout_count(TimeoutKind::kKeepAlive), 1u);
  char byte;
  EXPECT_EQ(::read(client, &byte, 1), 0);  // an orderly close
}

TEST(SessionTable, AParkedConnectionWhosePeerLeavesIsClosed) {
  HandlerTable table = hello_table();
  SessionHarness harness(table, parking_options());
  SessionTable& sessions = harness.context().sessions;
  int client = harness.connect();
  harness.exchange(client, kGet, "hello /x");
  ASSERT_TRUE(harness.run_until([&] { return sessions.parked() == 1; }));
  ::shutdown(client, SHUT_WR);
  EXPECT_TRUE(harness.run_until([&] { return sessions.size() == 0; }));
  EXPECT_EQ(sessions.parked(), 0u);
}

TEST(SessionTable, AHandleFromBeforeParkingFindsNothing) {
  HandlerTable table = hello_table();
  SessionHarness harness(table, parking_options());
  SessionTable& sessions = harness.context().sessions;
  Session* session = nullptr;
  int client = harness.connect(&session);
  harness.exchange(client, kGet, "hello /x");
  EXPECT_EQ(sessions.find(0, 0), session);
  ASSERT_TRUE(harness.run_until([&] { return sessions.parked() == 1; }));
  EXPECT_EQ(sessions.find(0, 0), nullptr);
  EXPECT_EQ(sessions.find(0, 1), nullptr);  // parked: no exchange to find
  harness.exchange(client, kGet, "hello /x");
  EXPECT_NE(sessions.find(0, 1), nullptr);  // the woken session, one generation on
  EXPECT_EQ(sessions.find(0, 0), nullptr);
}

TEST(SessionTable, ShutdownClosesParkedConnections) {
  HandlerTable table = hello_table();
  SessionHarness harness(table, parking_options());
  SessionTable& sessions = harness.context().sessions;
  int client = harness.connect();
  harness.exchange(client, kGet, "hello /x");
  ASSERT_TRUE(harness.run_until([&] { return sessions.parked() == 1; }));
  sessions.close_parked(/*abort=*/false);
  EXPECT_TRUE(harness.run_until([&] { return sessions.size() == 0; }));
  char byte;
  EXPECT_EQ(::read(client, &byte, 1), 0);
}

// Issue 17's goal: an idle keep-alive connection costs at most 256 bytes
// of user-space memory (uWebSockets needs about 270, nginx about 520).
// What it holds is its ParkedSession block and its table slot; the Session
// it had while busy, 488 bytes then, is gone. The bound leaves the rest of
// the 256 to what the measure by RSS (benchmarks/compare.py --memory)
// also sees: the slot array's spare capacity and the pools' part-used
// chunks. A change that grows what a parked connection keeps fails here.
static_assert(sizeof(ParkedSession) <= 112, "an idle connection must stay small: see above");

TEST(SessionTable, AnIdleConnectionHoldsAtMost256Bytes) {
  EXPECT_LE(SessionTable::parked_bytes(), 128u);
  HandlerTable table = hello_table();
  SessionHarness harness(table, parking_options());
  SessionTable& sessions = harness.context().sessions;
  constexpr size_t kConnections = 1000;
  std::vector<int> clients;
  for (size_t i = 0; i < kConnections; ++i) {
    int client = harness.connect();
    clients.push_back(client);
    ASSERT_EQ(::write(client, kGet.data(), kGet.size()), static_cast<ssize_t>(kGet.size()));
  }
  // Every connection served at once, then idle: each was a whole Session.
  ASSERT_TRUE(harness.run_until([&] { return sessions.parked() == kConnections; }));
  // What the busy Sessions took is given back but for one spare chunk.
  EXPECT_LE(sessions.held_bytes(), kConnections * 256) << sessions.held_bytes() / kConnections;
  for (int client : clients) {
    std::string response;
    char chunk[256];
    ssize_t n;
    while ((n = ::read(client, chunk, sizeof(chunk))) > 0)
      response.append(chunk, static_cast<size_t>(n));
    EXPECT_NE(response.find("hello /x"), std::string::npos);
  }
}

}  // namespace
}  // namespace basehttp
