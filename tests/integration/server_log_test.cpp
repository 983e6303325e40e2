// Tests the server's log path end to end: lines batched per loop iteration
// come out whole and in order under load, in both formats; a handler's
// log_message goes through the same batch, before its access line; the
// default stderr log is written at shutdown; and a stderr nobody reads
// (a full pipe) neither stops the loop nor loses count: lines are dropped
// and counted, and the count shows in /metrics.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "basehttp.hpp"
#include "handlers/operations/access_log.hpp"
#include "handlers/operations/metrics.hpp"
#include "http/log_writer.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::RawClient;
using testing::read_whole_file;
using testing::send_text;
using testing::TestServer;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

HandlerTable page_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "page"); });
  return table;
}

// `count` requests for /0 ... /count-1 on one connection, `depth` at a time.
void pipelined_requests(uint16_t port, int count, int depth) {
  RawClient client(port);
  ASSERT_TRUE(client.connected());
  for (int sent = 0; sent < count; sent += depth) {
    std::string batch;
    int n = std::min(depth, count - sent);
    for (int i = 0; i < n; ++i)
      batch += "GET /" + std::to_string(sent + i) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_TRUE(client.send(batch));
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(client.read_response()) << "request " << sent + i;
  }
}

// Every line matches `shape`, whose first group is the path's number, and
// the numbers are 0, 1, 2... in order.
void expect_whole_and_in_order(const std::string& text, const std::regex& shape, int count) {
  std::vector<std::string> lines = split_lines(text);
  ASSERT_EQ(lines.size(), static_cast<size_t>(count)) << text.substr(0, 2000);
  for (int i = 0; i < count; ++i) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(lines[i], match, shape)) << "line " << i << ": " << lines[i];
    ASSERT_EQ(match[1].str(), std::to_string(i)) << "line " << i << ": " << lines[i];
  }
}

TEST(ServerLog, PythonLinesAreWholeAndInOrderUnderLoad) {
  testing::TempFolder dir("server-log");
  std::string path = dir.file("access.log");
  constexpr int kRequests = 3000;
  {
    AccessLog log({path});
    HandlerTable table = page_table();
    ServerOptions options = testing::quiet_options();
    options.log_sink = log.sink();
    {
      TestServer server(table, options);
      pipelined_requests(server.port(), kRequests, 64);
    }
  }  // the server hands its last batch over, the log writes it
  expect_whole_and_in_order(
      read_whole_file(path),
      std::regex(
          R"(127\.0\.0\.1 - - \[\d\d/\w\w\w/\d{4} \d\d:\d\d:\d\d\] "GET /(\d+) HTTP/1\.1" 200 -)"),
      kRequests);
}

TEST(ServerLog, CombinedLinesAreWholeAndInOrderUnderLoad) {
  testing::TempFolder dir("server-log");
  std::string path = dir.file("access.log");
  constexpr int kRequests = 3000;
  {
    AccessLog log({path});
    HandlerTable table = page_table();
    ServerOptions options = testing::quiet_options();
    options.request_logger = log.combined_logger();
    TestServer server(table, options);
    pipelined_requests(server.port(), kRequests, 64);
  }
  expect_whole_and_in_order(
      read_whole_file(path),
      std::regex(R"(127\.0\.0\.1 - - \[[^\]]+\] "GET /(\d+) HTTP/1\.1" 200 4 "-" "-")"), kRequests);
}

TEST(ServerLog, AHandlersMessageGoesThroughTheSameBatchBeforeItsAccessLine) {
  testing::TempFolder dir("server-log");
  std::string path = dir.file("access.log");
  {
    AccessLog log({path});
    HandlerTable table;
    table.on("GET", [](RequestHandler& handler) {
      std::string_view path = handler.path();
      handler.log_message("note for %.*s", static_cast<int>(path.size()), path.data());
      send_text(handler, 200, "page");
    });
    ServerOptions options = testing::quiet_options();
    options.log_sink = log.sink();
    TestServer server(table, options);
    pipelined_requests(server.port(), 20, 10);
  }
  std::vector<std::string> lines = split_lines(read_whole_file(path));
  ASSERT_EQ(lines.size(), 40u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_NE(lines[2 * i].find("] note for /" + std::to_string(i)), std::string::npos)
        << lines[2 * i];
    EXPECT_NE(lines[2 * i + 1].find("\"GET /" + std::to_string(i) + " HTTP/1.1\" 200 -"),
              std::string::npos)
        << lines[2 * i + 1];
  }
}

// Points the process's stderr at `fd` for the length of a scope, then puts
// it back.
class StderrRedirect {
 public:
  explicit StderrRedirect(int fd) : saved_(::dup(STDERR_FILENO)) { ::dup2(fd, STDERR_FILENO); }
  ~StderrRedirect() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  StderrRedirect(const StderrRedirect&) = delete;
  StderrRedirect& operator=(const StderrRedirect&) = delete;

 private:
  int saved_;
};

TEST(ServerLog, TheDefaultStderrLogIsWrittenAtShutdown) {
  testing::TempFolder dir("server-log");
  std::string path = dir.file("stderr");
  FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(file);
  constexpr int kRequests = 500;
  {
    StderrRedirect redirect(file.get());
    HandlerTable table = page_table();
    ServerOptions options = testing::quiet_options();
    options.log_sink = stderr_log_sink();
    {
      TestServer server(table, options);
      pipelined_requests(server.port(), kRequests, 16);
    }
    ASSERT_TRUE(stderr_log_writer().flush(std::chrono::seconds(10)));
  }
  expect_whole_and_in_order(
      read_whole_file(path),
      std::regex(R"(127\.0\.0\.1 - - \[[^\]]+\] "GET /(\d+) HTTP/1\.1" 200 -)"), kRequests);
}

TEST(ServerLog, ABlockedStderrDropsAndCountsLinesWhileTheLoopServes) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  FileDescriptor read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  ::fcntl(write_end.get(), F_SETPIPE_SZ, 4096);
  Metrics metrics;
  HandlerTable table = page_table();
  metrics.install(table);
  std::string scrape;
  {
    StderrRedirect redirect(write_end.get());
    ServerOptions options = testing::quiet_options();
    options.log_sink = stderr_log_sink();
    {
      TestServer server(table, options);
      // The writer blocks on the pipe at once; its 1 MiB buffer holds about
      // 17,000 of these lines: 30,000 requests overflow it.
      auto started = std::chrono::steady_clock::now();
      pipelined_requests(server.port(), 30000, 100);
      EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60))
          << "the server waited for stderr";
      RawClient client(server.port());
      ASSERT_TRUE(client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
      auto response = client.read_response();
      ASSERT_TRUE(response);
      scrape = response->body;
    }
    // Now read, so that the writer can finish (bounded) and stderr be put back.
    std::atomic<bool> done{false};
    std::thread drain([&] {
      ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
      char chunk[65536];
      while (!done.load()) {
        if (::read(read_end.get(), chunk, sizeof(chunk)) <= 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling a pipe, bounded
        }
      }
    });
    bool flushed = stderr_log_writer().flush(std::chrono::seconds(20));
    done = true;
    drain.join();
    EXPECT_TRUE(flushed);
  }
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(scrape, match, std::regex(R"(basehttp_log_lines_dropped_total (\d+)\n)")))
      << scrape;
  EXPECT_GT(std::stoull(match[1].str()), 1000u) << scrape;
}

}  // namespace
}  // namespace basehttp
