#include "reactor/connection.hpp"

#include <sys/epoll.h>
#include <cerrno>

namespace basehttp {
namespace {
constexpr size_t kReadChunk = 16 * 1024;
// A closing connection drops at most this much of what the peer still sends.
constexpr size_t kMaxLingerBytes = 1024 * 1024;
}  // namespace

Connection::Connection(EventLoop& loop, FileDescriptor socket, const SocketAddress& peer,
                       ConnectionHandler& handler, std::unique_ptr<Transport> transport)
    : loop_(loop),
      socket_(std::move(socket)),
      peer_(peer),
      handler_(handler),
      transport_(std::move(transport)),
      output_(&loop.output_scratch()) {}

Connection::~Connection() {
  if (linger_timer_ != 0) loop_.cancel(linger_timer_);
  if (socket_) loop_.remove(socket_.get());
}

void Connection::start() {
  loop_.add(socket_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, this);
}

void Connection::take_over(IoHandler& previous, uint32_t events) {
  loop_.retarget(socket_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, &previous, this);
  if (events != 0) handle_events(events);
}

bool Connection::idle_and_empty() const {
  return state_ == State::kOpen && !processing_ && !reading_paused_ && !peer_eof_ &&
         !hangup_seen_ && !read_wants_writable_ && !drain_watched_ && input_.capacity() == 0 &&
         output_.empty() && output_.released() && linger_timer_ == 0;
}

FileDescriptor Connection::hand_over(std::unique_ptr<Transport>* transport) {
  state_ = State::kClosed;
  *transport = std::move(transport_);
  return std::move(socket_);
}

void Connection::handle_events(uint32_t events) {
  if (state_ == State::kClosed) return;
  if (events & EPOLLERR) {
    abort();
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) readable_ = true;
  // Set only with a transport: its read (a TLS handshake) had to send first.
  if (read_wants_writable_ && (events & EPOLLOUT)) {
    read_wants_writable_ = false;
    readable_ = true;
  }
  if (events & (EPOLLRDHUP | EPOLLHUP)) {
    hangup_seen_ = true;
    if (reading_paused_ && state_ == State::kOpen) handler_.on_hangup_while_paused(*this);
    if (state_ == State::kClosed) return;
  }
  process();
}

void Connection::process() {
  processing_ = true;
  if (state_ == State::kLingering) {
    discard_input();
  } else {
    if (state_ == State::kOpen) read_input();
    if (state_ != State::kClosed) flush();
    // The flush may have resumed reading (the queue fell to its low-water
    // mark) with bytes still waiting in the socket: edge-triggered, no new
    // event would announce them, so read them now. Each round needs the
    // queue to drain again, so this ends.
    while (state_ == State::kOpen && !reading_paused_ && readable_) {
      read_input();
      if (state_ != State::kClosed) flush();
    }
  }
  processing_ = false;
  if (state_ == State::kOpen) handler_.on_batch_end(*this);
}

void Connection::read_input() {
  while (state_ == State::kOpen && !reading_paused_ && readable_) {
    // With nothing left over from earlier reads, read into the loop's
    // scratch buffer; only bytes the handler leaves are copied to our own.
    Buffer* scratch = input_.empty() ? loop_.input_scratch().borrow() : nullptr;
    Buffer& target = scratch != nullptr ? *scratch : input_;
    target.ensure_writable(kReadChunk);
    size_t room = target.writable_bytes();
    ssize_t n = io().read(target.begin_write(), room);
    if (n > 0) {
      target.has_written(static_cast<size_t>(n));
      bytes_read_ += static_cast<uint64_t>(n);
      // A short read from the socket drained it; the next bytes raise a
      // new edge. After a hang-up, read on to the EOF instead: no edge will
      // follow. A transport's reads stop short anyway (a TLS record at a
      // time), so through one, read on until -EAGAIN.
      if (static_cast<size_t>(n) < room && !hangup_seen_ && transport_ == nullptr) {
        readable_ = false;
      }
      input_in_use_ = &target;
      handler_.on_input(*this);
      input_in_use_ = &input_;
    }
    if (scratch != nullptr) {
      if (!scratch->empty() && state_ != State::kClosed) input_.append(scratch->view());
      loop_.input_scratch().give_back();
    }
    if (n > 0) {
      continue;
    } else if (n == 0) {
      readable_ = false;
      peer_eof_ = true;
      handler_.on_peer_closed(*this);
    } else if (n == -EAGAIN) {
      readable_ = false;
      if (io().wants(TransportWait::kReadable) == TransportWait::kWritable)
        read_wants_writable_ = true;
    } else {
      if (transport_ != nullptr) handler_.on_stream_failed(*this);
      abort();
    }
  }
}

void Connection::resume_reading() {
  if (!reading_paused_) return;
  reading_paused_ = false;
  if (!processing_ && state_ == State::kOpen) process();
}

void Connection::release_idle_buffers() {
  input_.release_if_empty();
  output_.release_if_empty();
  if (transport_ != nullptr) transport_->release_buffers();
}

void Connection::watch_drain(size_t low_water) {
  drain_watched_ = true;
  drain_low_water_ = low_water;
}

void Connection::flush() {
  if (state_ == State::kClosed || state_ == State::kLingering) return;
  if (!output_.empty()) {
    // -EAGAIN needs nothing more: every socket event flushes again, which
    // also serves a transport whose write waits for EPOLLIN.
    int status = output_.flush_to(io());
    if (status < 0 && status != -EAGAIN) {
      abort();
      return;
    }
  }
  if (drain_watched_ && output_.size() <= drain_low_water_) {
    drain_watched_ = false;
    handler_.on_output_drained(*this);
  }
  if (state_ == State::kClosing && output_.empty()) finish_close();
}

void Connection::close_after_flush(bool linger, bool whole) {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  linger_ = linger;
  whole_ = whole;
  if (!processing_) flush();  // otherwise process() flushes on its way out
}

void Connection::finish_close() {
  if (!linger_ || peer_eof_) {
    // A transport's stream has an end of its own to send (TLS: the
    // close_notify alert, without which the peer cannot tell a clean end
    // from a cut); the plain socket's FIN comes with the close.
    if (transport_ != nullptr && whole_) io().shutdown_write();
    close_now();
    return;
  }
  // A cut stream gets the socket's FIN without the transport's own end.
  if (whole_) {
    io().shutdown_write();
  } else {
    PlainTransport::shutdown_write(socket_.get());
  }
  state_ = State::kLingering;
  linger_timer_ = loop_.run_after(kLingerTimeout, [this] {
    linger_timer_ = 0;
    close_now();
  });
  readable_ = true;
  discard_input();
}

void Connection::discard_input() {
  for (;;) {
    input_.retrieve_all();
    input_.ensure_writable(kReadChunk);
    ssize_t n = io().read(input_.begin_write(), input_.writable_bytes());
    if (n > 0) {
      lingered_bytes_ += static_cast<size_t>(n);
      if (lingered_bytes_ <= kMaxLingerBytes) continue;
      close_now();  // still flooding: a reset is what it gets
      return;
    }
    if (n == -EAGAIN) return;
    close_now();  // EOF or error: the peer has stopped sending
    return;
  }
}

void Connection::abort() {
  close_now();
}

void Connection::close_now() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (linger_timer_ != 0) {
    loop_.cancel(linger_timer_);
    linger_timer_ = 0;
  }
  // Deregister explicitly: a forked child may still hold the descriptor,
  // and then close() alone would leave it in the epoll set.
  loop_.remove(socket_.get());
  socket_.reset();
  output_.clear();
  handler_.on_closed(*this);
}

}  // namespace basehttp
