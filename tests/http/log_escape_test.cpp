// Tests http/log_escape: controls of every kind (C0, DEL, C1 as a byte or
// as UTF-8) escaped, backslashes doubled, quotes on request, well-formed
// UTF-8 kept and malformed UTF-8 escaped byte by byte, and a full buffer
// never holding half an escape. The result always reads back to the input.
#include "http/log_escape.hpp"

#include <gtest/gtest.h>

#include <string>

namespace basehttp {
namespace {

std::string escaped(std::string_view text, LogQuotes quotes = LogQuotes::kAsIs) {
  std::string out = "<";
  append_escaped_for_log(out, text, quotes);
  return out.substr(1);
}

// Undoes the escaping: \\ and \xNN, nothing else.
std::string unescaped(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
    } else if (text[i + 1] == '\\') {
      out += '\\';
      i += 1;
    } else {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 2, 2)), nullptr, 16));
      i += 3;
    }
  }
  return out;
}

TEST(LogEscape, EscapesEveryControlAsPythonDoes) {
  EXPECT_EQ(escaped("plain text ~!"), "plain text ~!");
  EXPECT_EQ(escaped(std::string_view("\0\x01\t\n\r\x1b\x1f\x7f", 8)),
            "\\x00\\x01\\x09\\x0a\\x0d\\x1b\\x1f\\x7f");
  EXPECT_EQ(escaped("\x80\x9b\x9f"), "\\x80\\x9b\\x9f");  // C1 as the byte a latin-1 reader sees
  EXPECT_EQ(escaped("a\\x1b"), "a\\\\x1b");               // a client's own "\x1b"
}

TEST(LogEscape, TheUtf8FormOfAC1ControlIsEscapedWhole) {
  EXPECT_EQ(escaped("\xc2\x80\xc2\x9b[2J\xc2\x9f"), "\\xc2\\x80\\xc2\\x9b[2J\\xc2\\x9f");
  EXPECT_EQ(escaped("\xc2\xa0\xc2\xbf"), "\xc2\xa0\xc2\xbf");  // U+00A0 on: text
}

TEST(LogEscape, KeepsWellFormedUtf8AndEscapesTheRest) {
  for (const char* text : {"\xc3\xa9t\xc3\xa9", "\xe2\x82\xac", "\xe6\x97\xa5\xe6\x9c\xac",
                           "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"}) {
    EXPECT_EQ(escaped(text), text);
  }
  EXPECT_EQ(escaped("\xe9t\xe9"), "\\xe9t\\xe9");                  // latin-1, not UTF-8
  EXPECT_EQ(escaped("\xc0\xaf"), "\\xc0\\xaf");                    // overlong "/"
  EXPECT_EQ(escaped("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");           // overlong, three bytes
  EXPECT_EQ(escaped("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(escaped("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(escaped("\xe2\x82"), "\\xe2\\x82");                    // cut short
  EXPECT_EQ(escaped("\xe2\x82x"), "\\xe2\\x82x");
  EXPECT_EQ(escaped("\xff\xfe"), "\\xff\\xfe");
}

TEST(LogEscape, QuotesOnlyWhenAsked) {
  EXPECT_EQ(escaped("say \"hi\""), "say \"hi\"");
  EXPECT_EQ(escaped("say \"hi\"", LogQuotes::kEscaped), "say \\x22hi\\x22");
}

// A short text, and a long one whose plain runs go eight bytes at a time.
TEST(LogEscape, AFullBufferHoldsNoHalfEscape) {
  for (std::string_view text : {std::string_view("ab\x1b\xc2\x9b\xe2\x82\xac\\"),
                                std::string_view("0123456789abcdef\\x1b-0123456789abcdef\x1b"
                                                 "0123456789\xe2\x82\xac")}) {
    std::string whole = escaped(text);
    for (size_t capacity = 0; capacity <= whole.size(); ++capacity) {
      std::string out(capacity, '?');
      LogEscapeResult result = escape_for_log(text, out.data(), capacity);
      ASSERT_LE(result.written, capacity);
      out.resize(result.written);
      EXPECT_EQ(out, whole.substr(0, result.written)) << capacity;
      EXPECT_EQ(unescaped(out), text.substr(0, result.consumed)) << capacity;
      // It stops only for want of room: no unit (a byte, an escape, a
      // UTF-8 character, a C1 control's two escapes) takes more than 8.
      if (result.consumed < text.size()) EXPECT_GT(result.written + 8, capacity) << capacity;
    }
    EXPECT_EQ(escape_for_log(text, nullptr, 0).consumed, 0u);
  }
}

// Runs of plain bytes go eight at a time: a byte to escape at any place
// in a word, or past its end, is still found.
TEST(LogEscape, EveryByteIsFoundAtEveryPlaceInALongText) {
  const std::string plain = "GET /index.html?q=1 HTTP/1.1";
  for (LogQuotes quotes : {LogQuotes::kAsIs, LogQuotes::kEscaped}) {
    for (int c = 0; c < 256; ++c) {
      std::string one(1, static_cast<char>(c));
      for (size_t at = 0; at <= plain.size(); ++at) {
        std::string text = plain.substr(0, at) + one + plain.substr(at);
        EXPECT_EQ(escaped(text, quotes),
                  plain.substr(0, at) + escaped(one, quotes) + plain.substr(at))
            << "byte " << c << " at " << at;
      }
    }
  }
}

TEST(LogEscape, EveryByteReadsBack) {
  std::string all;
  for (int c = 0; c < 256; ++c)
    all += static_cast<char>(c);
  for (int c = 0; c < 256; ++c) {
    std::string text = "\xc2" + std::string(1, static_cast<char>(c)) + "\xe2\x82" +
                       std::string(1, static_cast<char>(c));
    all += text;
  }
  std::string out = escaped(all, LogQuotes::kEscaped);
  EXPECT_EQ(unescaped(out), all);
  EXPECT_EQ(out.find('"'), std::string::npos);
  // Escaping the output again only doubles its backslashes: it holds no
  // control (C0, DEL, C1 as a byte or as UTF-8) and no malformed UTF-8.
  std::string doubled;
  for (char c : out)
    doubled += c == '\\' ? std::string("\\\\") : std::string(1, c);
  EXPECT_EQ(escaped(out), doubled);
}

}  // namespace
}  // namespace basehttp
