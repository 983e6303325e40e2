// InProcessExchange: one server connection driven without a socket: bytes
// go into its input as if read from a client, the server's parse ->
// dispatch -> respond path runs, and the response bytes are taken from
// its output queue. For benchmarks and allocation tests of the request
// path alone. One thread (the constructing one).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "basehttp.hpp"

namespace basehttp {
class Session;
}

namespace basehttp::testing {

class InProcessExchange {
 public:
  /// A server on 127.0.0.1:0 that never serves; one detached connection.
  InProcessExchange(HandlerTable& table, ServerOptions options);
  ~InProcessExchange();

  /// Hands `bytes` to the connection and runs what they complete. Returns
  /// the response bytes produced, which are dropped (no copy).
  size_t feed(std::string_view bytes);
  /// Same, but returns the response bytes (allocates: not for timed loops).
  std::string exchange(std::string_view bytes);

 private:
  std::unique_ptr<HTTPServer> server_;
  std::unique_ptr<Session> session_;
};

}  // namespace basehttp::testing
