#include "reactor/socket_address.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <cerrno>
#include <cstring>

namespace basehttp {

SocketAddress::SocketAddress(const sockaddr* address, socklen_t length) {
  if (length >= sizeof(sa_family_t) && address->sa_family == AF_UNIX) {
    storage_.any.sa_family = AF_UNIX;  // the path does not fit, and is not needed
    length_ = sizeof(sa_family_t);
    return;
  }
  length_ = length > sizeof(storage_) ? static_cast<socklen_t>(sizeof(storage_)) : length;
  std::memcpy(&storage_, address, length_);
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view host, uint16_t port) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  char text[INET6_ADDRSTRLEN + 1];
  if (host.size() >= sizeof(text)) return std::nullopt;
  std::memcpy(text, host.data(), host.size());
  text[host.size()] = '\0';

  SocketAddress result;
  sockaddr_in v4{};
  if (inet_pton(AF_INET, text, &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    result = SocketAddress(reinterpret_cast<sockaddr*>(&v4), sizeof(v4));
    return result;
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, text, &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    result = SocketAddress(reinterpret_cast<sockaddr*>(&v6), sizeof(v6));
    return result;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::resolve(std::string_view host, uint16_t port) {
  if (auto numeric = parse(host, port)) return numeric;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  std::string name(host);
  if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  SocketAddress result(found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (result.is_ipv6()) {
    result.storage_.v6.sin6_port = htons(port);
  } else {
    result.storage_.v4.sin_port = htons(port);
  }
  return result;
}

SysResult<SocketAddress> SocketAddress::local_of(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return SysError(errno, "getsockname");
  }
  return SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
}

SysResult<SocketAddress> SocketAddress::peer_of(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return SysError(errno, "getpeername");
  }
  return SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET6) return ntohs(storage_.v6.sin6_port);
  if (family() == AF_INET) return ntohs(storage_.v4.sin_port);
  return 0;
}

size_t SocketAddress::host_to(char* out) const {
  out[0] = '\0';
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &storage_.v6.sin6_addr, out, kHostTextSize);
  } else if (family() == AF_INET) {
    inet_ntop(AF_INET, &storage_.v4.sin_addr, out, kHostTextSize);
  }
  return std::strlen(out);
}

std::string SocketAddress::host() const {
  char text[kHostTextSize];
  return std::string(text, host_to(text));
}

std::string SocketAddress::to_string() const {
  if (is_unix()) return "unix:";
  std::string port_text = std::to_string(port());
  if (is_ipv6()) return "[" + host() + "]:" + port_text;
  return host() + ":" + port_text;
}

}  // namespace basehttp
