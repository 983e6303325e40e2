#include "tests/support/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cerrno>

#include "tests/support/test_certificates.hpp"

namespace basehttp::testing {

TlsClient::TlsClient(uint16_t port, Duration timeout, int receive_buffer)
    : RawClient(port, "127.0.0.1", timeout, receive_buffer) {
  if (!connected()) return;
  timeval limit{static_cast<time_t>(timeout.count() / 1000),
                static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  context_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(context_, TestCertificates::get().ca_certificate.c_str(), nullptr);
  SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
  // A record without data (a TLS 1.3 session ticket) must hand control
  // back, so the caller polls with its deadline instead of blocking here.
  SSL_CTX_clear_mode(context_, SSL_MODE_AUTO_RETRY);
  ssl_ = SSL_new(context_);
  SSL_set1_host(ssl_, "localhost");
  SSL_set_tlsext_host_name(ssl_, "localhost");
  SSL_set_fd(ssl_, fd());
  handshake_done_ = SSL_connect(ssl_) == 1;
  ERR_clear_error();
  if (!handshake_done_) close();
}

TlsClient::~TlsClient() {
  SSL_free(ssl_);
  SSL_CTX_free(context_);
}

ssize_t TlsClient::send_some(std::string_view bytes) {
  if (!handshake_done_) return -1;
  size_t written = 0;
  ERR_clear_error();
  if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) == 1) {
    return static_cast<ssize_t>(written);
  }
  ERR_clear_error();
  return -1;
}

ssize_t TlsClient::receive_some(char* into, size_t size) {
  if (!handshake_done_) return 0;
  size_t got = 0;
  ERR_clear_error();
  int status = SSL_read_ex(ssl_, into, size, &got);
  if (status == 1) return static_cast<ssize_t>(got);
  int reason = SSL_get_error(ssl_, status);
  int system_error = errno;
  ERR_clear_error();
  switch (reason) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      close_notify_ = true;
      return 0;
    case SSL_ERROR_SYSCALL:
      // SO_RCVTIMEO ran out: the caller's deadline decides.
      if (system_error == EAGAIN || system_error == EWOULDBLOCK) {
        errno = EAGAIN;
        return -1;
      }
      return 0;
    default:
      // A bare EOF without close_notify (OpenSSL 3 reports it as a
      // protocol error), or a broken record: the stream is over.
      return 0;
  }
}

void TlsClient::shutdown_write() {
  if (handshake_done_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
  RawClient::shutdown_write();
}

std::string peer_common_name(SSL* ssl) {
  X509* certificate = SSL_get1_peer_certificate(ssl);
  if (certificate == nullptr) return {};
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name);
  X509_free(certificate);
  return name;
}

}  // namespace basehttp::testing
