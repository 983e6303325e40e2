#include "http/http_date.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace basehttp {
namespace {

constexpr const char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void put2(char* out, int value) {
  out[0] = static_cast<char>('0' + value / 10 % 10);
  out[1] = static_cast<char>('0' + value % 10);
}

int month_index(std::string_view name) {
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) return i;
  }
  return -1;
}

bool read_number(std::string_view text, size_t pos, size_t digits, int* value) {
  if (pos + digits > text.size()) return false;
  int result = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = text[pos + i];
    if (c == ' ' && i == 0 && digits == 2) continue;  // asctime pads the day with a space
    if (c < '0' || c > '9') return false;
    result = result * 10 + (c - '0');
  }
  *value = result;
  return true;
}

// Reads "HH:MM:SS" at `pos`.
bool read_clock(std::string_view text, size_t pos, std::tm* tm) {
  return pos + 8 <= text.size() && text[pos + 2] == ':' && text[pos + 5] == ':' &&
         read_number(text, pos, 2, &tm->tm_hour) && read_number(text, pos + 3, 2, &tm->tm_min) &&
         read_number(text, pos + 6, 2, &tm->tm_sec);
}

std::optional<std::time_t> to_time(std::tm* tm) {
  if (tm->tm_mday < 1 || tm->tm_mday > 31 || tm->tm_hour > 23 || tm->tm_min > 59 ||
      tm->tm_sec > 60) {
    return std::nullopt;
  }
  return timegm(tm);
}

}  // namespace

void format_imf_fixdate(std::time_t when, char* out) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  std::memcpy(out, kDays[tm.tm_wday], 3);
  out[3] = ',';
  out[4] = ' ';
  put2(out + 5, tm.tm_mday);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths[tm.tm_mon], 3);
  out[11] = ' ';
  int year = tm.tm_year + 1900;
  put2(out + 12, year / 100);
  put2(out + 14, year % 100);
  out[16] = ' ';
  put2(out + 17, tm.tm_hour);
  out[19] = ':';
  put2(out + 20, tm.tm_min);
  out[22] = ':';
  put2(out + 23, tm.tm_sec);
  std::memcpy(out + 25, " GMT", 4);
}

std::string format_imf_fixdate(std::time_t when) {
  std::string text(kImfFixdateLength, '\0');
  format_imf_fixdate(when, text.data());
  return text;
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
  std::tm tm{};
  int month;
  if (text.size() == 29 && text[3] == ',') {  // Sun, 06 Nov 1994 08:49:37 GMT
    month = month_index(text.substr(8, 3));
    if (month < 0 || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
        text.substr(25) != " GMT" || !read_number(text, 5, 2, &tm.tm_mday) ||
        !read_number(text, 12, 4, &tm.tm_year) || !read_clock(text, 17, &tm)) {
      return std::nullopt;
    }
    tm.tm_year -= 1900;
  } else if (text.size() == 24 && text[3] == ' ') {  // Sun Nov  6 08:49:37 1994
    month = month_index(text.substr(4, 3));
    if (month < 0 || !read_number(text, 8, 2, &tm.tm_mday) || text[10] != ' ' ||
        !read_clock(text, 11, &tm) || text[19] != ' ' || !read_number(text, 20, 4, &tm.tm_year)) {
      return std::nullopt;
    }
    tm.tm_year -= 1900;
  } else {  // Sunday, 06-Nov-94 08:49:37 GMT
    size_t comma = text.find(", ");
    if (comma == std::string_view::npos || text.size() != comma + 24) return std::nullopt;
    size_t pos = comma + 2;
    month = month_index(text.substr(pos + 3, 3));
    if (month < 0 || text[pos + 2] != '-' || text[pos + 6] != '-' ||
        !read_number(text, pos, 2, &tm.tm_mday) || !read_number(text, pos + 7, 2, &tm.tm_year) ||
        text[pos + 9] != ' ' || !read_clock(text, pos + 10, &tm) ||
        text.substr(pos + 18) != " GMT") {
      return std::nullopt;
    }
    // Two-digit years: RFC 9110 says to read ones more than 50 years ahead as the past.
    if (tm.tm_year < 70) tm.tm_year += 100;
  }
  tm.tm_mon = month;
  return to_time(&tm);
}

size_t format_log_time(std::time_t when, char* out) {
  std::tm tm{};
  localtime_r(&when, &tm);
  int length =
      std::snprintf(out, kLogTimeSize, "%02d/%s/%04d %02d:%02d:%02d", tm.tm_mday,
                    kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return length < 0 ? 0 : std::min(static_cast<size_t>(length), kLogTimeSize - 1);
}

std::string format_log_time(std::time_t when) {
  char text[kLogTimeSize];
  return std::string(text, format_log_time(when, text));
}

}  // namespace basehttp
