// DeadlineList: deadline order kept by appending, O(1) moves and removal.
#include "reactor/deadline_list.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace basehttp {
namespace {

using Clock = DeadlineList::Clock;
using std::chrono::seconds;

TEST(DeadlineList, ExpiresEntriesInTheOrderTheyWereScheduled) {
  DeadlineList list(seconds(10));
  DeadlineEntry a, b, c;
  Clock::time_point start = Clock::now();
  list.schedule(a, start);
  list.schedule(b, start + seconds(1));
  list.schedule(c, start + seconds(2));
  EXPECT_EQ(a.deadline(), start + seconds(10));
  EXPECT_EQ(list.pop_expired(start + seconds(9)), nullptr);
  EXPECT_EQ(list.pop_expired(start + seconds(11)), &a);
  EXPECT_EQ(list.pop_expired(start + seconds(11)), &b);
  EXPECT_EQ(list.pop_expired(start + seconds(11)), nullptr);  // c is due at 12
  EXPECT_EQ(c.list(), &list);
  EXPECT_EQ(list.pop_expired(start + seconds(12)), &c);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(c.list(), nullptr);
}

TEST(DeadlineList, AReplacementTakesThePlaceAndTheDeadline) {
  DeadlineList list(seconds(10));
  DeadlineList other(seconds(1));
  DeadlineEntry a, b, c, fresh, last;
  Clock::time_point start = Clock::now();
  list.schedule(a, start);
  list.schedule(b, start + seconds(1));
  list.schedule(c, start + seconds(2));
  other.schedule(fresh, start + seconds(5));  // taken off the list it was on
  list.replace(b, fresh);
  EXPECT_EQ(b.list(), nullptr);
  EXPECT_TRUE(other.empty());
  EXPECT_EQ(fresh.deadline(), start + seconds(11));
  list.replace(c, last);  // the tail
  list.replace(a, c);     // the head, by an entry once on this list
  EXPECT_EQ(list.pop_expired(start + seconds(20)), &c);
  EXPECT_EQ(list.pop_expired(start + seconds(20)), &fresh);
  EXPECT_EQ(list.pop_expired(start + seconds(20)), &last);
  EXPECT_EQ(last.deadline(), start + seconds(12));
  EXPECT_TRUE(list.empty());
}

TEST(DeadlineList, RescheduledEntryMovesToTheTail) {
  DeadlineList list(seconds(5));
  DeadlineEntry a, b;
  Clock::time_point start = Clock::now();
  list.schedule(a, start);
  list.schedule(b, start);
  list.schedule(a, start + seconds(3));  // a was heard from again
  EXPECT_EQ(list.pop_expired(start + seconds(5)), &b);
  EXPECT_EQ(list.pop_expired(start + seconds(5)), nullptr);
  EXPECT_EQ(list.pop_expired(start + seconds(8)), &a);
}

TEST(DeadlineList, SchedulingOnAnotherListLeavesTheFirst) {
  DeadlineList short_wait(seconds(1)), long_wait(seconds(60));
  DeadlineEntry entry;
  Clock::time_point start = Clock::now();
  short_wait.schedule(entry, start);
  long_wait.schedule(entry, start);
  EXPECT_TRUE(short_wait.empty());
  EXPECT_EQ(entry.list(), &long_wait);
  EXPECT_EQ(short_wait.pop_expired(start + seconds(2)), nullptr);
  EXPECT_EQ(long_wait.pop_expired(start + seconds(2)), nullptr);
}

TEST(DeadlineList, RemovingFromTheMiddleKeepsTheRestLinked) {
  DeadlineList list(seconds(1));
  DeadlineEntry a, b, c;
  Clock::time_point start = Clock::now();
  list.schedule(a, start);
  list.schedule(b, start);
  list.schedule(c, start);
  list.remove(b);
  EXPECT_EQ(b.list(), nullptr);
  EXPECT_EQ(list.pop_expired(start + seconds(1)), &a);
  EXPECT_EQ(list.pop_expired(start + seconds(1)), &c);
  EXPECT_TRUE(list.empty());
}

TEST(DeadlineList, AnEntryDestroyedWhileWaitingLeavesItsList) {
  DeadlineList list(seconds(1));
  DeadlineEntry kept;
  Clock::time_point start = Clock::now();
  {
    DeadlineEntry gone;
    list.schedule(gone, start);
    list.schedule(kept, start);
  }
  EXPECT_EQ(list.pop_expired(start + seconds(1)), &kept);
  EXPECT_TRUE(list.empty());
}

}  // namespace
}  // namespace basehttp
