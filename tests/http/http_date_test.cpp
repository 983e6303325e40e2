// Tests http/http_date: IMF-fixdate, the obsolete date forms, and the
// access log's time format; and the Date line ResponseHead caches with it.
#include "http/http_date.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "http/response_head.hpp"
#include "http/server_options.hpp"

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

TEST(ResponseHead, FormatsTheDateLineOncePerSecond) {
  ServerOptions options;
  ResponseHead head(options);
  std::string_view first = head.server_and_date(k1994);
  EXPECT_TRUE(first.starts_with("Server: ")) << first;
  EXPECT_TRUE(first.ends_with("\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n")) << first;
  EXPECT_EQ(head.server_and_date(k1994).data(), first.data());
  std::string_view next = head.server_and_date(k1994 + 1);
  EXPECT_TRUE(next.ends_with("\r\nDate: Sun, 06 Nov 1994 08:49:38 GMT\r\n")) << next;
  EXPECT_EQ(next.data(), first.data());  // formatted in place, no allocation
  std::string_view ok = head.ok_head(k1994 + 1);
  EXPECT_EQ(ok, std::string(head.status_line(200)) + std::string(next));
}

}  // namespace
}  // namespace basehttp
