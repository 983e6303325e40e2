// ServerOptions: everything an HTTPServer can be told, with defaults: the
// class variables of Python's BaseHTTPRequestHandler (server_version,
// sys_version, error_message_format, error_content_type, protocol_version,
// responses), request limits, the access-log sink, shutdown behaviour and
// the listening socket's set-up. Copied into the server at construction;
// plain data, so any thread may build one. The request limits and the
// listen settings are groups declared, with their defaults, only where
// the parser and the listener take them (http/parser_limits.hpp,
// reactor/listen_options.hpp), and held here by value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "http/parser_limits.hpp"
#include "http/status_table.hpp"
#include "reactor/listen_options.hpp"
#include "reactor/tls_context.hpp"

namespace basehttp {

/// Where a server listens: a host ("127.0.0.1", "::", "[::1]", "localhost",
/// "" for every IPv4 interface) and a port (0 picks a free one); or a
/// unix-domain socket path; or a socket already listening.
struct ServerAddress {
  ServerAddress() = default;
  ServerAddress(std::string host_name, uint16_t port_number)
      : host(std::move(host_name)), port(port_number) {}
  /// A unix-domain socket at `path` (a stale socket file is replaced; the
  /// server removes the file when it is destroyed), with permissions
  /// `mode` (e.g. 0660; 0 leaves the umask's).
  static ServerAddress unix_socket(std::string path, unsigned mode = 0) {
    ServerAddress address;
    address.unix_path = std::move(path);
    address.unix_mode = mode;
    return address;
  }
  /// A socket already listening (inherited from a parent, or from systemd:
  /// see systemd_listening_sockets()); the server takes ownership.
  static ServerAddress listening_socket(int fd) {
    ServerAddress address;
    address.listening_fd = fd;
    return address;
  }

  std::string host;
  uint16_t port = 0;
  std::string unix_path;
  unsigned unix_mode = 0;
  int listening_fd = -1;
};

/// The error page used unless ServerOptions::error_message_format says
/// otherwise. {code}, {message} and {explain} are replaced (HTML-escaped).
inline constexpr std::string_view kDefaultErrorMessageFormat =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<title>{code} {message}</title>\n"
    "</head>\n"
    "<body>\n"
    "<h1>{code} {message}</h1>\n"
    "<p>{explain}</p>\n"
    "</body>\n"
    "</html>\n";

/// Receives access- and error-log lines, newline included, on the loop
/// thread. Two kinds:
/// - stderr_log_sink() and AccessLog::sink() (function objects of type
///   LogWriterSink, http/log_writer.hpp): each loop collects its lines in
///   a buffer of its own and hands them over once per loop iteration, to a
///   thread that writes them; the loop never waits on the output, and when
///   the writer falls behind, lines are dropped and counted
///   (ServerStats::log_lines_dropped). Lines show up a few milliseconds late.
/// - any other function: called once per line, as the line is made, and
///   the loop waits for it, so it must be quick. It gets a view valid for
///   the call only, and must not log through the server again.
using LogSink = std::function<void(std::string_view line)>;

class RequestHandler;
/// Receives each finished response (see ServerOptions::request_logger).
using RequestLogger = std::function<void(const RequestHandler& handler)>;

/// The default sink: lines to stderr, batched per loop iteration and
/// written by a thread (see LogSink).
LogSink stderr_log_sink();

struct ServerOptions {
  /// First word of the Server header.
  std::string server_version = "basehttp/0.1";
  /// Second word of the Server header; empty leaves it out.
  std::string sys_version;
  /// Body of send_error() responses; placeholders {code}, {message}, {explain}.
  std::string error_message_format = std::string(kDefaultErrorMessageFormat);
  /// Content-Type of send_error() bodies.
  std::string error_content_type = "text/html;charset=utf-8";
  /// Version in status lines. "HTTP/1.1" keeps connections alive;
  /// "HTTP/1.0" closes after every response, as Python's default does.
  std::string protocol_version = "HTTP/1.1";
  /// Reason phrases and explanations by status code.
  StatusTable responses = StatusTable::standard();

  /// Request line, header and buffered body sizes past which a request is
  /// refused (414, 431, 413): limits.max_request_line, max_header_fields,
  /// max_header_bytes, max_body_bytes. Each pooled request state's parser
  /// takes a copy when the server makes it.
  ParserLimits limits;
  /// limits.max_body_bytes for a body streamed to its handler
  /// (HandlerTable::on_streaming): it is never held whole, so by default it
  /// has no limit.
  uint64_t max_streamed_body_bytes = UINT64_MAX;

  /// Queued response bytes above which a connection stops reading and
  /// parsing requests, until the queue falls to output_low_water.
  size_t output_high_water = 1024 * 1024;
  size_t output_low_water = 256 * 1024;

  /// How long a request's header section may take from its first byte
  /// (a client trickling bytes is not given more); then 408 and close.
  std::chrono::milliseconds header_timeout{30000};
  /// How long the next bytes of a request body may take; then 408 and close.
  std::chrono::milliseconds body_timeout{60000};
  /// How long a connection may sit idle between requests before it is closed.
  std::chrono::milliseconds keep_alive_timeout{60000};
  /// How long a client may leave queued response bytes untaken; then the
  /// connection is dropped.
  std::chrono::milliseconds send_timeout{60000};
  /// After this long idle, a connection gives back its buffers and request
  /// state (taken again, without allocating, when it is next used), and
  /// is parked: only its socket, TLS state, peer address and keep-alive
  /// deadline are kept (about 128 bytes) until it is next used.
  std::chrono::milliseconds idle_release_after{1000};
  /// Open connections at most; at the limit the server stops accepting
  /// (clients wait in the listen backlog) until one closes. 0: no limit
  /// but the descriptor limit.
  size_t max_connections = 0;

  /// Access and error log; an empty function turns logging off.
  LogSink log_sink = stderr_log_sink();
  /// An access log of another format (handlers/operations/access_log: combined): called
  /// on the loop thread for every response once it is complete, errors the
  /// parser answered and timeouts included, with the status and body size
  /// known. When set, log_request() writes nothing to log_sink (errors
  /// still go there).
  RequestLogger request_logger;

  /// Shut down gracefully on SIGINT or SIGTERM (through the loop's
  /// signalfd); a second signal stops at once.
  bool handle_signals = false;
  /// How long shutdown() lets in-flight responses finish before closing.
  std::chrono::milliseconds drain_timeout{10000};
  /// Between the start of a shutdown (SIGTERM, shutdown()) and the moment
  /// the server stops accepting, it goes on serving this long with
  /// HTTPServer::draining() true: a Health handler answers 503 and every
  /// response says Connection: close, so a load balancer's health check
  /// takes the server out of rotation and busy keep-alive clients move
  /// away before any connection is closed under them. Set it above the
  /// balancer's check interval times its fall count; 0: no such phase.
  std::chrono::milliseconds shutdown_delay{0};
  /// Keep the per-phase latency histograms of ServerStats (a few dozen
  /// instructions per request; see benchmarks/RESULTS.md).
  bool latency_histograms = false;
  /// Event loops, each on a thread of its own with its own listener on the
  /// address (SO_REUSEPORT; a unix or inherited socket is shared), so the
  /// kernel spreads connections over them. A connection stays on its loop,
  /// and its handlers run on that loop's thread: handlers must be safe to
  /// run on several threads at once when this is above 1. Applies to
  /// serve_forever().
  unsigned threads = 1;
  /// The listening socket's backlog, SO_REUSEPORT and IPV6_V6ONLY (not used
  /// for a socket passed in already listening). With threads above 1 on a
  /// TCP address, reuse_port is turned on.
  ListenOptions listen;
  /// Serve HTTPS: the certificate chain, its key (empty: in the chain
  /// file), the key's password and the ALPN protocols, as Python's
  /// HTTPSServer(certfile, keyfile, password, alpn_protocols) takes them.
  /// Loaded at construction (a file that does not load, a key that does
  /// not match, a wrong password: std::system_error with the reason);
  /// a build without TLS throws std::system_error (ENOTSUP) when it is set.
  std::optional<TlsOptions> tls;
  /// How long a TLS client may take to complete its handshake from the
  /// moment it connected; then the connection is closed.
  std::chrono::milliseconds handshake_timeout{10000};
};

}  // namespace basehttp
