#include "reactor/acceptor.hpp"

#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace basehttp {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kFirstBackoff{10};
constexpr milliseconds kMaxBackoff{500};

void set_option(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    throw std::system_error(errno, std::generic_category(), what);
  }
}

}  // namespace

Acceptor::Acceptor(EventLoop& loop, const SocketAddress& address, NewConnection on_connection,
                   AcceptorOptions options)
    : loop_(loop), on_connection_(std::move(on_connection)) {
  socket_.reset(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket_) throw std::system_error(errno, std::generic_category(), "socket");
  set_option(socket_.get(), SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
  if (options.reuse_port) {
    set_option(socket_.get(), SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)");
  }
  if (address.is_ipv6()) {
    set_option(socket_.get(), IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6_only ? 1 : 0,
               "setsockopt(IPV6_V6ONLY)");
  }
  if (::bind(socket_.get(), address.get(), address.length()) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind " + address.to_string());
  }
  if (::listen(socket_.get(), options.backlog) != 0) {
    throw std::system_error(errno, std::generic_category(), "listen");
  }
  auto bound = SocketAddress::local_of(socket_.get());
  local_address_ = bound ? *bound : address;
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
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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
