#include "http/headers.hpp"

namespace basehttp {
namespace {

inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && lower(a[i]) != lower(b[i])) return false;
  }
  return true;
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
