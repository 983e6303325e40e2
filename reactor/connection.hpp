// Connection: one accepted, nonblocking stream socket on an EventLoop: an
// input buffer filled by reads until EAGAIN, an output queue flushed by one
// writev at the end of each batch of events (and resumed on EPOLLOUT), and
// an orderly close. It reads and writes the socket itself, or through a
// Transport it owns (TLS...; see stream_io.hpp). Registered once with epoll
// (edge-triggered, in and out); no epoll_ctl happens again until it closes.
// Owned by its server; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "reactor/buffer.hpp"
#include "reactor/connection_handler.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/file_descriptor.hpp"
#include "reactor/output_queue.hpp"
#include "reactor/socket_address.hpp"
#include "reactor/stream_io.hpp"
#include "reactor/transport.hpp"

namespace basehttp {

class Connection final : public IoHandler {
 public:
  /// How long a closing connection keeps reading (and dropping) what the
  /// peer still sends, so the response is not destroyed by a reset.
  static constexpr auto kLingerTimeout = std::chrono::seconds(2);

  /// Takes `socket`; start() registers it. `handler` must outlive this.
  /// `transport`, when given, carries the stream over the socket (owned:
  /// destroyed with the connection); without one it is the socket itself.
  Connection(EventLoop& loop, FileDescriptor socket, const SocketAddress& peer,
             ConnectionHandler& handler, std::unique_ptr<Transport> transport = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Registers with the loop and reads what has already arrived.
  void start();
  /// Instead of start(), for a socket already registered with the loop for
  /// `previous` (the connection's parked form, see hand_over()): its
  /// readiness comes here from now on, and `events` (what woke it, or 0)
  /// is handled at once.
  void take_over(IoHandler& previous, uint32_t events);
  /// True when the connection holds nothing but its socket and transport:
  /// open, nothing read or queued, no buffer, nothing paused or watched, no
  /// hang-up seen. It may then be handed over.
  bool idle_and_empty() const;
  /// Gives up the socket (still registered with the loop, which the new
  /// owner retargets) and the transport, without closing or calling the
  /// handler: the connection is closed as far as this object is concerned.
  /// Only when idle_and_empty().
  FileDescriptor hand_over(std::unique_ptr<Transport>* transport);

  /// The unconsumed input: the connection's own buffer, or, while a read
  /// is being handled, the loop's scratch buffer it was read into.
  Buffer& input() { return *input_in_use_; }
  const Buffer& input() const { return *input_in_use_; }
  OutputQueue& output() { return output_; }
  const OutputQueue& output() const { return output_; }
  EventLoop& loop() { return loop_; }
  const SocketAddress& peer() const { return peer_; }
  int fd() const { return socket_.get(); }
  /// The transport given at construction, or nullptr for the plain socket.
  Transport* transport() const { return transport_.get(); }

  /// Writes what is queued now (normally done once at the end of a batch).
  void flush();
  /// Stops reading, sends what is queued, then closes. With `linger`, the
  /// write side is shut first and input is drained for a while before the
  /// close, for peers that may still be sending (an unread request body).
  /// `whole`: the stream ends in one piece, so a transport sends its own
  /// end (TLS close_notify); false when the last response was cut short,
  /// whose end must not look clean (over TLS the peer then sees a
  /// truncation, as it would for a close-delimited body).
  void close_after_flush(bool linger = false, bool whole = true);
  /// Closes at once, dropping queued output.
  void abort();

  /// Stops reading from the socket (backpressure, a response in progress).
  void pause_reading() { reading_paused_ = true; }
  /// Reads again, including what arrived while paused.
  void resume_reading();
  bool reading_paused() const { return reading_paused_; }

  /// Frees the buffers an idle connection can make again (input, output,
  /// the transport's); for the owner to call when nothing is in progress.
  void release_idle_buffers();

  /// Asks for one on_output_drained() once the queue is at most `low_water` bytes.
  void watch_drain(size_t low_water);

  bool open() const { return state_ == State::kOpen; }
  bool closed() const { return state_ == State::kClosed; }
  /// EOF was read: the peer sends nothing more.
  bool peer_closed() const { return peer_eof_; }
  /// Bytes read from the socket so far (progress, for timeouts).
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  enum class State { kOpen, kClosing, kLingering, kClosed };

  void handle_events(uint32_t events) override;
  void process();
  void read_input();
  void discard_input();
  void finish_close();
  void close_now();
  StreamIo io() const { return StreamIo{socket_.get(), transport_.get()}; }

  EventLoop& loop_;
  FileDescriptor socket_;
  SocketAddress peer_;
  ConnectionHandler& handler_;
  std::unique_ptr<Transport> transport_;  // nullptr: the plain socket
  Buffer input_;                          // bytes left over between reads
  Buffer* input_in_use_ = &input_;        // input_, or the loop's scratch during a read
  OutputQueue output_;
  State state_ = State::kOpen;
  bool reading_paused_ = false;
  bool readable_ = true;              // the socket may hold unread bytes
  bool hangup_seen_ = false;          // EPOLLRDHUP: read until EOF, not until a short read
  bool read_wants_writable_ = false;  // the transport's read waits for EPOLLOUT
  bool peer_eof_ = false;
  bool linger_ = false;
  bool whole_ = true;        // close_after_flush(): the transport may end its stream cleanly
  bool processing_ = false;  // inside process(): re-entrant calls only set flags
  bool drain_watched_ = false;
  size_t drain_low_water_ = 0;
  size_t lingered_bytes_ = 0;
  uint64_t bytes_read_ = 0;
  EventLoop::TimerId linger_timer_ = 0;
};

}  // namespace basehttp
