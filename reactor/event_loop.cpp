#include "reactor/event_loop.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace basehttp {
namespace {

constexpr int kMaxEventsPerWait = 256;

FileDescriptor checked(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return FileDescriptor(fd);
}

// A signalfd that takes no signal until watch_signals() widens its mask.
int signalfd_without_signals() {
  sigset_t none;
  sigemptyset(&none);
  return signalfd(-1, &none, SFD_NONBLOCK | SFD_CLOEXEC);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "basehttp: %s failed: errno %d\n", what, errno);
  std::abort();
}

void ignore_sigpipe_once() {
  static const bool done = [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      std::signal(SIGPIPE, SIG_IGN);
    }
    return true;
  }();
  (void)done;
}

}  // namespace

EventLoop::EventLoop()
    : epoll_fd_(checked(epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      wakeup_fd_(checked(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      timer_fd_(
          checked(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create")),
      signal_fd_(checked(signalfd_without_signals(), "signalfd")),
      thread_id_(std::this_thread::get_id()) {
  ignore_sigpipe_once();
  sigemptyset(&watched_signals_);
  refresh_clock();
  wakeup_handler_.loop = timer_handler_.loop = signal_handler_.loop = this;
  wakeup_handler_.on_ready = &EventLoop::on_wakeup;
  timer_handler_.on_ready = &EventLoop::on_timer;
  signal_handler_.on_ready = &EventLoop::on_signal;
  add(wakeup_fd_.get(), EPOLLIN, &wakeup_handler_);
  add(timer_fd_.get(), EPOLLIN, &timer_handler_);
  add(signal_fd_.get(), EPOLLIN, &signal_handler_);
}

EventLoop::~EventLoop() {
  if (watching_signals_) {
    // Signals that arrived while the loop wound down were meant for it:
    // consume them, or unblocking would deliver them with their default
    // action and end a process that is exiting cleanly.
    signalfd_siginfo info;
    while (::read(signal_fd_.get(), &info, sizeof(info)) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }
}

void EventLoop::refresh_clock() {
  now_ = Clock::now();
  timespec wall{};
  clock_gettime(CLOCK_REALTIME, &wall);
  wall_seconds_ = wall.tv_sec;
}

void EventLoop::run() {
  thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
  running_.store(true, std::memory_order_release);
  refresh_clock();
  epoll_event events[kMaxEventsPerWait];
  while (!quit_.load(std::memory_order_acquire)) {
    int ready = epoll_wait(epoll_fd_.get(), events, kMaxEventsPerWait, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    ++iterations_;
    refresh_clock();
    batch_ = events;
    batch_size_ = ready;
    for (int i = 0; i < ready; ++i) {
      // Null when its handler was detached by an earlier event of this batch.
      if (auto* handler = static_cast<IoHandler*>(events[i].data.ptr)) {
        handler->handle_events(events[i].events);
      }
    }
    batch_size_ = 0;
    run_soon_queue();
    run_iteration_hooks();
  }
  // A stop() after the last iteration's hooks ran: they see stopping() now.
  run_iteration_hooks();
  quit_.store(false, std::memory_order_release);
  running_.store(false, std::memory_order_release);
}

void EventLoop::stop() {
  quit_.store(true, std::memory_order_release);
  // Unconditional write: stop() may run in a signal handler, where the
  // wake_pending_ bookkeeping of post() must not be relied on.
  uint64_t one = 1;
  ssize_t ignored = ::write(wakeup_fd_.get(), &one, sizeof(one));
  (void)ignored;
}

void EventLoop::wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  ssize_t ignored = ::write(wakeup_fd_.get(), &one, sizeof(one));
  (void)ignored;
}

void EventLoop::post(Callback fn) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(fn));
  }
  wake();
}

void EventLoop::on_wakeup() {
  uint64_t count;
  while (::read(wakeup_fd_.get(), &count, sizeof(count)) > 0) {
  }
  wake_pending_.store(false, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    running_posted_.swap(posted_);
  }
  for (Callback& fn : running_posted_)
    fn();
  running_posted_.clear();
}

void EventLoop::run_soon(Callback fn) {
  assert_in_loop_thread();
  soon_.push_back(std::move(fn));
}

void EventLoop::run_soon_queue() {
  while (!soon_.empty()) {
    running_soon_.swap(soon_);
    for (Callback& fn : running_soon_)
      fn();
    running_soon_.clear();
  }
}

EventLoop::HookId EventLoop::add_iteration_hook(Callback fn) {
  assert_in_loop_thread();
  HookId id = next_hook_id_++;
  iteration_hooks_.emplace_back(id, std::move(fn));
  return id;
}

void EventLoop::remove_iteration_hook(HookId id) {
  assert_in_loop_thread();
  auto same = [id](const auto& hook) { return hook.first == id; };
  iteration_hooks_.erase(std::remove_if(iteration_hooks_.begin(), iteration_hooks_.end(), same),
                         iteration_hooks_.end());
}

void EventLoop::run_iteration_hooks() {
  for (auto& hook : iteration_hooks_)
    hook.second();
}

EventLoop::TimerId EventLoop::run_after(Duration delay, Callback fn) {
  return add_timer(delay, Duration::zero(), std::move(fn));
}

EventLoop::TimerId EventLoop::run_every(Duration interval, Callback fn) {
  if (interval <= Duration::zero()) interval = std::chrono::milliseconds(1);
  return add_timer(interval, interval, std::move(fn));
}

EventLoop::TimerId EventLoop::add_timer(Duration delay, Duration interval, Callback fn) {
  assert_in_loop_thread();
  TimerId id = next_timer_id_++;
  timers_.emplace(id, Timer{std::move(fn), interval});
  deadlines_.push_back(Deadline{now_ + std::max(delay, Duration::zero()), id});
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
  arm_timerfd();
  return id;
}

void EventLoop::cancel(TimerId id) {
  assert_in_loop_thread();
  timers_.erase(id);
  // The deadline stays in the heap and is skipped when it comes up; the
  // timerfd may fire once for nothing, which costs less than a re-arm here.
}

void EventLoop::arm_timerfd() {
  while (!deadlines_.empty() && timers_.count(deadlines_.front().id) == 0) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
    deadlines_.pop_back();
  }
  if (deadlines_.empty()) return;
  Clock::time_point next = deadlines_.front().when;
  if (next == armed_for_) return;
  armed_for_ = next;
  itimerspec spec{};
  auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(next.time_since_epoch());
  if (since_epoch.count() <= 0) since_epoch = std::chrono::nanoseconds(1);
  spec.it_value.tv_sec = static_cast<time_t>(since_epoch.count() / 1000000000);
  spec.it_value.tv_nsec = static_cast<long>(since_epoch.count() % 1000000000);
  if (timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    die("timerfd_settime");
  }
}

void EventLoop::on_timer() {
  uint64_t expirations;
  while (::read(timer_fd_.get(), &expirations, sizeof(expirations)) > 0) {
  }
  armed_for_ = Clock::time_point::max();
  // Steady clock, freshly read: a timer due now must not wait for the next
  // iteration because the cached clock lags by the handlers' run time.
  Clock::time_point current = Clock::now();
  while (!deadlines_.empty() && deadlines_.front().when <= current) {
    Deadline due = deadlines_.front();
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
    deadlines_.pop_back();
    auto found = timers_.find(due.id);
    if (found == timers_.end()) continue;
    Callback callback = std::move(found->second.callback);
    Duration interval = found->second.interval;
    if (interval == Duration::zero()) timers_.erase(found);
    callback();
    if (interval != Duration::zero()) {
      auto again = timers_.find(due.id);
      if (again != timers_.end()) {  // not cancelled by its own callback
        again->second.callback = std::move(callback);
        deadlines_.push_back(Deadline{due.when + interval, due.id});
        std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
      }
    }
  }
  arm_timerfd();
}

void EventLoop::add(int fd, uint32_t events, IoHandler* handler) {
  epoll_event event{};
  event.events = events | EPOLLET;
  event.data.ptr = handler;
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0) die("epoll_ctl(ADD)");
}

void EventLoop::modify(int fd, uint32_t events, IoHandler* handler) {
  epoll_event event{};
  event.events = events | EPOLLET;
  event.data.ptr = handler;
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &event) != 0) die("epoll_ctl(MOD)");
}

void EventLoop::remove(int fd) {
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0 && errno != ENOENT &&
      errno != EBADF) {
    die("epoll_ctl(DEL)");
  }
}

void EventLoop::detach(int fd, IoHandler* handler) {
  remove(fd);
  for (int i = 0; i < batch_size_; ++i) {
    if (batch_[i].data.ptr == handler) batch_[i].data.ptr = nullptr;
  }
}

void EventLoop::retarget(int fd, uint32_t events, IoHandler* from, IoHandler* to) {
  modify(fd, events, to);
  for (int i = 0; i < batch_size_; ++i) {
    if (batch_[i].data.ptr == from) batch_[i].data.ptr = to;
  }
}

void EventLoop::watch_signals(std::initializer_list<int> signals,
                              std::function<void(int)> handler) {
  sigset_t added;
  sigemptyset(&added);
  for (int signal_number : signals) {
    sigaddset(&added, signal_number);
    auto same = [signal_number](const auto& entry) { return entry.first == signal_number; };
    auto old = std::find_if(signal_handlers_.begin(), signal_handlers_.end(), same);
    if (old != signal_handlers_.end()) {
      old->second = handler;
    } else {
      signal_handlers_.emplace_back(signal_number, handler);
    }
  }
  sigset_t before;
  pthread_sigmask(SIG_BLOCK, &added, &before);
  if (!watching_signals_) {
    previous_mask_ = before;  // what the destructor puts back
    watching_signals_ = true;
  }
  for (int signal_number : signals)
    sigaddset(&watched_signals_, signal_number);
  // The descriptor made with the loop, its mask widened: only an invalid
  // descriptor or mask could make this fail.
  if (signalfd(signal_fd_.get(), &watched_signals_, 0) < 0) die("signalfd");
}

void EventLoop::on_signal() {
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    int signal_number = static_cast<int>(info.ssi_signo);
    for (auto& [watched, handler] : signal_handlers_) {
      if (watched == signal_number && handler) handler(signal_number);
    }
  }
}

void EventLoop::assert_in_loop_thread() const {
  assert(in_loop_thread() && "EventLoop method called off its loop thread");
}

}  // namespace basehttp
