// What the benchmark binaries share: an allocation counter reported per
// iteration, and a main() that fails the run when a benchmark went wrong
// (a wrong result, or allocations where there must be none), so a smoke
// run in the test suite catches a broken benchmark. Single-threaded.
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

/// Stops `state` with `why` and makes main() return 1.
void fail(benchmark::State& state, const char* why);

}  // namespace basehttp::bench
