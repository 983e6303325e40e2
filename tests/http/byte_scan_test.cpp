// Tests http/byte_scan: every word-at-a-time scan, compare and copy agrees
// with its byte-at-a-time definition, for every length up to 40 and every
// byte value at every position (the first flagged byte of a word is exact
// even when a later one is flagged falsely).
#include "http/byte_scan.hpp"

#include <gtest/gtest.h>

#include <string>

namespace basehttp {
namespace {

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}
bool is_non_target(unsigned char c) {
  return c <= 0x20 || c == 0x7f;
}
bool is_non_printable(unsigned char c) {
  return c < 0x20 || c >= 0x7f;
}

template <typename Predicate>
size_t first_of(const std::string& text, Predicate predicate) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (predicate(static_cast<unsigned char>(text[i]))) return i;
  }
  return text.size();
}

// Texts of printable filler with `c` at `at`, and a second odd byte later
// so that a falsely flagged byte after the first one would show.
template <typename Check>
void for_each_text(Check check) {
  for (size_t size = 0; size <= 40; ++size) {
    for (int c = 0; c < 256; ++c) {
      for (size_t at = 0; at < size; ++at) {
        std::string text(size, 'a');
        text[at] = static_cast<char>(c);
        if (at + 3 < size) text[at + 3] = '\x1f';
        check(text);
      }
    }
    check(std::string(size, 'a'));
  }
}

TEST(ByteScan, ScansAgreeWithTheirByteDefinitions) {
  for_each_text([](const std::string& text) {
    const char* data = text.data();
    size_t size = text.size();
    ASSERT_EQ(byte_scan::has_control_bytes(data, size), first_of(text, is_control) < size) << text;
    ASSERT_EQ(byte_scan::has_non_target_bytes(data, size), first_of(text, is_non_target) < size);
    ASSERT_EQ(byte_scan::find_non_target_byte(data, size), first_of(text, is_non_target));
    ASSERT_EQ(byte_scan::find_non_printable(data, size), first_of(text, is_non_printable));
    ASSERT_EQ(byte_scan::contains(data, size, ' '), text.find(' ') != std::string::npos);
  });
}

TEST(ByteScan, SameAndCopyAgreeWithMemcmpAndMemcpy) {
  for (size_t size = 0; size <= 40; ++size) {
    std::string a(size, 'x');
    for (size_t i = 0; i < size; ++i)
      a[i] = static_cast<char>('a' + i % 26);
    std::string copied(size + 2, '#');
    byte_scan::copy(copied.data() + 1, a.data(), size);
    EXPECT_EQ(copied, "#" + a + "#") << size;
    EXPECT_TRUE(byte_scan::same(a.data(), copied.data() + 1, size));
    for (size_t at = 0; at < size; ++at) {
      std::string b = a;
      b[at] = static_cast<char>(b[at] ^ 0x20);
      EXPECT_FALSE(byte_scan::same(a.data(), b.data(), size)) << size << " at " << at;
    }
  }
}

}  // namespace
}  // namespace basehttp
