// TlsTransport: a Connection's stream through TLS (OpenSSL 3), server side,
// on a nonblocking socket. The handshake is driven by the Connection's own
// reads and writes: each returns -EAGAIN while it waits, wants() telling
// for which readiness. Records are read with SSL_read_ex and written with
// SSL_write_ex (a record at a time: the Connection writes again until
// -EAGAIN). Garbage, a failed handshake or any other protocol error is
// -EPROTO, so the Connection closes; OpenSSL has sent its alert by then
// where it could. Where the handshake ended with kernel TLS sending (the
// `tls` module, OpenSSL's SSL_OP_ENABLE_KTLS), the kernel encrypts: writes
// are plain writev and file regions plain sendfile, without a copy through
// user space; elsewhere file regions take the OutputQueue's bounded
// read-and-write. (A TLS 1.3 KeyUpdate the client asks to be answered is
// then not answered: OpenSSL 3.0 cannot rekey a kernel TLS socket either.)
// Only in a build with TLS.
// One per connection, owned by its Connection; loop thread only.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string_view>

#include "reactor/tls_context.hpp"
#include "reactor/transport.hpp"

namespace basehttp {

class TlsTransport final : public Transport {
 public:
  /// A server session from `context` on the accepted socket `fd` (not
  /// owned: the Connection owns it), or nullptr when OpenSSL cannot make
  /// one (out of memory). `context` must outlive the transport.
  static std::unique_ptr<TlsTransport> make(const TlsContext& context, int fd);

  /// Takes `ssl`, a server session already bound to the socket.
  explicit TlsTransport(SSL* ssl);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  ssize_t read(int fd, char* data, size_t size) override;
  ssize_t write(int fd, const iovec* vectors, int count, bool more) override;
  /// close_notify (if the handshake is done and the socket takes it), then
  /// the socket's write side.
  int shutdown_write(int fd) override;
  TransportWait wants() const override { return wait_; }
  /// True once the handshake ended with kernel TLS sending: the kernel
  /// encrypts, so files go out with sendfile(2).
  bool can_send_file() const override { return kernel_send_; }
  ssize_t send_file(int fd, int file, uint64_t offset, size_t length) override;
  /// Nothing to do: with SSL_MODE_RELEASE_BUFFERS (set by TlsContext)
  /// OpenSSL frees a session's read buffer once it is drained and its
  /// write buffer once a record is sent, so an idle session holds none;
  /// the gather buffer for small writes is the thread's, not the session's.
  void release_buffers() override {}

  /// The handshake has completed: what follows is application data.
  bool handshake_done() const { return handshake_done_; }
  bool handshake_pending() const override { return !handshake_done_; }
  /// The kernel encrypts what this session sends (kernel TLS): known once
  /// the handshake is done.
  bool kernel_send() const { return kernel_send_; }
  /// "TLSv1.3", "TLSv1.2"... (meaningful once the handshake is done).
  std::string_view protocol_version() const;
  /// The protocol ALPN selected ("http/1.1"), or empty when none was.
  std::string_view alpn_protocol() const;
  /// OpenSSL's reason for the failure that ended the stream with -EPROTO
  /// ("wrong version number", "unsupported protocol"...), or empty.
  std::string_view failure() const;
  /// The failure was a plain HTTP request sent to the TLS port (OpenSSL
  /// recognises the method): worth a plain-text answer before the close.
  bool plain_http_request() const;

  SSL* ssl() const { return ssl_; }

 private:
  // The result of an SSL_* call that returned `status`: -EAGAIN with wait_
  // set, 0 for the end of the stream, or -errno.
  ssize_t failed(int status);
  // Goes on with the handshake: 1 when it is done, else as failed().
  ssize_t handshake();
  // A plain syscall's result under kernel TLS: -EAGAIN waits for kWritable.
  ssize_t sent_or_waits(ssize_t result);

  SSL* ssl_;
  TransportWait wait_ = TransportWait::kReadable;
  bool handshake_done_ = false;
  bool kernel_send_ = false;  // BIO_get_ktls_send, read once at the handshake's end
  unsigned long error_ = 0;   // the OpenSSL error behind -EPROTO
};

}  // namespace basehttp
