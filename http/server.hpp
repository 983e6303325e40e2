// HTTPServer: Python's HTTPServer for an event loop: it listens on an
// address, accepts connections, parses their requests and dispatches each
// to the HandlerTable entry for its method. It owns every connection.
// Construct, then serve_forever() (or run the EventLoop given to it);
// shutdown() from any thread ends it gracefully. Everything else is for
// the loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/handler_table.hpp"
#include "http/loop_group.hpp"
#include "http/server_options.hpp"
#include "http/server_stats.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/result.hpp"
#include "reactor/socket_address.hpp"

namespace basehttp {

class Acceptor;
class GracefulShutdown;
class ServerContext;
class TlsContext;

class HTTPServer {
 public:
  /// Binds and listens at once on a loop of its own; throws
  /// std::system_error when the address cannot be bound (as Python raises
  /// OSError). `table` must outlive the server.
  HTTPServer(ServerAddress address, HandlerTable& table, ServerOptions options = {});
  /// Same, on an existing loop (which must outlive the server). Several
  /// servers may share one loop.
  HTTPServer(EventLoop& loop, ServerAddress address, HandlerTable& table,
             ServerOptions options = {});
  /// One more loop of `group`, listening at `address` (made by LoopGroup).
  HTTPServer(LoopGroup& group, ServerAddress address);
  ~HTTPServer();
  HTTPServer(const HTTPServer&) = delete;
  HTTPServer& operator=(const HTTPServer&) = delete;

  /// The bound host, numeric: "127.0.0.1", "::"; the path of a unix socket.
  std::string server_name() const { return unix_path_.empty() ? address_.host() : unix_path_; }
  /// The bound port: the real one when port 0 was asked for.
  uint16_t server_port() const { return address_.port(); }
  const SocketAddress& server_address() const { return address_; }

  /// Runs the loop until shutdown() has finished. Returns at once if it
  /// already has.
  void serve_forever();
  /// Graceful stop: draining() at once; after options().shutdown_delay no
  /// new connections, idle ones closed, requests in flight answered (with
  /// Connection: close) and flushed, whatever is left after
  /// options().drain_timeout closed. Called from outside the loop it
  /// waits until serve_forever() has returned (or, when the application
  /// runs the loop itself, until the connections are gone), so the loop
  /// must be running or about to run, as with Python; called from a handler
  /// or timer on the loop it only starts the stop.
  void shutdown();
  /// True once shutdown has begun: the server no longer accepts.
  bool shutting_down() const;
  /// True from the moment a shutdown was asked for, through the
  /// shutdown_delay that precedes it: the time to tell health checks.
  bool draining() const;
  /// The socket this server accepts on (-1 once closed), e.g. to hand it
  /// to a process that takes over (see examples/basehttpd.cpp).
  int listening_fd() const;
  /// The loops this server serves on with the others of its group
  /// (options().threads of them); loops()[0] runs serve_forever().
  LoopGroup& loops() const { return *group_; }

  EventLoop& loop() { return loop_; }
  /// Any thread: runs `fn` with this server on its loop thread, unless the
  /// server has been destroyed by then (a loop shared with other servers
  /// outlives it). The loop itself must still exist.
  void post(std::function<void(HTTPServer&)> fn);
  const ServerOptions& options() const;
  const HandlerTable& handlers() const;
  /// Open connections.
  size_t connection_count() const;
  /// Of those, the idle ones parked: holding only their socket, TLS state,
  /// peer address and keep-alive deadline (ServerOptions::idle_release_after).
  size_t parked_connection_count() const;
  /// The counters of this loop so far (a copy). Loop thread: from another,
  /// post() a function that calls it.
  ServerStats stats() const;
  /// Response bytes queued on the open connections and not yet taken by
  /// the kernel (for monitoring and tests: each connection stops reading
  /// while its own share is over options().output_high_water). Loop thread.
  size_t queued_output_bytes() const;

  /// HTTPS: loads options().tls's certificate pairs again, the default
  /// one and the server names' (e.g. renewed files, on SIGHUP) for the
  /// connections made from now on, on every loop of the group; the open
  /// ones keep theirs. If any fails, all the pairs in use stay and the
  /// result says why. Any thread.
  SysResult<void> reload_certificates();
  /// Whether `tls` loads (what the constructor would throw, as a result):
  /// for a program to tell a bad certificate from a port it cannot bind.
  static SysResult<void> check_tls(const TlsOptions& tls);

 private:
  HTTPServer(EventLoop* loop, LoopGroup* group, const ServerAddress& address,
             const HandlerTable& table, ServerOptions options);
  void start_listening(const ServerAddress& address);
  FileDescriptor open_listener(const ServerAddress& address);
  void accept(FileDescriptor socket, const SocketAddress& peer);
  /// Closed connections were destroyed: accept again, or finish a shutdown.
  void on_sessions_released();

  std::unique_ptr<EventLoop> owned_loop_;  // declared first: destroyed last
  EventLoop& loop_;
  // Shared by the loops of a group (one certificate pair, one reload);
  // declared before context_ so the sessions made from it go first.
  std::shared_ptr<TlsContext> tls_;
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<Acceptor> acceptor_;
  std::unique_ptr<GracefulShutdown> shutdown_;
  std::unique_ptr<LoopGroup> owned_group_;  // the primary's: the other loops
  LoopGroup* group_;                        // owned_group_, or the primary's
  SocketAddress address_;
  std::string unix_path_;  // the socket file this server made, removed at the end
};

}  // namespace basehttp
