// TlsClient: RawClient through TLS, for the HTTPS tests. A blocking
// OpenSSL client that trusts the test CA (TestCertificates) and checks the
// server's name ("localhost"); the responses are read by RawClient's own
// parser, every wait bounded by the same deadline (and the socket's
// SO_RCVTIMEO / SO_SNDTIMEO, so no OpenSSL call blocks past it). Only in a
// build with TLS. Test thread.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <string>

#include "tests/support/raw_client.hpp"

namespace basehttp::testing {

/// The common name of the certificate the server presented on `ssl`, or
/// empty when there is none.
std::string peer_common_name(SSL* ssl);

class TlsClient : public RawClient {
 public:
  /// Connects to 127.0.0.1:port and completes the handshake; connected()
  /// says whether both worked. `receive_buffer` as for RawClient.
  explicit TlsClient(uint16_t port, Duration timeout = Duration(10000), int receive_buffer = 0);
  ~TlsClient() override;

  /// The handshake completed.
  bool handshake_done() const { return handshake_done_; }
  /// The stream ended with the server's close_notify (not a bare EOF).
  bool close_notify_received() const { return close_notify_; }
  /// Sends close_notify, then shuts the socket's write side.
  void shutdown_write() override;
  SSL* ssl() const { return ssl_; }

 protected:
  ssize_t send_some(std::string_view bytes) override;
  ssize_t receive_some(char* into, size_t size) override;
  bool has_buffered() const override { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

 private:
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  bool handshake_done_ = false;
  bool close_notify_ = false;
};

}  // namespace basehttp::testing
