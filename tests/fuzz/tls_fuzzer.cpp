// tls_fuzzer: arbitrary bytes as a client's side of a TLS connection, into
// the server-side TlsTransport a TLS listener makes for each accepted
// socket. The transport sits on the real path: a nonblocking socketpair,
// SSL bound to its fd as TlsTransport::make does it. Invariants: no crash,
// leak or sanitizer report; every call returns what Transport promises
// (a count within the size, 0, -EAGAIN or -errno), -EAGAIN comes with a
// readiness to wait for, and the stream ends (0 or -errno) once the
// client's side is closed and nothing more can come.
//
// Input: the client's bytes, sent at once. The transport is driven until
// it waits for more; then the client's write side is shut and it is driven
// until the end. Whatever the server sends back is read and dropped.
//
// OpenSSL itself is not instrumented (Debian's libssl), so coverage steers
// only through our code around it; OpenSSL's parsing is exercised but not
// explored. The certificate is fixed for the whole run: an EC P-256 key and
// a self-signed certificate made in memory at start-up (no openssl command
// per run), written once to mkstemp files because TlsContext::make takes
// paths, and removed as soon as the context has loaded them.
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "reactor/tls_context.hpp"
#include "reactor/tls_transport.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace basehttp {
namespace {

using fuzzing::fuzz_fail;
using fuzzing::require;

// Never destroyed: OpenSSL's own exit handler, registered when it starts
// (after this file's statics), runs before a static's destructor would,
// and an SSL_CTX freed after it no longer frees what its ex_data holds
// (the SNI names), which LeakSanitizer reports at exit.
TlsContext* context = nullptr;

// Writes `write_pem(file)` to a new temp file; its path.
template <typename Writer>
std::string pem_file(Writer write_pem) {
  const char* folder = std::getenv("TMPDIR");
  std::string path = std::string(folder != nullptr ? folder : "/tmp") + "/tls_fuzzer_XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) fuzz_fail("mkstemp");
  FILE* file = ::fdopen(fd, "w");
  if (file == nullptr || write_pem(file) != 1 || std::fclose(file) != 0)
    fuzz_fail("PEM write", path);
  return path;
}

void make_context() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* certificate = X509_new();
  if (key == nullptr || certificate == nullptr) fuzz_fail("key or certificate");
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 365L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  X509_set_pubkey(certificate, key);
  if (X509_sign(certificate, key, EVP_sha256()) == 0) fuzz_fail("X509_sign");

  TlsOptions options;
  options.certificate.chain_file =
      pem_file([&](FILE* file) { return PEM_write_X509(file, certificate); });
  options.certificate.key_file = pem_file([&](FILE* file) {
    return PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  auto made = TlsContext::make(options);
  ::unlink(options.certificate.chain_file.c_str());
  ::unlink(options.certificate.key_file.c_str());
  X509_free(certificate);
  EVP_PKEY_free(key);
  if (!made) fuzz_fail("TlsContext::make", made.what());
  context = new TlsContext(std::move(made).value());
}

void drop_replies(int client) {
  char sink[16384];
  while (::read(client, sink, sizeof sink) > 0) {
  }
}

// Drives reads (and a write once the handshake is done) until the
// transport waits for the client or ends the stream; true when it ended.
bool drive(TlsTransport& transport, int server, int client) {
  char data[4096];
  // Each round consumes input or ends; the bound only guards a livelock.
  for (int round = 0; round < 10000; ++round) {
    ssize_t got = transport.read(server, data, sizeof data);
    drop_replies(client);
    if (got > 0) {
      require(static_cast<size_t>(got) <= sizeof data, "read beyond its size");
      // Application data (a complete handshake): answer, as a session would.
      static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      iovec vector{const_cast<char*>(reply), sizeof reply - 1};
      ssize_t wrote = transport.write(server, &vector, 1, false);
      require(wrote == -EAGAIN || wrote < 0 || static_cast<size_t>(wrote) <= vector.iov_len,
              "write beyond its size");
      continue;
    }
    if (got == -EAGAIN) {
      // Replies were dropped, so the socket has room: waiting to write
      // would be a livelock, waiting to read means the input is used up.
      if (transport.wants() == TransportWait::kReadable) return false;
      continue;
    }
    require(got == 0 || got < 0, "read result");
    return true;
  }
  fuzz_fail("the transport neither ends nor waits");
}

}  // namespace
}  // namespace basehttp

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  basehttp::make_context();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace basehttp;
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0)
    fuzz_fail("socketpair");
  int server = pair[0];
  int client = pair[1];
  // The input fits the socket's buffer (-max_len stays well below it).
  size_t sent = 0;
  while (sent < size) {
    ssize_t wrote = ::write(client, data + sent, size - sent);
    if (wrote <= 0) fuzz_fail("input larger than the socket buffer");
    sent += static_cast<size_t>(wrote);
  }
  {
    std::unique_ptr<TlsTransport> transport = TlsTransport::make(*context, server);
    require(transport != nullptr, "TlsTransport::make");
    if (!drive(*transport, server, client)) {
      ::shutdown(client, SHUT_WR);
      require(drive(*transport, server, client), "no end after the client's EOF");
    }
    // What a Connection reads for its log line and answer, then its close.
    (void)transport->failure();
    (void)transport->plain_http_request();
    if (transport->handshake_done()) {
      (void)transport->protocol_version();
      (void)transport->alpn_protocol();
    }
    transport->shutdown_write(server);
  }
  ::close(server);
  ::close(client);
  return 0;
}
