// Tests http/headers.
#include "http/headers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace basehttp {
namespace {

// Builds a Headers view over `text`, one "Name: value" per entry.
struct Fixture {
  std::string text;
  std::vector<FieldSpan> spans;
  explicit Fixture(std::vector<std::pair<std::string, std::string>> fields) {
    for (auto& [name, value] : fields) {
      FieldSpan span;
      span.name_offset = static_cast<uint32_t>(text.size());
      span.name_length = static_cast<uint32_t>(name.size());
      text += name + ": ";
      span.value_offset = static_cast<uint32_t>(text.size());
      span.value_length = static_cast<uint32_t>(value.size());
      text += value + "\r\n";
      spans.push_back(span);
    }
  }
  Headers view() const { return {text.data(), spans.data(), spans.size()}; }
};

TEST(Headers, LooksUpNamesInAnyCase) {
  Fixture fixture({{"Content-Type", "text/plain"}, {"X-Custom", "1"}});
  Headers headers = fixture.view();
  EXPECT_EQ(headers.get("content-type"), "text/plain");
  EXPECT_EQ(headers.get("CONTENT-TYPE"), "text/plain");
  EXPECT_FALSE(headers.get("Content-Length"));
  EXPECT_EQ(headers.get("Missing", "fallback"), "fallback");
  EXPECT_TRUE(headers.contains("x-custom"));
}

TEST(Headers, KeepsRepeatedFieldsInOrder) {
  Fixture fixture({{"Accept", "a"}, {"Other", "o"}, {"accept", "b"}, {"ACCEPT", "c"}});
  Headers headers = fixture.view();
  EXPECT_EQ(headers.get("Accept"), "a");  // the first, as Python's get()
  EXPECT_EQ(headers.get_all("accept"), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_EQ(headers.count("Accept"), 3u);
  EXPECT_TRUE(headers.get_all("none").empty());
}

TEST(Headers, IteratesInArrivalOrder) {
  Fixture fixture({{"A", "1"}, {"B", "2"}, {"C", ""}});
  std::vector<std::string> seen;
  for (HeaderField field : fixture.view()) {
    seen.push_back(std::string(field.name) + "=" + std::string(field.value));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"A=1", "B=2", "C="}));
  EXPECT_EQ(fixture.view().size(), 3u);
  EXPECT_EQ(fixture.view()[1].value, "2");
}

TEST(Headers, EmptyViewHasNothing) {
  Headers headers;
  EXPECT_TRUE(headers.empty());
  EXPECT_FALSE(headers.get("Host"));
  EXPECT_EQ(headers.begin(), headers.end());
}

TEST(Iequals, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(iequals("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(iequals("keep-alive", "keep-alivE "));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("[", "{"));  // differ by 0x20 but are not letters
}

}  // namespace
}  // namespace basehttp
