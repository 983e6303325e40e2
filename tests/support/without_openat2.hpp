// hide_openat2(): makes this process look like a kernel before 5.6 (no
// openat2) by a seccomp filter that fails that one syscall with ENOSYS, so
// tests can reach the fallback that checks real paths instead. The filter
// cannot be lifted: call it in a process of its own (a death test's child).
#pragma once

#include <string>

namespace basehttp::testing {

/// Installs the filter for every thread of the process; false if the
/// kernel refused it (the test should then be skipped, not failed).
bool hide_openat2();

/// Whether hide_openat2() works here, tried in a child process: a test
/// skips, saying why, when it does not.
bool can_hide_openat2();

/// For a death test's child: hides openat2, runs `check` ("" when it
/// passed, else what went wrong, printed) and exits 0 only when it passed.
[[noreturn]] void exit_with_check_without_openat2(std::string (*check)());

}  // namespace basehttp::testing
