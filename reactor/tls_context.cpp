#include "reactor/tls_context.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

namespace basehttp {

struct TlsContext::State {
  // Guards ctx: a reload swaps it while loop threads make sessions.
  mutable std::mutex mutex;
  // The default pair's context; its Names (ex_data) hold the others.
  SSL_CTX* ctx = nullptr;
  TlsOptions options;

  ~State() { SSL_CTX_free(ctx); }
};

namespace {

// What one generation of the configuration adds to its default SSL_CTX:
// the ALPN list and the contexts of the server names. Owned by the default
// context (ex_data, freed with it): a session holds that context to its
// end (SSL_get_SSL_CTX may change by SNI, the session context does not),
// so whatever its callbacks read lives as long as any session of the
// generation, across reloads.
struct Names {
  // The ALPN list in the wire format (length-prefixed names), read by the
  // selection callback of every SSL_CTX of the generation.
  std::string alpn_wire;
  // Lower-case host -> its context (a reference of ours). A wildcard is
  // kept as its suffix: "*.example.com" as ".example.com".
  std::vector<std::pair<std::string, SSL_CTX*>> exact;
  std::vector<std::pair<std::string, SSL_CTX*>> wildcards;

  Names() = default;
  Names(const Names&) = delete;
  Names& operator=(const Names&) = delete;
  ~Names() {
    for (auto& entry : exact)
      SSL_CTX_free(entry.second);
    for (auto& entry : wildcards)
      SSL_CTX_free(entry.second);
  }
};

void free_names(void*, void* names, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<Names*>(names);
}

int names_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_names);
  return index;
}

// SNI: moves the session to the context of the name the client asked for;
// no name, or one no entry matches, keeps the default pair.
int choose_by_name(SSL* ssl, int* alert, void* user) {
  const auto* names = static_cast<const Names*>(user);
  const char* asked = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (asked == nullptr) return SSL_TLSEXT_ERR_NOACK;
  char lower[256];
  size_t length = 0;
  for (; asked[length] != '\0'; ++length) {
    if (length == sizeof lower) return SSL_TLSEXT_ERR_NOACK;  // longer than any DNS name
    char c = asked[length];
    lower[length] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::string_view name(lower, length);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // the root, spelt out
  // SSL_set_SSL_CTX copies the pair: out of memory, the handshake ends
  // rather than going on with the wrong certificate.
  auto use = [ssl, alert](SSL_CTX* ctx) {
    if (SSL_set_SSL_CTX(ssl, ctx) != nullptr) return SSL_TLSEXT_ERR_OK;
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  };
  for (const auto& [host, ctx] : names->exact) {
    if (host == name) return use(ctx);
  }
  // A wildcard stands for exactly one non-empty leading label.
  size_t dot = name.find('.');
  if (dot != 0 && dot != std::string_view::npos) {
    std::string_view suffix = name.substr(dot);
    for (const auto& [host, ctx] : names->wildcards) {
      if (host == suffix) return use(ctx);
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// `host` in lower case if it is a DNS name or a wildcard of one leading
// label ("*.example.com"), else nullopt.
std::optional<std::string> server_name_key(const std::string& host) {
  std::string key;
  key.reserve(host.size());
  for (char c : host)
    key += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  std::string_view labels = key;
  if (labels.starts_with("*.")) labels.remove_prefix(2);
  if (labels.empty() || labels.size() > 253) return std::nullopt;
  size_t label = 0;
  for (size_t i = 0; i <= labels.size(); ++i) {
    if (i == labels.size() || labels[i] == '.') {
      if (label == 0 || label > 63) return std::nullopt;
      label = 0;
      continue;
    }
    char c = labels[i];
    bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!allowed) return std::nullopt;
    ++label;
  }
  return key;
}

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
  ERR_clear_error();
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
  // Kernel TLS: after the handshake OpenSSL hands the keys to the kernel
  // where it offers the `tls` module and the cipher (TlsTransport then
  // sends files with SSL_sendfile); elsewhere the attempt fails quietly
  // and records are made in user space as without it.
  SSL_CTX_set_options(ctx,
                      SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_ENABLE_KTLS);
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

// Every context of `options`, or the first failure: the default pair's
// context, owning the others (see Names).
SysResult<SSL_CTX*> build_all(const TlsOptions& options) {
  auto names = std::make_unique<Names>();
  for (const std::string& protocol : options.alpn_protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      return SysError(EINVAL, "ALPN protocol name '" + protocol + "'");
    }
    names->alpn_wire += static_cast<char>(protocol.size());
    names->alpn_wire += protocol;
  }
  for (const TlsServerName& entry : options.server_names) {
    const std::string named = "TLS server name '" + entry.host + "'";
    std::optional<std::string> key = server_name_key(entry.host);
    if (!key) {
      return SysError(EINVAL, named + ": not a DNS name, nor '*.' and one (a wildcard)");
    }
    bool wildcard = key->starts_with("*.");
    auto& list = wildcard ? names->wildcards : names->exact;
    std::string stored = wildcard ? key->substr(1) : *key;
    for (const auto& other : list) {
      if (other.first == stored) return SysError(EINVAL, named + ": given twice");
    }
    auto ctx = build(entry.certificate, names->alpn_wire);
    if (!ctx) return SysError(ctx.error(), named + ": " + ctx.what());
    list.emplace_back(std::move(stored), ctx.value());
  }
  auto built = build(options.certificate, names->alpn_wire);
  if (!built) return built.failure();
  SSL_CTX* ctx = built.value();
  if (!options.server_names.empty()) {
    SSL_CTX_set_tlsext_servername_callback(ctx, choose_by_name);
    SSL_CTX_set_tlsext_servername_arg(ctx, names.get());
  }
  if (SSL_CTX_set_ex_data(ctx, names_index(), names.get()) != 1) {
    SSL_CTX_free(ctx);
    return SysError(ENOMEM, "SSL_CTX_set_ex_data (" + openssl_reason() + ")");
  }
  names.release();
  return ctx;
}

}  // namespace

TlsContext::TlsContext(std::unique_ptr<State> state) : state_(std::move(state)) {}
TlsContext::TlsContext(TlsContext&&) noexcept = default;
TlsContext& TlsContext::operator=(TlsContext&&) noexcept = default;
TlsContext::~TlsContext() = default;

SysResult<TlsContext> TlsContext::make(const TlsOptions& options) {
  auto ctx = build_all(options);
  if (!ctx) return ctx.failure();
  auto state = std::make_unique<State>();
  state->ctx = ctx.value();
  state->options = options;
  return TlsContext(std::move(state));
}

SysResult<void> TlsContext::reload(const TlsOptions& options) {
  auto ctx = build_all(options);
  if (!ctx) return ctx.failure();
  SSL_CTX* old;
  {
    std::lock_guard lock(state_->mutex);
    old = std::exchange(state_->ctx, ctx.value());
  }
  // Sessions made from the old context hold references of their own.
  SSL_CTX_free(old);
  state_->options = options;
  return {};
}

SysResult<void> TlsContext::reload(const TlsCertificate& certificate) {
  TlsOptions options = state_->options;
  options.certificate = certificate;
  return reload(options);
}

SSL* TlsContext::new_session() const {
  std::lock_guard lock(state_->mutex);
  SSL* ssl = SSL_new(state_->ctx);
  if (ssl == nullptr) ERR_clear_error();
  return ssl;
}

const TlsCertificate& TlsContext::certificate() const {
  return state_->options.certificate;
}

const TlsOptions& TlsContext::options() const {
  return state_->options;
}

}  // namespace basehttp
