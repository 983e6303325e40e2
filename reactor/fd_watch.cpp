#include "reactor/fd_watch.hpp"

#include <sys/epoll.h>

#include <utility>

#include "reactor/event_loop.hpp"

namespace basehttp {

FdWatch::FdWatch(EventLoop& loop, int fd, bool readable, bool writable, Callback callback)
    : loop_(loop), fd_(fd), callback_(std::move(callback)) {
  loop_.assert_in_loop_thread();
  loop_.add(fd_, mask(readable, writable), this);
}

uint32_t FdWatch::mask(bool readable, bool writable) {
  return (readable ? EPOLLIN | EPOLLRDHUP : 0u) | (writable ? EPOLLOUT : 0u);
}

void FdWatch::watch(bool readable, bool writable) {
  if (fd_ < 0) return;
  loop_.modify(fd_, mask(readable, writable), this);
}

void FdWatch::stop() {
  if (fd_ < 0) return;
  loop_.detach(fd_, this);
  fd_ = -1;
}

void FdWatch::handle_events(uint32_t events) {
  Readiness ready;
  ready.readable = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  ready.writable = (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0;
  ready.hangup = (events & (EPOLLHUP | EPOLLRDHUP)) != 0;
  ready.error = (events & EPOLLERR) != 0;
  // The callback may destroy this watch, and with it callback_, while it
  // runs: it runs from a local, handed back only if the watch survived.
  bool destroyed = false;
  destroyed_ = &destroyed;
  Callback callback = std::move(callback_);
  callback(ready);
  if (destroyed) return;
  destroyed_ = nullptr;
  callback_ = std::move(callback);
}

FdWatch::~FdWatch() {
  if (destroyed_ != nullptr) *destroyed_ = true;
  stop();
}

}  // namespace basehttp
