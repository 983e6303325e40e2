// Tests reactor/connection over a transport on a socketpair: reads that a
// transport cuts short, writes taken in pieces or refused with -EAGAIN, a
// read that must first send (a TLS handshake) and a write that must first
// read, and the orderly close through the transport.
#include "reactor/connection.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "reactor/event_loop.hpp"
#include "reactor/fd_watch.hpp"
#include "tests/reactor/scripted_transport.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;

void watchdog(EventLoop& loop, milliseconds limit = milliseconds(5000)) {
  loop.run_after(limit, [&loop] {
    ADD_FAILURE() << "watchdog: the loop ran too long";
    loop.stop();
  });
}

// Collects the connection's input; `on_input` (if set) decides what to do.
struct RecordingHandler final : ConnectionHandler {
  std::string received;
  std::function<void(Connection&)> then;
  bool closed = false;
  void on_input(Connection& connection) override {
    received += std::string(connection.input().view());
    connection.input().retrieve_all();
    if (then) then(connection);
  }
  void on_peer_closed(Connection&) override {}
  void on_closed(Connection&) override { closed = true; }
};

struct Fixture {
  EventLoop loop;
  FileDescriptor peer;  // the test's end
  testing::ScriptedTransport* transport = nullptr;
  RecordingHandler handler;
  std::unique_ptr<Connection> connection;

  Fixture() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    peer.reset(fds[1]);
    auto owned = std::make_unique<testing::ScriptedTransport>();
    transport = owned.get();
    connection = std::make_unique<Connection>(loop, FileDescriptor(fds[0]),
                                              *SocketAddress::parse("127.0.0.1", 1), handler,
                                              std::move(owned));
    watchdog(loop);
  }
  void send(const std::string& bytes) {
    ASSERT_EQ(::write(peer.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Reads what the peer end holds; sets *eof at the end of the stream.
  std::string drain(bool* eof = nullptr) {
    std::string bytes;
    char chunk[65536];
    ssize_t n;
    while ((n = ::read(peer.get(), chunk, sizeof chunk)) > 0)
      bytes.append(chunk, static_cast<size_t>(n));
    if (n == 0 && eof != nullptr) *eof = true;
    return bytes;
  }
};

TEST(Connection, ReadsOnUntilTheTransportSaysEagain) {
  Fixture f;
  // Each read stops short of the room offered, as TLS does at a record's end:
  // that must not be taken for a drained socket (no new edge would come).
  f.transport->max_read = 7;
  std::string sent(100, 'r');
  f.send(sent);
  f.handler.then = [&](Connection&) {
    if (f.handler.received.size() == sent.size()) f.loop.stop();
  };
  f.connection->start();
  f.loop.run();
  EXPECT_EQ(f.handler.received, sent);
  EXPECT_GE(f.transport->reads, 15);
}

TEST(Connection, ReadThatMustFirstSendResumesWhenTheSocketIsWritable) {
  Fixture f;
  f.transport->reads_wanting_write = 1;  // the handshake goes out first
  f.send("request");
  f.handler.then = [&](Connection&) {
    if (f.handler.received == "request") f.loop.stop();
  };
  // The transport took "request" in with its first read; the socket holds
  // nothing. The peer takes the handshake, which frees room: EPOLLOUT,
  // without EPOLLIN, is the only event the connection gets.
  std::string handshake;
  FdWatch peer_watch(f.loop, f.peer.get(), true, false, [&](Readiness) { handshake += f.drain(); });
  f.connection->start();
  f.loop.run();
  EXPECT_EQ(handshake, "handshake");
  EXPECT_EQ(f.handler.received, "request");
}

TEST(Connection, WriteThatMustFirstReadResumesOnInput) {
  Fixture f;
  f.transport->writes_wanting_read = 1;
  f.send("first");
  f.handler.then = [&](Connection& connection) {
    if (f.handler.received == "first") {
      connection.output().append("reply");
      // The write waits for input: the peer sends more once the batch is done.
      f.loop.run_soon([&] { f.send("second"); });
    }
  };
  std::string replies;
  FdWatch peer_watch(f.loop, f.peer.get(), true, false, [&](Readiness) {
    replies += f.drain();
    if (replies == "reply") f.loop.stop();
  });
  f.connection->start();
  f.loop.run();
  EXPECT_EQ(replies, "reply");
  EXPECT_EQ(f.handler.received, "firstsecond");
  EXPECT_EQ(f.transport->moved_write_errors, 0);
}

TEST(Connection, WritesThroughPartialWritesAndEagainThenClosesThroughTheTransport) {
  Fixture f;
  f.transport->max_write = 1000;
  f.transport->eagain_every = 3;
  std::string response(300 * 1000 + 7, '\0');
  for (size_t i = 0; i < response.size(); ++i)
    response[i] = static_cast<char>('a' + i % 23);
  f.send("go");
  f.handler.then = [&](Connection& connection) {
    connection.output().append(std::string(response));
    connection.close_after_flush(/*linger=*/true);
  };
  std::string received;
  bool eof = false;
  FdWatch peer_watch(f.loop, f.peer.get(), true, false, [&](Readiness) {
    received += f.drain(&eof);
    if (eof) f.loop.stop();
  });
  f.connection->start();
  f.loop.run();
  EXPECT_TRUE(eof);
  EXPECT_EQ(received.size(), response.size());
  EXPECT_TRUE(received == response);
  EXPECT_EQ(f.transport->shutdowns, 1);  // the write side ended through the transport
  EXPECT_EQ(f.transport->moved_write_errors, 0);
  EXPECT_GT(f.transport->writes, 300);
}

TEST(Connection, WritesOnWhileTheTransportTakesPieces) {
  Fixture f;
  // A transport may take less than offered with room left in the socket
  // (TLS, a record at a time): no EPOLLOUT would follow, so the queue must
  // write again at once. The peer reads nothing until the batch is over.
  f.transport->max_write = 1000;
  std::string response(5000, 'w');
  f.send("go");
  f.handler.then = [&](Connection& connection) {
    connection.output().append(std::string(response));
    f.loop.run_soon([&] { f.loop.stop(); });
  };
  f.connection->start();
  f.loop.run();
  EXPECT_EQ(f.drain(), response);
  EXPECT_TRUE(f.connection->output().empty());
}

TEST(Connection, EndsOnATransportError) {
  Fixture f;
  f.transport->write_error = -ECONNRESET;
  f.send("x");
  f.handler.then = [&](Connection& connection) { connection.output().append("never"); };
  f.loop.run_soon([&] { f.loop.stop(); });
  f.connection->start();
  f.loop.run();
  EXPECT_TRUE(f.connection->closed());
  EXPECT_TRUE(f.handler.closed);
}

TEST(Connection, ReleasesTheTransportsBuffersWhenIdle) {
  Fixture f;
  f.connection->release_idle_buffers();
  EXPECT_EQ(f.transport->releases, 1);
  EXPECT_TRUE(f.connection->output().released());
}

}  // namespace
}  // namespace basehttp
