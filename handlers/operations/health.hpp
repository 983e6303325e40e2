// Health: a cheap health-check endpoint for load balancers. It answers
// "200 ok" while the server serves normally and "503 draining" from the
// moment a shutdown is asked for (HTTPServer::draining()), during the
// ServerOptions::shutdown_delay in which the server still serves, so a
// balancer stops sending new requests before connections close. Built
// before serving; handle() runs on each loop thread. Must outlive the
// HandlerTable entries that call it.
#pragma once

#include <string>

#include "http/handler_table.hpp"
#include "http/request_handler.hpp"

namespace basehttp {

class Health {
 public:
  /// Answers one request (any method; the body is one word and a newline).
  void handle(RequestHandler& handler) const;
  /// Answers GET and HEAD of `path` (see route_path()).
  void install(HandlerTable& table, std::string path = "/healthz") const;
};

}  // namespace basehttp
