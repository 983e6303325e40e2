// Tests AccessLog: combined-format lines (escaping, "-" for what is
// missing, parse errors included), Python's format through sink(),
// reopen() after the file was moved away (logrotate), and a writer that
// cannot write: the server goes on answering, lines are dropped and
// counted, and the count is written once the log drains.
#include "handlers/operations/access_log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/raw_client.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::read_whole_file;
using testing::send_text;
using testing::TempFolder;
using testing::TestServer;

// The file once it holds `lines` lines: a loop hands its lines over within
// a few milliseconds, so this waits (bounded) rather than reading at once.
std::string wait_for_lines(AccessLog& log, const std::string& path, size_t lines) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    log.flush();
    std::string text = read_whole_file(path);
    size_t count = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    if (count >= lines || std::chrono::steady_clock::now() > deadline) return text;
    std::this_thread::sleep_for(milliseconds(1));
  }
}

HandlerTable page_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "twelve bytes"); });
  return table;
}

// A server whose requests are logged in the combined format to a file of
// a folder of its own.
struct CombinedLogServer {
  TempFolder dir{"access-log"};
  std::string path = dir.file("access.log");
  AccessLog log{AccessLogOptions{path}};
  HandlerTable table = page_table();
  TestServer server{table, [this] {
                      ServerOptions options = testing::quiet_options();
                      options.request_logger = log.combined_logger();
                      return options;
                    }()};

  /// The log once it holds `lines` lines.
  std::string written(size_t lines = 1) { return wait_for_lines(log, path, lines); }
};

TEST(AccessLog, WritesTheCombinedFormat) {
  CombinedLogServer logged;
  RawClient client(logged.server.port());
  ASSERT_TRUE(
      client.send("GET /a%20b?q=\"x\" HTTP/1.1\r\nHost: t\r\nReferer: http://r/\r\n"
                  "User-Agent: tester \"1\"\\\r\n\r\n"
                  "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(client.read_response());
  ASSERT_TRUE(client.read_response(/*head_request=*/true));
  RawClient bad(logged.server.port());
  ASSERT_TRUE(bad.send("BAD\r\n\r\n"));
  ASSERT_TRUE(bad.closed_by_peer());
  std::istringstream lines(logged.written(3));
  std::string get, head, error;
  std::getline(lines, get);
  std::getline(lines, head);
  std::getline(lines, error);
  std::regex time(R"(\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\])");
  EXPECT_TRUE(std::regex_search(get, time)) << get;
  std::string rest = std::regex_replace(get, time, "TIME");
  EXPECT_EQ(rest,
            "127.0.0.1 - - TIME \"GET /a%20b?q=\\x22x\\x22 HTTP/1.1\" 200 12 \"http://r/\" "
            "\"tester \\x221\\x22\\\\\"");
  EXPECT_EQ(std::regex_replace(head, time, "TIME"),
            "127.0.0.1 - - TIME \"HEAD / HTTP/1.1\" 200 - \"-\" \"-\"");
  EXPECT_EQ(std::regex_replace(error, time, "TIME").substr(0, 26), "127.0.0.1 - - TIME \"-\" 400")
      << error;
  EXPECT_EQ(logged.log.dropped_lines(), 0u);
}

// The same escaping as Python's format (http/log_escape.hpp), with '"'
// escaped as well: no C1 control, raw or UTF-8, reaches the file, and a
// logged backslash is always doubled.
TEST(AccessLog, CombinedLinesCarryNoTerminalControls) {
  CombinedLogServer logged;
  RawClient client(logged.server.port());
  ASSERT_TRUE(
      client.send("GET /\x9b"
                  "31m/\xc2\x9b/\\x1b/\xc3\xa9/\xe9 HTTP/1.1\r\nHost: t\r\n"
                  "Referer: \xc2\x85\t\\\r\n"
                  "User-Agent: \xe6\x97\xa5 \x9b\"\r\n\r\n"));
  ASSERT_TRUE(client.read_response());
  std::string line = logged.written();
  size_t request = line.find("] \"");
  ASSERT_NE(request, std::string::npos) << line;
  EXPECT_EQ(line.substr(request + 2),
            "\"GET /\\x9b31m/\\xc2\\x9b/\\\\x1b/\xc3\xa9/\\xe9 HTTP/1.1\" 200 12 "
            "\"\\xc2\\x85\\x09\\\\\" \"\xe6\x97\xa5 \\x9b\\x22\"\n");
}

// A line too long for the log is cut after a whole escape, never inside
// one: what is left still reads back to bytes the client sent.
TEST(AccessLog, ALongLineIsCutBetweenEscapes) {
  CombinedLogServer logged;
  RawClient client(logged.server.port());
  ASSERT_TRUE(client.send("GET /" + std::string(3000, '\x9b') + " HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(client.read_response());
  std::string line = logged.written();
  EXPECT_LE(line.size(), 4096u);
  EXPECT_GE(line.size(), 4090u);
  EXPECT_TRUE(std::regex_match(line, std::regex(R"(.*\] "GET /(\\x9b)+\.\.\.\n)"))) << line;
}

TEST(AccessLog, SinkTakesPythonsFormatAndReopenFollowsTheRotation) {
  TempFolder dir("access-log");
  std::string path = dir.file("access.log");
  AccessLog log({path});
  HandlerTable table = page_table();
  ServerOptions options = testing::quiet_options();
  options.log_sink = log.sink();
  TestServer server(table, options);
  auto request = [&](const char* target) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(client.read_response());
  };
  request("/before");
  wait_for_lines(log, path, 1);
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);  // what logrotate does
  request("/moved");  // still goes to the file it had open
  wait_for_lines(log, path + ".1", 2);
  log.reopen();
  request("/after");
  wait_for_lines(log, path, 1);
  std::string rotated = read_whole_file(path + ".1");
  std::string fresh = read_whole_file(path);
  EXPECT_NE(rotated.find("\"GET /before HTTP/1.1\" 200 -\n"), std::string::npos) << rotated;
  EXPECT_NE(rotated.find("/moved"), std::string::npos) << rotated;
  EXPECT_EQ(fresh.find("/before"), std::string::npos);
  EXPECT_NE(fresh.find("127.0.0.1 - - ["), std::string::npos) << fresh;
  EXPECT_NE(fresh.find("\"GET /after HTTP/1.1\" 200 -\n"), std::string::npos) << fresh;
}

TEST(AccessLog, AStuckWriterDropsLinesInsteadOfStallingTheServer) {
  TempFolder dir("access-log");
  std::string path = dir.file("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // A reader that reads nothing yet: the writer blocks once the pipe is full.
  int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  uint64_t dropped = 0;
  std::string seen;
  std::thread drain;
  {
    AccessLog log(AccessLogOptions{path, 16 * 1024});
    HandlerTable table = page_table();
    ServerOptions options = testing::quiet_options();
    options.request_logger = log.combined_logger();
    TestServer server(table, options);
    RawClient client(server.port());
    auto started = std::chrono::steady_clock::now();
    constexpr int kRequests = 5000;  // ~70 bytes of log each: pipe and buffer several times over
    for (int i = 0; i < kRequests; ++i) {
      ASSERT_TRUE(client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
      ASSERT_TRUE(client.read_response()) << "request " << i;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30))
        << "the server waited for the log";
    dropped = log.dropped_lines();
    // Now read: the writer unblocks, writes the drop count, and at the end
    // of this scope closes the pipe (EOF here).
    drain = std::thread([&] {
      char chunk[65536];
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (std::chrono::steady_clock::now() < deadline) {
        ssize_t n = ::read(reader, chunk, sizeof(chunk));
        if (n > 0) {
          seen.append(chunk, static_cast<size_t>(n));
        } else if (n == 0) {
          return;
        } else {
          std::this_thread::sleep_for(milliseconds(2));  // polling with a deadline
        }
      }
    });
  }
  drain.join();
  ::close(reader);
  EXPECT_GT(dropped, 0u);
  EXPECT_NE(seen.find(" lines dropped (buffer full)\n"), std::string::npos);
  EXPECT_NE(seen.find("\"GET /x HTTP/1.1\" 200 12 \"-\" \"-\"\n"), std::string::npos);
}

}  // namespace
}  // namespace basehttp
