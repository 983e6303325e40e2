// Tests http/request_log and http/log_time: the bytes of Python-format
// lines (access and printf-style), escaping, the client's address text as
// clients change, the time text changing at a second's boundary and not
// within one, messages longer than the buffer logged whole, and how a
// running loop hands its lines to a LogWriter: not once per iteration, yet
// soon when the loop goes idle and all of them by the time run() returns.
#include "http/request_log.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "http/log_time.hpp"
#include "http/log_writer.hpp"
#include "tests/support/temp_folder.hpp"

namespace basehttp {
namespace {

constexpr std::time_t kNow = 1795620887;  // 25/Nov/2026 15:34:47 UTC

class RequestLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  // The last line written.
  const std::string& line() const { return lines_.back(); }

  std::vector<std::string> lines_;
  LogSink sink_ = [this](std::string_view line) { lines_.emplace_back(line); };
  EventLoop loop_;
  uint64_t dropped_ = 0;
  RequestLog log_{sink_, loop_, dropped_};
  SocketAddress local_ = *SocketAddress::parse("127.0.0.1", 40000);
};

TEST_F(RequestLogTest, AccessLineHasPythonsBytes) {
  log_.log_request(local_, kNow, "GET / HTTP/1.1", 200, -1);
  EXPECT_EQ(line(), "127.0.0.1 - - [25/Nov/2026 15:34:47] \"GET / HTTP/1.1\" 200 -\n");
  log_.log_request(local_, kNow, "GET /a HTTP/1.0", 404, 1234);
  EXPECT_EQ(line(), "127.0.0.1 - - [25/Nov/2026 15:34:47] \"GET /a HTTP/1.0\" 404 1234\n");
  log_.log_request(local_, kNow, "", 0, -1);
  EXPECT_EQ(line(), "127.0.0.1 - - [25/Nov/2026 15:34:47] \"\" - -\n");
}

TEST_F(RequestLogTest, AccessLineIsTheMessagePrintfWouldMake) {
  std::string request_line = "GET /\x1b[31m\\x HTTP/1.1";
  log_.log_request(local_, kNow, request_line, 301, 0);
  log_.log(local_, kNow, "\"%s\" %d %d", request_line.c_str(), 301, 0);
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0], lines_[1]);
}

TEST_F(RequestLogTest, MessageIsEscaped) {
  // Controls as \xNN, a backslash doubled, an 8-bit CSI and a C1 control
  // in UTF-8 escaped; a quote and well-formed UTF-8 as they are.
  log_.log(local_, kNow, "code %d, %s", 400, "a\x1b[2J\\ \x9b \xc2\x9b \"\xc3\xa9\x7f\r\n");
  EXPECT_EQ(line(),
            "127.0.0.1 - - [25/Nov/2026 15:34:47] code 400, a\\x1b[2J\\\\ \\x9b \\xc2\\x9b "
            "\"\xc3\xa9\\x7f\\x0d\\x0a\n");
}

TEST_F(RequestLogTest, AddressFollowsTheClient) {
  SocketAddress other = *SocketAddress::parse("10.0.0.2", 40000);
  SocketAddress local_again = *SocketAddress::parse("127.0.0.1", 50000);
  SocketAddress v6 = *SocketAddress::parse("2001:db8::1", 40000);
  sockaddr unix_peer{};
  unix_peer.sa_family = AF_UNIX;
  SocketAddress via_unix(&unix_peer, sizeof(unix_peer));
  std::vector<std::string> expected;
  for (const SocketAddress* client : {&local_, &other, &local_again, &v6, &via_unix, &local_}) {
    log_.log(*client, kNow, "x");
    char address[RequestLog::kAddressSize];
    expected.push_back(std::string(address, RequestLog::format_address(*client, address)) +
                       " - - [25/Nov/2026 15:34:47] x\n");
  }
  EXPECT_EQ(expected[3], "2001:db8::1 - - [25/Nov/2026 15:34:47] x\n");
  EXPECT_EQ(expected[4], "unix: - - [25/Nov/2026 15:34:47] x\n");
  EXPECT_EQ(lines_, std::vector<std::string>({
                        "127.0.0.1 - - [25/Nov/2026 15:34:47] x\n",
                        "10.0.0.2 - - [25/Nov/2026 15:34:47] x\n",
                        "127.0.0.1 - - [25/Nov/2026 15:34:47] x\n",
                        "2001:db8::1 - - [25/Nov/2026 15:34:47] x\n",
                        "unix: - - [25/Nov/2026 15:34:47] x\n",
                        "127.0.0.1 - - [25/Nov/2026 15:34:47] x\n",
                    }));
}

TEST_F(RequestLogTest, TimeChangesAtTheSecondsBoundary) {
  for (std::time_t now : {kNow, kNow, kNow + 1, kNow + 1, kNow + 60, kNow})
    log_.log(local_, now, "x");
  EXPECT_EQ(lines_, std::vector<std::string>({
                        "127.0.0.1 - - [25/Nov/2026 15:34:47] x\n",
                        "127.0.0.1 - - [25/Nov/2026 15:34:47] x\n",
                        "127.0.0.1 - - [25/Nov/2026 15:34:48] x\n",
                        "127.0.0.1 - - [25/Nov/2026 15:34:48] x\n",
                        "127.0.0.1 - - [25/Nov/2026 15:35:47] x\n",
                        "127.0.0.1 - - [25/Nov/2026 15:34:47] x\n",
                    }));
}

TEST_F(RequestLogTest, LongMessagesAreLoggedWhole) {
  const std::string prefix = "127.0.0.1 - - [25/Nov/2026 15:34:47] ";
  // Past the printf buffer and the line buffer, escaped to four times its size.
  std::string message(20000, '\x01');
  message += "end";
  log_.log(local_, kNow, "%s", message.c_str());
  std::string escaped;
  for (size_t i = 0; i < 20000; ++i)
    escaped += "\\x01";
  EXPECT_EQ(line(), prefix + escaped + "end\n");
  // A request line of 70,000 bytes, every one escaped.
  std::string request_line = "GET /" + std::string(70000, '\x7f') + " HTTP/1.1";
  log_.log_request(local_, kNow, request_line, 414, -1);
  std::string dels;
  for (size_t i = 0; i < 70000; ++i)
    dels += "\\x7f";
  EXPECT_EQ(line(), prefix + "\"GET /" + dels + " HTTP/1.1\" 414 -\n");
  // And a short line after them: nothing of the long ones left behind.
  log_.log_request(local_, kNow, "GET / HTTP/1.1", 200, -1);
  EXPECT_EQ(line(), prefix + "\"GET / HTTP/1.1\" 200 -\n");
}

TEST(RequestLog, AnEmptySinkWritesNothing) {
  LogSink none;
  EventLoop loop;
  uint64_t dropped = 0;
  RequestLog log(none, loop, dropped);
  SocketAddress client = *SocketAddress::parse("127.0.0.1", 1);
  log.log(client, kNow, "x");
  log.log_request(client, kNow, "GET / HTTP/1.1", 200, -1);  // nothing to see: no crash
}

// A loop with a RequestLog writing to a LogWriter on a temporary file.
class RequestLogHandOverTest : public ::testing::Test {
 protected:
  testing::TempFolder folder_;
  std::string path_ = folder_.file("log");
  LogWriter writer_{{path_}};
  LogSink sink_ = LogWriterSink{&writer_};
  EventLoop loop_;
  uint64_t dropped_ = 0;
  SocketAddress client_ = *SocketAddress::parse("127.0.0.1", 40000);
};

TEST_F(RequestLogHandOverTest, OneLinePerIterationIsNotOneHandOverPerIteration) {
  constexpr int kLines = 200;
  uint64_t iterations = 0;
  {
    RequestLog log(sink_, loop_, dropped_);
    int next = 0;
    // Each line in an iteration of its own, as for a loop answering one
    // request at a time: a post() from the loop runs in the next iteration.
    std::function<void()> step = [&] {
      log.log(client_, kNow, "line %d", next);
      if (++next == kLines) {
        loop_.stop();
      } else {
        loop_.post(step);
      }
    };
    loop_.post(step);
    uint64_t before = loop_.iterations();
    loop_.run();
    iterations = loop_.iterations() - before;
  }
  ASSERT_TRUE(writer_.flush(std::chrono::seconds(30)));
  EXPECT_GE(iterations, static_cast<uint64_t>(kLines));
  // Each hand-over takes the writer's lock: batches of about a kilobyte,
  // or every few milliseconds, not one per line.
  EXPECT_LT(writer_.appends(), static_cast<uint64_t>(kLines / 4));
  std::string logged = testing::read_whole_file(path_);
  size_t at = 0;
  for (int i = 0; i < kLines; ++i) {
    size_t end = logged.find('\n', at);
    ASSERT_NE(end, std::string::npos) << "line " << i << " missing";
    std::string_view line(logged.data() + at, end - at);
    std::string tail = "] line " + std::to_string(i);
    EXPECT_TRUE(line.size() >= tail.size() && line.substr(line.size() - tail.size()) == tail)
        << line;
    at = end + 1;
  }
  EXPECT_EQ(at, logged.size());
  EXPECT_EQ(dropped_, 0u);
}

TEST_F(RequestLogHandOverTest, AnIdleLoopHandsOverItsLastLineSoon) {
  RequestLog log(sink_, loop_, dropped_);
  std::thread runner([&] { loop_.run(); });
  loop_.post([&] { log.log(client_, kNow, "alone"); });
  // Nothing else happens on the loop: only its timer hands the line over.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (writer_.appends() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(writer_.appends(), 1u);
  loop_.stop();
  runner.join();
}

TEST_F(RequestLogHandOverTest, LinesOfTheLastIterationAreHandedOverWhenRunReturns) {
  RequestLog log(sink_, loop_, dropped_);
  loop_.post([&] {
    log.log(client_, kNow, "last");
    loop_.stop();
  });
  loop_.run();
  // The RequestLog still lives: run() itself handed the line over.
  EXPECT_EQ(writer_.appends(), 1u);
  ASSERT_TRUE(writer_.flush(std::chrono::seconds(30)));
  EXPECT_NE(testing::read_whole_file(path_).find("] last\n"), std::string::npos);
}

TEST(LogTime, FormatsOncePerSecondInEitherFormat) {
  setenv("TZ", "UTC", 1);
  tzset();
  LogTime python(LogTime::Format::kPython);
  LogTime combined(LogTime::Format::kCombined);
  EXPECT_EQ(python.text(kNow), "25/Nov/2026 15:34:47");
  EXPECT_EQ(combined.text(kNow), "[25/Nov/2026:15:34:47 +0000]");
  EXPECT_EQ(combined.text(kNow + 3600), "[25/Nov/2026:16:34:47 +0000]");
  // The cache is keyed by the second only: a change of time zone within it
  // shows at the next second (as it did in the access log's cache).
  setenv("TZ", "UTC-1", 1);
  tzset();
  EXPECT_EQ(python.text(kNow), "25/Nov/2026 15:34:47");
  EXPECT_EQ(python.text(kNow + 1), "25/Nov/2026 16:34:48");
  EXPECT_EQ(combined.text(kNow + 1), "[25/Nov/2026:16:34:48 +0100]");
  setenv("TZ", "UTC", 1);
  tzset();
}

}  // namespace
}  // namespace basehttp
