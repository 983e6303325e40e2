#include "benchmarks/bench_support.hpp"

#include <cstdio>

namespace basehttp::bench {

bool allocation_failure = false;

void AllocationMeter::report(benchmark::State& state, bool must_be_zero) const {
  uint64_t allocations = testing::thread_allocations() - start_;
  state.counters["allocs/iter"] = benchmark::Counter(static_cast<double>(allocations) /
                                                     static_cast<double>(state.iterations()));
  if (must_be_zero && allocations != 0) {
    allocation_failure = true;
    state.SkipWithError("steady-state allocations are not 0");
  }
}

}  // namespace basehttp::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (basehttp::bench::allocation_failure) {
    std::fprintf(stderr, "a benchmark that must not allocate did\n");
    return 1;
  }
  return 0;
}
