// Tests http/http_date and http/date_cache: IMF-fixdate, the obsolete date
// forms, and the access log's time format.
#include "http/http_date.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "http/date_cache.hpp"

namespace basehttp {
namespace {

constexpr std::time_t k1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(format_imf_fixdate(k1994), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_imf_fixdate(1795620887), "Wed, 25 Nov 2026 15:34:47 GMT");
}

TEST(HttpDate, ParsesAllThreeForms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), k1994);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), k1994);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), k1994);
}

TEST(HttpDate, RejectsOtherText) {
  for (const char* bad :
       {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"}) {
    EXPECT_FALSE(parse_http_date(bad)) << bad;
  }
}

TEST(HttpDate, RoundTrips) {
  for (std::time_t t = 0; t < 4000000000; t += 86399 * 37) {
    EXPECT_EQ(parse_http_date(format_imf_fixdate(t)), t);
  }
}

TEST(HttpDate, LogTimeHasPythonsShape) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(format_log_time(1795620887), "25/Nov/2026 15:34:47");
  std::regex shape(R"(\d\d/[A-Z][a-z][a-z]/\d{4} \d\d:\d\d:\d\d)");
  EXPECT_TRUE(std::regex_match(format_log_time(std::time(nullptr)), shape));
}

TEST(DateCache, FormatsTheHeaderLineOncePerSecond) {
  DateCache cache;
  std::string_view first = cache.header_line(k1994);
  EXPECT_EQ(first, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
  EXPECT_EQ(cache.header_line(k1994).data(), first.data());
  EXPECT_EQ(cache.value(k1994 + 1), "Sun, 06 Nov 1994 08:49:38 GMT");
}

}  // namespace
}  // namespace basehttp
