// ParserLimits: the sizes past which a request is refused, declared (with
// their defaults) only here. A server takes them from
// ServerOptions::limits; a RequestParser on its own (tests, fuzzers,
// benchmarks) is given them directly. Plain data, any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace basehttp {

/// Defaults follow Python's http.server for the request line (65536, CRLF
/// included) and common server practice for the rest.
struct ParserLimits {
  /// Bytes of the request line with its CRLF; 414 beyond.
  size_t max_request_line = 65536;
  /// Header plus trailer fields per request; 431 beyond.
  size_t max_header_fields = 100;
  /// Bytes of the field lines with their CRLFs, not the final empty line; 431 beyond.
  size_t max_header_bytes = 64 * 1024;
  /// Bytes of a buffered request body, after de-chunking; 413 beyond. (A
  /// streamed body has ServerOptions::max_streamed_body_bytes instead.)
  uint64_t max_body_bytes = 8 * 1024 * 1024;
};

}  // namespace basehttp
