// The fuzzers' assertion: a broken invariant ends the process with a
// message and abort(), which libFuzzer reports as a crash with the input
// that caused it. Unlike assert() it stays on in release builds.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace basehttp::fuzzing {

[[noreturn]] inline void fuzz_fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "INVARIANT BROKEN: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void require(bool holds, std::string_view what, std::string_view detail = {}) {
  if (!holds) fuzz_fail(what, detail);
}

}  // namespace basehttp::fuzzing
