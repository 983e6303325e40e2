// KernelTls: whether this machine can run kernel TLS, for the tests that
// expect it exactly where it can run (never skipped: CI counts a skip as a
// failure, and the answer "no" is tested as much as "yes"). Any thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/opensslconf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace basehttp::testing {

/// The kernel's list of TCP upper-layer protocols ("mptcp tls"); the `tls`
/// module may be missing, or not loaded yet.
inline std::string available_ulps() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
  std::stringstream text;
  text << in.rdbuf();
  std::string list = text.str();
  while (!list.empty() && list.back() == '\n')
    list.pop_back();
  return list;
}

/// Whether a connected TCP socket here takes the `tls` ULP: the step
/// OpenSSL takes to turn kernel TLS on. Tried on a loopback connection of
/// its own rather than read from tcp_available_ulp alone, because the
/// kernel loads the module on first use where it may.
inline bool kernel_offers_tls() {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bool offered = false;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
      ::listen(listener, 1) == 0 &&
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // The backlog completes a loopback connect at once: no accept needed.
    if (::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      offered = ::setsockopt(client, IPPROTO_TCP, TCP_ULP, "tls", 3) == 0;
    }
    ::close(client);
  }
  ::close(listener);
  return offered;
}

/// Whether this OpenSSL was built with kernel TLS.
constexpr bool openssl_has_ktls() {
#ifdef OPENSSL_NO_KTLS
  return false;
#else
  return true;
#endif
}

/// Kernel TLS sending can be on here: what a test expects to find.
inline bool kernel_tls_expected() {
  return openssl_has_ktls() && kernel_offers_tls();
}

/// Why kernel_tls_expected() says what it says, for a test's message.
inline std::string kernel_tls_explanation() {
  std::string why = "tcp_available_ulp: '" + available_ulps() + "'; ";
  why += kernel_offers_tls() ? "a socket takes the tls ULP" : "no socket takes the tls ULP";
  why += openssl_has_ktls() ? "; OpenSSL has kTLS" : "; OpenSSL built without kTLS";
  return why;
}

}  // namespace basehttp::testing
