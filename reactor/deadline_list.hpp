// DeadlineList: an intrusive list of entries that all wait the same length
// of time, kept in deadline order for free: an entry (re)scheduled goes to
// the tail, and since every entry waits the same duration from a clock that
// only moves forward, the head always expires first. Scheduling, moving and
// cancelling are O(1) with no allocation and no syscall, which is how
// per-connection timeouts stay off the per-request bill. Loop thread only.
#pragma once

#include <chrono>

namespace basehttp {

class DeadlineList;

/// The hook an object embeds to be put on a DeadlineList (one at a time).
class DeadlineEntry {
 public:
  DeadlineEntry() = default;
  DeadlineEntry(const DeadlineEntry&) = delete;
  DeadlineEntry& operator=(const DeadlineEntry&) = delete;
  ~DeadlineEntry();

  /// The list it is on, or nullptr.
  DeadlineList* list() const { return list_; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }

 private:
  friend class DeadlineList;
  DeadlineList* list_ = nullptr;
  DeadlineEntry* previous_ = nullptr;
  DeadlineEntry* next_ = nullptr;
  std::chrono::steady_clock::time_point deadline_{};
};

class DeadlineList {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DeadlineList(Clock::duration wait) : wait_(wait) {}
  DeadlineList(const DeadlineList&) = delete;
  DeadlineList& operator=(const DeadlineList&) = delete;
  ~DeadlineList() {
    while (head_ != nullptr)
      remove(*head_);
  }

  Clock::duration wait() const { return wait_; }
  bool empty() const { return head_ == nullptr; }

  /// Puts `entry` at the tail with deadline `start + wait()`, taking it off
  /// whatever list it was on. `start` must not be before the starts of the
  /// entries already here (normally it is the loop's now()).
  void schedule(DeadlineEntry& entry, Clock::time_point start) {
    if (entry.list_ != nullptr) entry.list_->remove(entry);
    entry.deadline_ = start + wait_;
    entry.list_ = this;
    entry.previous_ = tail_;
    entry.next_ = nullptr;
    if (tail_ != nullptr) {
      tail_->next_ = &entry;
    } else {
      head_ = &entry;
    }
    tail_ = &entry;
  }

  /// Takes `entry` off this list (it must be on it).
  void remove(DeadlineEntry& entry) {
    if (entry.previous_ != nullptr) {
      entry.previous_->next_ = entry.next_;
    } else {
      head_ = entry.next_;
    }
    if (entry.next_ != nullptr) {
      entry.next_->previous_ = entry.previous_;
    } else {
      tail_ = entry.previous_;
    }
    entry.list_ = nullptr;
    entry.previous_ = entry.next_ = nullptr;
  }

  /// Puts `fresh` where `entry` is (it must be on this list), with its
  /// deadline, and takes `entry` off: one object hands its wait to another
  /// without moving to the tail.
  void replace(DeadlineEntry& entry, DeadlineEntry& fresh) {
    if (fresh.list_ != nullptr) fresh.list_->remove(fresh);
    fresh.list_ = this;
    fresh.deadline_ = entry.deadline_;
    fresh.previous_ = entry.previous_;
    fresh.next_ = entry.next_;
    if (fresh.previous_ != nullptr) {
      fresh.previous_->next_ = &fresh;
    } else {
      head_ = &fresh;
    }
    if (fresh.next_ != nullptr) {
      fresh.next_->previous_ = &fresh;
    } else {
      tail_ = &fresh;
    }
    entry.list_ = nullptr;
    entry.previous_ = entry.next_ = nullptr;
  }

  /// Takes off and returns the head entry if its deadline is not after
  /// `now`; nullptr otherwise. Call until nullptr to expire all that are due.
  DeadlineEntry* pop_expired(Clock::time_point now) {
    if (head_ == nullptr || head_->deadline_ > now) return nullptr;
    DeadlineEntry* expired = head_;
    remove(*expired);
    return expired;
  }

 private:
  Clock::duration wait_;
  DeadlineEntry* head_ = nullptr;
  DeadlineEntry* tail_ = nullptr;
};

inline DeadlineEntry::~DeadlineEntry() {
  if (list_ != nullptr) list_->remove(*this);
}

}  // namespace basehttp
