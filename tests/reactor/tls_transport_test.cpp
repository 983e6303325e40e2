// Tests reactor/tls_transport and reactor/tls_context: a Connection over a
// TlsTransport on a socketpair, against a client made here with OpenSSL
// and driven on the same loop (nonblocking, through an FdWatch): the
// handshake in TLS 1.3 and 1.2, ALPN, bytes both ways, 10 MiB with a file
// region (the bounded-copy path), close_notify, and the refusals (TLS 1.1,
// garbage, a plain HTTP request), kernel TLS exactly where the machine
// offers it (on a loopback TCP pair); then TlsContext's errors, reload, and
// the pair chosen by the client's server name (SNI).
// Built only with TLS (meson -Dtls); every loop bounded by a watchdog.
#include "reactor/tls_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "reactor/connection.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/fd_watch.hpp"
#include "reactor/tls_context.hpp"
#include "tests/support/kernel_tls.hpp"
#include "tests/support/loop_watchdog.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_certificates.hpp"
#include "tests/support/tls_client.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::TestCertificates;
using testing::watchdog;

TlsOptions server_options() {
  const auto& certificates = TestCertificates::get();
  TlsOptions options;
  options.certificate.chain_file = certificates.server_chain;
  options.certificate.key_file = certificates.server_key;
  return options;
}

// One context for the tests that do not change it (new_session() is const).
const TlsContext& shared_context() {
  static const TlsContext context = TlsContext::make(server_options()).value();
  return context;
}

struct ClientOptions {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  // Wire format: length-prefixed names.
  std::string alpn = std::string("\x02h2\x08http/1.1", 12);
  bool legacy = false;             // allow what the system's security level forbids (TLS 1.1)
  std::string host = "localhost";  // the name the certificate must hold
  bool verify_host = true;         // false: any name the test CA signed will do
  // The server name sent (SNI); nullopt: `host`; empty: none.
  std::optional<std::string> server_name;
  std::string tls13_ciphers;  // empty: OpenSSL's default suites
};

// A TLS client on the test's end of the socketpair, verifying the server
// against the test CA as "localhost". pump() does what can be done now:
// the handshake, then sending `outgoing`, then reading into `received`.
struct TlsClient {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  FileDescriptor fd;
  std::string outgoing;
  std::string received;
  bool connected = false;
  bool close_notify = false;  // the server's close_notify arrived
  bool ended = false;         // EOF or an error: nothing more will come
  std::string error;

  TlsClient(FileDescriptor socket, const ClientOptions& options) : fd(std::move(socket)) {
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, options.min_version);
    SSL_CTX_set_max_proto_version(ctx, options.max_version);
    if (options.legacy) {
      SSL_CTX_set_security_level(ctx, 0);
      SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    EXPECT_EQ(
        SSL_CTX_load_verify_locations(ctx, TestCertificates::get().ca_certificate.c_str(), nullptr),
        1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!options.tls13_ciphers.empty()) {
      EXPECT_EQ(SSL_CTX_set_ciphersuites(ctx, options.tls13_ciphers.c_str()), 1);
    }
    ssl = SSL_new(ctx);
    if (options.verify_host) SSL_set1_host(ssl, options.host.c_str());
    std::string server_name = options.server_name.value_or(options.host);
    if (!server_name.empty()) SSL_set_tlsext_host_name(ssl, server_name.c_str());
    if (!options.alpn.empty()) {
      SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(options.alpn.data()),
                          static_cast<unsigned int>(options.alpn.size()));
    }
    SSL_set_fd(ssl, fd.get());
    SSL_set_connect_state(ssl);
  }
  ~TlsClient() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }

  // false (and `ended`) when the call failed for good.
  bool retry(int status) {
    int reason = SSL_get_error(ssl, status);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return true;
    if (reason == SSL_ERROR_ZERO_RETURN) {
      close_notify = true;
    } else {
      unsigned long code = ERR_peek_last_error();
      const char* text = code != 0 ? ERR_reason_error_string(code) : nullptr;
      error = text != nullptr ? text : "socket error or EOF";
    }
    ERR_clear_error();
    ended = true;
    return false;
  }

  void pump() {
    if (ended) return;
    if (!connected) {
      int status = SSL_do_handshake(ssl);
      if (status != 1) {
        retry(status);
        return;
      }
      connected = true;
    }
    while (!outgoing.empty()) {
      size_t written = 0;
      int status = SSL_write_ex(ssl, outgoing.data(), outgoing.size(), &written);
      if (status != 1) {
        if (!retry(status)) return;
        break;
      }
      outgoing.erase(0, written);
    }
    for (;;) {
      char chunk[65536];
      size_t got = 0;
      int status = SSL_read_ex(ssl, chunk, sizeof chunk, &got);
      if (status != 1) {
        retry(status);
        return;
      }
      received.append(chunk, got);
    }
  }

  std::string peer_common_name() const { return testing::peer_common_name(ssl); }
};

// Sends back what it receives; `then` runs after each input.
struct EchoHandler final : ConnectionHandler {
  std::string received;
  bool closed = false;
  std::function<void(Connection&)> then;
  std::function<void()> on_close;
  void on_input(Connection& connection) override {
    received += std::string(connection.input().view());
    connection.output().append(connection.input().view());
    connection.input().retrieve_all();
    if (then) then(connection);
  }
  void on_peer_closed(Connection& connection) override { connection.close_after_flush(); }
  void on_closed(Connection&) override {
    closed = true;
    if (on_close) on_close();
  }
};

// A connected loopback TCP pair, both ends nonblocking: [0] the accepted
// (server) end, [1] the client's.
void tcp_pair(int fds[2]) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  fds[1] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // Loopback: the backlog completes the connect at once.
  ASSERT_EQ(::connect(fds[1], reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  fds[0] = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  ASSERT_GE(fds[0], 0);
  ::close(listener);
  ASSERT_EQ(::fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
}

// A Connection with a TlsTransport on one end of a socketpair; the test
// end is given to a TlsClient or written raw.
struct Fixture {
  EventLoop loop;
  const TlsContext& context;
  EchoHandler handler;
  FileDescriptor peer;
  TlsTransport* transport = nullptr;
  std::unique_ptr<Connection> connection;
  std::unique_ptr<TlsClient> client;
  std::unique_ptr<FdWatch> client_watch;
  // The test's condition: checked after every event of either end.
  std::function<bool()> done = [] { return false; };

  // `tcp`: a loopback TCP connection instead of a socketpair (kernel TLS
  // is a TCP layer).
  explicit Fixture(const TlsContext& tls = shared_context(),
                   milliseconds limit = milliseconds(5000), bool tcp = false)
      : context(tls) {
    int fds[2] = {-1, -1};
    if (tcp) {
      tcp_pair(fds);
    } else {
      EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    }
    peer.reset(fds[1]);
    auto owned = TlsTransport::make(context, fds[0]);
    EXPECT_NE(owned, nullptr);
    transport = owned.get();
    connection = std::make_unique<Connection>(loop, FileDescriptor(fds[0]),
                                              *SocketAddress::parse("127.0.0.1", 1), handler,
                                              std::move(owned));
    handler.on_close = [this] { check(); };
    watchdog(loop, limit);
  }

  void check() {
    if (done()) loop.stop();
  }

  // Runs the handshake (and what follows) with a client on the peer end.
  void run_client(const ClientOptions& options = {}) {
    client = std::make_unique<TlsClient>(std::move(peer), options);
    client_watch = std::make_unique<FdWatch>(loop, client->fd.get(), true, true, [this](Readiness) {
      client->pump();
      check();
    });
    auto then = handler.then;
    handler.then = [this, then](Connection& connection) {
      if (then) then(connection);
      loop.run_soon([this] { check(); });
    };
    connection->start();
    loop.run_soon([this] {
      client->pump();
      check();
    });
    loop.run();
  }
};

TEST(TlsTransport, Tls13HandshakeAlpnAndEchoBothWays) {
  Fixture f;
  f.done = [&] { return f.client->received == "hello over tls"; };
  f.loop.run_soon([&] { f.client->outgoing = "hello over tls"; });
  f.run_client();
  EXPECT_EQ(f.client->received, "hello over tls");
  EXPECT_EQ(f.handler.received, "hello over tls");
  EXPECT_TRUE(f.transport->handshake_done());
  EXPECT_EQ(f.transport->protocol_version(), "TLSv1.3");
  EXPECT_EQ(SSL_version(f.client->ssl), TLS1_3_VERSION);
  EXPECT_EQ(f.transport->alpn_protocol(), "http/1.1");
  EXPECT_EQ(f.client->peer_common_name(), "localhost");
  EXPECT_EQ(SSL_get_verify_result(f.client->ssl), X509_V_OK);
}

TEST(TlsTransport, ErrorsLeftByAnotherOpenSslUserOnTheThreadDoNotEndTheConnection) {
  // Code on the loop thread (a handler hashing with libcrypto) may leave
  // errors in the thread's OpenSSL queue; SSL_get_error would read them
  // as the failure of the next read or write, which only wait.
  Fixture f;
  auto leave_an_error = [] { ERR_raise(ERR_LIB_USER, 1); };
  f.handler.then = [&](Connection&) { leave_an_error(); };
  f.done = [&] {
    leave_an_error();
    return f.client->received == "still here" || f.handler.closed;
  };
  f.loop.run_soon([&] { f.client->outgoing = "still here"; });
  f.run_client();
  EXPECT_EQ(f.client->received, "still here");
  EXPECT_FALSE(f.handler.closed);
  ERR_clear_error();
}

TEST(TlsTransport, Tls12Handshake) {
  Fixture f;
  ClientOptions options;
  options.max_version = TLS1_2_VERSION;
  f.done = [&] { return f.client->received == "twelve"; };
  f.loop.run_soon([&] { f.client->outgoing = "twelve"; });
  f.run_client(options);
  EXPECT_EQ(f.client->received, "twelve");
  EXPECT_EQ(f.transport->protocol_version(), "TLSv1.2");
  EXPECT_EQ(SSL_version(f.client->ssl), TLS1_2_VERSION);
  EXPECT_EQ(f.transport->alpn_protocol(), "http/1.1");
}

TEST(TlsTransport, ClientOfferingOtherProtocolsGetsNoAlpnButAHandshake) {
  Fixture f;
  ClientOptions options;
  options.alpn = std::string("\x02h2", 3);
  f.done = [&] { return f.client->received == "x"; };
  f.loop.run_soon([&] { f.client->outgoing = "x"; });
  f.run_client(options);
  EXPECT_EQ(f.client->received, "x");
  EXPECT_TRUE(f.transport->handshake_done());
  EXPECT_EQ(f.transport->alpn_protocol(), "");
}

// The server's own byte pattern: position i holds a byte that depends on
// i, so a lost, repeated or reordered piece shows.
std::string pattern(size_t size, size_t seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 12)) & 0xff);
  return bytes;
}

TEST(TlsTransport, SendsTenMebibytesWithAFileRegionByteIdenticalThenCloseNotify) {
  Fixture f(shared_context(), milliseconds(30000));
  testing::TempFolder folder("tls-file");
  const std::string head = pattern(3 * 1024 * 1024 + 17, 1);
  const std::string file_bytes = pattern(4 * 1024 * 1024 + 5, 2);
  const std::string tail = pattern(10 * 1024 * 1024 - head.size() - file_bytes.size(), 3);
  std::string path = folder.file("body");
  {
    FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(std::fwrite(file_bytes.data(), 1, file_bytes.size(), out), file_bytes.size());
    std::fclose(out);
  }
  auto file = std::make_shared<const FileDescriptor>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(*file);
  f.handler.then = [&](Connection& connection) {
    if (f.handler.received != "go") return;
    connection.output().clear();  // no echo of "go"
    connection.output().append(std::string(head));
    connection.output().append("");
    connection.output().append_file(file, 0, file_bytes.size());
    connection.output().append(std::string(tail));
    // The linger path ends the stream through the transport: close_notify.
    connection.close_after_flush(/*linger=*/true);
  };
  f.done = [&] { return f.client->ended; };
  f.loop.run_soon([&] { f.client->outgoing = "go"; });
  f.run_client();
  const std::string expected = head + file_bytes + tail;
  EXPECT_EQ(expected.size(), 10u * 1024 * 1024);
  ASSERT_EQ(f.client->received.size(), expected.size());
  EXPECT_TRUE(f.client->received == expected);
  EXPECT_TRUE(f.client->close_notify) << f.client->error;
  EXPECT_FALSE(f.transport->can_send_file());
}

TEST(TlsTransport, WritesRetriedFromTheAddressTheQueueMovedThemTo) {
  // Small appends are copied into the loop's scratch block; a flush that
  // stops at -EAGAIN moves what is left to the queue's own block, so the
  // retry of a record OpenSSL already made comes from another address
  // (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), and gathers several pieces.
  Fixture f(shared_context(), milliseconds(30000));
  const std::string body = pattern(2 * 1024 * 1024, 4);
  f.handler.then = [&](Connection& connection) {
    if (f.handler.received != "go") return;
    connection.output().clear();
    for (size_t at = 0; at < body.size(); at += 1000)
      connection.output().append(std::string_view(body).substr(at, 1000));
    connection.close_after_flush(/*linger=*/true);
  };
  f.done = [&] { return f.client->ended; };
  f.loop.run_soon([&] { f.client->outgoing = "go"; });
  f.run_client();
  ASSERT_EQ(f.client->received.size(), body.size()) << f.client->error;
  EXPECT_TRUE(f.client->received == body);
  EXPECT_TRUE(f.client->close_notify) << f.client->error;
}

TEST(TlsTransport, ShutdownWriteSendsCloseNotify) {
  Fixture f;
  f.handler.then = [&](Connection& connection) {
    if (f.handler.received == "bye") connection.close_after_flush(/*linger=*/true);
  };
  f.done = [&] { return f.client->ended; };
  f.loop.run_soon([&] { f.client->outgoing = "bye"; });
  f.run_client();
  EXPECT_EQ(f.client->received, "bye");
  EXPECT_TRUE(f.client->close_notify) << f.client->error;
  EXPECT_TRUE(SSL_get_shutdown(f.client->ssl) & SSL_RECEIVED_SHUTDOWN);
}

TEST(TlsTransport, CloseWithoutLingerSendsCloseNotifyToo) {
  Fixture f;
  f.handler.then = [&](Connection& connection) {
    if (f.handler.received == "bye") connection.close_after_flush(/*linger=*/false);
  };
  f.done = [&] { return f.client->ended; };
  f.loop.run_soon([&] { f.client->outgoing = "bye"; });
  f.run_client();
  EXPECT_EQ(f.client->received, "bye");
  EXPECT_TRUE(f.client->close_notify) << f.client->error;
}

TEST(TlsTransport, ThePeersCloseNotifyIsAnswered) {
  Fixture f;
  bool sent = false;
  f.done = [&] {
    if (!sent && f.client->received == "last") {
      sent = true;
      EXPECT_EQ(SSL_shutdown(f.client->ssl), 0);  // our close_notify, theirs to come
    }
    return f.client->ended && f.handler.closed;
  };
  f.loop.run_soon([&] { f.client->outgoing = "last"; });
  f.run_client();
  EXPECT_TRUE(sent);
  EXPECT_TRUE(f.client->close_notify) << f.client->error;
}

TEST(TlsTransport, RefusesRenegotiation) {
  Fixture f;
  ClientOptions options;
  options.max_version = TLS1_2_VERSION;  // TLS 1.3 has no renegotiation
  bool asked = false;
  f.done = [&] {
    if (!asked && f.client->received == "again") {
      asked = true;
      EXPECT_EQ(SSL_renegotiate(f.client->ssl), 1);
      SSL_do_handshake(f.client->ssl);  // sends the new ClientHello
    }
    return f.client->ended;
  };
  f.loop.run_soon([&] { f.client->outgoing = "again"; });
  f.run_client(options);
  EXPECT_TRUE(asked);
  EXPECT_EQ(f.client->error, "no renegotiation");
}

TEST(TlsTransport, RefusesAClientOfferingOnlyTls11) {
  Fixture f;
  ClientOptions options;
  options.min_version = TLS1_1_VERSION;
  options.max_version = TLS1_1_VERSION;
  options.legacy = true;
  f.done = [&] { return f.handler.closed && f.client->ended; };
  f.run_client(options);
  EXPECT_TRUE(f.handler.closed);
  EXPECT_FALSE(f.client->connected);
  EXPECT_FALSE(f.transport->handshake_done());
  EXPECT_EQ(f.transport->failure(), "unsupported protocol");
  EXPECT_FALSE(f.client->error.empty());
}

// Raw bytes on the peer end instead of a ClientHello: the connection must
// close (not wait for more), and say why.
void expect_closed_after(const std::string& bytes, Fixture& f) {
  f.done = [&] { return f.handler.closed; };
  f.connection->start();
  ASSERT_EQ(::write(f.peer.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  f.loop.run();
  EXPECT_TRUE(f.handler.closed);
  EXPECT_FALSE(f.transport->handshake_done());
  EXPECT_FALSE(f.transport->failure().empty());
  EXPECT_TRUE(f.handler.received.empty());
}

TEST(TlsTransport, RandomBytesInsteadOfAClientHelloClose) {
  Fixture f;
  std::mt19937 random(16);
  std::string garbage(4096, '\0');
  for (char& byte : garbage)
    byte = static_cast<char>(random());
  expect_closed_after(garbage, f);
}

TEST(TlsTransport, PlainHttpRequestClosesAndIsRecognised) {
  Fixture f;
  expect_closed_after("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", f);
  EXPECT_TRUE(f.transport->plain_http_request()) << f.transport->failure();
}

TEST(TlsTransport, PeerGoneMidHandshakeIsTheEndOfTheStream) {
  Fixture f;
  // Half a record header, then EOF: not an error to report, just the end.
  f.done = [&] { return f.handler.closed; };
  f.connection->start();
  ASSERT_EQ(::write(f.peer.get(), "\x16\x03", 2), 2);
  ::shutdown(f.peer.get(), SHUT_WR);
  f.loop.run();
  EXPECT_TRUE(f.handler.closed);
  EXPECT_FALSE(f.transport->handshake_done());
}

// TlsContext.

std::string make_error(const TlsOptions& options) {
  auto context = TlsContext::make(options);
  EXPECT_FALSE(context.ok());
  return context.ok() ? std::string() : context.message();
}

TEST(TlsContext, MissingCertificateFileSaysWhichAndWhy) {
  TlsOptions options = server_options();
  options.certificate.chain_file = "/nonexistent/basehttp/cert.pem";
  auto context = TlsContext::make(options);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.error(), ENOENT);
  EXPECT_EQ(context.message(),
            "TLS certificate chain '/nonexistent/basehttp/cert.pem': No such file or directory");
}

TEST(TlsContext, MissingKeyFileSaysWhichAndWhy) {
  TlsOptions options = server_options();
  options.certificate.key_file = "/nonexistent/basehttp/key.pem";
  EXPECT_EQ(make_error(options),
            "TLS key '/nonexistent/basehttp/key.pem': No such file or directory");
}

TEST(TlsContext, NotACertificate) {
  TlsOptions options = server_options();
  options.certificate.chain_file = TestCertificates::get().not_a_certificate;
  std::string message = make_error(options);
  EXPECT_NE(message.find("TLS certificate chain '" + options.certificate.chain_file +
                         "' not loaded (OpenSSL: no start line)"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(TlsContext, KeyThatDoesNotMatchTheCertificate) {
  TlsOptions options = server_options();
  options.certificate.key_file = TestCertificates::get().stray_key;
  std::string message = make_error(options);
  EXPECT_NE(
      message.find("TLS key '" + options.certificate.key_file + "' does not match the certificate"),
      std::string::npos)
      << message;
  EXPECT_NE(message.find("key values mismatch"), std::string::npos) << message;
}

TEST(TlsContext, WrongPassword) {
  TlsOptions options = server_options();
  options.certificate.key_file = TestCertificates::get().encrypted_key;
  options.certificate.password = "wrong";
  std::string message = make_error(options);
  // OpenSSL's own reason varies with what the wrong key happens to decrypt
  // to ("bad decrypt" mostly, "unsupported" now and then): not checked.
  EXPECT_NE(message.find("not loaded: wrong password? (OpenSSL: "), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(TlsContext, EncryptedKeyWithoutPasswordFailsWithoutPrompting) {
  TlsOptions options = server_options();
  options.certificate.key_file = TestCertificates::get().encrypted_key;
  std::string message = make_error(options);
  EXPECT_NE(message.find("encrypted, and no password given?"), std::string::npos) << message;
}

TEST(TlsContext, KeyFileWithoutAKey) {
  TlsOptions options = server_options();
  options.certificate.key_file = TestCertificates::get().not_a_certificate;
  std::string message = make_error(options);
  EXPECT_NE(message.find("not loaded: no private key in it?"), std::string::npos) << message;
}

TEST(TlsContext, EncryptedKeyWithItsPassword) {
  TlsOptions options = server_options();
  options.certificate.key_file = TestCertificates::get().encrypted_key;
  options.certificate.password = TestCertificates::get().password;
  auto context = TlsContext::make(options);
  EXPECT_TRUE(context.ok()) << context.message();
}

TEST(TlsContext, KeyDefaultsToTheChainFile) {
  TlsOptions options;
  options.certificate.chain_file = TestCertificates::get().combined;
  auto context = TlsContext::make(options);
  EXPECT_TRUE(context.ok()) << context.message();
}

TEST(TlsContext, RefusesAnEmptyAlpnName) {
  TlsOptions options = server_options();
  options.alpn_protocols = {"http/1.1", ""};
  auto context = TlsContext::make(options);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.error(), EINVAL);
}

// The certificate a new connection from `context` presents, by its CN.
// `host` is the name the client verifies it against.
std::string served_common_name(Fixture& f, const std::string& host) {
  ClientOptions options;
  options.host = host;
  f.done = [&] { return f.client->connected || f.client->ended; };
  f.run_client(options);
  EXPECT_TRUE(f.client->connected) << f.client->error;
  return f.client->peer_common_name();
}

TEST(TlsContext, ReloadServesTheNewPairAndABadPairKeepsTheOld) {
  const auto& certificates = TestCertificates::get();
  TlsContext context = TlsContext::make(server_options()).value();
  {
    Fixture f(context);
    EXPECT_EQ(served_common_name(f, "localhost"), "localhost");
  }

  TlsCertificate other{certificates.other_chain, certificates.other_key, {}};
  auto reloaded = context.reload(other);
  ASSERT_TRUE(reloaded.ok()) << reloaded.message();
  EXPECT_EQ(context.certificate().chain_file, certificates.other_chain);
  {
    Fixture f(context);
    EXPECT_EQ(served_common_name(f, "reloaded.localhost"), "reloaded.localhost");
  }

  TlsCertificate mismatched{certificates.server_chain, certificates.other_key, {}};
  auto refused = context.reload(mismatched);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("does not match the certificate"), std::string::npos)
      << refused.message();
  EXPECT_EQ(context.certificate().chain_file, certificates.other_chain);
  {
    Fixture f(context);
    EXPECT_EQ(served_common_name(f, "reloaded.localhost"), "reloaded.localhost");
  }
}

// SNI: the pair a client asking for `server_name` is given, by its CN
// (the chain is verified against the test CA, whatever name it holds);
// empty: the client sends no name.
std::string common_name_for(const TlsContext& context, const std::string& server_name,
                            std::string* alpn = nullptr) {
  Fixture f(context);
  ClientOptions options;
  options.verify_host = false;
  options.server_name = server_name;
  f.done = [&] { return f.client->connected || f.client->ended; };
  f.run_client(options);
  EXPECT_TRUE(f.client->connected) << server_name << ": " << f.client->error;
  EXPECT_EQ(SSL_get_verify_result(f.client->ssl), X509_V_OK);
  if (alpn != nullptr) *alpn = std::string(f.transport->alpn_protocol());
  return f.client->peer_common_name();
}

TlsOptions with_server_names() {
  const auto& certificates = TestCertificates::get();
  TlsOptions options = server_options();
  options.server_names = {
      {"Reloaded.LOCALHOST", {certificates.other_chain, certificates.other_key, {}}},
      {"*.wild.localhost", {certificates.wildcard_chain, certificates.wildcard_key, {}}},
  };
  return options;
}

TEST(TlsContext, ServerNameChoosesThePairCaseInsensitively) {
  TlsContext context = TlsContext::make(with_server_names()).value();
  std::string alpn;
  EXPECT_EQ(common_name_for(context, "reloaded.localhost", &alpn), "reloaded.localhost");
  // The pair's own context answers ALPN as the default one does.
  EXPECT_EQ(alpn, "http/1.1");
  EXPECT_EQ(common_name_for(context, "RELOADED.localhost"), "reloaded.localhost");
  EXPECT_EQ(common_name_for(context, "a.wild.localhost", &alpn), "*.wild.localhost");
  EXPECT_EQ(alpn, "http/1.1");
  EXPECT_EQ(common_name_for(context, "B-2.Wild.Localhost"), "*.wild.localhost");
}

TEST(TlsContext, NoServerNameOrAnUnknownOneGetsTheDefaultPair) {
  TlsContext context = TlsContext::make(with_server_names()).value();
  EXPECT_EQ(common_name_for(context, ""), "localhost");
  EXPECT_EQ(common_name_for(context, "nobody.localhost"), "localhost");
  EXPECT_EQ(common_name_for(context, "localhost"), "localhost");
  // A wildcard stands for one label: neither none nor two.
  EXPECT_EQ(common_name_for(context, "wild.localhost"), "localhost");
  EXPECT_EQ(common_name_for(context, "a.b.wild.localhost"), "localhost");
  EXPECT_EQ(common_name_for(context, "x.reloaded.localhost"), "localhost");
}

TEST(TlsContext, AnExactNameWinsOverAWildcard) {
  const auto& certificates = TestCertificates::get();
  TlsOptions options = server_options();
  options.server_names = {
      {"*.wild.localhost", {certificates.wildcard_chain, certificates.wildcard_key, {}}},
      {"exact.wild.localhost", {certificates.other_chain, certificates.other_key, {}}},
  };
  TlsContext context = TlsContext::make(options).value();
  EXPECT_EQ(common_name_for(context, "exact.wild.localhost"), "reloaded.localhost");
  EXPECT_EQ(common_name_for(context, "other.wild.localhost"), "*.wild.localhost");
}

TEST(TlsContext, BadServerNameEntriesAreRefusedWithTheirName) {
  const auto& certificates = TestCertificates::get();
  TlsCertificate good{certificates.other_chain, certificates.other_key, {}};
  for (const char* host : {"", "*", "*.", "a.*.localhost", "f*o.localhost", "a..localhost",
                           "space here", ".localhost", "localhost.", "*.*.localhost"}) {
    TlsOptions options = server_options();
    options.server_names = {{host, good}};
    auto context = TlsContext::make(options);
    ASSERT_FALSE(context.ok()) << "'" << host << "' taken";
    EXPECT_EQ(context.error(), EINVAL);
    EXPECT_EQ(context.what().rfind(std::string("TLS server name '") + host + "'", 0), 0u)
        << context.what();
  }
  TlsOptions twice = server_options();
  twice.server_names = {{"a.localhost", good}, {"A.Localhost", good}};
  auto repeated = TlsContext::make(twice);
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.what().find("'A.Localhost': given twice"), std::string::npos)
      << repeated.what();

  TlsOptions mismatched = server_options();
  mismatched.server_names = {
      {"m.localhost", {certificates.other_chain, certificates.server_key, {}}}};
  auto refused = TlsContext::make(mismatched);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), EINVAL);
  EXPECT_EQ(refused.what().rfind("TLS server name 'm.localhost': TLS key '", 0), 0u)
      << refused.what();
  EXPECT_NE(refused.what().find("does not match the certificate"), std::string::npos);
  EXPECT_EQ(refused.what().find('\n'), std::string::npos);

  TlsOptions missing = server_options();
  missing.server_names = {{"gone.localhost", {"/nonexistent/chain.pem", {}, {}}}};
  auto absent = TlsContext::make(missing);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error(), ENOENT);
  EXPECT_NE(absent.message().find("gone.localhost"), std::string::npos) << absent.message();
}

TEST(TlsContext, ReloadReplacesEveryPairAndABadOneKeepsThemAll) {
  const auto& certificates = TestCertificates::get();
  TlsOptions first = server_options();
  first.server_names = {{"sni.localhost", {certificates.other_chain, certificates.other_key, {}}}};
  TlsContext context = TlsContext::make(first).value();
  EXPECT_EQ(common_name_for(context, "sni.localhost"), "reloaded.localhost");

  // The name gets another pair, the default too.
  TlsOptions second = first;
  second.certificate = {certificates.other_chain, certificates.other_key, {}};
  second.server_names[0].certificate = {certificates.wildcard_chain, certificates.wildcard_key, {}};
  auto reloaded = context.reload(second);
  ASSERT_TRUE(reloaded.ok()) << reloaded.message();
  EXPECT_EQ(common_name_for(context, "sni.localhost"), "*.wild.localhost");
  EXPECT_EQ(common_name_for(context, ""), "reloaded.localhost");
  EXPECT_EQ(context.options().server_names.size(), 1u);

  // A bad pair for the name: nothing changes, the default included.
  TlsOptions bad = second;
  bad.certificate = server_options().certificate;
  bad.server_names[0].certificate = {certificates.wildcard_chain, certificates.other_key, {}};
  auto refused = context.reload(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.what().find("TLS server name 'sni.localhost'"), std::string::npos)
      << refused.what();
  EXPECT_EQ(common_name_for(context, "sni.localhost"), "*.wild.localhost");
  EXPECT_EQ(common_name_for(context, ""), "reloaded.localhost");
  EXPECT_EQ(context.certificate().chain_file, certificates.other_chain);

  // Reloading the default pair alone keeps the names.
  ASSERT_TRUE(context.reload(server_options().certificate).ok());
  EXPECT_EQ(common_name_for(context, ""), "localhost");
  EXPECT_EQ(common_name_for(context, "sni.localhost"), "*.wild.localhost");
}

TEST(TlsContext, AConnectionStartedBeforeAReloadFinishesWithItsOwnPairs) {
  // The session's server names live with the context it was made from,
  // not with the one in use when its ClientHello arrives.
  const auto& certificates = TestCertificates::get();
  TlsContext context = TlsContext::make(with_server_names()).value();
  Fixture f(context);  // session made now, handshake after the reload
  TlsOptions replaced = server_options();
  replaced.server_names = {
      {"reloaded.localhost", {certificates.wildcard_chain, certificates.wildcard_key, {}}}};
  ASSERT_TRUE(context.reload(replaced).ok());
  ClientOptions options;
  options.verify_host = false;
  options.server_name = "reloaded.localhost";
  f.done = [&] { return f.client->connected || f.client->ended; };
  f.run_client(options);
  ASSERT_TRUE(f.client->connected) << f.client->error;
  EXPECT_EQ(f.client->peer_common_name(), "reloaded.localhost");
}

// Kernel TLS is used exactly where this machine offers it, and a file
// region arrives byte-identical either way. Never skipped: on a kernel
// without the `tls` module (the test machine's) it checks that the
// transport says so and the bounded copy carries the file; on one with
// it, that SSL_sendfile does. The cipher is one every kTLS kernel has.
TEST(TlsTransport, KernelTlsSendsFilesExactlyWhereTheKernelOffersIt) {
  const bool expected = testing::kernel_tls_expected();
  Fixture f(shared_context(), milliseconds(30000), /*tcp=*/true);
  testing::TempFolder folder("tls-ktls");
  const std::string head = pattern(1000, 4);
  const std::string file_bytes = pattern(2 * 1024 * 1024 + 3, 5);
  std::string path = folder.file("body");
  {
    FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(std::fwrite(file_bytes.data(), 1, file_bytes.size(), out), file_bytes.size());
    std::fclose(out);
  }
  auto file = std::make_shared<const FileDescriptor>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(*file);
  bool could_send_file = false;
  f.handler.then = [&](Connection& connection) {
    if (f.handler.received != "go") return;
    could_send_file = f.transport->can_send_file();
    connection.output().clear();
    connection.output().append(std::string(head));
    connection.output().append_file(file, 7, file_bytes.size() - 7);
    connection.close_after_flush(/*linger=*/true);
  };
  const std::string wanted = head + file_bytes.substr(7);
  f.done = [&] { return f.client->ended || f.client->received.size() >= wanted.size(); };
  f.loop.run_soon([&] { f.client->outgoing = "go"; });
  ClientOptions options;
  options.max_version = TLS1_3_VERSION;
  options.min_version = TLS1_3_VERSION;
  options.tls13_ciphers = "TLS_AES_128_GCM_SHA256";
  f.run_client(options);
  ASSERT_EQ(f.client->received.size(), wanted.size()) << f.client->error;
  EXPECT_TRUE(f.client->received == wanted);
  EXPECT_EQ(f.transport->kernel_send(), expected) << testing::kernel_tls_explanation();
  EXPECT_EQ(could_send_file, expected) << testing::kernel_tls_explanation();
}

}  // namespace
}  // namespace basehttp
