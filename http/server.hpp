// HTTPServer: Python's HTTPServer for an event loop: it listens on an
// address, accepts connections, parses their requests and dispatches each
// to the HandlerTable entry for its method. It owns every connection.
// Construct, then serve_forever() (or run the EventLoop given to it);
// shutdown() from any thread ends it gracefully. Everything else is for
// the loop thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/deferred_response.hpp"
#include "http/handler_table.hpp"
#include "http/request_log.hpp"
#include "http/response_head.hpp"
#include "http/server_options.hpp"
#include "http/server_stats.hpp"
#include "reactor/acceptor.hpp"
#include "reactor/deadline_list.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/socket_address.hpp"

namespace basehttp {

class Session;
struct RequestState;

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
  bool shutting_down() const { return shutting_down_; }
  /// True from the moment a shutdown was asked for, through the
  /// shutdown_delay that precedes it: the time to tell health checks.
  bool draining() const { return draining_; }
  /// The socket this server accepts on (-1 once closed), e.g. to hand it
  /// to a process that takes over (see examples/basehttpd.cpp).
  int listening_fd() const { return acceptor_ ? acceptor_->fd() : -1; }
  /// The server whose serve_forever() runs this one: this one, unless it
  /// is one of another's other_loops().
  HTTPServer& primary() { return *primary_; }

  EventLoop& loop() { return loop_; }
  /// Any thread: runs `fn` with this server on its loop thread, unless the
  /// server has been destroyed by then (a loop shared with other servers
  /// outlives it). The loop itself must still exist.
  void post(std::function<void(HTTPServer&)> fn);
  const ServerOptions& options() const { return options_; }
  const HandlerTable& handlers() const { return table_; }
  /// Open connections.
  size_t connection_count() const { return live_sessions_; }
  /// The counters so far (a copy). Loop thread: from another, post() a
  /// function that calls it.
  ServerStats stats() const {
    ServerStats copy = stats_;
    copy.connections_open = live_sessions_;
    return copy;
  }
  /// With options().threads > 1, the servers of the other loops (same
  /// handlers and options, listeners of their own); their stats() are for
  /// their own loop threads.
  const std::vector<std::unique_ptr<HTTPServer>>& other_loops() const { return workers_; }
  /// Response bytes queued on the open connections and not yet taken by
  /// the kernel (for monitoring and tests: each connection stops reading
  /// while its own share is over options().output_high_water). Loop thread.
  size_t queued_output_bytes() const;

 private:
  friend class Session;
  friend class RequestHandler;
  friend class DeferredResponse;

  struct Slot {
    std::unique_ptr<Session> session;
    uint32_t generation = 0;
  };
  // One list per kind of wait; see Session::Wait.
  struct Deadlines {
    explicit Deadlines(const ServerOptions& options);
    DeadlineList header, body, send, idle, keep_alive;
  };

  void start_listening(const ServerAddress& address);
  FileDescriptor open_listener(const ServerAddress& address);
  void make_workers();
  /// Runs `action` on every other loop's server, on its own loop thread.
  void on_other_loops(void (HTTPServer::*action)());
  void accept(FileDescriptor socket, const SocketAddress& peer);
  /// Destroys the session in `slot` at the end of the loop iteration (it
  /// is on the call stack that noticed the close).
  void release(uint32_t slot);
  void release_closed();
  /// Lends a request state to `session` (from the pool; allocates only
  /// when every pooled one is lent).
  std::unique_ptr<RequestState> acquire_state(Session& session);
  void release_state(std::unique_ptr<RequestState> state);
  /// Puts `session` on `list` from now, and makes sure the tick runs.
  void schedule(Session& session, DeadlineList& list);
  /// Expires what is due on every deadline list; stops when all are empty.
  void tick();
  Session* find_session(uint32_t slot, uint32_t generation) const;
  /// Marks the server (and the other loops) draining, then shuts down
  /// after options().shutdown_delay.
  void begin_drain();
  void mark_draining() { draining_ = true; }
  void begin_shutdown();
  void close_remaining();
  void check_drained();

  std::unique_ptr<EventLoop> owned_loop_;  // declared first: destroyed last
  EventLoop& loop_;
  // Held by the work this server leaves on its loop (deferred responses,
  // posts, the end-of-iteration release) instead of `this`: the loop may
  // run it after the server is gone.
  std::shared_ptr<ServerAnchor> anchor_;
  HandlerTable& table_;
  ServerOptions options_;
  bool keep_alive_protocol_ = true;  // options_.protocol_version is HTTP/1.1
  bool logging_ = true;              // options_.log_sink is set
  ResponseHead response_head_;
  RequestLog request_log_;  // writes to options_.log_sink: declared after it
  std::unique_ptr<Acceptor> acceptor_;
  SocketAddress address_;
  ServerStats stats_;  // kept by the sessions, loop thread
  // options().threads - 1 more loops, run by serve_forever() on threads of their own.
  std::vector<std::unique_ptr<HTTPServer>> workers_;
  std::vector<std::thread> worker_threads_;
  bool share_listener_ = false;  // unix or inherited: the other loops accept on a dup
  std::string unix_path_;        // the socket file this server made, removed at the end

  std::vector<std::unique_ptr<RequestState>> free_states_;  // before slots_: outlives them
  Deadlines deadlines_;
  EventLoop::TimerId tick_timer_ = 0;
  EventLoop::Duration tick_interval_{};
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> closed_slots_;  // released, destroyed at the iteration's end
  size_t live_sessions_ = 0;

  HTTPServer* primary_ = this;
  bool draining_ = false;
  EventLoop::TimerId delay_timer_ = 0;    // the shutdown_delay, while it runs
  EventLoop::TimerId unheard_timer_ = 0;  // closes connections not heard from (begin_shutdown)
  bool shutting_down_ = false;
  EventLoop::TimerId drain_timer_ = 0;
  std::mutex state_mutex_;
  std::condition_variable state_changed_;
  bool serving_ = false;  // inside serve_forever()
  bool drained_ = false;  // shutdown finished: no connection left
};

}  // namespace basehttp
