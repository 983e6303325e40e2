#include "http/request_log.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "http/log_escape.hpp"
#include "http/log_writer.hpp"

namespace basehttp {
namespace {

constexpr std::string_view kUnixAddress = "unix:";
constexpr std::string_view kAfterAddress = " - - [";
constexpr std::string_view kAfterTime = "] ";
// A loop's batch: lines beyond it in one iteration are handed over early.
constexpr size_t kBatchBytes = 64 * 1024;
// Handing a batch over takes the writer's lock: done at an iteration's end
// once this much is batched, else by the timer, not once per iteration (a
// loop answering one request per iteration would pay it per request).
// Small enough that the copy into the writer's buffer is a few vector
// moves of bytes still in L1 (glibc switches to `rep movsb` past ~2 KiB).
constexpr size_t kHandOverBytes = 1024;
// How long a line may wait in the batch: small beside the writer's linger.
constexpr auto kHandOverInterval = std::chrono::milliseconds(5);

}  // namespace

// A client's next connection logs the same text.
bool RequestLog::same_host(const SocketAddress& a, const SocketAddress& b) {
  if (a.family() != b.family()) return false;
  if (a.family() == AF_INET) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in*>(a.get())->sin_addr,
                       &reinterpret_cast<const sockaddr_in*>(b.get())->sin_addr,
                       sizeof(in_addr)) == 0;
  }
  if (a.family() == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a.get())->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(b.get())->sin6_addr,
                       sizeof(in6_addr)) == 0;
  }
  return true;  // unix, or no address: no host to tell apart
}

size_t RequestLog::format_address(const SocketAddress& client, char* out) {
  if (client.is_unix()) {
    std::memcpy(out, kUnixAddress.data(), kUnixAddress.size());
    return kUnixAddress.size();
  }
  return client.host_to(out);
}

RequestLog::RequestLog(const LogSink& sink, EventLoop& loop, uint64_t& dropped)
    : sink_(sink), loop_(loop), dropped_(dropped) {
  if (!sink_) return;
  if (const auto* writer_sink = sink_.target<LogWriterSink>()) {
    sink_writer_ = &writer_sink->get();
    return;
  }
  // Most lines fit at once: growing is for long request lines and messages.
  line_.resize(4096);
  message_.resize(512);
}

RequestLog::~RequestLog() {
  flush();
  stop_timer();
  if (hook_ != 0) loop_.remove_iteration_hook(hook_);
}

void RequestLog::on_iteration_end() {
  if (batched_ >= kHandOverBytes) flush();
  if (loop_.stopping()) {  // nothing waits in the batch once run() returns
    flush();
    stop_timer();
  }
}

void RequestLog::stop_timer() {
  if (timer_ == 0) return;
  loop_.cancel(timer_);
  timer_ = 0;
}

void RequestLog::start_timer() {
  if (!loop_.running_in_this_thread() || loop_.stopping()) {
    // Outside run() (or after its last iteration) no timer or iteration
    // end comes to hand the line on.
    flush();
    return;
  }
  // Periodic, so that a loop kept busy arms it once; it stops itself
  // after an interval without lines, so that an idle loop is not woken.
  timer_ = loop_.run_every(kHandOverInterval, [this] {
    if (batched_ == 0) {
      stop_timer();
      return;
    }
    flush();
  });
}

void RequestLog::flush() {
  if (batched_ == 0) return;
  dropped_ += batch_writer_->append(std::string_view(batch_.data(), batched_));
  batched_ = 0;
}

char* RequestLog::reserve_slow(LogWriter* writer, size_t bytes) {
  if (hook_ == 0) {
    // Made on first use, so a server that never logs costs its loop nothing.
    batch_.resize(kBatchBytes);
    hook_ = loop_.add_iteration_hook([this] { on_iteration_end(); });
  }
  flush();
  batch_writer_ = writer;
  if (bytes > batch_.size()) batch_.resize(bytes);
  return batch_.data();
}

inline char* RequestLog::reserve(LogWriter* writer, size_t bytes) {
  if (writer != batch_writer_ || batched_ + bytes > batch_.size()) {
    return reserve_slow(writer, bytes);
  }
  return batch_.data() + batched_;
}

void RequestLog::queue_line(LogWriter& writer, std::string_view line) {
  std::memcpy(reserve(&writer, line.size()), line.data(), line.size());
  batched_ += line.size();
  if (timer_ == 0) start_timer();
}

[[gnu::always_inline]] inline void RequestLog::end_line(size_t length) {
  if (sink_writer_ == nullptr) {
    sink_(std::string_view(line_start_, length));
    return;
  }
  batched_ += length;
  if (timer_ == 0) [[unlikely]]
    start_timer();
}

void RequestLog::make_prefix(const SocketAddress& client, std::time_t now) {
  // inet_ntop formats with sprintf, and the time with strftime: both are
  // kept while the client's host and the second stay the same.
  size_t n = format_address(client, prefix_);
  auto put = [&](std::string_view text) {
    std::memcpy(prefix_ + n, text.data(), text.size());
    n += text.size();
  };
  put(kAfterAddress);
  put(time_.text(now));
  put(kAfterTime);
  prefix_length_ = n;
  prefix_second_ = now;
  last_client_ = client;
}

[[gnu::always_inline]] inline size_t RequestLog::begin_line(const SocketAddress& client,
                                                            std::time_t now, size_t message_bytes) {
  // Escaping writes at most 4 bytes per byte; the rest is a short tail.
  size_t needed = kPrefixBytes + 4 * message_bytes + 64;
  if (sink_writer_ != nullptr) {
    line_start_ = reserve(sink_writer_, needed);
  } else {
    if (line_.size() < needed) line_.resize(needed);
    line_start_ = line_.data();
  }
  line_room_ = needed;
  if (prefix_length_ == 0 || now != prefix_second_ || !same_host(client, last_client_)) {
    make_prefix(client, now);
  }
  for (size_t at = 0; at < kPrefixBytes; at += 16)  // six 16-byte moves, no call
    std::memcpy(line_start_ + at, prefix_ + at, 16);
  return prefix_length_;
}

void RequestLog::vlog(const SocketAddress& client, std::time_t now, const char* format,
                      va_list args) {
  if (!sink_) return;
  // Rare (log_message, errors): formatted once into message_, then escaped.
  if (message_.empty()) message_.resize(512);
  va_list copy;
  va_copy(copy, args);
  int length = std::vsnprintf(message_.data(), message_.size(), format, copy);
  va_end(copy);
  if (length < 0) return;
  if (static_cast<size_t>(length) >= message_.size()) {
    message_.resize(static_cast<size_t>(length) + 1);
    std::vsnprintf(message_.data(), message_.size(), format, args);
  }
  std::string_view message(message_.data(), static_cast<size_t>(length));
  size_t n = begin_line(client, now, message.size());
  n += escape_for_log(message, line_start_ + n, line_room_ - n).written;
  line_start_[n++] = '\n';
  end_line(n);
}

void RequestLog::log(const SocketAddress& client, std::time_t now, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vlog(client, now, format, args);
  va_end(args);
}

void RequestLog::log_request(const SocketAddress& client, std::time_t now,
                             std::string_view request_line, int code, int64_t size) {
  if (!sink_) return;
  // The message as log_message("\"%s\" %s %s") would make it, without
  // printf: only the request line has bytes that escaping changes.
  size_t n = begin_line(client, now, request_line.size());
  char* out = line_start_;
  char* end = out + line_room_;
  out[n++] = '"';
  n += escape_for_log(request_line, out + n, line_room_ - n).written;
  out[n++] = '"';
  out[n++] = ' ';
  if (code >= 100 && code <= 999) {
    out[n++] = static_cast<char>('0' + code / 100);
    out[n++] = static_cast<char>('0' + code / 10 % 10);
    out[n++] = static_cast<char>('0' + code % 10);
  } else if (code > 0) {
    n = static_cast<size_t>(std::to_chars(out + n, end, code).ptr - out);
  } else {
    out[n++] = '-';
  }
  out[n++] = ' ';
  if (size >= 0) {
    n = static_cast<size_t>(std::to_chars(out + n, end, size).ptr - out);
  } else {
    out[n++] = '-';
  }
  out[n++] = '\n';
  end_line(n);
}

}  // namespace basehttp
