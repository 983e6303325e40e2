// DateCache: the "Date: <IMF-fixdate>\r\n" header line, formatted again
// only when the second changes, so every response of a second shares one
// formatting. One per server; loop thread only.
#pragma once

#include <ctime>
#include <string_view>

#include "http/http_date.hpp"

namespace basehttp {

class DateCache {
 public:
  /// The whole header line for `now`, CRLF included.
  std::string_view header_line(std::time_t now) {
    if (now != second_) refresh(now);
    return {line_, kLineLength};
  }
  /// Only the date, as in header_line(now).
  std::string_view value(std::time_t now) {
    return header_line(now).substr(kPrefixLength, kImfFixdateLength);
  }

 private:
  static constexpr size_t kPrefixLength = 6;  // "Date: "
  static constexpr size_t kLineLength = kPrefixLength + kImfFixdateLength + 2;

  void refresh(std::time_t now);

  std::time_t second_ = -1;
  char line_[kLineLength] = {};
};

}  // namespace basehttp
