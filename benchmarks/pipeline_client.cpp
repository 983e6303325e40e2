// pipeline_client: sends an exact number of GET requests, `depth` at a time
// per connection, and reads every response: the fixed workload behind the
// instruction and syscall counts of compare.py --cost (wrk runs for a time,
// not a count). Usage:
//   pipeline_client PORT [--host H] [--path P] [--requests N] [--depth D]
//                   [--connections C] [--header-fields F] [--tls]
// (F: header fields per request, Host included; default 1; --tls: HTTPS,
// TLS 1.3, the certificate not verified, each connection's handshake done
// before the first request; connections then take turns, a batch each,
// with blocking reads, which is all the cost measurements need)
// Prints "<responses> responses, <seconds> s"; exits 1 on an error or a
// response that is not 200.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#if PIPELINE_CLIENT_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/plaintext";
  long requests = 100000;
  int depth = 16;
  int connections = 1;
  int header_fields = 1;
  bool tls = false;
};

struct Client {
  int fd = -1;
  std::string inbox;
  long sent = 0;      // requests written on this connection
  long answered = 0;  // responses read on this connection
  long quota = 0;     // requests this connection sends in all
#if PIPELINE_CLIENT_TLS
  SSL* ssl = nullptr;
#endif
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "pipeline_client: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

int connect_to(const Options& options) {
  bool v6 = options.host.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_storage address{};
  socklen_t length;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&address);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(options.port));
    inet_pton(AF_INET6, options.host.c_str(), &a->sin6_addr);
    length = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&address);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(options.port));
    inet_pton(AF_INET, options.host.c_str(), &a->sin_addr);
    length = sizeof(*a);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) fail("connect");
  return fd;
}

// Consumes complete responses from the front of `inbox`; returns how many.
long take_responses(std::string& inbox) {
  long count = 0;
  size_t position = 0;
  for (;;) {
    size_t head_end = inbox.find("\r\n\r\n", position);
    if (head_end == std::string::npos) break;
    if (inbox.compare(position, 12, "HTTP/1.1 200") != 0) {
      std::fprintf(stderr, "pipeline_client: unexpected response: %.40s\n",
                   inbox.c_str() + position);
      std::exit(1);
    }
    size_t length_at = inbox.find("Content-Length: ", position);
    if (length_at == std::string::npos || length_at > head_end) {
      std::fprintf(stderr, "pipeline_client: response without Content-Length\n");
      std::exit(1);
    }
    size_t body = std::strtoul(inbox.c_str() + length_at + 16, nullptr, 10);
    if (inbox.size() < head_end + 4 + body) break;
    position = head_end + 4 + body;
    ++count;
  }
  inbox.erase(0, position);
  return count;
}

#if PIPELINE_CLIENT_TLS
[[noreturn]] void tls_fail(const char* what) {
  std::fprintf(stderr, "pipeline_client: %s: ", what);
  ERR_print_errors_fp(stderr);
  std::fprintf(stderr, "\n");
  std::exit(1);
}

SSL* tls_connect(SSL_CTX* context, int fd) {
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) tls_fail("SSL_new");
  if (SSL_connect(ssl) != 1) tls_fail("handshake");
  return ssl;
}

// Sends `count` requests of `batch` on `client` and reads until all are answered.
long tls_round(Client& client, const std::string& batch, size_t bytes, char* chunk, size_t size) {
  size_t written = 0;
  if (SSL_write_ex(client.ssl, batch.data(), bytes, &written) != 1 || written != bytes)
    tls_fail("SSL_write");
  long answered = 0;
  while (client.answered + answered < client.sent) {
    size_t got = 0;
    if (SSL_read_ex(client.ssl, chunk, size, &got) != 1) tls_fail("SSL_read (connection closed)");
    client.inbox.append(chunk, got);
    answered += take_responses(client.inbox);
  }
  return answered;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) std::exit(2);
      return std::string(argv[++i]);
    };
    if (arg == "--host")
      options.host = next();
    else if (arg == "--path")
      options.path = next();
    else if (arg == "--requests")
      options.requests = std::stol(next());
    else if (arg == "--depth")
      options.depth = std::stoi(next());
    else if (arg == "--connections")
      options.connections = std::stoi(next());
    else if (arg == "--header-fields")
      options.header_fields = std::stoi(next());
    else if (arg == "--tls")
      options.tls = true;
    else
      options.port = std::stoi(arg);
  }
  if (options.port == 0 || options.depth < 1 || options.connections < 1) {
    std::fprintf(stderr,
                 "usage: pipeline_client PORT [--host H] [--path P] [--requests N] "
                 "[--depth D] [--connections C] [--header-fields F] [--tls]\n");
    return 2;
  }
#if !PIPELINE_CLIENT_TLS
  if (options.tls) {
    std::fprintf(stderr, "pipeline_client: built without TLS (meson -Dtls)\n");
    return 2;
  }
#else
  SSL_CTX* tls_context = nullptr;
  if (options.tls) {
    tls_context = SSL_CTX_new(TLS_client_method());
    if (tls_context == nullptr) tls_fail("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(tls_context, TLS1_3_VERSION);
    SSL_CTX_set_verify(tls_context, SSL_VERIFY_NONE, nullptr);
  }
#endif
  std::string request = "GET " + options.path + " HTTP/1.1\r\nHost: " + options.host + "\r\n";
  for (int i = 1; i < options.header_fields; ++i) {
    request += "X-Field-" + std::to_string(i) + ": value-" + std::to_string(i) + "\r\n";
  }
  request += "\r\n";
  std::string batch;
  for (int i = 0; i < options.depth; ++i)
    batch += request;

  auto start = std::chrono::steady_clock::now();
  std::vector<Client> clients(static_cast<size_t>(options.connections));
  for (size_t i = 0; i < clients.size(); ++i) {
    clients[i].fd = connect_to(options);
#if PIPELINE_CLIENT_TLS
    if (options.tls) clients[i].ssl = tls_connect(tls_context, clients[i].fd);
#endif
    clients[i].quota = options.requests / options.connections +
                       (static_cast<long>(i) < options.requests % options.connections ? 1 : 0);
  }
  long total = 0;
  std::vector<pollfd> polls(clients.size());
  char chunk[65536];
#if PIPELINE_CLIENT_TLS
  // OpenSSL may hold decrypted bytes poll() cannot see: blocking turns.
  while (options.tls && total < options.requests) {
    for (Client& client : clients) {
      if (client.sent >= client.quota) continue;
      long count = std::min<long>(options.depth, client.quota - client.sent);
      client.sent += count;
      long answered = tls_round(client, batch, request.size() * static_cast<size_t>(count), chunk,
                                sizeof chunk);
      client.answered += answered;
      total += answered;
    }
  }
#endif
  while (total < options.requests) {
    for (size_t i = 0; i < clients.size(); ++i) {
      Client& client = clients[i];
      // Send the next batch once the previous one is fully answered.
      if (client.answered == client.sent && client.sent < client.quota) {
        long count = std::min<long>(options.depth, client.quota - client.sent);
        size_t bytes = request.size() * static_cast<size_t>(count);
        const char* data = batch.data();
        while (bytes > 0) {
          ssize_t n = ::send(client.fd, data, bytes, MSG_NOSIGNAL);
          if (n <= 0) fail("send");
          data += n;
          bytes -= static_cast<size_t>(n);
        }
        client.sent += count;
      }
      polls[i] = {client.fd, static_cast<short>(client.answered < client.sent ? POLLIN : 0), 0};
    }
    if (::poll(polls.data(), polls.size(), 30000) <= 0) fail("poll (no answer in 30 s)");
    for (size_t i = 0; i < clients.size(); ++i) {
      if (!(polls[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::recv(clients[i].fd, chunk, sizeof(chunk), 0);
      if (n <= 0) fail("recv (connection closed)");
      clients[i].inbox.append(chunk, static_cast<size_t>(n));
      long answered = take_responses(clients[i].inbox);
      clients[i].answered += answered;
      total += answered;
    }
  }
  for (Client& client : clients) {
#if PIPELINE_CLIENT_TLS
    if (client.ssl != nullptr) {
      SSL_shutdown(client.ssl);
      SSL_free(client.ssl);
    }
#endif
    ::close(client.fd);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%ld responses, %.3f s\n", total, seconds);
  return 0;
}
