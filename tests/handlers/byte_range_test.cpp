// Tests handlers/static_files/byte_range.
#include "handlers/static_files/byte_range.hpp"

#include <gtest/gtest.h>

namespace basehttp {
namespace {

using Kind = RangeRequest::Kind;

TEST(ByteRange, ParsesTheThreeForms) {
  RangeRequest range = parse_byte_range("bytes=0-99", 1000);
  EXPECT_EQ(range.kind, Kind::kSingle);
  EXPECT_EQ(range.first, 0u);
  EXPECT_EQ(range.last, 99u);
  EXPECT_EQ(range.length(), 100u);
  range = parse_byte_range("bytes=900-", 1000);
  EXPECT_EQ(range.kind, Kind::kSingle);
  EXPECT_EQ(range.first, 900u);
  EXPECT_EQ(range.last, 999u);
  range = parse_byte_range("bytes=-100", 1000);
  EXPECT_EQ(range.kind, Kind::kSingle);
  EXPECT_EQ(range.first, 900u);
  EXPECT_EQ(range.last, 999u);
}

TEST(ByteRange, ClampsToTheRepresentation) {
  RangeRequest range = parse_byte_range("bytes=500-5000", 1000);
  EXPECT_EQ(range.last, 999u);
  range = parse_byte_range("bytes=-5000", 1000);
  EXPECT_EQ(range.first, 0u);
  EXPECT_EQ(range.last, 999u);
  range = parse_byte_range("bytes = 1-2 ", 10);  // whitespace is tolerated
  EXPECT_EQ(range.kind, Kind::kSingle);
}

TEST(ByteRange, ReportsUnsatisfiableRanges) {
  EXPECT_EQ(parse_byte_range("bytes=1000-", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=1000-2000", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=-0", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=0-", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=2000-3000, 4000-", 1000).kind, Kind::kUnsatisfiable);
}

TEST(ByteRange, SeveralRangesAreAnsweredWhole) {
  EXPECT_EQ(parse_byte_range("bytes=0-1,5-6", 1000).kind, Kind::kMultiple);
  EXPECT_EQ(parse_byte_range("bytes=0-1, 2000-3000", 1000).kind, Kind::kMultiple);
  EXPECT_EQ(parse_byte_range("bytes=0-1,,", 1000).kind, Kind::kSingle);  // empty elements
}

TEST(ByteRange, IgnoresMalformedHeaders) {
  for (const char* bad : {"", "bytes", "bytes=", "bytes=abc", "bytes=5-1", "items=0-1",
                          "bytes=0-1-2", "bytes=--1", "bytes=1", "bytes=0x10-20", "bytes=+1-2"}) {
    EXPECT_EQ(parse_byte_range(bad, 1000).kind, Kind::kNone) << bad;
  }
  EXPECT_EQ(parse_byte_range("BYTES=0-1", 1000).kind,
            Kind::kSingle);  // the unit is case-insensitive
}

}  // namespace
}  // namespace basehttp
