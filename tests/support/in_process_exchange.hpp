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
class ServerContext;
class Session;
}  // namespace basehttp

namespace basehttp::testing {

class InProcessExchange {
 public:
  /// A server's context with one connection, and no listener, socket or
  /// HTTPServer (RequestHandler::server() is not available).
  InProcessExchange(HandlerTable& table, ServerOptions options);
  ~InProcessExchange();

  /// Hands `bytes` to the connection and runs what they complete. Returns
  /// the response bytes produced, which are dropped (no copy).
  size_t feed(std::string_view bytes);
  /// Same, but returns the response bytes (allocates: not for timed loops).
  std::string exchange(std::string_view bytes);

 private:
  EventLoop loop_;
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<Session> session_;  // destroyed first: it gives back what it holds
};

}  // namespace basehttp::testing
