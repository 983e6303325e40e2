#include "handlers/operations/access_log.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "http/log_escape.hpp"
#include "http/log_time.hpp"
#include "http/request_log.hpp"
#include "http/server.hpp"

namespace basehttp {
namespace {

// A line longer than this is cut (its end marked): a request line alone
// may be 64 KiB, and the log is for reading, not for replaying requests.
constexpr size_t kMaxLine = 4096;
constexpr std::string_view kCut = "...";

// Appends into a fixed buffer, never past its end.
class LineWriter {
 public:
  LineWriter(char* begin, size_t size) : cursor_(begin), end_(begin + size) {}
  void put(std::string_view text) {
    size_t n = std::min(text.size(), static_cast<size_t>(end_ - cursor_));
    std::memcpy(cursor_, text.data(), n);
    cursor_ += n;
  }
  void put(char c) {
    if (cursor_ < end_) *cursor_++ = c;
  }
  // Escaped as every log line is (http/log_escape.hpp), '"' too: a
  // reader must not mistake a byte for the field's end or a new line. A
  // text that does not fit is cut after the last whole escape, where the
  // line ends with kCut.
  void put_escaped(std::string_view text) {
    size_t room = static_cast<size_t>(end_ - cursor_);
    LogEscapeResult result = escape_for_log(text, cursor_, room, LogQuotes::kEscaped);
    if (result.consumed < text.size()) {
      size_t keep = room < kCut.size() ? 0 : room - kCut.size();
      result = escape_for_log(text, cursor_, keep, LogQuotes::kEscaped);
      end_ = cursor_ + result.written + std::min(kCut.size(), room);
    }
    cursor_ += result.written;
    if (result.consumed < text.size()) put(kCut);
  }
  void put_number(uint64_t value) {
    char digits[24];
    int n = std::snprintf(digits, sizeof(digits), "%llu", static_cast<unsigned long long>(value));
    put(std::string_view(digits, static_cast<size_t>(n)));
  }
  size_t length(const char* begin) const { return static_cast<size_t>(cursor_ - begin); }
  bool full() const { return cursor_ == end_; }

 private:
  char* cursor_;
  char* end_;
};

// "[01/Dec/2026:18:02:55 +0000]" for the loop's second, formatted once per
// second per thread (strftime and the time zone lookup are not cheap).
std::string_view combined_time(std::time_t now) {
  thread_local LogTime time(LogTime::Format::kCombined);
  return time.text(now);
}

}  // namespace

AccessLog::AccessLog(AccessLogOptions options) : options_(std::move(options)) {
  open_file();
  pending_.reserve(options_.buffer_bytes);
  writer_ = std::thread([this] { run_writer(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void AccessLog::open_file() {
  if (options_.path.empty()) {
    fd_ = STDERR_FILENO;
    return;
  }
  FileDescriptor file(
      ::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!file) throw std::system_error(errno, std::generic_category(), "open " + options_.path);
  file_ = std::move(file);
  fd_ = file_.get();
}

void AccessLog::append(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_.size() + line.size() > options_.buffer_bytes) {
      ++dropped_;
      return;
    }
    wake = pending_.empty();
    pending_.append(line);
  }
  if (wake) wake_.notify_one();  // otherwise the writer has been told already
}

void AccessLog::log_combined(const RequestHandler& handler) {
  char line[kMaxLine];
  LineWriter out(line, sizeof(line) - 1);  // room for the newline
  char address[RequestLog::kAddressSize];
  out.put(std::string_view(address, RequestLog::format_address(handler.client_address(), address)));
  out.put(" - - ");
  out.put(combined_time(handler.server().loop().wall_seconds()));
  out.put(" \"");
  std::string_view request_line = handler.requestline();
  if (request_line.empty()) {
    out.put('-');
  } else {
    out.put_escaped(request_line);
  }
  out.put("\" ");
  out.put_number(static_cast<uint64_t>(handler.status()));
  out.put(' ');
  // Body bytes sent: none for HEAD and for responses that carry no body.
  bool no_body = handler.command() == "HEAD" || handler.status() < 200 || handler.status() == 204 ||
                 handler.status() == 304;
  if (no_body || handler.body_bytes() == 0) {
    out.put('-');
  } else {
    out.put_number(handler.body_bytes());
  }
  Headers headers = handler.headers();
  for (std::string_view name : {"Referer", "User-Agent"}) {
    out.put(" \"");
    std::optional<std::string_view> value = headers.get(name);
    if (value) {
      out.put_escaped(*value);
    } else {
      out.put('-');
    }
    out.put('"');
  }
  size_t length = out.length(line);
  if (out.full()) {
    std::memcpy(line + length - kCut.size(), kCut.data(), kCut.size());
  }
  line[length++] = '\n';
  append(std::string_view(line, length));
}

RequestLogger AccessLog::combined_logger() {
  return [this](const RequestHandler& handler) { log_combined(handler); };
}

LogSink AccessLog::sink() {
  return [this](std::string_view line) { append(line); };
}

void AccessLog::reopen() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reopen_ = true;
  }
  wake_.notify_one();
}

uint64_t AccessLog::dropped_lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

void AccessLog::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (pending_.empty() && written_batches_ == queued_batches_) return;
  uint64_t target = queued_batches_ + (pending_.empty() ? 0 : 1);
  wake_.notify_one();
  written_.wait(lock, [&] { return written_batches_ >= target; });
}

void AccessLog::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk: these lines are lost, the next batch tries again
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void AccessLog::run_writer() {
  // Signals are the loops' business (a signalfd blocks them in their
  // threads only): this thread must never be the one the kernel picks.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // Swapped with pending_ under the lock: both keep their capacity, so
  // neither side allocates once both have grown.
  std::string batch;
  batch.reserve(options_.buffer_bytes);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || reopen_ || !pending_.empty(); });
    bool reopen = reopen_;
    reopen_ = false;
    batch.swap(pending_);
    uint64_t dropped = dropped_ - dropped_reported_;
    dropped_reported_ = dropped_;
    bool stopping = stop_;
    ++queued_batches_;
    lock.unlock();

    if (reopen && !options_.path.empty()) {
      try {
        open_file();
      } catch (const std::system_error& error) {
        // Keep writing to the file open before rather than lose the log.
        std::fprintf(stderr, "access log: %s\n", error.what());
      }
    }
    write_all(batch);
    batch.clear();
    if (dropped != 0) {
      char note[96];
      int n = std::snprintf(note, sizeof(note), "access log: %llu lines dropped (buffer full)\n",
                            static_cast<unsigned long long>(dropped));
      write_all(std::string_view(note, static_cast<size_t>(n)));
    }

    lock.lock();
    written_batches_ = queued_batches_;
    written_.notify_all();
    if (stopping && pending_.empty()) return;
  }
}

}  // namespace basehttp
