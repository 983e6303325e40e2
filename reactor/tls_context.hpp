// TlsContext: a TLS server's configuration (OpenSSL 3): the certificate
// chain and its key (a default pair, and more chosen by the server name
// the client sends, SNI), the ALPN protocols it accepts, and the protocol
// settings every connection shares (TLS 1.2 at least, the system's
// security level and ciphers, no renegotiation, session tickets on, kernel
// TLS where the kernel offers it). It makes the OpenSSL session of each
// accepted connection (new_session(), for a TlsTransport), and replaces
// its certificate pairs while running (reload()): connections already
// made keep the pairs they started with.
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

/// A certificate pair served to clients that ask for `host` by SNI.
struct TlsServerName {
  /// A DNS name ("api.example.com"), or a wildcard of one leading label
  /// ("*.example.com": "a.example.com", not "example.com" nor
  /// "a.b.example.com"). Matched without regard to case; an exact name
  /// wins over a wildcard.
  std::string host;
  TlsCertificate certificate;
};

struct TlsOptions {
  /// The default pair: for a client that sends no server name, or one that
  /// no entry of server_names matches (as nginx's default server answers).
  TlsCertificate certificate;
  /// More pairs, chosen by the server name the client sends (SNI).
  std::vector<TlsServerName> server_names;
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
  /// empty or longer than 255 bytes, or for a server_names entry whose
  /// host is not a DNS name or wildcard as described there, or repeated
  /// (the entry's host is named in what(), before its pair's failure).
  static SysResult<TlsContext> make(const TlsOptions& options);

  TlsContext(TlsContext&&) noexcept;
  TlsContext& operator=(TlsContext&&) noexcept;
  ~TlsContext();

  /// Replaces every certificate pair, the server names and the ALPN
  /// protocols for connections made from now on, reading the files again.
  /// If anything fails (as make() would), all the current pairs stay in
  /// place and the result says why.
  SysResult<void> reload(const TlsOptions& options);
  /// Replaces the default pair only (the server names keep theirs, read
  /// again), as reload(options) does.
  SysResult<void> reload(const TlsCertificate& certificate);

  /// A server-side session for one accepted connection, not yet bound to a
  /// socket; nullptr if OpenSSL cannot allocate one. The caller owns it.
  /// The context must outlive the sessions it made (ALPN reads its list).
  SSL* new_session() const;

  /// The default certificate pair in use (as given to make() or the last
  /// reload() that succeeded). Not during a reload on another thread.
  const TlsCertificate& certificate() const;
  /// All the options in use, likewise.
  const TlsOptions& options() const;

 private:
  struct State;
  explicit TlsContext(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace basehttp
