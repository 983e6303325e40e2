// Slowloris over loopback: 1,000 connections trickle a header section a
// byte every 100 ms. A normal client, measured from a thread of its own,
// must still get each answer within 100 ms, and the server must answer
// every trickling connection 408 and close it at the header timeout (2 s
// here), however long it would go on trickling.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::RawClient;
using testing::TestServer;

constexpr int kTricklers = 1000;
constexpr milliseconds kHeaderTimeout{2000};
constexpr milliseconds kTrickleInterval{100};
// Trickling would go on this long if the server let it.
constexpr milliseconds kTrickleFor{kHeaderTimeout + std::chrono::seconds(5)};
constexpr milliseconds kLatencyBound{100};

double ms_between(steady_clock::time_point from, steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// Raises the descriptor limit to the hard limit; true if `needed` fit.
bool raise_fd_limit(rlim_t needed, rlim_t* got) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  *got = limit.rlim_cur;
  return limit.rlim_cur >= needed;
}

// One slow client: what it has sent, what came back, when it was closed.
struct Trickler {
  int fd = -1;
  size_t sent = 0;
  steady_clock::time_point first_byte;
  steady_clock::time_point closed_at;
  std::string received;
  bool closed = false;
};

// The byte a trickler sends at position i: a request line and a header
// field whose value never ends, so the section is never complete.
char trickle_byte(size_t i) {
  static const std::string kStart = "GET /slow HTTP/1.1\r\nHost: t\r\nX-Slow: ";
  return i < kStart.size() ? kStart[i] : 'z';
}

HandlerTable hello_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) { testing::send_text(h, 200, "hello"); });
  return table;
}

TEST(Slowloris, TricklersDoNotDelayOthersAndAreClosedAtTheHeaderTimeout) {
  rlim_t limit = 0;
  // Each trickler holds a descriptor here and one in the server.
  if (!raise_fd_limit(2 * kTricklers + 100, &limit)) {
    GTEST_SKIP() << "needs " << 2 * kTricklers + 100 << " file descriptors, RLIMIT_NOFILE allows "
                 << limit;
  }
  HandlerTable table = hello_table();
  ServerOptions options = testing::quiet_options();
  options.header_timeout = kHeaderTimeout;
  TestServer server(table, options);

  std::vector<Trickler> tricklers(kTricklers);
  for (Trickler& t : tricklers) {
    t.fd = testing::connect_loopback(server.port());
    ASSERT_GE(t.fd, 0) << "connect failed: " << std::strerror(errno);
    ASSERT_EQ(::send(t.fd, "G", 1, MSG_NOSIGNAL), 1);
    t.sent = 1;
    t.first_byte = steady_clock::now();
  }
  std::atomic<int> open_tricklers{kTricklers};
  std::atomic<bool> trickling{true};

  // The normal client, on its own thread: a request every 50 ms, on a
  // fresh connection and on a kept-alive one in turn, timed from send to
  // the whole response.
  struct Sample {
    double ms;
    int open_tricklers;
    bool ok;
  };
  std::vector<Sample> samples;
  std::thread measurer([&] {
    RawClient kept(server.port());
    auto next = steady_clock::now();
    for (int i = 0; trickling && i < 400; ++i) {
      next += milliseconds(50);
      std::this_thread::sleep_until(next);  // the client's pace, not a synchronisation
      int open = open_tricklers;
      auto start = steady_clock::now();
      std::optional<testing::Response> response;
      if (i % 2 == 0) {
        response = testing::exchange(server.port(), "GET /hi HTTP/1.1\r\nHost: t\r\n\r\n");
      } else if (kept.send("GET /hi HTTP/1.1\r\nHost: t\r\n\r\n")) {
        response = kept.read_response();
      }
      double ms = ms_between(start, steady_clock::now());
      samples.push_back(
          {ms, open, response && response->status == 200 && response->body == "hello"});
    }
  });

  // The tricklers, from this thread: a byte each per interval, and
  // whatever the server says back, until it closes them or time is up.
  auto stop_at = steady_clock::now() + kTrickleFor;
  auto next_round = steady_clock::now() + kTrickleInterval;
  std::vector<pollfd> polled;
  std::vector<Trickler*> owners;
  while (open_tricklers > 0 && steady_clock::now() < stop_at) {
    polled.clear();
    owners.clear();
    for (Trickler& t : tricklers) {
      if (t.closed) continue;
      polled.push_back({t.fd, POLLIN, 0});
      owners.push_back(&t);
    }
    auto wait = std::chrono::duration_cast<milliseconds>(next_round - steady_clock::now());
    int ready =
        ::poll(polled.data(), polled.size(), static_cast<int>(std::max<long>(0, wait.count())));
    for (size_t i = 0; ready > 0 && i < polled.size(); ++i) {
      if (polled[i].revents == 0) continue;
      Trickler& t = *owners[i];
      char chunk[4096];
      ssize_t n = ::recv(t.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (n > 0) {
        t.received.append(chunk, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        t.closed = true;  // end of stream (or a reset after it, below)
        t.closed_at = steady_clock::now();
        ::close(t.fd);
        --open_tricklers;
      }
    }
    if (steady_clock::now() >= next_round) {
      next_round += kTrickleInterval;
      for (Trickler& t : tricklers) {
        if (t.closed) continue;
        char byte = trickle_byte(t.sent);
        // A send after the server stopped reading may fail: the close
        // shows up on the read side above.
        if (::send(t.fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++t.sent;
      }
    }
  }
  trickling = false;
  measurer.join();

  int answered_408 = 0;
  int closed_in_time = 0;
  double earliest = 1e9;
  double latest = 0;
  for (Trickler& t : tricklers) {
    if (!t.closed) {
      ::close(t.fd);
      continue;
    }
    answered_408 += t.received.starts_with("HTTP/1.1 408 ") ? 1 : 0;
    double ms = ms_between(t.first_byte, t.closed_at);
    earliest = std::min(earliest, ms);
    latest = std::max(latest, ms);
    // Not before the timeout; after it by at most the server's deadline
    // tick (a quarter of the shortest timeout) and some scheduling slack.
    closed_in_time += ms >= kHeaderTimeout.count() - 50 && ms <= kHeaderTimeout.count() + 1500;
  }
  EXPECT_EQ(open_tricklers.load(), 0) << "tricklers the server left open";
  EXPECT_EQ(answered_408, kTricklers);
  EXPECT_EQ(closed_in_time, kTricklers)
      << "closed between " << earliest << " and " << latest << " ms after the first byte";

  double worst = 0;
  int under_load = 0;
  int failed = 0;
  std::vector<double> sorted;
  for (const Sample& sample : samples) {
    worst = std::max(worst, sample.ms);
    under_load += sample.open_tricklers == kTricklers ? 1 : 0;
    failed += sample.ok ? 0 : 1;
    sorted.push_back(sample.ms);
  }
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(failed, 0);
  EXPECT_GE(under_load, 10) << "too few requests made while all tricklers were connected";
  EXPECT_LT(worst, kLatencyBound.count()) << "the normal client waited " << worst << " ms";
  std::printf("    %d tricklers: %d answered 408, closed %.0f-%.0f ms after their first byte\n",
              kTricklers, answered_408, earliest, latest);
  std::printf(
      "    normal client: %zu requests (%d with all tricklers open), latency median "
      "%.2f ms, max %.2f ms\n",
      samples.size(), under_load, sorted.empty() ? 0.0 : sorted[sorted.size() / 2], worst);

  // The server lets go of them all (its lingering closes end on our EOF).
  size_t connections = 1;
  auto deadline = steady_clock::now() + std::chrono::seconds(10);
  while (connections > 0 && steady_clock::now() < deadline) {
    server.run_in_loop([&] { connections = server.server().connection_count(); });
    if (connections > 0) std::this_thread::sleep_for(milliseconds(10));  // polling with a deadline
  }
  EXPECT_EQ(connections, 0u);
}

}  // namespace
}  // namespace basehttp
