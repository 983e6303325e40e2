#include "process/child_reaper.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

namespace basehttp {

// The eventfd now rather than with the thread: the descriptors a process
// keeps for good are all there from the start.
ChildReaper::ChildReaper() : wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ChildReaper::~ChildReaper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
}

void ChildReaper::adopt(ChildProcess child, Clock::time_point terminate_at, Clock::duration grace,
                        Reaped reaped) {
  child.stdin_pipe().reset();
  child.stdout_pipe().reset();
  child.stderr_pipe().reset();
  if (!child.started() || child.reaped() || child.try_reap()) {
    if (reaped) reaped();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    bool started = thread_.joinable();
    if (!started && !stopping_) {
      try {
        if (wakeup_) {
          thread_ = std::thread([this] { run(); });
          started = true;
        }
      } catch (const std::system_error&) {
        started = false;
      }
    }
    if (started) {
      Entry entry{std::move(child), terminate_at, terminate_at + grace, false, false,
                  std::move(reaped)};
      entries_.push_back(std::move(entry));
    }
  }
  if (child.started()) {
    // No thread to wait on it: the only way left to leave no zombie.
    child.kill_and_wait();
    if (reaped) reaped();
    return;
  }
  wake();
}

size_t ChildReaper::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

void ChildReaper::wake() {
  if (!wakeup_) return;
  uint64_t one = 1;
  ssize_t ignored = ::write(wakeup_.get(), &one, sizeof(one));
  (void)ignored;
}

ChildReaper::Clock::time_point ChildReaper::signal_due(Clock::time_point now) {
  Clock::time_point next = Clock::time_point::max();
  for (Entry& entry : entries_) {
    if (!entry.terminated && now >= entry.terminate_at) {
      entry.child.kill(SIGTERM);
      entry.terminated = true;
    }
    if (!entry.killed && now >= entry.kill_at) {
      entry.child.kill(SIGKILL);
      entry.killed = true;
    }
    if (!entry.terminated && entry.terminate_at < next) next = entry.terminate_at;
    if (!entry.killed && entry.kill_at < next) next = entry.kill_at;
  }
  return next;
}

void ChildReaper::run() {
  std::vector<pollfd> fds;
  std::vector<Reaped> done;
  for (;;) {
    Clock::time_point next;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
      next = signal_due(Clock::now());
      fds.assign(1, pollfd{wakeup_.get(), POLLIN, 0});
      for (const Entry& entry : entries_)
        fds.push_back(pollfd{entry.child.pidfd(), POLLIN, 0});
    }
    int timeout = -1;
    if (next != Clock::time_point::max()) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now()).count();
      timeout = wait < 0 ? 0 : static_cast<int>(std::min<int64_t>(wait, 60000));
    }
    int ready = ::poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) break;  // cannot happen with valid fds; the destructor reaps
    if (fds[0].revents != 0) {
      uint64_t count = 0;
      ssize_t ignored = ::read(wakeup_.get(), &count, sizeof(count));
      (void)ignored;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t i = 0; i < entries_.size();) {
        if (entries_[i].child.try_reap()) {
          if (entries_[i].reaped) done.push_back(std::move(entries_[i].reaped));
          if (i + 1 != entries_.size()) entries_[i] = std::move(entries_.back());
          entries_.pop_back();
        } else {
          ++i;
        }
      }
    }
    for (Reaped& reaped : done)
      reaped();
    done.clear();
  }
  // Stopping: whatever is left goes now.
  std::vector<Entry> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    left.swap(entries_);
  }
  for (Entry& entry : left)
    entry.child.kill(SIGKILL);
  for (Entry& entry : left) {
    entry.child.kill_and_wait();
    if (entry.reaped) entry.reaped();
  }
}

}  // namespace basehttp
