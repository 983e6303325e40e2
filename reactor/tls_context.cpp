#include "reactor/tls_context.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

namespace basehttp {

struct TlsContext::State {
  // Guards ctx: a reload swaps it while loop threads make sessions.
  mutable std::mutex mutex;
  SSL_CTX* ctx = nullptr;
  TlsCertificate certificate;
  // The ALPN list in the wire format (length-prefixed names), read by the
  // selection callback of every SSL_CTX this context makes.
  std::string alpn_wire;

  ~State() { SSL_CTX_free(ctx); }
};

namespace {

// What the password callback is given, and whether OpenSSL asked: only
// an encrypted key makes it ask, which tells a wrong password from a file
// that holds no key.
struct PasswordRequest {
  const std::string& password;
  bool asked = false;
};

// Hands OpenSSL the configured password; without one, an encrypted key
// fails instead of prompting on the terminal (OpenSSL's default).
int give_password(char* buffer, int size, int /*rwflag*/, void* user) {
  auto* request = static_cast<PasswordRequest*>(user);
  request->asked = true;
  const std::string& password = request->password;
  if (password.empty() || password.size() > static_cast<size_t>(size)) return 0;
  std::memcpy(buffer, password.data(), password.size());
  return static_cast<int>(password.size());
}

// ALPN: the first of our protocols the client offers; none in common is no
// answer at all (SSL_TLSEXT_ERR_NOACK), not a failed handshake.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned int offered_length, void* user) {
  const auto* ours = static_cast<const std::string*>(user);
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length,
                            reinterpret_cast<const unsigned char*>(ours->data()),
                            static_cast<unsigned int>(ours->size()), offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// OpenSSL's reason for the failure, and an empty error queue after. The
// first error is the cause ("no start line", "bad decrypt"); the last only
// says which call gave up ("PEM lib").
std::string openssl_reason() {
  unsigned long code = ERR_peek_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  std::string text = reason != nullptr ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return text;
}

// A file OpenSSL is about to read: its errno when it cannot be opened, so
// a missing file reads "No such file or directory", not a PEM error.
SysResult<void> readable(const std::string& path, const char* role) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SysError(errno, std::string("TLS ") + role + " '" + path + "'");
  ::close(fd);
  return {};
}

SysError refused(const std::string& step) {
  return SysError(EINVAL, step + " (OpenSSL: " + openssl_reason() + ")");
}

// A server SSL_CTX with the shared settings and `certificate` loaded.
SysResult<SSL_CTX*> build(const TlsCertificate& certificate, const std::string& alpn_wire) {
  const std::string& key_file =
      certificate.key_file.empty() ? certificate.chain_file : certificate.key_file;
  if (auto ok = readable(certificate.chain_file, "certificate chain"); !ok) return ok.failure();
  if (auto ok = readable(key_file, "key"); !ok) return ok.failure();

  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return SysError(ENOMEM, "SSL_CTX_new (" + openssl_reason() + ")");
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> owned(ctx, SSL_CTX_free);

  // TLS 1.2 and 1.3; ciphers and security level as the system's OpenSSL
  // configuration has them (SSL_CTX_new applies it).
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No renegotiation (a client-initiated one costs the server a handshake
  // on demand): OpenSSL 3 refuses the client's by default; this also
  // rules out any other way in (tests: RefusesRenegotiation). A peer that closes without
  // close_notify reads as the end of the stream: HTTP frames its own messages, so a cut is seen
  // there.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // The server's cipher order, not the client's: the default list keeps
  // CBC and RSA key exchange for old clients, and a client that prefers
  // them must still get forward secrecy and AEAD when it also offers
  // those (test: tls_scan TheServerChoosesTheCipher).
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Resumption by tickets only (stateless): no server-side session cache
  // to grow, lock, or share between loop threads.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // TlsTransport's contract: a write may take part of what it is offered
  // (a record at a time), and the retry after WANT_WRITE may come from
  // another address (the output queue moves). Idle sessions free their
  // record buffers.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);

  PasswordRequest request{certificate.password};
  SSL_CTX_set_default_passwd_cb(ctx, give_password);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, &request);
  bool loaded = true;
  std::string step;
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate.chain_file.c_str()) != 1) {
    loaded = false;
    step = "TLS certificate chain '" + certificate.chain_file + "' not loaded";
  } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    loaded = false;
    unsigned long code = ERR_peek_error();
    if (ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
      step = "TLS key '" + key_file + "' does not match the certificate '" +
             certificate.chain_file + "'";
    } else if (!request.asked) {
      step = "TLS key '" + key_file + "' not loaded: no private key in it?";
    } else if (certificate.password.empty()) {
      step = "TLS key '" + key_file + "' not loaded: encrypted, and no password given?";
    } else {
      step = "TLS key '" + key_file + "' not loaded: wrong password?";
    }
  } else if (SSL_CTX_check_private_key(ctx) != 1) {
    loaded = false;
    step = "TLS key '" + key_file + "' does not match the certificate '" + certificate.chain_file +
           "'";
  }
  // `request` ends here: OpenSSL must not call back into it later.
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  if (!loaded) return refused(step);

  if (!alpn_wire.empty()) {
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, const_cast<std::string*>(&alpn_wire));
  }
  return owned.release();
}

}  // namespace

TlsContext::TlsContext(std::unique_ptr<State> state) : state_(std::move(state)) {}
TlsContext::TlsContext(TlsContext&&) noexcept = default;
TlsContext& TlsContext::operator=(TlsContext&&) noexcept = default;
TlsContext::~TlsContext() = default;

SysResult<TlsContext> TlsContext::make(const TlsOptions& options) {
  auto state = std::make_unique<State>();
  for (const std::string& protocol : options.alpn_protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      return SysError(EINVAL, "ALPN protocol name '" + protocol + "'");
    }
    state->alpn_wire += static_cast<char>(protocol.size());
    state->alpn_wire += protocol;
  }
  ERR_clear_error();
  auto ctx = build(options.certificate, state->alpn_wire);
  if (!ctx) return ctx.failure();
  state->ctx = ctx.value();
  state->certificate = options.certificate;
  return TlsContext(std::move(state));
}

SysResult<void> TlsContext::reload(const TlsCertificate& certificate) {
  ERR_clear_error();
  auto ctx = build(certificate, state_->alpn_wire);
  if (!ctx) return ctx.failure();
  SSL_CTX* old;
  {
    std::lock_guard lock(state_->mutex);
    old = std::exchange(state_->ctx, ctx.value());
  }
  // Sessions made from the old context hold references of their own.
  SSL_CTX_free(old);
  state_->certificate = certificate;
  return {};
}

SSL* TlsContext::new_session() const {
  std::lock_guard lock(state_->mutex);
  SSL* ssl = SSL_new(state_->ctx);
  if (ssl == nullptr) ERR_clear_error();
  return ssl;
}

const TlsCertificate& TlsContext::certificate() const {
  return state_->certificate;
}

}  // namespace basehttp
