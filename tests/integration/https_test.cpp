// HTTPS end to end: an HTTPServer with ServerOptions::tls on a loopback
// port, against a blocking OpenSSL client made here that trusts the test
// CA; every socket wait bounded by SO_RCVTIMEO / SO_SNDTIMEO.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include <gtest/gtest.h>

#include "basehttp.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_certificates.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::TestCertificates;
using testing::TestServer;

ServerOptions tls_options() {
  ServerOptions options = testing::quiet_options();
  TlsOptions tls;
  tls.certificate.chain_file = TestCertificates::get().server_chain;
  tls.certificate.key_file = TestCertificates::get().server_key;
  options.tls = tls;
  return options;
}

// A TCP connection to 127.0.0.1:port whose every read and write gives up
// after 10 s.
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

class TlsClient {
 public:
  explicit TlsClient(uint16_t port) : fd_(connect_bounded(port)) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, TestCertificates::get().ca_certificate.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set1_host(ssl_, "localhost");
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set_fd(ssl_, fd_);
    connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view bytes) {
    size_t written = 0;
    return SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) == 1 && written == bytes.size();
  }
  // One response with a Content-Length (as every answer here has): its
  // status and body; nothing on EOF, error or timeout.
  std::optional<std::pair<int, std::string>> read_response() {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    std::string head = buffer_.substr(0, end + 4);
    size_t length_at = head.find("Content-Length: ");
    if (length_at == std::string::npos || head.size() < 12) return std::nullopt;
    size_t length = std::stoul(head.substr(length_at + 16));
    while (buffer_.size() < end + 4 + length) {
      if (!fill()) return std::nullopt;
    }
    std::string body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return std::make_pair(std::atoi(head.c_str() + 9), body);
  }
  // True if the server ends the stream (close_notify or EOF) before the timeout.
  bool closed_by_peer() {
    while (fill()) {
    }
    return eof_;
  }

 private:
  bool fill() {
    char chunk[16384];
    size_t got = 0;
    if (SSL_read_ex(ssl_, chunk, sizeof chunk, &got) == 1) {
      buffer_.append(chunk, got);
      return true;
    }
    int reason = SSL_get_error(ssl_, 0);
    eof_ = reason == SSL_ERROR_ZERO_RETURN || (reason == SSL_ERROR_SYSCALL && errno == 0) ||
           (reason == SSL_ERROR_SSL && errno != EAGAIN);
    ERR_clear_error();
    return false;
  }

  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

HandlerTable hello_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& handler) {
    testing::send_text(handler, 200, "hello " + std::string(handler.path()));
  });
  table.on("POST", [](RequestHandler& handler) {
    testing::send_text(handler, 200, "got " + std::string(handler.body()));
  });
  return table;
}

TEST(Https, KeepAliveServesThreeRequestsOnOneConnection) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    std::string path = "/r" + std::to_string(i);
    ASSERT_TRUE(client.send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->first, 200);
    EXPECT_EQ(response->second, "hello " + path);
  }
  size_t accepted = 0;
  server.run_in_loop([&] { accepted = server.server().stats().connections_accepted; });
  EXPECT_EQ(accepted, 1u);
}

TEST(Https, PipelinedRequestsAreAnsweredInOrder) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(
      client.send("GET /a HTTP/1.1\r\nHost: l\r\n\r\nGET /b HTTP/1.1\r\nHost: l\r\n\r\n"
                  "GET /c HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n"));
  for (const char* path : {"/a", "/b", "/c"}) {
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->second, std::string("hello ") + path);
  }
  EXPECT_TRUE(client.closed_by_peer());
}

TEST(Https, ChunkedPostBody) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(
      client.send("POST /p HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->first, 200);
  EXPECT_EQ(response->second, "got hello world");
}

TEST(Https, StaticFileOfOneMebibyteIsByteIdentical) {
  namespace fs = std::filesystem;
  char pattern[] = "/tmp/basehttp-https-files-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  fs::path top = pattern;
  std::string content(1 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  std::ofstream(top / "big.bin", std::ios::binary) << content;
  {
    StaticFilesOptions files_options;
    files_options.root = top.string();
    StaticFiles files(files_options);
    HandlerTable table;
    table.on("GET", [&](RequestHandler& handler) { files.handle(handler); });
    TestServer server(table, tls_options());
    TlsClient client(server.port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send("GET /big.bin HTTP/1.1\r\nHost: l\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->first, 200);
    EXPECT_TRUE(response->second == content) << "body differs, " << response->second.size();
  }
  fs::remove_all(top);
}

TEST(Https, PlainHttpRequestGetsA400AndAClose) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  testing::RawClient client(server.port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  std::string answer = client.read_until_close();
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(answer.find("plain HTTP request"), std::string::npos);
}

TEST(Https, SilentClientIsClosedAtTheHandshakeDeadline) {
  HandlerTable table = hello_table();
  ServerOptions options = tls_options();
  options.handshake_timeout = std::chrono::milliseconds(200);
  TestServer server(table, options);
  testing::RawClient client(server.port());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  uint64_t counted = 0;
  server.run_in_loop(
      [&] { counted = server.server().stats().timeout_count(TimeoutKind::kHandshake); });
  EXPECT_EQ(counted, 1u);
  EXPECT_EQ(name_of(TimeoutKind::kHandshake), "handshake");
}

// Once the handshake is done the connection waits as any idle one: the
// handshake deadline is not left running over it.
TEST(Https, HandshakeDeadlineEndsWithTheHandshake) {
  HandlerTable table = hello_table();
  ServerOptions options = tls_options();
  options.handshake_timeout = std::chrono::milliseconds(100);
  TestServer server(table, options);
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the time that must pass
  ASSERT_TRUE(client.send("GET /later HTTP/1.1\r\nHost: l\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->second, "hello /later");
  uint64_t counted = 1;
  server.run_in_loop(
      [&] { counted = server.server().stats().timeout_count(TimeoutKind::kHandshake); });
  EXPECT_EQ(counted, 0u);
}

TEST(Https, TricklingClientHelloIsClosedAtTheHandshakeDeadline) {
  HandlerTable table = hello_table();
  ServerOptions options = tls_options();
  options.handshake_timeout = std::chrono::milliseconds(300);
  TestServer server(table, options);
  testing::RawClient client(server.port());
  // A TLS record header, then a byte every 50 ms: progress, never done.
  ASSERT_TRUE(client.send(std::string("\x16\x03\x01\x02\x00", 5)));
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    if (!client.silent_for(std::chrono::milliseconds(50)) || !client.send(std::string(1, '\x01'))) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
  uint64_t counted = 0;
  server.run_in_loop(
      [&] { counted = server.server().stats().timeout_count(TimeoutKind::kHandshake); });
  EXPECT_EQ(counted, 1u);
}

TEST(Https, WrongPasswordThrowsAtConstruction) {
  HandlerTable table = hello_table();
  ServerOptions options = testing::quiet_options();
  TlsOptions tls;
  tls.certificate.chain_file = TestCertificates::get().server_chain;
  tls.certificate.key_file = TestCertificates::get().encrypted_key;
  tls.certificate.password = "wrong horse";
  options.tls = tls;
  try {
    HTTPServer server(ServerAddress{"127.0.0.1", 0}, table, options);
    FAIL() << "constructed with a wrong password";
  } catch (const std::system_error& error) {
    // OpenSSL's reason varies with the garbage a wrong password decrypts
    // to; the server's own words do not.
    EXPECT_NE(std::string(error.what()).find("wrong password?"), std::string::npos) << error.what();
  }
}

TEST(Https, ReloadCertificatesKeepsServingAndReportsFailure) {
  HandlerTable table = hello_table();
  TestServer server(table, tls_options());
  bool reloaded = false;
  server.run_in_loop([&] { reloaded = server.server().reload_certificates().ok(); });
  EXPECT_TRUE(reloaded);
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  HandlerTable plain_table = hello_table();
  TestServer plain(plain_table);
  bool plain_reloaded = true;
  plain.run_in_loop([&] { plain_reloaded = plain.server().reload_certificates().ok(); });
  EXPECT_FALSE(plain_reloaded);
}

// The upload half of the 100 MiB pair (tests/integration/tls_faults_test.py
// downloads through basehttpd, whose CGI takes bodies of at most
// limits.max_body_bytes): a streamed PUT, hashed piece by piece as it
// arrives, answers the sha256 of what it was given.
TEST(Https, HundredMebibyteUploadIsByteIdentical) {
  using Digest = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
  auto hex = [](EVP_MD_CTX* context) {
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context, sum, &size);
    std::string text;
    for (unsigned int i = 0; i < size; ++i) {
      static constexpr char kDigits[] = "0123456789abcdef";
      text += kDigits[sum[i] >> 4];
      text += kDigits[sum[i] & 0xf];
    }
    return text;
  };
  HandlerTable table;
  table.on_streaming("PUT", [&hex](RequestHandler& handler) {
    auto digest = std::make_shared<Digest>(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(digest->get(), EVP_sha256(), nullptr);
    auto bytes = std::make_shared<uint64_t>(0);
    handler.read_body(
        [digest, bytes](std::string_view piece) {
          EVP_DigestUpdate(digest->get(), piece.data(), piece.size());
          *bytes += piece.size();
        },
        [digest, bytes, &hex](RequestHandler& done) {
          testing::send_text(done, 200, hex(digest->get()) + " " + std::to_string(*bytes));
        });
  });
  TestServer server(table, tls_options());
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  constexpr size_t kSize = size_t{100} << 20;
  ASSERT_TRUE(client.send(
      "PUT /up HTTP/1.1\r\nHost: l\r\nContent-Length: " + std::to_string(kSize) + "\r\n\r\n"));
  Digest sent(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(sent.get(), EVP_sha256(), nullptr);
  std::string piece(1 << 20, '\0');
  uint32_t state = 16;
  for (size_t offset = 0; offset < kSize; offset += piece.size()) {
    for (char& byte : piece) {  // xorshift: every MiB differs from the last
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      byte = static_cast<char>(state);
    }
    EVP_DigestUpdate(sent.get(), piece.data(), piece.size());
    ASSERT_TRUE(client.send(piece)) << "at " << offset;
  }
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->first, 200);
  EXPECT_EQ(response->second, hex(sent.get()) + " " + std::to_string(kSize));
}

}  // namespace
}  // namespace basehttp
