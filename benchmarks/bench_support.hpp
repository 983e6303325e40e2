// What the benchmark binaries share: an allocation counter reported per
// iteration, and a main() that fails the run when a benchmark that must not
// allocate did.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

#include "tests/support/allocation_counter.hpp"

namespace basehttp::bench {

/// Counts this thread's allocations over a benchmark's timed loop.
class AllocationMeter {
 public:
  AllocationMeter() : start_(testing::thread_allocations()) {}
  /// Reports "allocs/iter"; with `must_be_zero`, a nonzero count fails the run.
  void report(benchmark::State& state, bool must_be_zero = false) const;

 private:
  uint64_t start_;
};

/// Set when a must-not-allocate benchmark allocated; main() then returns 1.
extern bool allocation_failure;

}  // namespace basehttp::bench
