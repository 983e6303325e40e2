#include "tests/fuzz/paired_session.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace basehttp::fuzzing {
namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "PairedSession: %s (errno %d)\n", what, errno);
  std::abort();
}

// More rounds than any input can need: a server that keeps producing
// events without end is a bug (a livelock), not a slow input.
constexpr int kMaxRounds = 1 << 16;

}  // namespace

PairedSession::PairedSession(HTTPServer& server, int server_send_buffer) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    fail("socketpair");
  }
  client_fd_ = fds[0];
  server_fd_ = fds[1];
  if (server_send_buffer > 0) {
    ::setsockopt(server_fd_, SOL_SOCKET, SO_SNDBUF, &server_send_buffer,
                 sizeof(server_send_buffer));
  }
  auto peer = SocketAddress::parse("127.0.0.1", 40000);
  context_ =
      std::make_unique<ServerContext>(server.loop(), server.handlers(), server.options(), &server);
  session_ = std::make_unique<Session>(*context_, FileDescriptor(server_fd_), *peer, /*slot=*/0,
                                       /*generation=*/0);
  session_->start();
}

PairedSession::~PairedSession() {
  session_.reset();
  ::close(client_fd_);
}

void PairedSession::send(std::string_view bytes) {
  if (eof_sent_ || eof_pending_) fail("send after send_eof");
  unsent_.append(bytes);
  write_unsent();
}

void PairedSession::send_eof() {
  eof_pending_ = true;
  write_unsent();
}

void PairedSession::write_unsent() {
  while (!unsent_.empty()) {
    ssize_t n = ::send(client_fd_, unsent_.data(), unsent_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // The server closed its end: it reads nothing more, as a TCP peer would.
    if (n < 0) {
      unsent_.clear();
      break;
    }
    unsent_.erase(0, static_cast<size_t>(n));
    bytes_sent_ += static_cast<uint64_t>(n);
    input_edge_ = true;
  }
  if (eof_pending_ && !eof_sent_) {
    ::shutdown(client_fd_, SHUT_WR);
    eof_sent_ = true;
    input_edge_ = true;
  }
}

size_t PairedSession::read_received() {
  size_t total = 0;
  char chunk[16384];
  for (;;) {
    ssize_t n = ::read(client_fd_, chunk, sizeof(chunk));
    if (n > 0) {
      received_.append(chunk, static_cast<size_t>(n));
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return total;  // EAGAIN, or the server's EOF
  }
}

void PairedSession::pump(int rounds) {
  for (int round = 0; round != rounds; ++round) {
    if (round == kMaxRounds) fail("the connection never settles (livelock)");
    // Bytes left queued mean the server's socket was full: the client's
    // reading frees room, which is the next EPOLLOUT edge.
    if (read_received() > 0 && server_blocked_) output_edge_ = true;
    uint32_t events = 0;
    if (input_edge_) events |= EPOLLIN;
    if (output_edge_) events |= EPOLLOUT;
    if (events == 0 || connection().closed()) return;
    input_edge_ = output_edge_ = false;
    // The level flags come with every report, as epoll gives them.
    pollfd state{server_fd_, POLLIN | POLLOUT | POLLRDHUP, 0};
    if (::poll(&state, 1, 0) < 0) fail("poll");
    events |= static_cast<uint32_t>(state.revents) & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
    static_cast<IoHandler&>(connection()).handle_events(events);
    note_server_output();
    write_unsent();
  }
}

void PairedSession::begin_shutdown() {
  session_->begin_shutdown();
  note_server_output();
  pump();
}

void PairedSession::note_server_output() {
  server_blocked_ = !connection().closed() && !connection().output().empty();
}

size_t PairedSession::unread_by_server() const {
  if (session_->connection().closed()) return 0;
  int pending = 0;
  if (::ioctl(server_fd_, FIONREAD, &pending) != 0) return 0;
  return static_cast<size_t>(pending);
}

uint64_t PairedSession::awaited_sequence() const {
  // Sequences count the requests dispatched, each at least a few bytes
  // long: the one awaited is among the first bytes_sent_ + 1.
  const Session& session = *session_;
  for (uint64_t sequence = 1; sequence <= bytes_sent_ + 1; ++sequence) {
    if (session.awaits(sequence)) return sequence;
  }
  return 0;
}

bool PairedSession::complete_deferred(const DeferredResponse::Completion& finish) {
  if (!complete_deferred_now(finish)) return false;
  note_server_output();
  pump();
  return true;
}

bool PairedSession::complete_deferred_now(const DeferredResponse::Completion& finish) {
  uint64_t sequence = awaited_sequence();
  return sequence != 0 && session_->complete(sequence, finish);
}

}  // namespace basehttp::fuzzing
