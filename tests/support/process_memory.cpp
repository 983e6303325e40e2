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
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return static_cast<bool>(clear_refs) && peak_resident_kib() <= resident_kib() + 64;
}

}  // namespace basehttp::testing
