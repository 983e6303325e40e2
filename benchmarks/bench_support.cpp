#include "benchmarks/bench_support.hpp"

#include <cstdio>

namespace basehttp::bench {

namespace {
bool failed = false;
}  // namespace

void fail(benchmark::State& state, const char* why) {
  failed = true;
  state.SkipWithError(why);
}

void AllocationMeter::report(benchmark::State& state, bool must_be_zero) const {
  uint64_t allocations = testing::thread_allocations() - start_;
  state.counters["allocs/iter"] = benchmark::Counter(static_cast<double>(allocations) /
                                                     static_cast<double>(state.iterations()));
  if (must_be_zero && allocations != 0) fail(state, "steady-state allocations are not 0");
}

}  // namespace basehttp::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (basehttp::bench::failed) {
    std::fprintf(stderr, "a benchmark failed (see its error above)\n");
    return 1;
  }
  return 0;
}
