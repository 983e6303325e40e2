// StreamIo: the calls a Connection and its OutputQueue make on their byte
// stream, as a value: the socket, and the Transport over it or nullptr for
// the plain socket. Made per use (two words); loop thread only.
//
// Why a null pointer and not a PlainTransport object behind the virtual
// interface: nearly every connection is plain, and its reads and writes are
// the per-request path. Here the plain calls are inline syscall wrappers
// taken on a branch that is always the same way for a connection (so it is
// predicted), and the compiler sees through them: a plain request costs
// what the direct syscalls cost. Only a connection that has a transport
// (TLS, a taken-over connection) pays one indirect call per operation,
// which is small beside what such a transport does per call. A `final`
// PlainTransport class would be devirtualized only where the static type
// is known, which a Connection holding any transport cannot have.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

#include "reactor/plain_transport.hpp"
#include "reactor/transport.hpp"

namespace basehttp {

struct StreamIo {
  int fd;
  Transport* transport;  // nullptr: the plain socket

  /// See Transport::read.
  ssize_t read(char* data, size_t size) const {
    if (transport == nullptr) [[likely]]
      return PlainTransport::read(fd, data, size);
    return transport->read(fd, data, size);
  }
  /// See Transport::write.
  ssize_t write(const iovec* vectors, int count, bool more) const {
    if (transport == nullptr) [[likely]]
      return PlainTransport::write(fd, vectors, count, more);
    return transport->write(fd, vectors, count, more);
  }
  /// See Transport::can_send_file.
  bool can_send_file() const {
    if (transport == nullptr) [[likely]]
      return true;
    return transport->can_send_file();
  }
  /// See Transport::send_file.
  ssize_t send_file(int file, uint64_t offset, size_t length) const {
    if (transport == nullptr) [[likely]]
      return PlainTransport::send_file(fd, file, offset, length);
    return transport->send_file(fd, file, offset, length);
  }
  /// See Transport::shutdown_write.
  int shutdown_write() const {
    if (transport == nullptr) [[likely]]
      return PlainTransport::shutdown_write(fd);
    return transport->shutdown_write(fd);
  }
  /// After -EAGAIN: what the call waits for (the plain socket: `own`, the
  /// call's own direction).
  TransportWait wants(TransportWait own) const {
    if (transport == nullptr) [[likely]]
      return own;
    return transport->wants();
  }
};

}  // namespace basehttp
