// Date and time texts HTTP and the access log use: IMF-fixdate for Date
// and Last-Modified (RFC 9110 §5.6.7), and the access log's local time.
// Pure functions; any thread.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace basehttp {

/// Length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr size_t kImfFixdateLength = 29;

/// Writes the IMF-fixdate of `when` (UTC) into `out` (kImfFixdateLength bytes, no NUL).
void format_imf_fixdate(std::time_t when, char* out);
std::string format_imf_fixdate(std::time_t when);

/// Parses an HTTP date: IMF-fixdate, and the obsolete RFC 850 and asctime
/// forms a recipient must also accept. Nothing for anything else.
std::optional<std::time_t> parse_http_date(std::string_view text);

/// Room format_log_time() needs, its NUL included.
inline constexpr size_t kLogTimeSize = 32;
/// The log's time, in local time: "24/Nov/2026 19:34:47" (Python's
/// log_date_time_string), written NUL-terminated into `out` (kLogTimeSize
/// bytes); returns its length.
size_t format_log_time(std::time_t when, char* out);
std::string format_log_time(std::time_t when);

}  // namespace basehttp
