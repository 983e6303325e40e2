// AccessLog: the access log a service writes while it serves, to a file or
// to stderr, in Python's format or the Apache/nginx "combined" format that
// log tools parse. Each loop collects its lines in a batch of its own and
// hands them to a LogWriter (http/log_writer.hpp) once per loop iteration,
// one lock per batch; the writer's thread writes them out, so a slow disk
// never stalls a loop: when its buffer is full, lines are dropped and
// counted (and the count is written to the log once there is room again;
// the servers count them too, in ServerStats::log_lines_dropped). reopen()
// makes the writer open the path again, after logrotate has moved the
// file (basehttpd does it on SIGUSR1). append(), sink(), combined_logger(),
// reopen(), dropped_lines() and flush(): any thread. Must outlive the
// servers that log to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/log_writer.hpp"
#include "http/request_handler.hpp"
#include "http/server_options.hpp"

namespace basehttp {

struct AccessLogOptions {
  /// The file appended to (created 0640 if missing); empty: stderr.
  std::string path;
  /// Bytes of lines waiting for the writer at most; beyond, lines are dropped.
  size_t buffer_bytes = 1024 * 1024;
};

class AccessLog {
 public:
  /// Opens the file and starts the writer; throws std::system_error when
  /// the file cannot be opened.
  explicit AccessLog(AccessLogOptions options = {});
  /// Writes what is buffered, then stops the writer.
  ~AccessLog() = default;
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// One line in the combined format for the response `handler` finished:
  ///   127.0.0.1 - - [01/Dec/2026:18:02:55 +0000] "GET / HTTP/1.1" 200 1234 "-" "curl/8.0"
  /// (the request line, Referer and User-Agent escaped as every log line
  /// is, http/log_escape.hpp, with '"' as \x22). Copies into the buffer;
  /// allocates nothing once the buffer has grown to its size.
  void log_combined(const RequestHandler& handler);
  /// Queues `line` as it is (newline included), or drops and counts it;
  /// at once, one lock per call (for lines made off the loops).
  void append(std::string_view line);
  /// A request_logger (ServerOptions) calling log_combined().
  RequestLogger combined_logger();
  /// A log_sink (ServerOptions): Python's format, to the file, batched per
  /// loop iteration (a LogWriterSink).
  LogSink sink();
  /// Has the writer close and open the path again (no-op for stderr).
  void reopen();
  /// Lines dropped so far because the buffer was full.
  uint64_t dropped_lines() const;
  /// Blocks until every line handed over so far has been written (tests,
  /// exit). A running loop hands its lines over within a few milliseconds
  /// (RequestLog), and all of them as it stops.
  void flush();
  /// The writer the loops hand their batches to.
  LogWriter& writer() { return writer_; }

 private:
  LogWriter writer_;
};

}  // namespace basehttp
