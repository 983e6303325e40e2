#include "reactor/acceptor.hpp"

#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace basehttp {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kFirstBackoff{10};
constexpr milliseconds kMaxBackoff{500};

}  // namespace

Acceptor::Acceptor(EventLoop& loop, const SocketAddress& address, NewConnection on_connection,
                   const ListenOptions& options)
    : Acceptor(loop, listen_tcp(address, options).value_or_throw(), std::move(on_connection)) {}

Acceptor::Acceptor(EventLoop& loop, FileDescriptor listening, NewConnection on_connection)
    : loop_(loop), socket_(std::move(listening)), on_connection_(std::move(on_connection)) {
  if (auto bound = SocketAddress::local_of(socket_.get())) local_address_ = bound.value();
  tcp_ = local_address_.family() == AF_INET || local_address_.family() == AF_INET6;
  loop_.add(socket_.get(), EPOLLIN, this);
}

Acceptor::~Acceptor() {
  close();
}

void Acceptor::handle_events(uint32_t) {
  if (!paused_ && retry_timer_ == 0) accept_pending();
}

void Acceptor::accept_pending() {
  while (socket_ && !paused_) {
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof(peer);
    int fd = ::accept4(socket_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      switch (errno) {
        case EAGAIN:
          backoff_ = {};
          return;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
          continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
          // Out of descriptors or memory: the connection stays in the backlog.
          // Retrying at once would spin, so wait and try again.
          back_off();
          return;
        default:
          back_off();
          return;
      }
    }
    FileDescriptor socket(fd);
    if (tcp_) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    on_connection_(std::move(socket),
                   SocketAddress(reinterpret_cast<sockaddr*>(&peer), peer_length));
  }
}

void Acceptor::back_off() {
  backoff_ = backoff_ == EventLoop::Duration{}
                 ? EventLoop::Duration(kFirstBackoff)
                 : std::min<EventLoop::Duration>(backoff_ * 2, kMaxBackoff);
  retry_timer_ = loop_.run_after(backoff_, [this] {
    retry_timer_ = 0;
    accept_pending();
  });
}

void Acceptor::pause() {
  paused_ = true;
}

void Acceptor::resume() {
  if (!paused_) return;
  paused_ = false;
  // Edge-triggered: connections that queued while paused raised no new
  // event, so look for them now.
  if (retry_timer_ == 0) accept_pending();
}

void Acceptor::close() {
  if (retry_timer_ != 0) {
    loop_.cancel(retry_timer_);
    retry_timer_ = 0;
  }
  if (socket_) {
    loop_.remove(socket_.get());
    socket_.reset();
  }
}

}  // namespace basehttp
