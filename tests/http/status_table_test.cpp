// Tests http/status_table.
#include "http/status_table.hpp"

#include <gtest/gtest.h>

namespace basehttp {
namespace {

TEST(StatusTable, HoldsEveryRegisteredCode) {
  const StatusTable& table = StatusTable::standard();
  const int registered[] = {100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208,
                            226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403,
                            404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416,
                            417, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501,
                            502, 503, 504, 505, 506, 507, 508, 510, 511};
  for (int code : registered) {
    EXPECT_TRUE(table.contains(code)) << code;
    EXPECT_FALSE(table.reason(code).empty()) << code;
    EXPECT_FALSE(table.explain(code).empty()) << code;
  }
  EXPECT_EQ(table.codes().size(), std::size(registered));
  EXPECT_FALSE(table.contains(306));
  EXPECT_FALSE(table.contains(299));
  EXPECT_EQ(table.reason(299), "");
}

TEST(StatusTable, UsesRfc9110ReasonPhrases) {
  const StatusTable& table = StatusTable::standard();
  EXPECT_EQ(table.reason(200), "OK");
  EXPECT_EQ(table.reason(404), "Not Found");
  EXPECT_EQ(table.reason(413), "Content Too Large");
  EXPECT_EQ(table.reason(414), "URI Too Long");
  EXPECT_EQ(table.reason(431), "Request Header Fields Too Large");
  EXPECT_EQ(table.reason(505), "HTTP Version Not Supported");
}

TEST(StatusTable, EntriesCanBeOverriddenAndAdded) {
  StatusTable table = StatusTable::standard();
  table.set(404, "Nope", "Nothing here");
  table.set(299, "Custom", "Ours");
  table.set(99, "Ignored", "");
  table.set(600, "Ignored", "");
  EXPECT_EQ(table.reason(404), "Nope");
  EXPECT_EQ(table.explain(404), "Nothing here");
  EXPECT_EQ(table.reason(299), "Custom");
  EXPECT_FALSE(table.contains(99));
  EXPECT_EQ(StatusTable::standard().reason(404), "Not Found");  // the original is untouched
}

}  // namespace
}  // namespace basehttp
