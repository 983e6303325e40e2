#include "http/latency_histogram.hpp"

namespace basehttp {

uint64_t LatencyHistogram::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t b = 0; b <= i && b < buckets_.size(); ++b)
    total += buckets_[b];
  return total;
}

LatencyHistogram& LatencyHistogram::operator+=(const LatencyHistogram& other) {
  for (size_t b = 0; b < buckets_.size(); ++b)
    buckets_[b] += other.buckets_[b];
  count_ += other.count_;
  sum_nanoseconds_ += other.sum_nanoseconds_;
  return *this;
}

}  // namespace basehttp
