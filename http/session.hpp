// Session: one client connection's HTTP life: it parses the requests that
// arrive, dispatches each in order, and keeps the connection alive, pauses
// it (deferred response, backpressure), times it out or closes it.
// Python's handle() / handle_one_request() loop, driven by the reactor
// instead of a blocking rfile. Owned by its server's SessionTable; loop thread only.
// Internal.
//
// The per-request state (parser, request, handler) is lent by the
// server's RequestStatePool while the connection is busy and given back
// when it goes idle; a connection idle for ServerOptions::idle_release_after
// gives back its buffers, then the Session itself: it is parked (see
// session_table.hpp), so an idle keep-alive connection costs far less
// than this object.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "http/exchange.hpp"
#include "http/handler_table.hpp"
#include "http/request_state.hpp"
#include "http/request_timing.hpp"
#include "http/server_context.hpp"
#include "http/timeouts.hpp"
#include "reactor/connection.hpp"
#include "reactor/deadline_list.hpp"

namespace basehttp {

class Session final : public ConnectionHandler, public SessionEntry, public Exchange {
 public:
  /// `transport` carries the connection's bytes (null: the plain socket);
  /// `resumed`: a parked connection made a Session again, heard from
  /// already and past its handshake.
  Session(ServerContext& context, FileDescriptor socket, const SocketAddress& peer, uint32_t slot,
          uint32_t generation, std::unique_ptr<Transport> transport = nullptr,
          bool resumed = false);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Registers the connection; it waits under the keep-alive deadline until
  /// its first byte.
  void start();
  /// Instead of start(), for a connection that was parked: takes its
  /// registration and its place on the keep-alive deadline list from
  /// `parked` (which may be destroyed afterwards), and handles `events`
  /// (what woke it, or 0).
  void resume_parked(ParkedSession& parked, uint32_t events);
  /// Nothing in flight, nothing held but the socket (and transport), under
  /// the keep-alive deadline since its buffers were released: the session
  /// may be parked (see SessionTable).
  bool parkable() const;
  /// Parks the session: `parked` takes the socket, the transport, the
  /// peer, the loop's registration and the place on the deadline list.
  /// The session is closed afterwards (destroy it without callbacks).
  void park_into(ParkedSession& parked);

  /// Server shutdown: close now when idle, otherwise after the response in
  /// flight. A connection that has not sent its first request yet is left
  /// open unless `close_unheard`: its request may be in the socket unread,
  /// and closing on unread bytes would reset it.
  void begin_shutdown(bool close_unheard = true);
  /// Closes at once (the drain deadline passed, a stream aborted).
  void abort() override { connection_.abort(); }
  /// The deadline of `wait` passed (the server's Timeouts found it).
  void on_deadline(Wait wait);

  // For the RequestHandler of the request being dispatched.
  /// A handle for the request being dispatched (RequestHandler::defer()).
  DeferredResponse defer();
  /// Starts a streamed request body (RequestHandler::read_body()).
  void start_body(BodyReader::Chunk on_chunk, DeferredResponse::Completion on_end);
  /// The server is stopping or draining before it: responses say Connection: close.
  bool shutting_down() const { return shutting_down_ || context_.draining; }

  bool closed() const { return connection_.closed(); }
  uint32_t slot() const { return slot_; }
  ServerContext& context() { return context_; }
  Connection& connection() { return connection_; }
  const Connection& connection() const { return connection_; }

  // Exchange: what the handles may do.
  bool awaits(uint64_t sequence) const override;
  bool complete(uint64_t sequence, const DeferredResponse::Completion& finish) override;
  bool stream_write(std::string_view data) override;
  bool stream_writable() const override;
  size_t stream_queued() const override { return connection_.output().size(); }
  void stream_on_drain(std::function<void()> callback) override;
  void stream_on_close(std::function<void()> callback) override {
    state_->stream_closed = std::move(callback);
  }
  bool reading_body() const override { return reading_body_; }
  void pause_body() override;
  void resume_body() override;
  uint64_t body_received() const override;

 private:
  /// Runs a ResponseStream's on_drain() callback; one that throws aborts the stream.
  void run_producer(const std::function<void()>& callback);
  void on_input(Connection&) override { process_input(); }
  void on_peer_closed(Connection&) override;
  void on_hangup_while_paused(Connection&) override;
  void on_output_drained(Connection&) override;
  void on_stream_failed(Connection&) override;
  void on_batch_end(Connection&) override { update_wait(); }
  void on_closed(Connection&) override;

  void process_input();
  bool on_headers_complete();
  void dispatch(const HandlerTable::Entry* entry);
  /// Runs `handler` (a table entry or a completion) on the request, turning
  /// an exception into a 500 (or a close, if the answer had begun).
  void invoke(const HandlerTable::Handler& handler);
  /// After a handler returned: wait for its deferred answer, or finish.
  void after_handler();
  void finish_request();
  /// Hands the body bytes parsed so far to the streaming handler.
  void deliver_body();
  /// The streamed body is complete: the handler answers.
  void end_body();
  void answer_parse_error();
  void answer_timeout();
  void resume();
  bool paused() const {
    return (awaiting_deferred_ && !reading_body_) || body_paused_ || over_high_water_;
  }
  bool idle() const;
  /// A request came on this connection (perhaps before it was parked).
  bool heard() const { return sequence_ > 0 || resumed_; }
  /// Puts the connection on the deadline list its state calls for.
  void update_wait();
  void wait_on(Wait wait);
  /// Gives the request state and the buffers back (idle for a while).
  void release_resources();
  /// Adds the response just finished, and the bytes moved since the last
  /// call, to the server's counters.
  void count_response(int status);
  void count_bytes();
  /// The TLS handshake has just completed: counted once in the stats.
  void count_handshake();

  ServerContext& context_;
  Connection connection_;
  std::unique_ptr<RequestState> state_;  // lent by the pool while busy
  uint64_t sequence_ = 0;                // requests dispatched so far
  uint64_t bytes_seen_ = 0;              // connection bytes read at the last update_wait()
  uint64_t sequence_seen_ = 0;           // requests dispatched at the last update_wait()
  size_t output_seen_ = 0;               // queued bytes when the send deadline was set
  uint64_t bytes_in_counted_ = 0;        // bytes read already added to the server's stats
  uint64_t bytes_out_counted_ = 0;       // bytes sent already added to the server's stats
  uint32_t slot_;
  uint32_t generation_;
  RequestTiming timing_;  // per-phase latency, when the server keeps it
  Wait wait_ = Wait::kNone;
  // What the connection is doing, beside parsing. Reading stops while any
  // of awaiting a deferred answer (unless its body streams in), a paused
  // body, or output over the high-water mark holds (paused()); it is idle
  // when none of the request flags holds and no partial request is kept.
  // Only these combinations occur: dispatching_ with anything (a handler
  // runs, maybe completing itself); once the handler returned,
  // reading_body_ comes with awaiting_deferred_ (read_body() defers);
  // body_paused_ and
  // delivering_body_ imply reading_body_; close_forced_ only until the
  // handler returns or calls read_body(); shutting_down_ never clears.
  bool dispatching_ = false;
  bool awaiting_deferred_ = false;
  bool over_high_water_ = false;
  bool shutting_down_ = false;
  bool reading_body_ = false;     // a streaming handler takes the body as it comes
  bool body_paused_ = false;      // ... and asked for no more for now
  bool delivering_body_ = false;  // inside its chunk callback
  bool close_forced_ = false;     // dispatched with the body unread: set to close
  bool handshaking_;              // a TLS handshake is under way (see update_wait)
  const bool resumed_;            // made from a parked connection: heard from before
};

}  // namespace basehttp
