// hide_openat2(): makes this process look like a kernel before 5.6 (no
// openat2) by a seccomp filter that fails that one syscall with ENOSYS, so
// tests can reach the fallback that checks real paths instead. The filter
// cannot be lifted: call it in a process of its own (a death test's child).
#pragma once

namespace basehttp::testing {

/// Installs the filter for every thread of the process; false if the
/// kernel refused it (the test should then be skipped, not failed).
bool hide_openat2();

}  // namespace basehttp::testing
