// HeaderLines: header fields formatted once, for a handler that sends the
// same ones with many responses (a file's Content-Type, Last-Modified and
// ETag): RequestHandler::send_header_lines() queues them with one copy,
// where a send_header() per field formats and checks each one again on
// every response. Control bytes are blanked as send_header() blanks them,
// and the fields a response's framing depends on are refused, so what is
// queued is always well-formed. Immutable once built; any thread.
#pragma once

#include <string>
#include <string_view>

namespace basehttp {

class HeaderLines {
 public:
  /// Adds "name: value". False, adding nothing, for Connection,
  /// Content-Length and Transfer-Encoding: those go through send_header(),
  /// which frames the response by them.
  bool add(std::string_view name, std::string_view value);

  /// The fields, each ending with CRLF.
  std::string_view text() const { return text_; }
  bool empty() const { return text_.empty(); }

 private:
  std::string text_;
};

}  // namespace basehttp
