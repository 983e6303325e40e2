#include "http/request_log.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "http/log_escape.hpp"

namespace basehttp {
namespace {

constexpr std::string_view kUnixAddress = "unix:";
constexpr std::string_view kAfterAddress = " - - [";
constexpr std::string_view kAfterTime = "] ";
// Room for the prefix: address, the time in its brackets, the separators.
constexpr size_t kPrefixBytes = RequestLog::kAddressSize + 40 + 16;

// Same host, port aside: a client's next connection logs the same text.
bool same_host(const SocketAddress& a, const SocketAddress& b) {
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

}  // namespace

size_t RequestLog::format_address(const SocketAddress& client, char* out) {
  if (client.is_unix()) {
    std::memcpy(out, kUnixAddress.data(), kUnixAddress.size());
    return kUnixAddress.size();
  }
  return client.host_to(out);
}

RequestLog::RequestLog(const LogSink& sink) : sink_(sink) {
  if (!sink_) return;
  // Most lines fit at once: growing is for long request lines and messages.
  line_.resize(4096);
  message_.resize(512);
}

std::string_view RequestLog::address_text(const SocketAddress& client) {
  // inet_ntop formats with sprintf: keep the text while the client is the same.
  if (address_length_ == 0 || !same_host(client, last_client_)) {
    address_length_ = format_address(client, address_);
    last_client_ = client;
  }
  return {address_, address_length_};
}

size_t RequestLog::begin_line(const SocketAddress& client, std::time_t now, size_t message_bytes) {
  // Escaping writes at most 4 bytes per byte; the rest is a short tail.
  size_t needed = kPrefixBytes + 4 * message_bytes + 64;
  if (line_.size() < needed) line_.resize(needed);
  char* out = line_.data();
  size_t n = 0;
  auto put = [&](std::string_view text) {
    std::memcpy(out + n, text.data(), text.size());
    n += text.size();
  };
  put(address_text(client));
  put(kAfterAddress);
  put(time_.text(now));
  put(kAfterTime);
  return n;
}

void RequestLog::vlog(const SocketAddress& client, std::time_t now, const char* format,
                      va_list args) {
  if (!sink_) return;
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
  n += escape_for_log(message, line_.data() + n, line_.size() - n).written;
  line_[n++] = '\n';
  sink_(std::string_view(line_.data(), n));
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
  char* out = line_.data();
  out[n++] = '"';
  n += escape_for_log(request_line, out + n, line_.size() - n).written;
  out[n++] = '"';
  out[n++] = ' ';
  if (code > 0) {
    n = static_cast<size_t>(std::to_chars(out + n, out + line_.size(), code).ptr - out);
  } else {
    out[n++] = '-';
  }
  out[n++] = ' ';
  if (size >= 0) {
    n = static_cast<size_t>(std::to_chars(out + n, out + line_.size(), size).ptr - out);
  } else {
    out[n++] = '-';
  }
  out[n++] = '\n';
  sink_(std::string_view(out, n));
}

}  // namespace basehttp
