#include "reactor/listen_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace basehttp {
namespace {

// The failure of the call just made, named `what`. errno is read before
// anything else runs (building a string may allocate, which may touch it).
SysError failed(const char* what) {
  int error = errno;
  return SysError(error, what);
}

// Same, with the subject the call was for ("bind " + "[::]:8000"), built
// only once errno is safe.
template <class Subject>
SysError failed(const char* what, Subject subject) {
  int error = errno;
  return SysError(error, what + subject());
}

bool set_option(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

// False when `path` does not fit a sockaddr_un (or is empty).
bool unix_address(const std::string& path, sockaddr_un& address, socklen_t& length) {
  address = sockaddr_un{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) return false;
  std::memcpy(address.sun_path, path.data(), path.size());
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return true;
}

// A socket file at `path` that refuses connections belonged to a process
// that is gone: remove it. Anything else there is left alone (bind fails).
SysResult<void> remove_stale_socket(const std::string& path, const sockaddr_un& address,
                                    socklen_t length) {
  struct stat status {};
  if (lstat(path.c_str(), &status) != 0 || !S_ISSOCK(status.st_mode)) return {};
  FileDescriptor probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return failed("socket");
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0 &&
      errno == ECONNREFUSED) {
    ::unlink(path.c_str());
  }
  return {};
}

}  // namespace

SysResult<FileDescriptor> listen_tcp(const SocketAddress& address, const ListenOptions& options) {
  FileDescriptor socket(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket) return failed("socket");
  if (!set_option(socket.get(), SOL_SOCKET, SO_REUSEADDR, 1)) {
    return failed("setsockopt(SO_REUSEADDR)");
  }
  if (options.reuse_port && !set_option(socket.get(), SOL_SOCKET, SO_REUSEPORT, 1)) {
    return failed("setsockopt(SO_REUSEPORT)");
  }
  if (address.is_ipv6() &&
      !set_option(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6_only ? 1 : 0)) {
    return failed("setsockopt(IPV6_V6ONLY)");
  }
  if (::bind(socket.get(), address.get(), address.length()) != 0) {
    return failed("bind ", [&] { return address.to_string(); });
  }
  if (::listen(socket.get(), options.backlog) != 0) return failed("listen");
  return socket;
}

SysResult<FileDescriptor> listen_unix(const std::string& path, mode_t mode,
                                      const ListenOptions& options) {
  socklen_t length = 0;
  sockaddr_un address;
  if (!unix_address(path, address, length)) {
    return SysError(ENAMETOOLONG, "unix socket path '" + path + "'");
  }
  FileDescriptor socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket) return failed("socket");
  if (auto removed = remove_stale_socket(path, address, length); !removed) {
    return removed.failure();
  }
  if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    return failed("bind unix:", [&] { return path; });
  }
  if (mode != 0 && ::chmod(path.c_str(), mode) != 0) {
    SysError error = failed("chmod ", [&] { return path; });
    ::unlink(path.c_str());
    return error;
  }
  if (::listen(socket.get(), options.backlog) != 0) {
    SysError error = failed("listen");
    ::unlink(path.c_str());
    return error;
  }
  return socket;
}

SysResult<FileDescriptor> adopt_listening_socket(int fd) {
  FileDescriptor socket(fd);
  int listening = 0;
  socklen_t size = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0) {
    return failed("listening socket ", [fd] { return std::to_string(fd); });
  }
  if (!listening) return SysError(EINVAL, "fd " + std::to_string(fd) + " is not listening");
  int status_flags = fcntl(fd, F_GETFL);
  if (status_flags < 0 || fcntl(fd, F_SETFL, status_flags | O_NONBLOCK) != 0) {
    return failed("fcntl");
  }
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return failed("fcntl");
  return socket;
}

}  // namespace basehttp
