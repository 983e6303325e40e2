// Tests LatencyHistogram: fixed buckets with inclusive upper bounds, the
// cumulative counts a Prometheus "le" sample reports, the exact sum, and
// the sum of two histograms.
#include "http/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace basehttp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(LatencyHistogram, CountsIntoBucketsWithInclusiveBounds) {
  LatencyHistogram h;
  h.observe(nanoseconds(0));
  h.observe(microseconds(100));  // exactly the first bound: still the first bucket
  h.observe(microseconds(101));
  h.observe(milliseconds(3), 2);
  h.observe(seconds(11));      // past every bound: +Inf only
  h.observe(nanoseconds(-5));  // a clock that went back counts as 0
  EXPECT_EQ(h.count(), 7u);
  EXPECT_EQ(h.bucket(0), 3u);
  EXPECT_EQ(h.bucket(1), 1u);  // le 0.00025
  EXPECT_EQ(h.bucket(5), 2u);  // le 0.005
  EXPECT_EQ(h.bucket(LatencyHistogram::kBounds), 1u);
  EXPECT_EQ(h.cumulative(0), 3u);
  EXPECT_EQ(h.cumulative(4), 4u);
  EXPECT_EQ(h.cumulative(5), 6u);
  EXPECT_EQ(h.cumulative(LatencyHistogram::kBounds - 1), 6u);
  EXPECT_EQ(h.cumulative(LatencyHistogram::kBounds), 7u);
  EXPECT_EQ(h.sum_nanoseconds(), 100'000u + 101'000u + 6'000'000u + 11'000'000'000u);
}

TEST(LatencyHistogram, BoundsAndLabelsAgree) {
  for (size_t i = 0; i < LatencyHistogram::kBounds; ++i) {
    double label = std::stod(std::string(LatencyHistogram::kBoundLabels[i]));
    EXPECT_DOUBLE_EQ(label * 1e9, static_cast<double>(LatencyHistogram::kBoundNanoseconds[i]));
    if (i > 0) {
      EXPECT_LT(LatencyHistogram::kBoundNanoseconds[i - 1], LatencyHistogram::kBoundNanoseconds[i]);
    }
  }
}

TEST(LatencyHistogram, AddsAnother) {
  LatencyHistogram a, b;
  a.observe(milliseconds(1));
  b.observe(milliseconds(1));
  b.observe(seconds(1));
  a += b;
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.bucket(3), 2u);
  EXPECT_EQ(a.bucket(12), 1u);
  EXPECT_EQ(a.sum_nanoseconds(), 1'002'000'000u);
}

}  // namespace
}  // namespace basehttp
