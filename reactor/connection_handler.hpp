// ConnectionHandler: the protocol above a Connection (the HTTP session, a
// CGI pipe reader) receives its events through this interface. Called on
// the loop thread, one call at a time per connection.
#pragma once

namespace basehttp {

class Connection;

class ConnectionHandler {
 public:
  /// New bytes were appended to connection.input(); consume what is parsed.
  virtual void on_input(Connection& connection) = 0;
  /// The peer will send nothing more (EOF read). Queued output still goes.
  virtual void on_peer_closed(Connection& connection) = 0;
  /// The peer hung up while reading was paused, before its remaining bytes
  /// were read; it may or may not still wait for a response.
  virtual void on_hangup_while_paused(Connection&) {}
  /// The output queue fell to the low-water mark given to watch_drain().
  virtual void on_output_drained(Connection&) {}
  /// A batch of events was handled (input read and parsed, output flushed):
  /// the place to look at the connection's state once instead of per request.
  virtual void on_batch_end(Connection&) {}
  /// A read through the connection's transport failed (e.g. TLS garbage)
  /// and the connection is about to be closed; the socket is still open,
  /// for a last word written to it directly (not through the transport).
  virtual void on_stream_failed(Connection&) {}
  /// The descriptor is closed. The owner should destroy the connection, but
  /// not from inside this call: use EventLoop::run_soon.
  virtual void on_closed(Connection& connection) = 0;

 protected:
  ~ConnectionHandler() = default;
};

}  // namespace basehttp
