// Session: one client connection's HTTP life: it parses the requests that
// arrive, dispatches each in order, and keeps the connection alive, pauses
// it (deferred response, backpressure) or closes it. Python's handle() /
// handle_one_request() loop, driven by the reactor instead of a blocking
// rfile. Owned by its HTTPServer; loop thread only. Internal.
#pragma once

#include <cstdint>

#include "http/deferred_response.hpp"
#include "http/request.hpp"
#include "http/request_handler.hpp"
#include "http/request_parser.hpp"
#include "reactor/connection.hpp"

namespace basehttp {

class HTTPServer;

class Session final : public ConnectionHandler {
 public:
  Session(HTTPServer& server, FileDescriptor socket, const SocketAddress& peer, uint32_t slot,
          uint32_t generation);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { connection_.start(); }
  /// Server shutdown: close now when idle, otherwise after the response in flight.
  void begin_shutdown();
  /// The drain deadline passed: close at once.
  void abort() { connection_.abort(); }

  /// A handle for the request being dispatched (RequestHandler::defer()).
  DeferredResponse defer();
  /// Runs `finish` for deferred request `sequence` if it is still awaited.
  bool complete_deferred(uint64_t sequence, const DeferredResponse::Completion& finish);
  bool awaits(uint64_t sequence) const;

  bool closed() const { return connection_.closed(); }
  /// The server is stopping: responses say Connection: close.
  bool shutting_down() const { return shutting_down_; }
  HTTPServer& server() { return server_; }
  Connection& connection() { return connection_; }

 private:
  void on_input(Connection&) override { process_input(); }
  void on_peer_closed(Connection&) override;
  void on_hangup_while_paused(Connection&) override;
  void on_output_drained(Connection&) override;
  void on_closed(Connection&) override;

  void process_input();
  bool on_headers_complete();
  void dispatch();
  void finish_request();
  void answer_parse_error();
  void resume();
  bool paused() const { return awaiting_deferred_ || over_high_water_; }

  HTTPServer& server_;
  Connection connection_;
  RequestParser parser_;
  Request request_;
  RequestHandler handler_;
  uint32_t slot_;
  uint32_t generation_;
  uint64_t sequence_ = 0;  // requests dispatched so far
  bool dispatching_ = false;
  bool awaiting_deferred_ = false;
  bool over_high_water_ = false;
  bool shutting_down_ = false;
};

}  // namespace basehttp
