// RequestLog: writes one server's log lines in Python's format,
//   127.0.0.1 - - [05/Dec/2026 00:12:01] "GET / HTTP/1.1" 200 -
// (what RequestHandler::log_message, log_error and log_request write), so
// that the default configuration, logging every request, allocates nothing
// and makes no system call per request. With a sink that queues into a
// LogWriter (the default stderr sink, AccessLog::sink()), lines are
// assembled straight into this loop's batch and handed to the writer (one
// lock) at an iteration's end once 16 KiB are batched, else every 5 ms by
// a loop timer that runs while lines come, and as the loop stops; at once
// when the loop is not running. Lines the writer has no room for are
// dropped and counted. Any other sink gets each line, as a view, when it is made. The
// local time is formatted once a second and the client's host text once
// per client in a row. Buffers grow once for a line longer than any before.
// One per server (so one per loop), loop thread only.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "http/log_time.hpp"
#include "http/server_options.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/socket_address.hpp"

namespace basehttp {

class LogWriter;

class RequestLog {
 public:
  /// Room format_address() needs.
  static constexpr size_t kAddressSize = SocketAddress::kHostTextSize;

  /// Writes `client` as a log line shows it into `out` (kAddressSize
  /// bytes, no NUL) and returns its length: the numeric host ("127.0.0.1",
  /// "::1"); "unix:" for a unix-domain peer, which has no host.
  static size_t format_address(const SocketAddress& client, char* out);
  /// True when both have the same host, ports aside: their log lines show
  /// the same address text.
  static bool same_host(const SocketAddress& a, const SocketAddress& b);

  /// Lines go to `sink`, which must outlive this (the server's
  /// options().log_sink); an empty sink turns the log off. A sink gets a
  /// view valid for the call only, and must not log through this again.
  /// Lines dropped because a writer had no room are added to `dropped`.
  RequestLog(const LogSink& sink, EventLoop& loop, uint64_t& dropped);
  /// Hands on what is batched.
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  /// "<address> - - [<time>] <message>\n" for a request from `client` at
  /// `now` (seconds since the epoch: the loop's wall_seconds()), the
  /// message printf-formatted, then escaped (http/log_escape.hpp).
  void vlog(const SocketAddress& client, std::time_t now, const char* format, va_list args);
  void log(const SocketAddress& client, std::time_t now, const char* format, ...)
      __attribute__((format(printf, 4, 5)));
  /// The access line, the message being "\"<request_line>\" <code> <size>"
  /// with 0 and -1 (any code <= 0, size < 0) as "-": Python's log_request.
  void log_request(const SocketAddress& client, std::time_t now, std::string_view request_line,
                   int code, int64_t size);
  /// Queues a whole line (newline included) for `writer` in this loop's
  /// batch, whatever the sink: AccessLog's combined lines.
  void queue_line(LogWriter& writer, std::string_view line);
  /// Hands the batch to its writer now (the loop's hook and timer do).
  void flush();

 private:
  /// Makes room for a line whose message escapes at most `message_bytes` of
  /// text, then writes "<address> - - [<time>] " at line_start_ and returns
  /// its length.
  size_t begin_line(const SocketAddress& client, std::time_t now, size_t message_bytes);
  /// The line at line_start_ is `length` bytes: to the batch or the sink.
  void end_line(size_t length);
  /// Room for `bytes` at the batch's end for `writer`; returns where.
  char* reserve(LogWriter* writer, size_t bytes);
  char* reserve_slow(LogWriter* writer, size_t bytes);
  /// The iteration hook: hands over a big batch, and all as the loop stops.
  void on_iteration_end();
  /// Makes sure the batch is handed over soon: the timer, or at once.
  void start_timer();
  void stop_timer();
  /// prefix_ for `client` at `now`.
  void make_prefix(const SocketAddress& client, std::time_t now);

  const LogSink& sink_;
  EventLoop& loop_;
  uint64_t& dropped_;
  LogWriter* sink_writer_ = nullptr;   // the sink's writer, if it has one
  LogWriter* batch_writer_ = nullptr;  // whose lines batch_ holds
  std::string batch_;                  // lines for batch_writer_; its size is its capacity
  size_t batched_ = 0;                 // bytes of batch_ in use
  EventLoop::HookId hook_ = 0;
  EventLoop::TimerId timer_ = 0;  // 0: not running
  char* line_start_ = nullptr;    // where the line being made goes
  size_t line_room_ = 0;
  LogTime time_{LogTime::Format::kPython};
  // "<address> - - [<time>] ", made again when the second or the client's
  // host changes, copied whole (a fixed size: no call) into each line.
  static constexpr size_t kPrefixBytes = 96;
  static_assert(kAddressSize + 40 <= kPrefixBytes);
  SocketAddress last_client_;  // whose host prefix_ holds
  std::time_t prefix_second_ = 0;
  size_t prefix_length_ = 0;  // 0: none made yet
  char prefix_[kPrefixBytes] = {};
  std::string line_;     // the line being assembled; its size is its capacity
  std::string message_;  // vlog's printf output before escaping; same
};

}  // namespace basehttp
