// PairedSession: one HTTPServer connection whose client is the other end
// of a socketpair held by a fuzzer, so the server's whole read path runs
// (Connection's reads and writev, Session, parser, handlers) without a
// network. Events are delivered by hand the way edge-triggered epoll
// delivers them for TCP at its most frugal: EPOLLIN only when new bytes or
// the EOF arrive, EPOLLOUT only when the server had left bytes unsent and
// the client has since read some. A server that would wait for an edge
// that never comes is then seen waiting, not rescued by a spurious wake-up.
//
// The session is not in the server's slot table (the server never runs its
// loop here), so DeferredResponse handles cannot find it: a deferred
// response is completed through complete_deferred() instead, as a timer
// would. One thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/deferred_response.hpp"
#include "http/server.hpp"
#include "http/server_context.hpp"
#include "http/session.hpp"

namespace basehttp::fuzzing {

class PairedSession {
 public:
  /// Connects a new session of `server`. `server_send_buffer` > 0 shrinks
  /// the server end's SO_SNDBUF, so its writes stop short.
  PairedSession(HTTPServer& server, int server_send_buffer);
  ~PairedSession();
  PairedSession(const PairedSession&) = delete;
  PairedSession& operator=(const PairedSession&) = delete;

  /// The client sends `bytes` (what its socket does not take now is sent
  /// by later pumps).
  void send(std::string_view bytes);
  /// The client shuts its write side: the server reads an EOF.
  void send_eof();
  /// Delivers events until the server and the client have nothing more to
  /// do, or only `rounds` of them; what the client receives is appended to
  /// received().
  void pump(int rounds = -1);

  /// The server begins a graceful shutdown of this connection, then pumps.
  void begin_shutdown();

  /// True while a deferred response holds the connection.
  bool awaiting_deferred() const { return awaited_sequence() != 0; }
  /// Runs `finish` for the deferred response (from outside any event, as
  /// a timer or a posted reply would), then pumps. False if none is awaited.
  bool complete_deferred(const DeferredResponse::Completion& finish);
  /// Same, from inside the handler that deferred (no pump).
  bool complete_deferred_now(const DeferredResponse::Completion& finish);

  Session& session() { return *session_; }
  Connection& connection() { return session_->connection(); }
  /// Everything the client has received.
  const std::string& received() const { return received_; }
  /// Bytes the client sent that are still in the server's socket, unread.
  size_t unread_by_server() const;
  /// Bytes the client has not been able to send yet.
  size_t unsent() const { return unsent_.size(); }
  /// The client sent its EOF.
  bool eof_sent() const { return eof_sent_; }

 private:
  uint64_t awaited_sequence() const;
  void write_unsent();
  size_t read_received();
  /// Records whether the server's last flush left bytes queued.
  void note_server_output();

  int client_fd_ = -1;
  int server_fd_ = -1;  // owned by the session's Connection
  // A context of its own, on the server's loop, standing for the server:
  // the session is not one of the server's connections.
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<Session> session_;
  std::string unsent_;
  std::string received_;
  uint64_t bytes_sent_ = 0;
  bool eof_sent_ = false;
  bool eof_pending_ = false;
  bool input_edge_ = false;
  bool output_edge_ = false;
  bool server_blocked_ = false;
};

}  // namespace basehttp::fuzzing
