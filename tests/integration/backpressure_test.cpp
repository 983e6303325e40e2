// Backpressure over loopback: a client pipelines requests for 64 KiB
// responses and reads nothing. The server must stop reading (the client's
// send blocks after a bounded number of bytes), keep its queued output
// within output_high_water plus one response, and, once the client reads,
// answer every request in order.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::TestServer;

constexpr size_t kResponseBody = 64 * 1024;
// Requests carry padding so that the bytes the kernel buffers hold stand
// for few requests: what the server reads is what it would have to answer.
constexpr size_t kRequestPadding = 400;
// If the server never stopped reading, the client would get this far.
constexpr uint64_t kSendCap = 64 * 1024 * 1024;

// The body of the answer to request n: its number, then a letter of its own.
std::string body_for(uint64_t n) {
  std::string body = std::to_string(n) + "\n";
  body.resize(kResponseBody, static_cast<char>('a' + n % 26));
  return body;
}

std::string request_for(uint64_t n) {
  return "GET /r/" + std::to_string(n) +
         " HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(kRequestPadding, 'p') + "\r\n\r\n";
}

// Written on the loop thread by the handler, read by the test thread.
struct Observed {
  std::atomic<uint64_t> dispatched{0};
  // The connection's queued output when a request was dispatched: the queue
  // only grows by a response at a time, so its peak is at most this plus one.
  std::atomic<size_t> peak_before_dispatch{0};
};

HandlerTable numbered_responses(Observed& observed) {
  HandlerTable table;
  table.on("GET", [&observed](RequestHandler& h) {
    size_t queued = h.server().queued_output_bytes();
    if (queued > observed.peak_before_dispatch) observed.peak_before_dispatch = queued;
    ++observed.dispatched;
    uint64_t n = 0;
    std::string_view path = h.path();
    std::from_chars(path.data() + 3, path.data() + path.size(), n);  // "/r/<n>"
    h.send_response(200);
    h.send_header("Content-Length", std::to_string(kResponseBody));
    h.end_headers();
    h.write(body_for(n));
  });
  return table;
}

// Small socket buffers, so that what the kernels hold on our side does
// not hide the server's behaviour.
int connect_client(uint16_t port) {
  return testing::connect_loopback(port, 64 * 1024);
}

// True if `fd` stays unwritable for `wait`: the peer takes none of our bytes.
bool stays_blocked(int fd, milliseconds wait) {
  pollfd entry{fd, POLLOUT, 0};
  return ::poll(&entry, 1, static_cast<int>(wait.count())) == 0;
}

// Parses one response off the front of `buffer` if it is all there.
// Returns false when more bytes are needed; sets `ok` false on a bad one.
bool take_response(std::string& buffer, uint64_t expected, bool* ok, std::string* why) {
  size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  size_t total = head_end + 4 + kResponseBody;
  if (buffer.size() < total) return false;
  std::string_view head(buffer.data(), head_end);
  std::string_view body(buffer.data() + head_end + 4, kResponseBody);
  std::string length_field = "Content-Length: " + std::to_string(kResponseBody) + "\r\n";
  *ok = head.starts_with("HTTP/1.1 200 ") &&
        std::string_view(buffer.data(), head_end + 2).find(length_field) != std::string::npos &&
        body == body_for(expected);
  if (!*ok) *why = "response " + std::to_string(expected) + ": " + std::string(head);
  buffer.erase(0, total);
  return true;
}

TEST(Backpressure, AClientThatDoesNotReadStopsTheServerReadingThenGetsEverythingInOrder) {
  Observed observed;
  HandlerTable table = numbered_responses(observed);
  ServerOptions options = testing::quiet_options();
  options.output_high_water = 1024 * 1024;
  options.output_low_water = 256 * 1024;
  TestServer server(table, options);
  int fd = connect_client(server.port());
  ASSERT_GE(fd, 0);

  // Phase 1: pipeline requests without reading until our send blocks.
  uint64_t started = 0;  // requests begun (the last may be partly sent)
  uint64_t bytes_sent = 0;
  std::string current;
  size_t offset = 0;
  bool blocked = false;
  auto phase_deadline = steady_clock::now() + std::chrono::seconds(30);
  while (!blocked && bytes_sent < kSendCap && steady_clock::now() < phase_deadline) {
    if (offset == current.size()) {
      current = request_for(started++);
      offset = 0;
    }
    ssize_t n =
        ::send(fd, current.data() + offset, current.size() - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      offset += static_cast<size_t>(n);
      bytes_sent += static_cast<uint64_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Full for now; it is blocked for good if the server takes nothing
      // more for a whole second (it reads in microseconds when it reads).
      blocked = stays_blocked(fd, milliseconds(1000));
    } else if (n < 0 && errno != EINTR) {
      FAIL() << "send failed: " << std::strerror(errno);
    }
  }
  ASSERT_TRUE(blocked) << "the server kept reading: " << bytes_sent << " bytes taken";
  EXPECT_LT(bytes_sent, kSendCap);

  // While blocked, the server is idle on this connection: it dispatches
  // nothing more, and its queue is parked between the two marks.
  uint64_t dispatched = 0;
  size_t queued = 0;
  server.run_in_loop([&] {
    dispatched = observed.dispatched;
    queued = server.server().queued_output_bytes();
  });
  EXPECT_TRUE(stays_blocked(fd, milliseconds(300)));
  EXPECT_EQ(observed.dispatched.load(), dispatched) << "requests were parsed while paused";
  EXPECT_GT(queued, options.output_low_water);
  EXPECT_LE(queued, options.output_high_water + kResponseBody + 1024);
  EXPECT_LE(observed.peak_before_dispatch.load(), options.output_high_water);
  // What it answered is what fits in its queue and the two kernels'
  // buffers (a few MiB), not the thousands of requests it was sent.
  EXPECT_LT(dispatched, started / 4);
  EXPECT_LT(dispatched * kResponseBody, 16u * 1024 * 1024);
  std::printf(
      "    pipelined %llu requests (%llu bytes) before the send blocked; %llu answered, "
      "%zu bytes queued in the server (high water %zu)\n",
      static_cast<unsigned long long>(started), static_cast<unsigned long long>(bytes_sent),
      static_cast<unsigned long long>(dispatched), queued, options.output_high_water);

  // Phase 2: read everything (finishing the request that was cut short), in order.
  std::string buffer;
  uint64_t answered = 0;
  std::string failure;
  auto read_deadline = steady_clock::now() + std::chrono::seconds(60);
  while (answered < started && failure.empty() && steady_clock::now() < read_deadline) {
    pollfd entry{fd, static_cast<short>(POLLIN | (offset < current.size() ? POLLOUT : 0)), 0};
    if (::poll(&entry, 1, 1000) <= 0) continue;
    if ((entry.revents & POLLOUT) && offset < current.size()) {
      ssize_t n =
          ::send(fd, current.data() + offset, current.size() - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) offset += static_cast<size_t>(n);
    }
    if (entry.revents & (POLLIN | POLLHUP | POLLERR)) {
      char chunk[256 * 1024];
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        failure = "the server closed the connection";
        break;
      }
      if (n > 0) buffer.append(chunk, static_cast<size_t>(n));
      bool ok = true;
      while (ok && take_response(buffer, answered, &ok, &failure)) {
        if (ok) ++answered;
      }
    }
  }
  ::close(fd);
  EXPECT_EQ(failure, "");
  EXPECT_EQ(answered, started);
  EXPECT_EQ(observed.dispatched.load(), started);
  EXPECT_LE(observed.peak_before_dispatch.load(), options.output_high_water);
  std::printf("    read %llu responses in order; queue peak at most %zu + %zu bytes\n",
              static_cast<unsigned long long>(answered), observed.peak_before_dispatch.load(),
              kResponseBody);
}

}  // namespace
}  // namespace basehttp
