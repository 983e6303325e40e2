// Acceptor: a listening socket (TCP or unix-domain) on an EventLoop that
// accepts every pending connection when it becomes readable and hands each
// one over as a nonblocking, close-on-exec socket (with TCP_NODELAY for
// TCP). Loop thread only.
#pragma once

#include <functional>

#include "reactor/event_loop.hpp"
#include "reactor/file_descriptor.hpp"
#include "reactor/listen_socket.hpp"
#include "reactor/socket_address.hpp"

namespace basehttp {

class Acceptor final : public IoHandler {
 public:
  /// Receives each accepted socket and its peer's address.
  using NewConnection = std::function<void(FileDescriptor socket, const SocketAddress& peer)>;

  /// Creates, binds and listens on `address` (port 0 picks a free port);
  /// throws std::system_error naming the failing call (start-up only).
  /// Accepting starts at once.
  Acceptor(EventLoop& loop, const SocketAddress& address, NewConnection on_connection,
           const ListenOptions& options = {});
  /// Accepts on `listening`, a socket already listening (see listen_socket.hpp).
  Acceptor(EventLoop& loop, FileDescriptor listening, NewConnection on_connection);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  /// The listening socket (-1 once closed).
  int fd() const { return socket_.get(); }
  /// The bound address, with the real port when 0 was asked for.
  const SocketAddress& local_address() const { return local_address_; }

  /// Stops taking connections; they wait in the kernel's backlog.
  void pause();
  /// Takes connections again, including those that queued while paused.
  void resume();
  bool paused() const { return paused_; }
  /// Takes the connections already waiting in the backlog (unless paused),
  /// e.g. before close(): clients that connected before a shutdown are
  /// served rather than reset by the close.
  void take_backlog();
  /// Stops listening for good and closes the socket: new clients are
  /// refused, and those still in the backlog are reset.
  void close();

 private:
  void handle_events(uint32_t events) override;
  void accept_pending();
  void back_off();

  EventLoop& loop_;
  FileDescriptor socket_;
  SocketAddress local_address_;
  NewConnection on_connection_;
  bool tcp_ = true;  // accepted sockets get TCP_NODELAY
  bool paused_ = false;
  EventLoop::TimerId retry_timer_ = 0;
  EventLoop::Duration backoff_{};
};

}  // namespace basehttp
