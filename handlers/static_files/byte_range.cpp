#include "handlers/static_files/byte_range.hpp"

#include <charconv>

#include "http/headers.hpp"

namespace basehttp {
namespace {

bool parse_number(std::string_view text, uint64_t* value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

RangeRequest parse_byte_range(std::string_view header, uint64_t size) {
  RangeRequest none;
  header = trim_whitespace(header);
  size_t equals = header.find('=');
  if (equals == std::string_view::npos ||
      !iequals(trim_whitespace(header.substr(0, equals)), "bytes")) {
    return none;
  }
  std::string_view list = header.substr(equals + 1);
  int specs = 0;
  int satisfiable = 0;
  RangeRequest result;
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view spec = trim_whitespace(list.substr(start, comma - start));
    start = comma + 1;
    if (spec.empty()) continue;  // empty list elements are allowed
    ++specs;
    size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return none;
    std::string_view first_text = trim_whitespace(spec.substr(0, dash));
    std::string_view last_text = trim_whitespace(spec.substr(dash + 1));
    uint64_t first = 0;
    uint64_t last = 0;
    if (first_text.empty()) {  // suffix: the last N bytes
      uint64_t suffix;
      if (!parse_number(last_text, &suffix)) return none;
      if (suffix == 0 || size == 0) continue;
      first = suffix >= size ? 0 : size - suffix;
      last = size - 1;
    } else {
      if (!parse_number(first_text, &first)) return none;
      if (last_text.empty()) {
        last = size - 1;
      } else if (!parse_number(last_text, &last) || last < first) {
        return none;
      }
      if (first >= size) continue;  // starts past the end
      if (last >= size) last = size - 1;
    }
    ++satisfiable;
    result.first = first;
    result.last = last;
  }
  if (specs == 0) return none;
  if (satisfiable == 0) {
    result.kind = RangeRequest::Kind::kUnsatisfiable;
  } else if (specs > 1) {
    result.kind = RangeRequest::Kind::kMultiple;
  } else {
    result.kind = RangeRequest::Kind::kSingle;
  }
  return result;
}

}  // namespace basehttp
