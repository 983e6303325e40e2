// LogTime: the local time of the current second as a log line shows it,
// formatted again only when the second changes: localtime_r and the
// formatting cost far more than the comparison, and a busy loop writes
// many lines a second. Python's format for RequestLog, the combined format
// for AccessLog. Not shared between threads: one per loop (RequestLog) or
// per thread (AccessLog).
#pragma once

#include <cstdint>
#include <ctime>
#include <limits>
#include <string_view>

namespace basehttp {

class LogTime {
 public:
  enum class Format : uint8_t {
    kPython,    ///< "05/Dec/2026 00:12:01": Python's log_date_time_string()
    kCombined,  ///< "[05/Dec/2026:00:12:01 +0100]": Apache's and nginx's combined format
  };

  constexpr explicit LogTime(Format format) : format_(format) {}

  /// The text for `now` (seconds since the epoch; the loop's wall_seconds()),
  /// valid until the next call.
  std::string_view text(std::time_t now) {
    if (now != second_) format(now);
    return {text_, length_};
  }

 private:
  void format(std::time_t now);

  std::time_t second_ = std::numeric_limits<std::time_t>::min();
  Format format_;
  uint8_t length_ = 0;
  char text_[40] = {};
};

}  // namespace basehttp
