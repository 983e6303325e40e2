#include "tests/support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "http/headers.hpp"

namespace basehttp::testing {

using Clock = std::chrono::steady_clock;

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return "";
}

bool Response::has_header(std::string_view name) const {
  return header_count(name) > 0;
}

size_t Response::header_count(std::string_view name) const {
  size_t count = 0;
  for (const auto& field : headers)
    count += iequals(field.first, name) ? 1 : 0;
  return count;
}

RawClient::RawClient(const UnixPath& unix_path, Duration timeout) : timeout_(timeout) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (unix_path.path.size() >= sizeof(address.sun_path)) throw std::runtime_error("path too long");
  std::memcpy(address.sun_path, unix_path.path.data(), unix_path.path.size());
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawClient::RawClient(uint16_t port, std::string host, Duration timeout, int receive_buffer)
    : timeout_(timeout) {
  bool v6 = host.find(':') != std::string::npos;
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval send_timeout{static_cast<time_t>(timeout.count() / 1000),
                       static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  if (receive_buffer > 0) {
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  }
  int result;
  if (v6) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    inet_pton(AF_INET6, host.c_str(), &address.sin6_addr);
    result = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    result = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }
  if (result != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawClient::~RawClient() {
  close();
}

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ssize_t RawClient::send_some(std::string_view bytes) {
  ssize_t n;
  do {
    n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t RawClient::receive_some(char* into, size_t size) {
  ssize_t n;
  do {
    n = ::recv(fd_, into, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send_some(bytes);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void RawClient::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

bool RawClient::fill(Clock::time_point deadline) {
  if (eof_ || fd_ < 0) return false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    if (!has_buffered()) {
      pollfd entry{fd_, POLLIN, 0};
      int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
    }
    char chunk[16384];
    ssize_t n = receive_some(chunk, sizeof(chunk));
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

bool RawClient::read_exact(size_t size, Clock::time_point deadline) {
  while (buffer_.size() < size) {
    if (!fill(deadline)) return false;
  }
  return true;
}

bool RawClient::read_line(std::string* line, Clock::time_point deadline) {
  for (;;) {
    size_t end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      *line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return true;
    }
    if (!fill(deadline)) return false;
  }
}

std::optional<Response> RawClient::read_head(Clock::time_point deadline) {
  Response response;
  std::string line;
  if (!read_line(&line, deadline)) return std::nullopt;
  size_t first = line.find(' ');
  if (first == std::string::npos) return std::nullopt;
  response.version = line.substr(0, first);
  response.status = std::atoi(line.c_str() + first + 1);
  size_t second = line.find(' ', first + 1);
  if (second != std::string::npos) response.reason = line.substr(second + 1);
  for (;;) {
    if (!read_line(&line, deadline)) return std::nullopt;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    response.headers.emplace_back(line.substr(0, colon), value);
  }
  return response;
}

std::optional<Response> RawClient::read_interim() {
  return read_head(Clock::now() + timeout_);
}

std::optional<Response> RawClient::read_response(bool head_request) {
  auto deadline = Clock::now() + timeout_;
  auto response = read_head(deadline);
  if (!response) return std::nullopt;
  int status = response->status;
  if (head_request || status < 200 || status == 204 || status == 304) return response;
  if (iequals(response->header("Transfer-Encoding"), "chunked")) {
    for (;;) {
      std::string size_line;
      if (!read_line(&size_line, deadline)) return std::nullopt;
      size_t size = std::stoul(size_line, nullptr, 16);
      if (size == 0) break;
      if (!read_exact(size + 2, deadline)) return std::nullopt;
      response->body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
    }
    std::string trailer;
    do {
      if (!read_line(&trailer, deadline)) return std::nullopt;
      response->trailer_block += trailer;
    } while (!trailer.empty());
  } else if (response->has_header("Content-Length")) {
    size_t size = std::stoul(response->header("Content-Length"));
    if (!read_exact(size, deadline)) return std::nullopt;
    response->body = buffer_.substr(0, size);
    buffer_.erase(0, size);
  } else {
    while (fill(deadline)) {
    }
    if (!eof_) return std::nullopt;
    response->body = std::move(buffer_);
    buffer_.clear();
  }
  return response;
}

size_t RawClient::discard(size_t size) {
  auto deadline = Clock::now() + timeout_;
  size_t dropped = 0;
  while (dropped < size) {
    if (buffer_.empty() && !fill(deadline)) break;
    size_t step = std::min(size - dropped, buffer_.size());
    buffer_.erase(0, step);
    dropped += step;
  }
  return dropped;
}

std::optional<std::string> RawClient::read_body_bytes(size_t size) {
  if (!read_exact(size, Clock::now() + timeout_)) return std::nullopt;
  std::string bytes = buffer_.substr(0, size);
  buffer_.erase(0, size);
  return bytes;
}

std::string RawClient::read_until_close() {
  auto deadline = Clock::now() + timeout_;
  while (fill(deadline)) {
  }
  std::string all = std::move(buffer_);
  buffer_.clear();
  return all;
}

bool RawClient::closed_by_peer(std::string* rest) {
  auto deadline = Clock::now() + timeout_;
  while (fill(deadline)) {
  }
  if (rest) *rest = buffer_;
  return eof_;
}

bool RawClient::silent_for(Duration wait) {
  size_t before = buffer_.size();
  fill(Clock::now() + wait);
  return buffer_.size() == before && !eof_;
}

std::optional<Response> exchange(uint16_t port, std::string_view request, bool head_request) {
  RawClient client(port);
  if (!client.connected() || !client.send(request)) return std::nullopt;
  return client.read_response(head_request);
}

int connect_loopback(uint16_t port, int buffer_size) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (buffer_size > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof(buffer_size));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_size, sizeof(buffer_size));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace basehttp::testing
