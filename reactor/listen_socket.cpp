#include "reactor/listen_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace basehttp {
namespace {

[[noreturn]] void fail(const std::string& what, int error = errno) {
  throw std::system_error(error, std::generic_category(), what);
}

void set_option(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) fail(what);
}

sockaddr_un unix_address(const std::string& path, socklen_t& length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    fail("unix socket path '" + path + "'", ENAMETOOLONG);
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

// A socket file at `path` that refuses connections belonged to a process
// that is gone: remove it. Anything else there is left alone (bind fails).
void remove_stale_socket(const std::string& path, const sockaddr_un& address, socklen_t length) {
  struct stat status {};
  if (lstat(path.c_str(), &status) != 0 || !S_ISSOCK(status.st_mode)) return;
  FileDescriptor probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) fail("socket");
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0 &&
      errno == ECONNREFUSED) {
    ::unlink(path.c_str());
  }
}

}  // namespace

FileDescriptor listen_tcp(const SocketAddress& address, const ListenOptions& options) {
  FileDescriptor socket(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket) fail("socket");
  set_option(socket.get(), SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
  if (options.reuse_port) {
    set_option(socket.get(), SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)");
  }
  if (address.is_ipv6()) {
    set_option(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6_only ? 1 : 0,
               "setsockopt(IPV6_V6ONLY)");
  }
  if (::bind(socket.get(), address.get(), address.length()) != 0) {
    fail("bind " + address.to_string());
  }
  if (::listen(socket.get(), options.backlog) != 0) fail("listen");
  return socket;
}

FileDescriptor listen_unix(const std::string& path, mode_t mode, const ListenOptions& options) {
  socklen_t length = 0;
  sockaddr_un address = unix_address(path, length);
  FileDescriptor socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket) fail("socket");
  remove_stale_socket(path, address, length);
  if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    fail("bind unix:" + path);
  }
  if (mode != 0 && ::chmod(path.c_str(), mode) != 0) {
    int error = errno;
    ::unlink(path.c_str());
    fail("chmod " + path, error);
  }
  if (::listen(socket.get(), options.backlog) != 0) {
    int error = errno;
    ::unlink(path.c_str());
    fail("listen", error);
  }
  return socket;
}

FileDescriptor adopt_listening_socket(int fd) {
  FileDescriptor socket(fd);
  int listening = 0;
  socklen_t size = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0) {
    fail("listening socket " + std::to_string(fd));
  }
  if (!listening) fail("fd " + std::to_string(fd) + " is not listening", EINVAL);
  int status_flags = fcntl(fd, F_GETFL);
  if (status_flags < 0 || fcntl(fd, F_SETFL, status_flags | O_NONBLOCK) != 0) fail("fcntl");
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) fail("fcntl");
  return socket;
}

}  // namespace basehttp
