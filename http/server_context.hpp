// ServerContext: what the sessions and request handlers of one server
// share, handed to them when they are made: the loop, the options and
// handler table, the counters, the response head cache, the log, the timeouts, the
// session table, the request state pool and the draining flags. The
// HTTPServer owns one and adds what only it does (listening, the group of
// loops, signals, shutdown); a test can make one on its own and drive a
// Session over a socketpair with no server and no port. Loop thread only.
// Internal.
#pragma once

#include <memory>

#include "http/handler_table.hpp"
#include "http/request_log.hpp"
#include "http/request_state.hpp"
#include "http/response_head.hpp"
#include "http/server_options.hpp"
#include "http/server_stats.hpp"
#include "http/session_table.hpp"
#include "http/timeouts.hpp"
#include "reactor/event_loop.hpp"

namespace basehttp {

class HTTPServer;
class ServerContext;

/// What work a server leaves on its loop holds instead of the server: the
/// loop, and the context while it exists (its destructor clears it, on the
/// loop thread, so the loop thread may read it). Handles keep one.
struct ServerAnchor {
  ServerContext* context = nullptr;
  EventLoop* loop = nullptr;
};

class ServerContext {
 public:
  /// `handlers` must outlive the context; `server` is the public object
  /// this context belongs to (RequestHandler::server()), if any.
  ServerContext(EventLoop& loop, const HandlerTable& handlers, ServerOptions options,
                HTTPServer* server = nullptr);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  EventLoop& loop;
  const HandlerTable& handlers;
  const ServerOptions options;
  HTTPServer* const server;
  const bool keep_alive_protocol;  // options.protocol_version is HTTP/1.1
  const bool logging;              // options.log_sink is set
  /// Held by work left on the loop and by handles, instead of `this`.
  const std::shared_ptr<ServerAnchor> anchor;

  ServerStats stats;  // kept by the sessions
  ResponseHead response_head;
  RequestLog request_log;  // writes to options.log_sink
  /// Set from the moment a shutdown is asked for: responses say Connection: close.
  bool draining = false;
  /// Set once the shutdown has begun: nothing more is accepted.
  bool shutting_down = false;

  // Declared in this order: the sessions are destroyed first, giving their
  // request states back to the pool and leaving their deadline lists.
  RequestStatePool states;
  Timeouts timeouts;
  SessionTable sessions;
};

}  // namespace basehttp
