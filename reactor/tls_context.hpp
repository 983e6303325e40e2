// TlsContext: a TLS server's configuration (OpenSSL 3): the certificate
// chain and its key, the ALPN protocols it accepts, and the protocol
// settings every connection shares (TLS 1.2 at least, the system's
// security level and ciphers, no renegotiation, session tickets on). It
// makes the OpenSSL session of each accepted connection (new_session(),
// for a TlsTransport), and replaces its certificate pair while running
// (reload()): connections already made keep the pair they started with.
// Only in a build with TLS (BASEHTTP_TLS in reactor/basehttp_config.hpp).
// Made and reloaded on any one thread; new_session() may be called from
// several loop threads at once, also during a reload.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "reactor/result.hpp"

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace basehttp {

/// A certificate pair, as Python's SSLContext.load_cert_chain takes it.
struct TlsCertificate {
  /// PEM: the server's certificate, then the intermediates.
  std::string chain_file;
  /// PEM private key; empty: the key is in chain_file.
  std::string key_file;
  /// Decrypts an encrypted key; empty: the key must not be encrypted (no
  /// terminal prompt is ever made). A password file is the caller's to read.
  std::string password;
};

struct TlsOptions {
  TlsCertificate certificate;
  /// Offered in ALPN, in the server's order of preference; Python's
  /// HTTPSServer default. A client offering none of them gets no ALPN
  /// answer and the handshake goes on (as Python's ssl module does; nginx
  /// refuses it with a no_application_protocol alert instead). Empty: ALPN
  /// is not answered at all.
  std::vector<std::string> alpn_protocols = {"http/1.1"};
};

class TlsContext {
 public:
  /// The context, or why not, in one line: EINVAL for a certificate, key
  /// or password OpenSSL refuses (its reason in what(): "no start line",
  /// "key values mismatch", "bad decrypt"...), the errno for a file that
  /// cannot be read (ENOENT, EACCES), EINVAL for an ALPN name that is
  /// empty or longer than 255 bytes.
  static SysResult<TlsContext> make(const TlsOptions& options);

  TlsContext(TlsContext&&) noexcept;
  TlsContext& operator=(TlsContext&&) noexcept;
  ~TlsContext();

  /// Replaces the certificate pair for connections made from now on. A
  /// pair that does not load (same failures as make()) leaves the current
  /// one in place, and the result says why.
  SysResult<void> reload(const TlsCertificate& certificate);

  /// A server-side session for one accepted connection, not yet bound to a
  /// socket; nullptr if OpenSSL cannot allocate one. The caller owns it.
  /// The context must outlive the sessions it made (ALPN reads its list).
  SSL* new_session() const;

  /// The certificate pair in use (as given to make() or the last reload()
  /// that succeeded).
  const TlsCertificate& certificate() const;

 private:
  struct State;
  explicit TlsContext(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace basehttp
