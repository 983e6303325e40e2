// Timeouts: one row per kind of wait, each list as long as its option, and
// expiry reported with the kind it was.
#include "http/timeouts.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <utility>
#include <vector>

namespace basehttp {
namespace {

using std::chrono::milliseconds;

ServerOptions distinct_timeouts() {
  ServerOptions options;
  options.header_timeout = milliseconds(1000);
  options.body_timeout = milliseconds(2000);
  options.send_timeout = milliseconds(3000);
  options.keep_alive_timeout = milliseconds(9000);
  options.idle_release_after = milliseconds(500);
  return options;
}

TEST(Timeouts, RowsAreInWaitOrderWithDistinctNames) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kTimeoutRows.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kTimeoutRows[i].wait), i);
    EXPECT_TRUE(names.insert(kTimeoutRows[i].name).second) << kTimeoutRows[i].name;
  }
}

TEST(Timeouts, EachRowCountsUnderItsOwnKind) {
  // Every counted kind is counted by exactly one row; the idle wait ends in
  // the keep-alive wait, not in a failure, and counts nothing.
  std::set<TimeoutKind> counted;
  for (const TimeoutRow& row : kTimeoutRows) {
    if (row.counted == TimeoutKind::kCount) {
      EXPECT_EQ(row.wait, Wait::kIdle);
      continue;
    }
    EXPECT_TRUE(counted.insert(row.counted).second);
    EXPECT_EQ(name_of(row.counted), row.name);
  }
  EXPECT_EQ(counted.size(), static_cast<size_t>(TimeoutKind::kCount));
}

TEST(Timeouts, ListLengthsComeFromTheOptions) {
  EventLoop loop;
  ServerOptions options = distinct_timeouts();
  Timeouts timeouts(loop, options, [](DeadlineEntry&, Wait) {});
  EXPECT_EQ(timeouts.length(Wait::kHeader), milliseconds(1000));
  EXPECT_EQ(timeouts.length(Wait::kBody), milliseconds(2000));
  EXPECT_EQ(timeouts.length(Wait::kSend), milliseconds(3000));
  // Idle, then keep-alive: together they last keep_alive_timeout.
  EXPECT_EQ(timeouts.length(Wait::kIdle), milliseconds(500));
  EXPECT_EQ(timeouts.length(Wait::kKeepAlive), milliseconds(8500));
  EXPECT_EQ(timeouts.tick_interval(), milliseconds(125));  // a quarter of the shortest
}

TEST(Timeouts, TickExpiresWhatIsDueWithItsKind) {
  EventLoop loop;
  std::vector<std::pair<DeadlineEntry*, Wait>> expired;
  Timeouts timeouts(loop, distinct_timeouts(),
                    [&](DeadlineEntry& entry, Wait wait) { expired.emplace_back(&entry, wait); });
  DeadlineEntry header, send, idle_then_none;
  EventLoop::Clock::time_point start = loop.now();
  timeouts.wait_on(header, Wait::kHeader);
  timeouts.wait_on(send, Wait::kSend);
  timeouts.wait_on(idle_then_none, Wait::kIdle);
  timeouts.wait_on(idle_then_none, Wait::kNone);  // taken off every list
  EXPECT_EQ(idle_then_none.list(), nullptr);
  timeouts.tick(start + milliseconds(999));
  EXPECT_TRUE(expired.empty());
  timeouts.tick(start + milliseconds(1000));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].first, &header);
  EXPECT_EQ(expired[0].second, Wait::kHeader);
  EXPECT_EQ(header.list(), nullptr);
  timeouts.tick(start + milliseconds(60000));
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(expired[1].first, &send);
  EXPECT_EQ(expired[1].second, Wait::kSend);
}

TEST(Timeouts, WaitingAgainMovesTheEntryToTheNewKind) {
  EventLoop loop;
  std::vector<Wait> expired;
  Timeouts timeouts(loop, distinct_timeouts(),
                    [&](DeadlineEntry&, Wait wait) { expired.push_back(wait); });
  DeadlineEntry entry;
  EventLoop::Clock::time_point start = loop.now();
  timeouts.wait_on(entry, Wait::kHeader);
  timeouts.wait_on(entry, Wait::kSend);
  timeouts.tick(start + milliseconds(2000));  // past the header deadline only
  EXPECT_TRUE(expired.empty());
  timeouts.tick(start + milliseconds(3000));
  EXPECT_EQ(expired, std::vector<Wait>{Wait::kSend});
}

}  // namespace
}  // namespace basehttp
