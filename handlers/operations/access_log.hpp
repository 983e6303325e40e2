// AccessLog: the access log a service writes while it serves, to a file or
// to stderr, in Python's format or the Apache/nginx "combined" format that
// log tools parse. The loop threads only copy each line into a bounded
// buffer; a thread of its own writes the buffer out, so a slow disk never
// stalls a loop: when the buffer is full, lines are dropped and counted
// (and the count is written to the log once there is room again). reopen()
// makes the writer open the path again, after logrotate has moved the file
// (basehttpd does it on SIGUSR1). log(), sink(), logger(), reopen() and
// dropped_lines(): any thread. Must outlive the servers that log to it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "http/request_handler.hpp"
#include "http/server_options.hpp"
#include "reactor/file_descriptor.hpp"

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
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// One line in the combined format for the response `handler` finished:
  ///   127.0.0.1 - - [01/Dec/2026:18:02:55 +0000] "GET / HTTP/1.1" 200 1234 "-" "curl/8.0"
  /// (the request line, Referer and User-Agent escaped as every log line
  /// is, http/log_escape.hpp, with '"' as \x22). Copies into the buffer;
  /// allocates nothing once the buffer has grown to its size.
  void log_combined(const RequestHandler& handler);
  /// Queues `line` as it is (newline included), or drops and counts it.
  void append(std::string_view line);
  /// A request_logger (ServerOptions) calling log_combined().
  RequestLogger combined_logger();
  /// A log_sink (ServerOptions) queuing each line: Python's format, to the file.
  LogSink sink();
  /// Has the writer close and open the path again (no-op for stderr).
  void reopen();
  /// Lines dropped so far because the buffer was full.
  uint64_t dropped_lines() const;
  /// Blocks until every line queued so far has been written (tests, exit).
  void flush();

 private:
  void run_writer();
  void open_file();
  void write_all(std::string_view bytes);

  AccessLogOptions options_;
  FileDescriptor file_;  // writer thread, after construction
  int fd_ = 2;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: lines, reopen, stop
  std::condition_variable written_;  // flush(): the writer caught up
  std::string pending_;              // lines queued, at most buffer_bytes
  uint64_t dropped_ = 0;
  uint64_t dropped_reported_ = 0;
  uint64_t queued_batches_ = 0;
  uint64_t written_batches_ = 0;
  bool reopen_ = false;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace basehttp
