// LogWriter: a thread that writes log lines to a file or to stderr, so
// that no event loop ever waits on the disk, a pipe or a terminal. Loops
// hand it their lines in batches (RequestLog: one batch per loop
// iteration, one lock each) into a bounded buffer; when the buffer is
// full, lines are dropped and counted (and the count is written to the log
// once there is room again). The thread lingers a little after it is woken
// so that a steady trickle of lines costs one write per linger period, not
// one per batch. append(), reopen(), dropped_lines(), flush(): any thread.
// stderr_log_writer() is the process's writer for stderr (the default
// log_sink's); it is flushed, for a bounded time, when the process exits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "reactor/file_descriptor.hpp"

namespace basehttp {

struct LogWriterOptions {
  /// The file appended to (created 0640 if missing); empty: stderr.
  std::string path;
  /// Bytes of lines waiting for the writer at most; beyond, lines are dropped.
  size_t buffer_bytes = 1024 * 1024;
  /// How long the writer waits for more lines after it is woken, unless
  /// half the buffer fills first: a log line may show up this late.
  std::chrono::milliseconds linger{20};
};

class LogWriter {
 public:
  /// Opens the file and starts the writer; throws std::system_error when
  /// the file cannot be opened.
  explicit LogWriter(LogWriterOptions options = {});
  /// Writes what is queued, then stops the writer.
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  /// Queues whole lines (each ending in '\n'); the lines that do not fit
  /// in the buffer are dropped, and their number returned.
  size_t append(std::string_view lines);
  /// Has the writer close and open the path again (no-op for stderr).
  void reopen();
  /// Lines dropped so far because the buffer was full.
  uint64_t dropped_lines() const;
  /// append() calls so far: each takes the lock (tests count hand-overs).
  uint64_t appends() const;
  /// Blocks until every line queued so far has been written, or `timeout`
  /// passed (a reader that never reads must not hang an exit); false then.
  bool flush(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());

 private:
  void run_writer();
  void open_file();
  void write_all(std::string_view bytes);

  LogWriterOptions options_;
  FileDescriptor file_;  // writer thread, after construction
  int fd_ = 2;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: lines, reopen, flush, stop
  std::condition_variable written_;  // flush(): the writer caught up
  std::string pending_;              // lines queued, at most buffer_bytes
  uint64_t dropped_ = 0;
  uint64_t appends_ = 0;
  uint64_t dropped_reported_ = 0;
  uint64_t queued_batches_ = 0;
  uint64_t written_batches_ = 0;
  bool flush_ = false;  // a flush() waits: no lingering
  bool reopen_ = false;
  bool stop_ = false;
  std::thread writer_;
};

/// The process's writer for stderr, started on first use and never
/// destroyed (lines from servers still running at exit would find it
/// gone); at normal exit it is flushed for at most two seconds.
LogWriter& stderr_log_writer();

/// A LogSink function object that queues into a LogWriter: RequestLog
/// recognises it (std::function::target) and hands it one batch of lines
/// per loop iteration instead of calling it once per line. A null writer
/// stands for stderr_log_writer(), so that making the default options does
/// not start a thread.
struct LogWriterSink {
  LogWriter* writer = nullptr;
  LogWriter& get() const { return writer != nullptr ? *writer : stderr_log_writer(); }
  void operator()(std::string_view lines) const { get().append(lines); }
};

}  // namespace basehttp
