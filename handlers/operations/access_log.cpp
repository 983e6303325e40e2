#include "handlers/operations/access_log.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "http/log_escape.hpp"
#include "http/log_time.hpp"
#include "http/request_log.hpp"

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
  // A literal: a copy of known size, no call.
  template <size_t N>
  void put(const char (&text)[N]) {
    if (static_cast<size_t>(end_ - cursor_) >= N - 1) {
      std::memcpy(cursor_, text, N - 1);
      cursor_ += N - 1;
    } else {
      put(std::string_view(text, N - 1));
    }
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
    char* end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
    put(std::string_view(digits, static_cast<size_t>(end - digits)));
  }
  size_t length(const char* begin) const { return static_cast<size_t>(cursor_ - begin); }
  bool full() const { return cursor_ == end_; }

 private:
  char* cursor_;
  char* end_;
};

// "<address> - - [01/Dec/2026:18:02:55 +0000]" for a client at the loop's
// second, made again per thread only when the second or the client's host
// changes: strftime, the time zone lookup and inet_ntop are not cheap.
class CombinedPrefix {
 public:
  std::string_view text(const SocketAddress& client, std::time_t now) {
    if (length_ == 0 || now != second_ || !RequestLog::same_host(client, client_)) {
      size_t n = RequestLog::format_address(client, text_);
      std::memcpy(text_ + n, " - - ", 5);
      n += 5;
      std::string_view time = time_.text(now);
      std::memcpy(text_ + n, time.data(), time.size());
      length_ = n + time.size();
      second_ = now;
      client_ = client;
    }
    return {text_, length_};
  }

 private:
  LogTime time_{LogTime::Format::kCombined};
  SocketAddress client_;
  std::time_t second_ = 0;
  size_t length_ = 0;
  char text_[RequestLog::kAddressSize + 48] = {};
};

}  // namespace

AccessLog::AccessLog(AccessLogOptions options)
    : writer_(LogWriterOptions{std::move(options.path), options.buffer_bytes}) {}

void AccessLog::append(std::string_view line) {
  writer_.append(line);
}

void AccessLog::log_combined(const RequestHandler& handler) {
  char line[kMaxLine];
  LineWriter out(line, sizeof(line) - 1);  // room for the newline
  thread_local CombinedPrefix prefix;
  out.put(prefix.text(handler.client_address(), handler.wall_seconds()));
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
  handler.queue_log_line(writer_, std::string_view(line, length));
}

RequestLogger AccessLog::combined_logger() {
  return [this](const RequestHandler& handler) { log_combined(handler); };
}

LogSink AccessLog::sink() {
  return LogWriterSink{&writer_};
}

void AccessLog::reopen() {
  writer_.reopen();
}

uint64_t AccessLog::dropped_lines() const {
  return writer_.dropped_lines();
}

void AccessLog::flush() {
  writer_.flush();
}

}  // namespace basehttp
