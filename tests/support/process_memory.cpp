#include "tests/support/process_memory.hpp"

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace basehttp::testing {
namespace {

long status_field_kib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return -1;
}

}  // namespace

long resident_kib() {
  return status_field_kib("VmRSS:");
}

long peak_resident_kib() {
  return status_field_kib("VmHWM:");
}

bool reset_peak_resident() {
  // The two fields are read one after the other, and the kernel keeps the
  // resident count in per-CPU counters that /proc sums only approximately
  // (a batch of 32+ pages per CPU may be unaccounted), so right after a
  // reset the peak may read up to a few hundred KiB above the resident
  // size; pages another thread frees in between widen the gap further.
  // A reset the kernel ignored leaves the peak of the earlier tests, far
  // above: 1 MiB of slack, and a few tries, tell the two apart.
  constexpr long kSlackKib = 1024;
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5";
    clear_refs.flush();
    if (!clear_refs) return false;
    if (peak_resident_kib() <= resident_kib() + kSlackKib) return true;
    if (attempt >= 5) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace basehttp::testing
