// IoHandler: what an EventLoop calls when a registered file descriptor is
// ready. Implemented by Acceptor, Connection and the loop's own wake-up,
// timer and signal descriptors. Called on the loop thread only.
#pragma once

#include <cstdint>

namespace basehttp {

class IoHandler {
 public:
  /// `events` is the epoll mask (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR...).
  virtual void handle_events(uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

}  // namespace basehttp
