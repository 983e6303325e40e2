// HTTPS end to end, the parts beyond one certificate pair: the pair chosen
// by the server name the client sends (SNI), with and without a match,
// through HTTPServer::reload_certificates(); and files sent through kernel
// TLS exactly where this machine offers it, counted in the stats and in
// /metrics. Clients: a blocking OpenSSL client made here (every socket wait
// bounded by SO_RCVTIMEO / SO_SNDTIMEO) and the `openssl s_client` command.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include <gtest/gtest.h>

#include "basehttp.hpp"
#include "tests/support/kernel_tls.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_certificates.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tls_client.hpp"

namespace basehttp {
namespace {

using testing::TestCertificates;
using testing::TestServer;

// The default pair (CN=localhost), "reloaded.localhost" and the names of
// "*.wild.localhost" with their own.
ServerOptions sni_options() {
  const auto& certificates = TestCertificates::get();
  ServerOptions options = testing::quiet_options();
  TlsOptions tls;
  tls.certificate = {certificates.server_chain, certificates.server_key, {}};
  tls.server_names = {
      {"reloaded.localhost", {certificates.other_chain, certificates.other_key, {}}},
      {"*.wild.localhost", {certificates.wildcard_chain, certificates.wildcard_key, {}}},
  };
  options.tls = tls;
  return options;
}

int connect_bounded(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval limit{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A client that sends `server_name` (none when empty) and trusts any
// certificate the test CA signed, whatever name it holds: the test looks
// at which one it got.
class SniClient {
 public:
  // `corked`: the socket holds what the handshake sends (TCP_CORK) until
  // uncork(), so the client's last flight can leave in one segment with
  // what follows it.
  SniClient(uint16_t port, const std::string& server_name, bool corked = false)
      : fd_(connect_bounded(port)) {
    if (corked) set_cork(1);
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, TestCertificates::get().ca_certificate.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    if (!server_name.empty()) SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    SSL_set_fd(ssl_, fd_);
    connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~SniClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  SniClient(const SniClient&) = delete;
  SniClient& operator=(const SniClient&) = delete;

  bool connected() const { return connected_; }
  void uncork() { set_cork(0); }
  /// Bytes straight to the socket, past TLS.
  bool send_raw(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  std::string common_name() const { return testing::peer_common_name(ssl_); }
  // GET `path` on the kept-alive connection: the body of a 200 answer with
  // a Content-Length, or nothing.
  std::optional<std::string> get(const std::string& path) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    size_t written = 0;
    if (SSL_write_ex(ssl_, request.data(), request.size(), &written) != 1) return std::nullopt;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    std::string head = buffer_.substr(0, end + 4);
    size_t length_at = head.find("Content-Length: ");
    if (head.rfind("HTTP/1.1 200 ", 0) != 0 || length_at == std::string::npos) return std::nullopt;
    size_t length = std::stoul(head.substr(length_at + 16));
    while (buffer_.size() < end + 4 + length) {
      if (!fill()) return std::nullopt;
    }
    std::string body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return body;
  }

 private:
  void set_cork(int on) { ::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &on, sizeof on); }
  bool fill() {
    char chunk[65536];
    size_t got = 0;
    if (SSL_read_ex(ssl_, chunk, sizeof chunk, &got) != 1) {
      ERR_clear_error();
      return false;
    }
    buffer_.append(chunk, got);
    return true;
  }

  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  std::string buffer_;
};

HandlerTable hello_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) { testing::send_text(handler, 200, "hello"); });
  return table;
}

// The CN of the certificate a client asking for `server_name` gets, after
// a request answered on that connection.
std::string served_to(uint16_t port, const std::string& server_name) {
  SniClient client(port, server_name);
  EXPECT_TRUE(client.connected()) << server_name;
  auto body = client.get("/");
  EXPECT_EQ(body.value_or("(none)"), "hello") << server_name;
  return client.common_name();
}

TEST(HttpsSni, TheServerNameChoosesThePair) {
  HandlerTable table = hello_table();
  TestServer server(table, sni_options());
  EXPECT_EQ(served_to(server.port(), "reloaded.localhost"), "reloaded.localhost");
  EXPECT_EQ(served_to(server.port(), "Reloaded.LocalHost"), "reloaded.localhost");
  EXPECT_EQ(served_to(server.port(), "api.wild.localhost"), "*.wild.localhost");
  EXPECT_EQ(served_to(server.port(), "localhost"), "localhost");
}

TEST(HttpsSni, NoServerNameOrAnUnknownOneGetsTheDefaultPair) {
  HandlerTable table = hello_table();
  TestServer server(table, sni_options());
  EXPECT_EQ(served_to(server.port(), ""), "localhost");
  EXPECT_EQ(served_to(server.port(), "unknown.localhost"), "localhost");
  EXPECT_EQ(served_to(server.port(), "a.b.wild.localhost"), "localhost");
}

// What `openssl s_client -servername NAME` (no name when empty) reports
// of the certificate it was given.
std::string s_client_subject(uint16_t port, const std::string& server_name) {
  std::string command = "timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                        " -CAfile " + TestCertificates::get().ca_certificate +
                        (server_name.empty() ? " -noservername" : " -servername " + server_name) +
                        " </dev/null 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "(popen failed)";
  std::string output;
  char chunk[4096];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, pipe)) > 0)
    output.append(chunk, got);
  ::pclose(pipe);
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("subject=", 0) == 0) return line;
  }
  return "(no subject in: " + output + ")";
}

TEST(HttpsSni, OpensslSClientGetsThePairOfItsServername) {
  HandlerTable table = hello_table();
  TestServer server(table, sni_options());
  EXPECT_EQ(s_client_subject(server.port(), "x.wild.localhost"), "subject=CN = *.wild.localhost");
  EXPECT_EQ(s_client_subject(server.port(), "reloaded.localhost"),
            "subject=CN = reloaded.localhost");
  EXPECT_EQ(s_client_subject(server.port(), ""), "subject=CN = localhost");
}

void copy_file(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

TEST(HttpsSni, ReloadCertificatesReplacesTheNamedPairsAndABadOneKeepsThemAll) {
  const auto& certificates = TestCertificates::get();
  testing::TempFolder folder("https-sni");
  const std::string chain = folder.file("named.pem");
  const std::string key = folder.file("named.key");
  copy_file(certificates.other_chain, chain);
  copy_file(certificates.other_key, key);
  ServerOptions options = sni_options();
  options.tls->server_names = {{"sni.localhost", {chain, key, {}}}};
  HandlerTable table = hello_table();
  TestServer server(table, options);
  EXPECT_EQ(served_to(server.port(), "sni.localhost"), "reloaded.localhost");

  // Renewed files: the next connections get them.
  copy_file(certificates.wildcard_chain, chain);
  copy_file(certificates.wildcard_key, key);
  SysResult<void> reloaded = SysError(EINVAL, "not run");
  server.run_in_loop([&] { reloaded = server.server().reload_certificates(); });
  ASSERT_TRUE(reloaded.ok()) << reloaded.message();
  EXPECT_EQ(served_to(server.port(), "sni.localhost"), "*.wild.localhost");
  EXPECT_EQ(served_to(server.port(), ""), "localhost");

  // A key that does not match: the pairs in use stay, and the result says
  // which name and why.
  copy_file(certificates.other_key, key);
  server.run_in_loop([&] { reloaded = server.server().reload_certificates(); });
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.what().find("TLS server name 'sni.localhost'"), std::string::npos)
      << reloaded.what();
  EXPECT_NE(reloaded.what().find("does not match"), std::string::npos) << reloaded.what();
  EXPECT_EQ(served_to(server.port(), "sni.localhost"), "*.wild.localhost");
  EXPECT_EQ(served_to(server.port(), ""), "localhost");
}

TEST(HttpsSni, ABadServerNameIsRefusedAtConstructionInOneLine) {
  HandlerTable table = hello_table();
  ServerOptions options = sni_options();
  options.tls->server_names.push_back(
      {"not a name", {TestCertificates::get().other_chain, TestCertificates::get().other_key, {}}});
  try {
    HTTPServer server(ServerAddress{"127.0.0.1", 0}, table, options);
    FAIL() << "constructed with a bad server name";
  } catch (const std::system_error& error) {
    std::string what = error.what();
    EXPECT_NE(what.find("TLS server name 'not a name'"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_FALSE(HTTPServer::check_tls(*options.tls).ok());
}

// The value of the sample written exactly as `series`, or -1.
double metric(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::strtod(line.c_str() + series.size(), nullptr);
  }
  return -1;
}

// Kernel TLS exactly where this machine offers it: never skipped (CI
// counts a skip as a failure). On a kernel without the `tls` module (as
// the test machine's) it proves the stats say so and the bounded copy
// carries the file intact; on one with it, that the connection sends the
// file through kTLS (SSL_sendfile) intact and is counted as such.
TEST(HttpsKernelTls, StaticFileArrivesIntactAndTheStatsSayWhetherKtlsSentIt) {
  namespace fs = std::filesystem;
  const bool expected = testing::kernel_tls_expected();
  testing::TempFolder folder("https-ktls");
  std::string content(3 * 1024 * 1024 + 11, '\0');
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>((i * 151 + i / 5) & 0xff);
  std::ofstream(folder.file("big.bin"), std::ios::binary) << content;
  StaticFilesOptions files_options;
  files_options.root = folder.path();
  StaticFiles files(files_options);
  Metrics metrics;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) { files.handle(handler); });
  metrics.install(table);  // after: it passes other paths to the files
  TestServer server(table, sni_options());

  SniClient client(server.port(), "localhost");
  ASSERT_TRUE(client.connected());
  auto body = client.get("/big.bin");
  ASSERT_TRUE(body);
  EXPECT_EQ(body->size(), content.size());
  EXPECT_TRUE(*body == content) << "body differs";

  ServerStats stats;
  server.run_in_loop([&] { stats = server.server().stats(); });
  EXPECT_EQ(stats.tls_handshakes, 1u);
  EXPECT_EQ(stats.tls_ktls_send_connections, expected ? 1u : 0u)
      << testing::kernel_tls_explanation();

  auto text = client.get("/metrics");
  ASSERT_TRUE(text);
  EXPECT_EQ(metric(*text, "basehttp_tls_handshakes_total"), 1) << *text;
  EXPECT_EQ(metric(*text, "basehttp_tls_ktls_send_connections_total"), expected ? 1 : 0)
      << testing::kernel_tls_explanation();
}

// A handshake counts once, however many requests follow, or none; a
// client that gives up during the handshake is not counted.
TEST(HttpsKernelTls, HandshakesAreCountedOncePerConnection) {
  HandlerTable table = hello_table();
  TestServer server(table, sni_options());
  {
    SniClient first(server.port(), "localhost");
    ASSERT_TRUE(first.get("/a"));
    ASSERT_TRUE(first.get("/b"));
  }
  {
    SniClient second(server.port(), "reloaded.localhost");
    ASSERT_TRUE(second.get("/c"));
  }
  {
    // The client's Finished and bytes that are no TLS record in one
    // segment: the server completes the handshake and closes the
    // connection in the same event, and still counts the handshake.
    SniClient third(server.port(), "", /*corked=*/true);
    ASSERT_TRUE(third.connected());
    ASSERT_TRUE(third.send_raw("not a record\r\n"));
    third.uncork();
  }
  {
    // A ClientHello's first bytes, then gone.
    int fd = connect_bounded(server.port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, "\x16\x03\x01\x00", 4, MSG_NOSIGNAL), 4);
    ::close(fd);
  }
  // The server has answered both requests; the aborted one is closed once
  // the server reads its EOF: wait for the open count to fall (bounded).
  ServerStats stats;
  for (int round = 0; round < 500; ++round) {
    server.run_in_loop([&] { stats = server.server().stats(); });
    if (stats.connections_accepted == 4 && stats.connections_open == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(stats.connections_accepted, 4u);
  EXPECT_EQ(stats.tls_handshakes, 3u);
}

}  // namespace
}  // namespace basehttp
