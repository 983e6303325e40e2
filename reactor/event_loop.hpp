// EventLoop: one thread's edge-triggered epoll reactor. It waits for ready
// file descriptors, timers (one timerfd), functions posted from other
// threads (one eventfd) and, when asked, SIGINT/SIGTERM (one signalfd).
// Everything but post() and stop() is for the loop thread: the thread
// running it, or, while it does not run, the one thread that owns it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "reactor/file_descriptor.hpp"
#include "reactor/io_handler.hpp"
#include "reactor/scratch_buffer.hpp"

struct epoll_event;

namespace basehttp {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = Clock::duration;
  using Callback = std::function<void()>;
  /// Names a timer for cancel(); never 0.
  using TimerId = uint64_t;

  /// Creates the epoll, eventfd, timerfd and (with no signal in it yet)
  /// signalfd descriptors; throws std::system_error when the kernel
  /// refuses, so that later calls have nothing left to fail on. Also ignores SIGPIPE when it
  /// still has its default action, so a write to a closed peer is an error
  /// value instead of the end of the process.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Dispatches events until stop(). Returns at once if stop() came first.
  void run();
  /// Makes run() return after the current iteration. Any thread; also safe
  /// from a signal handler (an atomic store and a write to an eventfd).
  void stop();
  /// True once stop() was called, until run() returns.
  bool stopping() const { return quit_.load(std::memory_order_acquire); }
  /// Runs `fn` on the loop thread soon. Any thread.
  void post(Callback fn);
  /// Runs `fn` after the events of the current iteration are handled, before
  /// waiting again: the place for teardown noticed inside a callback.
  void run_soon(Callback fn);

  /// Names an iteration hook for remove_iteration_hook(); never 0.
  using HookId = uint64_t;
  /// Runs `fn` at the end of every iteration, after run_soon()'s functions,
  /// before waiting again: the place to hand on output batched during the
  /// iteration (one write or hand-off per iteration, not one per event).
  /// Hooks run once more as run() returns, stopping() true, so output a
  /// hook holds back while the loop runs is handed on before run() returns.
  /// Loop thread.
  HookId add_iteration_hook(Callback fn);
  /// Removes a hook; an unknown id is ignored. Not from a hook itself.
  void remove_iteration_hook(HookId id);

  /// Runs `fn` once, `delay` from now(). Loop thread.
  TimerId run_after(Duration delay, Callback fn);
  /// Runs `fn` every `interval`, first `interval` from now(). Loop thread.
  TimerId run_every(Duration interval, Callback fn);
  /// Cancels a timer; a timer that already ran or an unknown id is ignored.
  /// A timer may cancel itself from its own callback.
  void cancel(TimerId id);

  /// The monotonic time read once per iteration, after epoll_wait returned.
  Clock::time_point now() const { return now_; }
  /// The wall-clock second read once per iteration (for Date headers).
  std::time_t wall_seconds() const { return wall_seconds_; }

  /// Registers `fd` for `events` (EPOLLET is added); `handler` must outlive
  /// the registration. Aborts on an impossible failure (bad fd is a bug).
  void add(int fd, uint32_t events, IoHandler* handler);
  void modify(int fd, uint32_t events, IoHandler* handler);
  void remove(int fd);
  /// remove(), and drops readiness already collected for `handler` in the
  /// current iteration, so it may be destroyed at once (not only after
  /// the iteration, as the loop's own handlers are).
  void detach(int fd, IoHandler* handler);
  /// modify() to `to`, and readiness already collected for `from` in the
  /// current iteration goes to `to` instead, so `from` may be destroyed at
  /// once (a connection moving between its busy and its parked object).
  void retarget(int fd, uint32_t events, IoHandler* from, IoHandler* to);

  /// Blocks `signals` in the calling thread (threads started later inherit
  /// that) and delivers them to `handler` on the loop thread through a
  /// signalfd. Call before starting other threads. Several calls add to
  /// one signalfd, each signal going to the handler given with it last
  /// (a server takes SIGTERM, its application SIGHUP). Cannot fail: the
  /// signalfd was made with the loop.
  void watch_signals(std::initializer_list<int> signals, std::function<void(int)> handler);

  /// True on the loop thread: the thread inside run(). While the loop is
  /// not running, its owner may use it from any one thread (set-up before
  /// run(), teardown after), so this is true then too.
  bool in_loop_thread() const {
    return !running_.load(std::memory_order_acquire) ||
           std::this_thread::get_id() == thread_id_.load(std::memory_order_acquire);
  }
  /// True only on the thread currently inside run().
  bool running_in_this_thread() const {
    return running_.load(std::memory_order_acquire) &&
           std::this_thread::get_id() == thread_id_.load(std::memory_order_acquire);
  }
  /// Aborts in debug builds when called off the loop thread.
  void assert_in_loop_thread() const;

  /// Buffers lent to one connection at a time (see ScratchBuffer).
  ScratchBuffer& input_scratch() { return input_scratch_; }
  ScratchBuffer& output_scratch() { return output_scratch_; }

  /// Iterations of run() so far (tests and benchmarks count wake-ups).
  uint64_t iterations() const { return iterations_; }

 private:
  // Binds one of the loop's own descriptors to the member that handles it.
  struct OwnHandler final : IoHandler {
    EventLoop* loop = nullptr;
    void (EventLoop::*on_ready)() = nullptr;
    void handle_events(uint32_t) override { (loop->*on_ready)(); }
  };
  struct Timer {
    Callback callback;
    Duration interval;  // zero for one-shot timers
  };
  struct Deadline {
    Clock::time_point when;
    TimerId id;
    bool operator>(const Deadline& other) const { return when > other.when; }
  };

  TimerId add_timer(Duration delay, Duration interval, Callback fn);
  void arm_timerfd();
  void refresh_clock();
  void wake();
  void on_wakeup();
  void on_timer();
  void on_signal();
  void run_soon_queue();
  void run_iteration_hooks();

  FileDescriptor epoll_fd_;
  FileDescriptor wakeup_fd_;
  FileDescriptor timer_fd_;
  FileDescriptor signal_fd_;
  OwnHandler wakeup_handler_;
  OwnHandler timer_handler_;
  OwnHandler signal_handler_;

  std::atomic<bool> quit_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<std::thread::id> thread_id_;
  std::atomic<bool> running_{false};
  Clock::time_point now_;
  std::time_t wall_seconds_ = 0;
  uint64_t iterations_ = 0;

  std::mutex posted_mutex_;
  std::vector<Callback> posted_;
  std::vector<Callback> running_posted_;
  std::vector<Callback> soon_;
  std::vector<Callback> running_soon_;

  std::vector<std::pair<HookId, Callback>> iteration_hooks_;
  HookId next_hook_id_ = 1;

  std::vector<Deadline> deadlines_;  // min-heap on `when`; cancelled ids are skipped
  std::unordered_map<TimerId, Timer> timers_;
  TimerId next_timer_id_ = 1;
  Clock::time_point armed_for_ = Clock::time_point::max();
  // The events of the iteration being dispatched (for detach()).
  epoll_event* batch_ = nullptr;
  int batch_size_ = 0;

  ScratchBuffer input_scratch_;
  ScratchBuffer output_scratch_;

  std::vector<std::pair<int, std::function<void(int)>>> signal_handlers_;
  sigset_t watched_signals_{};
  sigset_t previous_mask_{};
  bool watching_signals_ = false;  // watch_signals() ran: the destructor restores the mask
};

}  // namespace basehttp
