// Request: what the parser learned about one request message, as offsets
// into the connection's input buffer (nothing is copied) plus the facts the
// server needs (version, framing, keep-alive, Expect). Reused from request
// to request on a connection, so its vectors keep their capacity. The text
// accessors take the message's first byte: the input buffer's peek() while
// the message is being handled. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "http/headers.hpp"

namespace basehttp {

/// A run of bytes of the message: [offset, offset + length).
struct Span {
  uint32_t offset = 0;
  uint32_t length = 0;
  std::string_view in(const char* base) const { return {base + offset, length}; }
};

struct Request {
  Span method;        ///< e.g. "GET", "SPAM": any RFC 9110 token
  Span target;        ///< the request-target as sent: "/index.html?q=1"
  Span version;       ///< "HTTP/1.1"
  Span request_line;  ///< the whole first line without its CRLF
  int version_major = 0;
  int version_minor = 0;

  std::vector<FieldSpan> fields;    ///< header fields in arrival order
  std::vector<FieldSpan> trailers;  ///< trailer fields of a chunked body
  Span body;                        ///< the body, de-chunked in place

  bool chunked = false;
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool keep_alive = false;       ///< the client allows another request afterwards
  bool expect_continue = false;  ///< "Expect: 100-continue" on a request with a body
  size_t header_end = 0;         ///< offset just past the empty line ending the header section
  size_t message_size = 0;       ///< the whole message, once complete

  Headers headers(const char* base) const { return {base, fields.data(), fields.size()}; }
  Headers trailer_fields(const char* base) const {
    return {base, trailers.data(), trailers.size()};
  }
  /// True for HTTP/1.1 and later.
  bool at_least_1_1() const {
    return version_major > 1 || (version_major == 1 && version_minor >= 1);
  }
  /// Forgets the previous message, keeping allocated capacity. The spans
  /// and version are all set again by the parser before use.
  void clear() {
    body = Span{};
    fields.clear();
    trailers.clear();
    chunked = has_content_length = keep_alive = expect_continue = false;
    content_length = 0;
    header_end = message_size = 0;
  }
};

}  // namespace basehttp
