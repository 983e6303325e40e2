// LatencyHistogram: how long something took, counted into fixed buckets
// (100 us to 10 s, the Prometheus convention of cumulative "le" bounds),
// with the total and the sum. observe() neither allocates nor reads a
// clock: the caller passes a duration it measured (the server uses its
// loop's once-per-iteration clock). Plain data, kept by one thread; copy
// it to read it elsewhere.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace basehttp {

class LatencyHistogram {
 public:
  /// Upper bounds of the finite buckets; a last bucket takes the rest (+Inf).
  static constexpr size_t kBounds = 16;
  static constexpr std::array<int64_t, kBounds> kBoundNanoseconds = {
      100'000,       250'000,       500'000,       1'000'000,     2'500'000,   5'000'000,
      10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000, 500'000'000,
      1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
  /// The same bounds in seconds, as Prometheus "le" labels print them.
  static constexpr std::array<std::string_view, kBounds> kBoundLabels = {
      "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
      "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "10"};

  /// Counts `count` events that each took `elapsed` (negative counts as 0).
  void observe(std::chrono::nanoseconds elapsed, uint64_t count = 1) {
    int64_t nanoseconds = elapsed.count() < 0 ? 0 : elapsed.count();
    // Most requests land in the first buckets: a forward scan stops early.
    size_t bucket = 0;
    while (bucket < kBounds && nanoseconds > kBoundNanoseconds[bucket])
      ++bucket;
    buckets_[bucket] += count;
    count_ += count;
    sum_nanoseconds_ += static_cast<uint64_t>(nanoseconds) * count;
  }

  /// Events in bucket `i` alone (not cumulative); i == kBounds is +Inf's.
  uint64_t bucket(size_t i) const { return buckets_[i]; }
  /// Events up to and including bound `i` (what a "le" sample reports).
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_; }
  uint64_t sum_nanoseconds() const { return sum_nanoseconds_; }

  /// Adds another histogram's events (to sum the loops of one server).
  LatencyHistogram& operator+=(const LatencyHistogram& other);

 private:
  std::array<uint64_t, kBounds + 1> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_nanoseconds_ = 0;
};

}  // namespace basehttp
