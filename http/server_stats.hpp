// ServerStats: what an HTTPServer has done so far, as plain counters and
// latency histograms kept on its loop thread (no atomics on the request
// path). HTTPServer::stats() copies them; another thread reads them by
// posting to the loop (handlers/operations/metrics does this for every loop):
//   server.loop().post([&] { publish(server.stats()); });
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/latency_histogram.hpp"

namespace basehttp {

/// Why a request could not be parsed, by the status it was answered with.
enum class ParseErrorKind : uint8_t {
  kBadRequest,          ///< 400: malformed or ambiguous (smuggling) input
  kBodyTooLarge,        ///< 413
  kTargetTooLong,       ///< 414
  kHeaderTooLarge,      ///< 431: too many or too long header fields
  kExpectationFailed,   ///< 417: an Expect other than 100-continue
  kNotImplemented,      ///< 501: a transfer coding the server lacks
  kVersionUnsupported,  ///< 505
  kOther,
  kCount,
};

/// Which deadline ended a connection (see ServerOptions).
enum class TimeoutKind : uint8_t {
  kHeader,     ///< header_timeout: the request's header section
  kBody,       ///< body_timeout: the next body bytes
  kSend,       ///< send_timeout: the client stopped taking the response
  kKeepAlive,  ///< keep_alive_timeout: idle between requests
  kHandshake,  ///< handshake_timeout: a TLS handshake not completed
  kCount,
};

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t requests = 0;  ///< requests dispatched to a handler (or 501)
  /// Responses by status class: [1] 1xx ... [5] 5xx ([0] unused).
  std::array<uint64_t, 6> responses_by_class{};
  uint64_t bytes_in = 0;   ///< read from clients
  uint64_t bytes_out = 0;  ///< taken by the kernel for clients
  std::array<uint64_t, static_cast<size_t>(ParseErrorKind::kCount)> parse_errors{};
  std::array<uint64_t, static_cast<size_t>(TimeoutKind::kCount)> timeouts{};
  /// HTTPS: TLS handshakes completed.
  uint64_t tls_handshakes = 0;
  /// HTTPS: of those, the connections whose sending the kernel encrypts
  /// (kernel TLS: files leave with SSL_sendfile, not copied through the
  /// server). 0 where the kernel lacks the `tls` module.
  uint64_t tls_ktls_send_connections = 0;
  /// Log lines dropped because the log's writer fell behind (a blocked
  /// stderr, a slow disk) and its buffer was full.
  uint64_t log_lines_dropped = 0;

  // Per-phase latency, kept when ServerOptions::latency_histograms is on.
  // Times come from the loop's clock, read once per iteration: a phase
  // that begins and ends in one iteration (a handler answering at once)
  // counts as 0, and work done earlier in the same iteration is not seen.
  /// From a request's first byte to the end of its header section.
  LatencyHistogram header_latency;
  /// From dispatch to the response being complete in the output queue
  /// (what a deferred or streamed response waited for).
  LatencyHistogram handler_latency;
  /// From a request's first byte to its response's last byte taken by the
  /// kernel; a response cut short by a closed connection is not counted.
  LatencyHistogram response_latency;

  /// Adds another loop's counters (connections_open included).
  ServerStats& operator+=(const ServerStats& other);

  uint64_t parse_error_count(ParseErrorKind kind) const {
    return parse_errors[static_cast<size_t>(kind)];
  }
  uint64_t timeout_count(TimeoutKind kind) const { return timeouts[static_cast<size_t>(kind)]; }
};

/// The kind a parse error answered with `status` counts as.
ParseErrorKind parse_error_kind(int status);
/// A stable lower-case name for metrics: "bad_request", "header".
std::string_view name_of(ParseErrorKind kind);
std::string_view name_of(TimeoutKind kind);

}  // namespace basehttp
