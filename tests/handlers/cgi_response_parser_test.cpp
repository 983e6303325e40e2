// Tests CgiResponseParser: the header section of a script's output fed in
// any pieces, LF or CRLF lines, Status and Location, nph- status lines,
// and every way a section can be broken (each a 502 for the server).
#include "handlers/cgi/cgi_response_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace basehttp {
namespace {

using Result = CgiResponseParser::Result;

TEST(CgiResponseParser, ReadsADocumentResponseSplitAtEveryByte) {
  const std::string output = "Content-Type: text/html\r\nX-A:  spaced value \r\n\r\n<p>body";
  for (size_t split = 0; split <= output.size(); ++split) {
    CgiResponseParser parser;
    Result first = parser.feed(output.substr(0, split));
    Result result = first == Result::kComplete ? first : parser.feed(output.substr(split));
    ASSERT_EQ(result, Result::kComplete) << split;
    EXPECT_EQ(parser.head().status, 200);
    ASSERT_EQ(parser.head().fields.size(), 2u);
    EXPECT_EQ(parser.head().fields[1].second, "spaced value");
    // The body is what followed the section in the piece that ended it.
    std::string body(parser.body());
    if (first != Result::kComplete) {
      EXPECT_EQ(body, "<p>body") << split;
    } else {
      EXPECT_EQ(body + output.substr(split), "<p>body") << split;
    }
  }
}

TEST(CgiResponseParser, TakesBareLfLines) {
  CgiResponseParser parser;
  ASSERT_EQ(parser.feed("Content-Type: text/plain\n\nhi"), Result::kComplete);
  EXPECT_EQ(parser.body(), "hi");
}

TEST(CgiResponseParser, StatusSetsTheCodeAndIsNotSent) {
  CgiResponseParser parser;
  ASSERT_EQ(parser.feed("Status: 404 Not Found\nContent-Type: text/plain\n\n"), Result::kComplete);
  EXPECT_EQ(parser.head().status, 404);
  EXPECT_EQ(parser.head().reason, "Not Found");
  ASSERT_EQ(parser.head().fields.size(), 1u);
  EXPECT_EQ(parser.head().fields[0].first, "Content-Type");
}

TEST(CgiResponseParser, LocationAloneIsA302) {
  CgiResponseParser parser;
  ASSERT_EQ(parser.feed("Location: http://example.test/\n\n"), Result::kComplete);
  EXPECT_EQ(parser.head().status, 302);
  EXPECT_EQ(parser.head().location, "http://example.test/");
  CgiResponseParser with_status;
  ASSERT_EQ(with_status.feed("Status: 301\nLocation: /x\n\n"), Result::kComplete);
  EXPECT_EQ(with_status.head().status, 301);
  EXPECT_FALSE(parser.head().local_redirect) << "a URL is the client's to follow";
  EXPECT_FALSE(with_status.head().local_redirect) << "a Status makes it the client's";
}

TEST(CgiResponseParser, ALocalPathAloneIsALocalRedirect) {
  for (const char* output : {"Location: /a/b?x=1\n\n", "Location: /\r\n\r\n"}) {
    CgiResponseParser parser;
    ASSERT_EQ(parser.feed(output), Result::kComplete) << output;
    EXPECT_TRUE(parser.head().local_redirect) << output;
  }
  // RFC 3875 §6.2.2: the Location field and nothing else, holding a path.
  for (const char* output : {"Location: /a\nContent-Type: text/plain\n\n",
                             "Location: /a\nX-Other: 1\n\n", "Location: //host/a\n\n",
                             "Location: a/b\n\n", "Location: /a#frag\n\n", "Location: /a b\n\n"}) {
    CgiResponseParser parser;
    ASSERT_EQ(parser.feed(output), Result::kComplete) << output;
    EXPECT_FALSE(parser.head().local_redirect) << output;
    EXPECT_EQ(parser.head().status, 302) << output;
  }
  CgiResponseParser nph(true);
  ASSERT_EQ(nph.feed("HTTP/1.1 302 Found\nLocation: /a\n\n"), Result::kComplete);
  EXPECT_FALSE(nph.head().local_redirect) << "nph output goes out as written";
}

TEST(CgiResponseParser, BrokenSectionsAreErrors) {
  for (const char* output : {
           "no colon here\n\n",
           "Content-Type: text/plain\n folded: line\n\n",
           "Bad Name: x\n\n",
           "Status: 99 Low\nContent-Type: a/b\n\n",
           "Status: abc\n\n",
           "Status: 200\nStatus: 201\n\n",
           "X-Only: 1\n\n",
           "\n",
           "Content-Type: a/b\nContent-Length: 12x\n\n",
       }) {
    CgiResponseParser parser;
    EXPECT_EQ(parser.feed(output), Result::kError) << output;
    EXPECT_FALSE(parser.error().empty());
  }
}

TEST(CgiResponseParser, OutputThatEndsEarlyIsAnError) {
  CgiResponseParser silent;
  EXPECT_EQ(silent.finish(), Result::kError);
  EXPECT_FALSE(silent.saw_output());
  CgiResponseParser cut;
  EXPECT_EQ(cut.feed("Content-Type: text/plain\n"), Result::kNeedMore);
  EXPECT_EQ(cut.finish(), Result::kError);
  EXPECT_TRUE(cut.saw_output());
}

TEST(CgiResponseParser, ASectionOverTheLimitIsAnError) {
  CgiResponseParser parser(false, 1024);
  std::string line = "X-Long: " + std::string(600, 'a') + "\n";
  EXPECT_EQ(parser.feed(line), Result::kNeedMore);
  EXPECT_EQ(parser.feed(line), Result::kError);
  CgiResponseParser many(false, 1 << 20, 3);
  EXPECT_EQ(many.feed("A: 1\nB: 2\nC: 3\nD: 4\n\n"), Result::kError);
}

TEST(CgiResponseParser, NphStartsWithAStatusLine) {
  CgiResponseParser parser(true);
  ASSERT_EQ(parser.feed("HTTP/1.1 299 Custom Reason\r\nStatus: kept\r\n\r\nraw"),
            Result::kComplete);
  EXPECT_EQ(parser.head().status, 299);
  EXPECT_EQ(parser.head().reason, "Custom Reason");
  ASSERT_EQ(parser.head().fields.size(), 1u);
  EXPECT_EQ(parser.head().fields[0].first, "Status") << "nph: fields go out as written";
  EXPECT_EQ(parser.output(), "HTTP/1.1 299 Custom Reason\r\nStatus: kept\r\n\r\nraw");
  CgiResponseParser bad(true);
  EXPECT_EQ(bad.feed("Content-Type: text/plain\n\n"), Result::kError);
}

}  // namespace
}  // namespace basehttp
