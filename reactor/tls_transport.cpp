#include "reactor/tls_transport.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "reactor/plain_transport.hpp"

namespace basehttp {
namespace {

// The largest TLS record's payload: small pieces of a gather list are
// copied together up to this, so they leave in one record, not one each.
constexpr size_t kRecordPayload = 16 * 1024;

// The copy of small pieces, the thread's (every session on a loop thread
// uses it in turn): no session keeps a buffer for it while idle. A
// session that must retry a write after WANT_WRITE has its record already
// encrypted in its own buffer, so this one may be reused meanwhile.
thread_local char gather_buffer[kRecordPayload];

// SSL_get_error reads the thread's error queue, so it must be empty before
// each SSL_* call. ERR_clear_error wipes every slot even when there is
// nothing to clear, several hundred instructions, a few times a request;
// looking first costs a few dozen (benchmarks/RESULTS.md, HTTPS).
inline void clear_stale_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

std::unique_ptr<TlsTransport> TlsTransport::make(const TlsContext& context, int fd) {
  SSL* ssl = context.new_session();
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  // Reads take what the socket holds, several records at once, instead of
  // a record's header and then its body: a syscall less per record. The
  // Connection reads on until -EAGAIN, so no decrypted byte waits unseen.
  SSL_set_read_ahead(ssl, 1);
  return std::make_unique<TlsTransport>(ssl);
}

TlsTransport::TlsTransport(SSL* ssl) : ssl_(ssl) {}

TlsTransport::~TlsTransport() {
  SSL_free(ssl_);
}

ssize_t TlsTransport::failed(int status) {
  // Read before anything else can change it: SSL_ERROR_SYSCALL's cause.
  int system_error = errno;
  switch (SSL_get_error(ssl_, status)) {
    case SSL_ERROR_WANT_READ:
      wait_ = TransportWait::kReadable;
      return -EAGAIN;
    case SSL_ERROR_WANT_WRITE:
      wait_ = TransportWait::kWritable;
      return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
      // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) the socket's EOF.
      return 0;
    case SSL_ERROR_SYSCALL: {
      unsigned long code = ERR_peek_last_error();
      ERR_clear_error();
      if (code == 0) return system_error > 0 ? -system_error : -ECONNRESET;
      error_ = code;
      return -EPROTO;
    }
    default:
      error_ = ERR_peek_last_error();
      ERR_clear_error();
      return -EPROTO;
  }
}

ssize_t TlsTransport::handshake() {
  clear_stale_errors();
  int status = SSL_do_handshake(ssl_);
  if (status == 1) {
    handshake_done_ = true;
    // OpenSSL switched the socket to kernel TLS while finishing, if it
    // could; it never switches later.
    kernel_send_ = BIO_get_ktls_send(SSL_get_wbio(ssl_)) != 0;
    return 1;
  }
  return failed(status);
}

ssize_t TlsTransport::read(int, char* data, size_t size) {
  if (!handshake_done_) {
    // A peer gone mid-handshake (0) is the end of its stream.
    ssize_t status = handshake();
    if (status <= 0) return status;
  }
  // Another OpenSSL user on this thread may have left errors behind, and
  // SSL_get_error would take them for this call's.
  clear_stale_errors();
  size_t got = 0;
  int status = SSL_read_ex(ssl_, data, size, &got);
  if (status == 1) return static_cast<ssize_t>(got);
  return failed(status);
}

ssize_t TlsTransport::write(int fd, const iovec* vectors, int count, bool more) {
  if (!handshake_done_) {
    ssize_t status = handshake();
    if (status <= 0) return status == 0 ? -EPIPE : status;
  }
  // Kernel TLS: the kernel frames and encrypts what the socket is given,
  // and takes exact partial counts. Not through SSL_write_ex: with kernel
  // TLS OpenSSL keeps no copy of a refused record, only the caller's
  // address, and resends from it later, by when the OutputQueue may have
  // moved those bytes and lent the loop's scratch buffer to another
  // connection, whose bytes would then go out on this one.
  if (kernel_send_) return sent_or_waits(PlainTransport::write(fd, vectors, count, more));
  // One record's worth: the first piece itself when it fills a record (or
  // is alone), else the leading pieces copied together. Either way it
  // starts with the bytes a refused write was offered, which is what
  // OpenSSL needs to finish the record it has already made of them.
  if (count <= 0) return 0;
  const void* data = vectors[0].iov_base;
  size_t length = vectors[0].iov_len;
  if (count > 1 && length < kRecordPayload) {
    length = 0;
    for (int i = 0; i < count && length < kRecordPayload; ++i) {
      size_t piece = std::min(vectors[i].iov_len, kRecordPayload - length);
      std::memcpy(gather_buffer + length, vectors[i].iov_base, piece);
      length += piece;
    }
    data = gather_buffer;
  }
  if (length == 0) return 0;
  clear_stale_errors();
  size_t written = 0;
  int status = SSL_write_ex(ssl_, data, length, &written);
  if (status == 1) return static_cast<ssize_t>(written);
  ssize_t result = failed(status);
  // 0 would read as "full" to the queue: the peer's close_notify ends writing.
  return result == 0 ? -EPIPE : result;
}

ssize_t TlsTransport::send_file(int fd, int file, uint64_t offset, size_t length) {
  // What SSL_sendfile does, without its error mapping: sendfile(2) on a
  // socket whose kernel encrypts (only called while kernel_send_).
  return sent_or_waits(PlainTransport::send_file(fd, file, offset, length));
}

ssize_t TlsTransport::sent_or_waits(ssize_t result) {
  if (result == -EAGAIN || result == -EWOULDBLOCK) {
    wait_ = TransportWait::kWritable;
    return -EAGAIN;
  }
  return result;
}

int TlsTransport::shutdown_write(int fd) {
  if (handshake_done_) {
    // Best effort: a socket too full for the alert gets none.
    clear_stale_errors();
    if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
  }
  return ::shutdown(fd, SHUT_WR) == 0 ? 0 : -errno;
}

std::string_view TlsTransport::protocol_version() const {
  return SSL_get_version(ssl_);
}

std::string_view TlsTransport::alpn_protocol() const {
  const unsigned char* name = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &name, &length);
  if (name == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(name), length);
}

std::string_view TlsTransport::failure() const {
  if (error_ == 0) return {};
  const char* reason = ERR_reason_error_string(error_);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

bool TlsTransport::plain_http_request() const {
  return ERR_GET_LIB(error_) == ERR_LIB_SSL && ERR_GET_REASON(error_) == SSL_R_HTTP_REQUEST;
}

}  // namespace basehttp
