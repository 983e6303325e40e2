#include "tests/support/process_memory.hpp"

#include <fstream>
#include <string>

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
  // The two fields are read one after the other: pages another thread
  // frees in between (a server thread winding down the previous test) make
  // the peak look higher than the resident size it was just reset to. A
  // few tries tell that apart from a reset the kernel ignored.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5";
    clear_refs.flush();
    if (!clear_refs) return false;
    if (peak_resident_kib() <= resident_kib() + 64) return true;
  }
  return false;
}

}  // namespace basehttp::testing
