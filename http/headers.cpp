#include "http/headers.hpp"

#include <cstdint>
#include <cstring>

namespace basehttp {
namespace {

struct LowerTable {
  unsigned char table[256];
  constexpr LowerTable() : table() {
    for (int c = 0; c < 256; ++c) {
      table[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
};
constexpr LowerTable kLower;

// Lower-cases the ASCII capitals among eight bytes at once.
inline uint64_t lower_eight(uint64_t bytes) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  uint64_t seven_bits = bytes & (0x7f * kOnes);
  uint64_t at_least_a = seven_bits + (0x80 - 'A') * kOnes;    // top bit set when >= 'A'
  uint64_t beyond_z = seven_bits + (0x80 - 'Z' - 1) * kOnes;  // top bit set when > 'Z'
  uint64_t capitals = (at_least_a & ~beyond_z & ~bytes) & (0x80 * kOnes);
  return bytes | (capitals >> 2);
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y && lower_eight(x) != lower_eight(y)) return false;
  }
  unsigned difference = 0;
  for (; i < a.size(); ++i) {
    difference |= kLower.table[static_cast<unsigned char>(a[i])] ^
                  kLower.table[static_cast<unsigned char>(b[i])];
  }
  return difference == 0;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (HeaderField field : *this) {
    if (iequals(field.name, name)) return field.value;
  }
  return std::nullopt;
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> values;
  for (HeaderField field : *this) {
    if (iequals(field.name, name)) values.push_back(field.value);
  }
  return values;
}

size_t Headers::count(std::string_view name) const {
  size_t found = 0;
  for (HeaderField field : *this) {
    if (iequals(field.name, name)) ++found;
  }
  return found;
}

}  // namespace basehttp
