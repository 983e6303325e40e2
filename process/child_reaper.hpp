// ChildReaper: waits for children that no event loop waits for any more
// (their client left, or their output ended before they exited) on a
// thread of its own: it sends SIGTERM to each one's group when its time is
// up, SIGKILL a grace period later, and reaps it, so no zombie is left
// and no loop has to stay up for it. adopt() and pending() from any
// thread; the destructor kills whatever is left (SIGKILL) and waits for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "process/child_process.hpp"
#include "reactor/file_descriptor.hpp"

namespace basehttp {

class ChildReaper {
 public:
  using Clock = std::chrono::steady_clock;
  /// Runs on the reaper's thread once the child is reaped.
  using Reaped = std::function<void()>;

  ChildReaper();
  ~ChildReaper();
  ChildReaper(const ChildReaper&) = delete;
  ChildReaper& operator=(const ChildReaper&) = delete;

  /// Takes `child` (its pipes are closed here): SIGTERM to its group at
  /// `terminate_at` (now or earlier: at once), SIGKILL `grace` later if it
  /// still runs; `reaped` runs when it is gone. Starts the thread on first
  /// use; if that fails, kills and waits for the child here instead.
  void adopt(ChildProcess child, Clock::time_point terminate_at, Clock::duration grace,
             Reaped reaped = {});
  /// Children adopted and not reaped yet.
  size_t pending() const;

 private:
  struct Entry {
    ChildProcess child;
    Clock::time_point terminate_at;
    Clock::time_point kill_at;
    bool terminated = false;
    bool killed = false;
    Reaped reaped;
  };

  void run();
  /// Signals what is due and returns the next deadline (max() if none).
  Clock::time_point signal_due(Clock::time_point now);
  void wake();

  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  bool stopping_ = false;
  FileDescriptor wakeup_;  // eventfd: adopt() and the destructor wake the thread
  std::thread thread_;
};

}  // namespace basehttp
