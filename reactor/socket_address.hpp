// SocketAddress: an IPv4 or IPv6 endpoint (address + port) as the kernel
// takes it, with parsing and printing; or the bare family of a unix-domain
// peer (whose path, if any, is not kept). A value type; any thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reactor/result.hpp"

namespace basehttp {

class SocketAddress {
 public:
  SocketAddress() = default;
  /// Copies `length` bytes of a kernel address (from accept4, getsockname...).
  SocketAddress(const sockaddr* address, socklen_t length);

  /// Parses a numeric host and a port: "127.0.0.1", "::", "::1", "[::1]",
  /// "" (all IPv4 interfaces) or "localhost". Names are not resolved here:
  /// see `resolve`. Returns nothing when `host` is not numeric.
  static std::optional<SocketAddress> parse(std::string_view host, uint16_t port);

  /// Like `parse`, then falls back to a blocking getaddrinfo() lookup for
  /// names. Meant for start-up, never for the loop thread once it serves.
  /// Nothing when the name does not resolve (getaddrinfo's reasons are not
  /// errno values, and "not an address" is all a caller acts on).
  static std::optional<SocketAddress> resolve(std::string_view host, uint16_t port);

  /// The address of the local end of socket `fd` (getsockname), or its
  /// errno (EBADF, ENOTSOCK).
  static SysResult<SocketAddress> local_of(int fd);
  /// The address of the remote end of socket `fd` (getpeername), or its
  /// errno (ENOTCONN...).
  static SysResult<SocketAddress> peer_of(int fd);

  int family() const { return storage_.any.sa_family; }
  bool is_ipv6() const { return family() == AF_INET6; }
  bool is_unix() const { return family() == AF_UNIX; }
  uint16_t port() const;
  /// The numeric host without brackets: "127.0.0.1", "::1".
  std::string host() const;
  /// Room host_to() needs: the longest numeric host and its NUL.
  static constexpr size_t kHostTextSize = INET6_ADDRSTRLEN;
  /// Writes host() NUL-terminated into `out` (kHostTextSize bytes) and
  /// returns its length; "" for a unix-domain address. Allocates nothing:
  /// for log lines written per request.
  size_t host_to(char* out) const;
  /// host:port, with brackets around IPv6 hosts: "[::1]:8000"; "unix:" for
  /// a unix-domain address.
  std::string to_string() const;

  const sockaddr* get() const { return &storage_.any; }
  socklen_t length() const { return length_; }

 private:
  // IPv4 or IPv6 only: 28 bytes, where a sockaddr_storage takes 128 (this
  // sits in every connection).
  union Storage {
    sockaddr any;
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  Storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace basehttp
