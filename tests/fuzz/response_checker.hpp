// check_response_stream: reads the bytes a client received from the server
// as a sequence of HTTP/1.x responses, more strictly than a client would,
// and says how they break the server's contract: a malformed status line
// or field line, a control byte in a header, framing that does not add up
// (Content-Length, chunked, close-delimited), a final response without
// exactly one Date and one Server, one the access log does not show or
// shows with another status, bytes after a response that closed the
// connection, framing fields or content in a response whose status has
// none (1xx, 204, 205), a stream that looks whole though a handler
// failed midway. Whether a response has a body depends on the request's
// method (HEAD), which the access log tells. Pure; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace basehttp::fuzzing {

/// One access-log line: the request's method ("" when the request line
/// was unreadable) and the status logged.
struct LoggedResponse {
  std::string method;
  int code = 0;
};

struct StreamFacts {
  /// log_request() lines, in order.
  std::vector<LoggedResponse> logged;
  /// The server still serves the connection (neither closing nor closed).
  bool connection_open = true;
  /// The server may have stopped mid-response (a handler wrote less than
  /// its Content-Length, or the connection was aborted): the stream may
  /// end early, with logged responses missing.
  bool may_be_cut = false;
  /// The stream must end inside a response (a handler failed midway):
  /// one that ends on a complete response is an error.
  bool must_end_cut = false;
};

/// Empty when `wire` keeps the contract; otherwise what is wrong, and where.
std::string check_response_stream(std::string_view wire, const StreamFacts& facts);

/// Parses an access-log line ("127.0.0.1 - - [date] \"GET / HTTP/1.1\" 200 -");
/// false for other log lines (errors, messages).
bool parse_access_log_line(std::string_view line, LoggedResponse* entry);

}  // namespace basehttp::fuzzing
