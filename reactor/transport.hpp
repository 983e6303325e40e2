// Transport: the byte stream a Connection reads and writes through when it
// is not the plain socket itself: TLS (the socket carries records, not the
// bytes the protocol sees), or a connection taken over by another protocol.
// One object per connection, owned by its Connection; loop thread only.
//
// The plain socket is not a Transport object: a Connection without one
// calls PlainTransport's inline syscall wrappers (see stream_io.hpp for
// why). A transport implements the same calls, with the same results:
// a byte count, or -errno; never -EINTR (it retries inside), and -EAGAIN
// when the call cannot progress until the socket becomes ready, wants()
// then saying which readiness.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace basehttp {

/// What a transport call that returned -EAGAIN waits for: the socket to
/// become readable, or writable.
enum class TransportWait : uint8_t { kReadable, kWritable };

class Transport {
 public:
  virtual ~Transport() = default;

  /// Reads up to `size` bytes of the stream into `data`: the count (it may
  /// be short even when more will follow: the Connection reads on until
  /// -EAGAIN), 0 at the end of the stream, or -errno. `fd` is the socket.
  virtual ssize_t read(int fd, char* data, size_t size) = 0;

  /// Writes the gather list `vectors[0..count)`: the bytes taken from the
  /// front, possibly fewer than offered (the queue writes again until
  /// -EAGAIN; 0 is taken for "full"), or -errno. After -EAGAIN or a short
  /// count, the next call offers the untaken bytes first, unchanged,
  /// possibly from another address and followed by more (what OpenSSL asks
  /// with SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER and partial writes). `more`:
  /// a file region follows at once, so the bytes may wait to share a packet.
  virtual ssize_t write(int fd, const iovec* vectors, int count, bool more) = 0;

  /// Whether send_file() may be called now (kernel TLS may allow it once
  /// the handshake is done). Without it, the OutputQueue reads file regions
  /// into a bounded buffer and write()s them.
  virtual bool can_send_file() const { return false; }
  /// Sends `length` bytes of `file` from `offset` without copying them
  /// through user space: the count, or -errno. Called only while
  /// can_send_file() is true.
  virtual ssize_t send_file(int /*fd*/, int /*file*/, uint64_t /*offset*/, size_t /*length*/) {
    return -EOPNOTSUPP;
  }

  /// Ends the stream in the sending direction (TLS: the close_notify alert,
  /// then the socket's write side), best effort: the Connection lingers
  /// and closes whatever this returns. 0 or -errno.
  virtual int shutdown_write(int fd) = 0;

  /// After a call returned -EAGAIN: the readiness it waits for. A TLS read
  /// during a handshake may need to send first (SSL_ERROR_WANT_WRITE), a
  /// write may need to read first (SSL_ERROR_WANT_READ). The Connection
  /// retries writes on every socket event, and retries a read that waits
  /// for kWritable on the next EPOLLOUT.
  virtual TransportWait wants() const = 0;

  /// The connection is idle (nothing queued, nothing left over): free the
  /// buffers that can be made again when traffic resumes.
  virtual void release_buffers() {}

  /// The stream's own set-up (a TLS handshake) is still under way: no
  /// application byte can come yet. For the owner's deadline: a peer that
  /// never completes it must not hold the connection as an idle one.
  virtual bool handshake_pending() const { return false; }
};

}  // namespace basehttp
