// PlainTransport: the syscalls of a Connection on a plain socket (or a
// pipe), as inline functions with Transport's results (count or -errno,
// EINTR retried). Stateless; callable from any thread on any descriptor.
#pragma once

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace basehttp {

struct PlainTransport final {
  /// read(2): the count, 0 at EOF, or -errno.
  static ssize_t read(int fd, char* data, size_t size) {
    ssize_t n;
    do {
      n = ::read(fd, data, size);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
  }

  /// writev(2); with `more`, sendmsg(2) with MSG_MORE so the bytes may
  /// share a packet with the file region that follows. -ENOTSOCK on a pipe
  /// with `more`: the caller retries without it.
  static ssize_t write(int fd, const iovec* vectors, int count, bool more) {
    ssize_t n;
    do {
      if (more) {
        msghdr message{};
        message.msg_iov = const_cast<iovec*>(vectors);
        message.msg_iovlen = static_cast<size_t>(count);
        n = ::sendmsg(fd, &message, MSG_MORE | MSG_NOSIGNAL);
      } else {
        n = ::writev(fd, vectors, count);
      }
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
  }

  /// sendfile(2) of `length` bytes of `file` from `offset`.
  static ssize_t send_file(int fd, int file, uint64_t offset, size_t length) {
    off_t position = static_cast<off_t>(offset);
    ssize_t n;
    do {
      n = ::sendfile(fd, file, &position, length);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
  }

  /// shutdown(2) of the write side.
  static int shutdown_write(int fd) { return ::shutdown(fd, SHUT_WR) == 0 ? 0 : -errno; }
};

}  // namespace basehttp
