// This test process's memory, from /proc/self: the resident set now, its
// peak, and a reset of that peak, so a test measures the peak of what it
// does itself rather than of the tests that ran before it in the binary.
#pragma once

namespace basehttp::testing {

/// VmRSS in KiB, or -1.
long resident_kib();
/// VmHWM in KiB (the peak since start or since reset_peak_resident()), or -1.
long peak_resident_kib();
/// Sets the peak to the resident set now (writes 5 to /proc/self/clear_refs);
/// false where the kernel does not allow it.
bool reset_peak_resident();

}  // namespace basehttp::testing
