// Tests an application sharing the server's loop: its own fd (a pipe)
// watched there while requests are served, answers completed from that
// fd's data, and two servers (two ports, two handler tables) on one loop;
// and the ways a server listens: a unix-domain socket (stale file
// replaced, live one refused) and an inherited or systemd-passed socket.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <future>
#include <string>
#include <thread>

#include "basehttp.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::quiet_options;
using testing::RawClient;
using testing::send_text;

std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
}

/// Runs `loop` on a thread of its own; stops and joins it when destroyed.
class LoopThread {
 public:
  explicit LoopThread(EventLoop& loop) : loop_(loop), thread_([this] { loop_.run(); }) {}
  ~LoopThread() {
    loop_.stop();
    thread_.join();
  }

 private:
  EventLoop& loop_;
  std::thread thread_;
};

TEST(Embedding, AnApplicationPipeFeedsAnswersOnTheServersLoop) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  FileDescriptor read_end(fds[0]), write_end(fds[1]);

  // Requests wait for a line from the pipe (a stand-in for a database
  // reply); each line read completes the oldest waiting request.
  std::deque<DeferredResponse> waiting;  // loop thread only
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    if (handler.path() == "/now") return send_text(handler, 200, "immediate");
    waiting.push_back(handler.defer());
  });
  std::string pending_bytes;
  FdWatch watch(loop, read_end.get(), true, false, [&](Readiness) {
    char chunk[256];
    ssize_t got;
    while ((got = ::read(read_end.get(), chunk, sizeof chunk)) > 0)
      pending_bytes.append(chunk, static_cast<size_t>(got));
    size_t newline;
    while ((newline = pending_bytes.find('\n')) != std::string::npos && !waiting.empty()) {
      std::string line = pending_bytes.substr(0, newline);
      pending_bytes.erase(0, newline + 1);
      waiting.front().complete([&](RequestHandler& handler) { send_text(handler, 200, line); });
      waiting.pop_front();
    }
  });
  HTTPServer server(loop, {"127.0.0.1", 0}, table, quiet_options());
  LoopThread running(loop);

  RawClient waiter(server.server_port());
  ASSERT_TRUE(waiter.send(get("/from-pipe")));
  // Served meanwhile: the loop is not blocked by the waiting request.
  RawClient other(server.server_port());
  ASSERT_TRUE(other.send(get("/now")));
  auto immediate = other.read_response();
  ASSERT_TRUE(immediate);
  EXPECT_EQ(immediate->body, "immediate");

  ASSERT_EQ(::write(write_end.get(), "row 1\n", 6), 6);
  auto answered = waiter.read_response();
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->body, "row 1");

  std::promise<void> stopped;
  loop.post([&] {
    watch.stop();
    stopped.set_value();
  });
  ASSERT_EQ(stopped.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

TEST(Embedding, TwoServersShareOneLoop) {
  EventLoop loop;
  HandlerTable first_table, second_table;
  first_table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "first"); });
  second_table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "second"); });
  HTTPServer first(loop, {"127.0.0.1", 0}, first_table, quiet_options());
  HTTPServer second(loop, {"127.0.0.1", 0}, second_table, quiet_options());
  ASSERT_NE(first.server_port(), second.server_port());
  LoopThread running(loop);

  for (int round = 0; round < 3; ++round) {
    RawClient to_first(first.server_port()), to_second(second.server_port());
    ASSERT_TRUE(to_first.send(get("/")));
    ASSERT_TRUE(to_second.send(get("/")));
    auto from_second = to_second.read_response();
    auto from_first = to_first.read_response();
    ASSERT_TRUE(from_first && from_second);
    EXPECT_EQ(from_first->body, "first");
    EXPECT_EQ(from_second->body, "second");
  }
}

HandlerTable& echo_path_table() {
  static HandlerTable table = [] {
    HandlerTable built;
    built.on("GET", [](RequestHandler& handler) {
      send_text(handler, 200, std::string(handler.path()) + " via " + handler.address_string());
    });
    return built;
  }();
  return table;
}

/// A fresh folder under TMPDIR, removed with what is in it.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::string pattern = std::string(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") + "/bhXXXXXX";
    path_ = mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TemporaryFolder() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Listening, ServesOnAUnixSocketWithItsModeAndRemovesItAfter) {
  TemporaryFolder folder;
  ASSERT_FALSE(folder.path().empty());
  std::string path = folder.path() + "/server.sock";
  {
    testing::TestServer server(echo_path_table(), quiet_options(),
                               ServerAddress::unix_socket(path, 0660));
    struct stat status {};
    ASSERT_EQ(::stat(path.c_str(), &status), 0);
    EXPECT_TRUE(S_ISSOCK(status.st_mode));
    EXPECT_EQ(status.st_mode & 0777, 0660u);
    EXPECT_EQ(server.server().server_name(), path);
    RawClient client(RawClient::UnixPath{path});
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(get("/over-unix")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "/over-unix via unix:");
  }
  struct stat status {};
  EXPECT_NE(::stat(path.c_str(), &status), 0) << "the socket file outlived its server";
}

TEST(Listening, AStaleUnixSocketIsReplacedALiveOneIsNot) {
  TemporaryFolder folder;
  std::string path = folder.path() + "/server.sock";
  ASSERT_TRUE(listen_unix(path).ok());  // closed at once: the file stays, nobody listens
  testing::TestServer server(echo_path_table(), quiet_options(), ServerAddress::unix_socket(path));
  RawClient client(RawClient::UnixPath{path});
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(listen_unix(path).error(), EADDRINUSE);  // in use: left alone
  ASSERT_TRUE(client.send(get("/still")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(Listening, AdoptsAnInheritedListeningSocket) {
  FileDescriptor listening = listen_tcp(*SocketAddress::parse("127.0.0.1", 0)).value();
  uint16_t port = SocketAddress::local_of(listening.get()).value().port();
  testing::TestServer server(echo_path_table(), quiet_options(),
                             ServerAddress::listening_socket(listening.release()));
  EXPECT_EQ(server.port(), port);
  RawClient client(port);
  ASSERT_TRUE(client.send(get("/inherited")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "/inherited via 127.0.0.1");
}

TEST(Listening, RefusesToAdoptASocketThatDoesNotListen) {
  int unconnected = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(unconnected, 0);
  EXPECT_EQ(adopt_listening_socket(unconnected).error(), EINVAL);
}

TEST(Listening, FindsSystemdsSocketsOnlyWhenTheyAreForThisProcess) {
  ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);
  ::setenv("LISTEN_FDS", "2", 1);
  EXPECT_TRUE(systemd_listening_sockets().empty());
  ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", "2", 1);
  EXPECT_EQ(systemd_listening_sockets(), (std::vector<int>{3, 4}));
  EXPECT_EQ(getenv("LISTEN_FDS"), nullptr) << "children would take them for theirs";
  EXPECT_EQ(getenv("LISTEN_PID"), nullptr);
}

}  // namespace
}  // namespace basehttp
