// Counts heap allocations made by the calling thread. Link
// allocation_counter.cpp into a binary to replace the global operator new
// with a counting one (the count is per thread, so other threads' work,
// a test client for instance, does not disturb it).
#pragma once

#include <cstdint>

namespace basehttp::testing {

/// Allocations made so far on this thread through operator new.
uint64_t thread_allocations();

}  // namespace basehttp::testing
