// The request path allocates nothing in steady state: keep-alive requests,
// plaintext and json, one at a time and pipelined, through the in-process
// exchange and through real sockets (counted on the server's loop thread),
// with logging off and with it on, as basehttpd runs by default.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <regex>
#include <string>

#include "handlers/operations/access_log.hpp"
#include "http/log_writer.hpp"
#include "tests/support/allocation_counter.hpp"
#include "tests/support/hello_handlers.hpp"
#include "tests/support/in_process_exchange.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::InProcessExchange;
using testing::thread_allocations;

std::string requests(std::string_view path, int count) {
  std::string batch;
  for (int i = 0; i < count; ++i) {
    batch += "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
  }
  return batch;
}

struct Case {
  const char* name;
  bool python_style;
  const char* path;
  int pipelined;
  bool logging = false;  // to a NullSink, as basehttpd logs by default
};
void PrintTo(const Case& c, std::ostream* out) {
  *out << c.name;
}

// Feeds `batch` 100 times (buffers reach their size), then 1000 times, and
// returns the allocations of those 1000; `produced` adds up their response bytes.
uint64_t steady_allocations(InProcessExchange& exchange, std::string_view batch,
                            size_t* produced = nullptr) {
  for (int i = 0; i < 100; ++i)
    exchange.feed(batch);
  uint64_t before = thread_allocations();
  for (int i = 0; i < 1000; ++i) {
    size_t bytes = exchange.feed(batch);
    if (produced != nullptr) *produced += bytes;
  }
  return thread_allocations() - before;
}

// A log sink that allocates nothing itself: each line goes to /dev/null
// with write(2), as the default sink's unbuffered stderr would, and is
// counted; the last line is kept for a look at its bytes.
class NullSink {
 public:
  NullSink() : fd_(::open("/dev/null", O_WRONLY | O_CLOEXEC)) {}
  ~NullSink() { ::close(fd_); }
  NullSink(const NullSink&) = delete;
  NullSink& operator=(const NullSink&) = delete;
  LogSink sink() {
    return [this](std::string_view line) {
      ++lines_;
      bytes_ += line.size();
      last_length_ = std::min(line.size(), sizeof(last_));
      std::memcpy(last_, line.data(), last_length_);
      (void)!::write(fd_, line.data(), line.size());
    };
  }
  uint64_t lines() const { return lines_; }
  uint64_t bytes() const { return bytes_; }
  std::string_view last() const { return {last_, last_length_}; }

 private:
  int fd_;
  uint64_t lines_ = 0;
  uint64_t bytes_ = 0;
  char last_[512];
  size_t last_length_ = 0;
};

// Python's access line for the hello handlers' answer to `path`.
bool is_access_line(std::string_view line, std::string_view path, int code) {
  std::regex shape(
      "127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4} \\d\\d:\\d\\d:\\d\\d\\] "
      "\"GET " +
      std::string(path) + " HTTP/1\\.1\" " + std::to_string(code) + " -\n");
  return std::regex_match(line.begin(), line.end(), shape);
}

// The counter itself: if it were not linked in, every test here would
// see 0 and pass.
TEST(AllocationCounter, CountsThisThreadsAllocations) {
  uint64_t before = thread_allocations();
  // A call of the function, not a new-expression: the compiler may not elide it.
  void* block = ::operator new(64);
  uint64_t after = thread_allocations();
  ::operator delete(block);
  EXPECT_EQ(after - before, 1u);
}

class SteadyState : public ::testing::TestWithParam<Case> {};

TEST_P(SteadyState, AllocatesNothingPerRequest) {
  const Case& c = GetParam();
  HandlerTable table = testing::hello_handlers(c.python_style ? testing::ResponseStyle::kPythonCalls
                                                              : testing::ResponseStyle::kRespond);
  NullSink log;
  ServerOptions options;
  options.log_sink = c.logging ? log.sink() : nullptr;
  InProcessExchange exchange(table, options);
  std::string batch = requests(c.path, c.pipelined);
  std::string response = exchange.exchange(batch);
  ASSERT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  uint64_t lines = log.lines(), bytes = log.bytes();
  size_t produced = 0;
  EXPECT_EQ(steady_allocations(exchange, batch, &produced), 0u)
      << "over " << 1000 * c.pipelined << " requests";
  EXPECT_EQ(produced, 1000 * response.size());
  if (!c.logging) return;
  // Every request was logged, each line as long as the last (the time's
  // text has one length): the count is not of a log that wrote nothing.
  EXPECT_EQ(log.lines() - lines, 1100u * c.pipelined);  // warm-up included
  EXPECT_EQ(log.bytes() - bytes, 1100u * c.pipelined * log.last().size());
  EXPECT_TRUE(is_access_line(log.last(), c.path, 200)) << log.last();
}

INSTANTIATE_TEST_SUITE_P(
    Requests, SteadyState,
    ::testing::Values(Case{"plaintext", false, "/plaintext", 1},
                      Case{"plaintext_pipelined16", false, "/plaintext", 16},
                      Case{"json", false, "/json", 1}, Case{"json_pipelined16", false, "/json", 16},
                      Case{"python_style_plaintext", true, "/plaintext", 1},
                      Case{"python_style_json_pipelined16", true, "/json", 16},
                      Case{"logging_plaintext", false, "/plaintext", 1, true},
                      Case{"logging_json_pipelined16", false, "/json", 16, true},
                      Case{"logging_python_style_plaintext", true, "/plaintext", 1, true},
                      Case{"logging_python_style_json_pipelined16", true, "/json", 16, true}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// Points stderr at a temporary file while it lives (the default sink's
// lines land there, to be counted), then puts it back.
class StderrToFile {
 public:
  StderrToFile() {
    char path[] = "/tmp/allocation_test_stderr_XXXXXX";
    file_ = ::mkstemp(path);
    ::unlink(path);
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(file_, STDERR_FILENO);
  }
  ~StderrToFile() {
    restore();
    ::close(file_);
  }
  StderrToFile(const StderrToFile&) = delete;
  StderrToFile& operator=(const StderrToFile&) = delete;
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::string contents() const {
    std::string text;
    char chunk[65536];
    ssize_t n;
    for (off_t at = 0; (n = ::pread(file_, chunk, sizeof(chunk), at)) > 0; at += n)
      text.append(chunk, static_cast<size_t>(n));
    return text;
  }

 private:
  int file_ = -1;
  int saved_ = -1;
};

// The default configuration: ServerOptions' own stderr sink.
TEST(SteadyStateLoggingToStderr, AllocatesNothingPerRequest) {
  for (auto style : {testing::ResponseStyle::kRespond, testing::ResponseStyle::kPythonCalls}) {
    HandlerTable table = testing::hello_handlers(style);
    InProcessExchange exchange(table, ServerOptions{});
    std::string batch = requests("/plaintext", 16);
    uint64_t allocations;
    std::string logged;
    uint64_t dropped_before = stderr_log_writer().dropped_lines();
    {
      StderrToFile redirect;
      allocations = steady_allocations(exchange, batch);
      // The lines are the writer thread's to write: wait for it.
      ASSERT_TRUE(stderr_log_writer().flush(std::chrono::seconds(30)));
      redirect.restore();
      logged = redirect.contents();
    }
    EXPECT_EQ(allocations, 0u) << "over 16000 requests";
    size_t first_end = logged.find('\n');
    ASSERT_NE(first_end, std::string::npos) << "nothing logged";
    std::string_view first(logged.data(), first_end + 1);
    EXPECT_TRUE(is_access_line(first, "/plaintext", 200)) << first;
    // Every line was written, or dropped and counted: on a loaded machine
    // the writer thread may not run before its 1 MiB buffer fills (the
    // lines come faster here than any loop makes them), and that is the
    // design, not a failure. The writer's note of the drop is not an
    // access line.
    uint64_t dropped = stderr_log_writer().dropped_lines() - dropped_before;
    size_t access_lines = 0;
    for (size_t at = 0; at < logged.size();) {
      size_t end = logged.find('\n', at);
      ASSERT_NE(end, std::string::npos) << "a line cut short";
      std::string_view line(logged.data() + at, end + 1 - at);
      if (line.find(" lines dropped (buffer full)") == std::string_view::npos) {
        EXPECT_EQ(line.size(), first.size()) << line;
        ++access_lines;
      }
      at = end + 1;
    }
    EXPECT_EQ(access_lines + dropped, 1100u * 16);
  }
}

// basehttpd --combined / --access-log FILE: lines batched for the
// AccessLog's writer, in both formats; nothing dropped, every line written.
TEST(SteadyStateAccessLogFile, AllocatesNothingPerRequest) {
  for (bool combined : {false, true}) {
    char path[] = "/tmp/allocation_test_access_XXXXXX";
    int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    uint64_t allocations;
    {
      AccessLog log({path, 64 * 1024 * 1024});
      HandlerTable table = testing::hello_handlers(testing::ResponseStyle::kRespond);
      ServerOptions options;
      if (combined) {
        options.request_logger = log.combined_logger();
      } else {
        options.log_sink = log.sink();
      }
      InProcessExchange exchange(table, options);
      allocations = steady_allocations(exchange, requests("/plaintext", 16));
      log.flush();
      EXPECT_EQ(log.dropped_lines(), 0u);
    }
    EXPECT_EQ(allocations, 0u) << (combined ? "combined" : "python") << ", over 16000 requests";
    std::string text;
    char chunk[65536];
    ssize_t n;
    while ((n = ::read(fd, chunk, sizeof(chunk))) > 0)
      text.append(chunk, static_cast<size_t>(n));
    ::close(fd);
    ::unlink(path);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1100 * 16);
    std::string_view first(text.data(), text.find('\n') + 1);
    if (combined) {
      EXPECT_EQ(first.find("127.0.0.1 - - ["), 0u) << first;
      EXPECT_NE(first.find("] \"GET /plaintext HTTP/1.1\" 200 13 \"-\" \"-\"\n"), std::string::npos)
          << first;
    } else {
      EXPECT_TRUE(is_access_line(first, "/plaintext", 200)) << first;
    }
  }
}

// Error lines (log_error: printf, then escaping) on every request.
TEST(SteadyStateLoggingErrors, AllocatesNothingPerRequest) {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    // A control byte and a backslash: the escaping has work to do.
    h.log_error("no page at %.*s \x1b\\: code %d", static_cast<int>(h.path().size()),
                h.path().data(), 404);
    h.respond(404, "text/plain", "Not Found");
  });
  NullSink log;
  ServerOptions options;
  options.log_sink = log.sink();
  InProcessExchange exchange(table, options);
  std::string batch = requests("/missing", 16);
  EXPECT_EQ(steady_allocations(exchange, batch), 0u) << "over 16000 requests";
  EXPECT_EQ(log.lines(), 2u * 1100 * 16);  // the error line and the access line
  EXPECT_TRUE(is_access_line(log.last(), "/missing", 404)) << log.last();
}

// send_error() fills its page in a buffer the loop thread keeps (no
// allocation, SteadyStateStaticFiles' 404): the log must add none.
TEST(SteadyStateLoggingSendError, TheLogAddsNoAllocation) {
  auto allocations = [](bool logging) {
    HandlerTable table;
    table.on("GET", [](RequestHandler& h) { h.send_error(404); });
    NullSink log;
    ServerOptions options;
    options.log_sink = logging ? log.sink() : nullptr;
    InProcessExchange exchange(table, options);
    uint64_t count = steady_allocations(exchange, requests("/missing", 16));
    EXPECT_EQ(log.lines(), logging ? 2u * 1100 * 16 : 0u);
    return count;
  };
  EXPECT_EQ(allocations(true), allocations(false));
}

// A file server's answers, logging off and on: a file, one in a subfolder,
// 304s by ETag and by date, a range, a folder's redirect and a 404 (whose
// page send_error() fills in a kept buffer).
TEST(SteadyStateStaticFiles, AllocatesNothingPerRequest) {
  testing::TempFolder folder("allocation-static");
  {
    std::string kib(1024, 'x');
    FILE* out = std::fopen(folder.file("1k.bin").c_str(), "wb");
    ASSERT_NE(out, nullptr);
    std::fwrite(kib.data(), 1, kib.size(), out);
    std::fclose(out);
    ASSERT_EQ(::mkdir(folder.file("sub").c_str(), 0755), 0);
    out = std::fopen(folder.file("sub/page.html").c_str(), "wb");
    ASSERT_NE(out, nullptr);
    std::fputs("<p>page</p>", out);
    std::fclose(out);
  }
  StaticFilesOptions static_options;
  static_options.root = folder.path();
  StaticFiles files(static_options);
  HandlerTable table;
  files.install(table);
  for (bool logging : {false, true}) {
    NullSink log;
    ServerOptions options;
    options.log_sink = logging ? log.sink() : nullptr;
    InProcessExchange exchange(table, options);
    std::string first = exchange.exchange(requests("/1k.bin", 1));
    auto field = [&](std::string_view name) {
      size_t at = first.find(std::string("\r\n") + std::string(name) + ": ");
      if (at == std::string::npos) return std::string();
      at += name.size() + 4;
      return first.substr(at, first.find("\r\n", at) - at);
    };
    const std::string host = "Host: 127.0.0.1:8080\r\n";
    struct Ask {
      const char* name;
      std::string request;
      const char* status;
    } asks[] = {
        {"file", "GET /1k.bin HTTP/1.1\r\n" + host, "200"},
        {"subfolder", "GET /sub/page.html HTTP/1.1\r\n" + host, "200"},
        {"etag", "GET /1k.bin HTTP/1.1\r\n" + host + "If-None-Match: " + field("ETag") + "\r\n",
         "304"},
        {"date",
         "GET /1k.bin HTTP/1.1\r\n" + host + "If-Modified-Since: " + field("Last-Modified") +
             "\r\n",
         "304"},
        {"range", "GET /1k.bin HTTP/1.1\r\n" + host + "Range: bytes=10-19\r\n", "206"},
        {"redirect", "GET /sub?a=1 HTTP/1.1\r\n" + host, "301"},
        {"missing", "GET /missing.txt HTTP/1.1\r\n" + host, "404"},
        {"other_method", "DELETE /1k.bin HTTP/1.1\r\n" + host, "501"},
    };
    for (const Ask& ask : asks) {
      std::string request = ask.request + "\r\n";
      std::string response = exchange.exchange(request);
      ASSERT_EQ(response.rfind(std::string("HTTP/1.1 ") + ask.status, 0), 0u)
          << ask.name << ": " << response;
      std::string batch;
      for (int i = 0; i < 16; ++i)
        batch += request;
      EXPECT_EQ(steady_allocations(exchange, batch), 0u)
          << ask.name << (logging ? ", logging" : "") << ", over 16000 requests";
    }
  }
}

// Per-phase latency is recorded on the request path too: still no allocation.
TEST(SteadyStateWithLatencyHistograms, AllocatesNothingPerRequest) {
  for (int pipelined : {1, 16}) {
    HandlerTable table = testing::hello_handlers(testing::ResponseStyle::kRespond);
    ServerOptions options;
    options.log_sink = nullptr;
    options.latency_histograms = true;
    InProcessExchange exchange(table, options);
    std::string batch = requests("/plaintext", pipelined);
    ASSERT_EQ(exchange.exchange(batch).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    EXPECT_EQ(steady_allocations(exchange, batch), 0u)
        << "over " << 1000 * pipelined << " requests";
  }
}

TEST(SteadyStateOverSockets, TheLoopThreadAllocatesNothingPerRequest) {
  HandlerTable table = testing::hello_handlers(testing::ResponseStyle::kRespond);
  testing::TestServer server(table);
  testing::RawClient client(server.port());
  auto round = [&](int count, bool pipelined) {
    if (pipelined) {
      ASSERT_TRUE(client.send(requests("/plaintext", count)));
      for (int i = 0; i < count; ++i)
        ASSERT_TRUE(client.read_response());
    } else {
      for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(client.send(requests("/json", 1)));
        ASSERT_TRUE(client.read_response());
      }
    }
  };
  auto traffic = [&] {
    round(1000, false);
    round(1600, true);
  };
  traffic();  // warm up with the same traffic: buffers reach their size
  // Taking a count costs the loop thread something itself (the posted call
  // and its promise): measure that with no traffic, then with traffic.
  auto allocations_over = [&](auto traffic) {
    uint64_t before = 0, after = 0;
    server.run_in_loop([&] { before = thread_allocations(); });
    traffic();
    server.run_in_loop([&] { after = thread_allocations(); });
    return after - before;
  };
  uint64_t idle = allocations_over([] {});
  uint64_t busy = allocations_over(traffic);
  EXPECT_EQ(busy, idle) << "2600 requests allocated " << busy - idle << " times";
}

// A connection idle past idle_release_after gives back its buffers and is
// parked; its next request makes it a Session again. That costs an
// epoll_ctl, but no allocation once the pools have their blocks.
TEST(SteadyStateOverSockets, WakingAParkedConnectionAllocatesNothing) {
  HandlerTable table = testing::hello_handlers(testing::ResponseStyle::kRespond);
  ServerOptions options = testing::quiet_options();
  options.idle_release_after = std::chrono::milliseconds(20);
  testing::TestServer server(table, options);
  testing::RawClient client(server.port());
  auto count = [&] {
    uint64_t allocations = 0;
    server.run_in_loop([&] { allocations = thread_allocations(); });
    return allocations;
  };
  auto wait_parked = [&] {
    // Bounded: parked within 5 s of going idle, or the test fails.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    size_t parked = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      server.run_in_loop([&] { parked = server.server().parked_connection_count(); });
      if (parked == 1) return true;
      if (!client.silent_for(std::chrono::milliseconds(10))) return false;
    }
    return false;
  };
  // Only a connection heard from is parked.
  ASSERT_TRUE(client.send(requests("/plaintext", 1)));
  ASSERT_TRUE(client.read_response());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(wait_parked()) << "cycle " << i;
    // Taking a count costs the loop thread something itself (the posted
    // call and its promise): that, with nothing between two counts.
    uint64_t start = count();
    uint64_t before = count();
    ASSERT_TRUE(client.send(requests("/plaintext", 1)));
    ASSERT_TRUE(client.read_response());
    auto wake = static_cast<int64_t>(count() - before) - static_cast<int64_t>(before - start);
    // The first wake fills the pools (a request state, the blocks).
    if (i > 0) {
      EXPECT_EQ(wake, 0) << "cycle " << i;
    }
  }
}

}  // namespace
}  // namespace basehttp
