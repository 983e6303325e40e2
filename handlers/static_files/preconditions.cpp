#include "handlers/static_files/preconditions.hpp"

#include <cstdio>

#include "http/http_date.hpp"

namespace basehttp {
namespace {

bool is_weak(std::string_view tag) {
  return tag.substr(0, 2) == "W/";
}
std::string_view opaque(std::string_view tag) {
  return is_weak(tag) ? tag.substr(2) : tag;
}

}  // namespace

std::string make_etag(uint64_t size, std::time_t mtime_seconds, long mtime_nanoseconds) {
  char text[64];
  int length = std::snprintf(
      text, sizeof(text), "\"%llx.%lx-%llx\"", static_cast<unsigned long long>(mtime_seconds),
      static_cast<unsigned long>(mtime_nanoseconds), static_cast<unsigned long long>(size));
  return std::string(text, static_cast<size_t>(length));
}

bool etag_list_matches(std::string_view list, std::string_view etag, bool weak) {
  list = trim_whitespace(list);
  if (list == "*") return true;
  while (!list.empty()) {
    // Entity tags may hold commas inside their quotes: scan by quotes.
    size_t open = list.find('"');
    if (open == std::string_view::npos) return false;
    size_t close = list.find('"', open + 1);
    if (close == std::string_view::npos) return false;
    bool tag_weak = open >= 2 && list.substr(open - 2, 2) == "W/";
    std::string_view tag = list.substr(open, close - open + 1);
    if (tag == opaque(etag) && (weak || (!tag_weak && !is_weak(etag)))) return true;
    list.remove_prefix(close + 1);
  }
  return false;
}

PreconditionResult evaluate_preconditions(const Headers& headers, const Validators& validators) {
  if (auto if_match = headers.get("If-Match")) {
    if (!etag_list_matches(*if_match, validators.etag, /*weak=*/false)) {
      return PreconditionResult::kPreconditionFailed;
    }
  } else if (auto since = headers.get("If-Unmodified-Since")) {
    auto date = parse_http_date(trim_whitespace(*since));
    if (date && validators.modified > *date) return PreconditionResult::kPreconditionFailed;
  }
  if (auto if_none_match = headers.get("If-None-Match")) {
    // When present, If-Modified-Since is ignored (RFC 9110 §13.1.3).
    return etag_list_matches(*if_none_match, validators.etag, /*weak=*/true)
               ? PreconditionResult::kNotModified
               : PreconditionResult::kProceed;
  }
  if (auto since = headers.get("If-Modified-Since")) {
    auto date = parse_http_date(trim_whitespace(*since));
    if (date && validators.modified <= *date) return PreconditionResult::kNotModified;
  }
  return PreconditionResult::kProceed;
}

bool if_range_allows(const Headers& headers, const Validators& validators) {
  auto if_range = headers.get("If-Range");
  if (!if_range) return true;
  std::string_view value = trim_whitespace(*if_range);
  if (value.empty()) return false;
  if (value.front() == '"' || is_weak(value)) {
    return !is_weak(value) && value == validators.etag;  // strong comparison only
  }
  auto date = parse_http_date(value);
  return date && *date == validators.modified;
}

}  // namespace basehttp
