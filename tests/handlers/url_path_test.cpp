// Tests handlers/common/url_path: decoding, encoding and the mapping of request
// targets, with every traversal trick the static handler must survive.
#include "handlers/common/url_path.hpp"

#include <gtest/gtest.h>

namespace basehttp {
namespace {

std::string mapped(std::string_view target) {
  auto path = map_url_path(target);
  return path ? path->relative() : "<refused>";
}

TEST(UrlPath, DecodesPercentEscapes) {
  EXPECT_EQ(percent_decode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percent_decode("%E2%82%AC"), "\xE2\x82\xAC");
  EXPECT_EQ(percent_decode("100%"), "100%");  // malformed escapes stay
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode("%41%4a%4A"), "AJJ");  // either case of hex
}

TEST(UrlPath, EncodesLikePythonsQuote) {
  EXPECT_EQ(percent_encode_path("a b/c.txt"), "a%20b/c.txt");
  EXPECT_EQ(percent_encode_path("<script>&\"'"), "%3Cscript%3E%26%22%27");
  EXPECT_EQ(percent_encode_path("100%"), "100%25");
  EXPECT_EQ(percent_encode_path("\xC3\xA9t\xC3\xA9"), "%C3%A9t%C3%A9");
  EXPECT_EQ(percent_encode_path("_.-~az09AZ"), "_.-~az09AZ");
}

TEST(UrlPath, DropsQueryFragmentAndAuthority) {
  EXPECT_EQ(target_path("/a/b?x=1#frag"), "/a/b");
  EXPECT_EQ(target_path("/a#f?x"), "/a");
  EXPECT_EQ(target_path("http://example.com/a/b?q"), "/a/b");
  EXPECT_EQ(target_path("http://example.com"), "/");
}

TEST(UrlPath, MapsOrdinaryPaths) {
  EXPECT_EQ(mapped("/"), "");
  EXPECT_EQ(mapped("/index.html"), "index.html");
  EXPECT_EQ(mapped("/a/b/c.txt?x=../../y"), "a/b/c.txt");
  EXPECT_EQ(mapped("/with%20space/%C3%A9.txt"), "with space/\xC3\xA9.txt");
  EXPECT_TRUE(map_url_path("/dir/")->trailing_slash);
  EXPECT_FALSE(map_url_path("/dir")->trailing_slash);
  EXPECT_FALSE(map_url_path("/dir%2F")->trailing_slash);  // checked before decoding, as Python does
}

TEST(UrlPath, NeverClimbsAboveTheTop) {
  for (const char* trick :
       {"/../secret", "/../../../../secret", "/%2e%2e/secret", "/%2E%2E/secret", "/..%2fsecret",
        "/..%2Fsecret", "/a/../../secret", "/./.././secret", "//..//secret", "/a/b/../../../secret",
        "/%2e%2e%2f%2e%2e%2fsecret", "/.%2e/secret", "/%252e%252e/secret"}) {
    auto path = map_url_path(trick);
    ASSERT_TRUE(path) << trick;
    for (const std::string& segment : path->segments) {
      EXPECT_NE(segment, "..") << trick;
      EXPECT_NE(segment, ".") << trick;
      EXPECT_EQ(segment.find('/'), std::string::npos) << trick;
    }
  }
  EXPECT_EQ(mapped("/../secret"), "secret");  // lands inside the top, like Python's normpath
  EXPECT_EQ(mapped("/a/b/../../../secret"), "secret");
  EXPECT_EQ(mapped("/%252e%252e/secret"), "%2e%2e/secret");  // decoded once only
}

TEST(UrlPath, BackslashesAndDoubledSlashesAreNotSeparatorTricks) {
  EXPECT_EQ(mapped("//a///b//"), "a/b");
  EXPECT_EQ(mapped("/..\\secret"), "..\\secret");  // one literal name on POSIX
  EXPECT_EQ(mapped("/%5c..%5csecret"), "\\..\\secret");
}

std::string location(std::string_view target) {
  auto path = map_url_path(target);
  return path ? folder_redirect_location(*path, target) : "<refused>";
}

TEST(UrlPath, AFolderRedirectStaysOnThisServer) {
  EXPECT_EQ(location("/sub"), "/sub/");
  EXPECT_EQ(location("/sub?x=1&y=//h"), "/sub/?x=1&y=//h");
  EXPECT_EQ(location("/a%20b/%C3%A9"), "/a%20b/%C3%A9/");
  EXPECT_EQ(location("/a b/\xC3\xA9"), "/a%20b/%C3%A9/");  // sent unencoded: encoded
  for (const char* target : {"//evil.example/../sub", "////evil.example/../sub",
                             "/%2f/evil.example/../sub", "/%2F%2Fevil.example/%2e%2e/sub",
                             "http://t//evil.example/../sub", "/./../sub", "/sub/.", "/sub//"}) {
    EXPECT_EQ(location(target), "/sub/") << target;
  }
  // A backslash is a name here, but a browser reads "/\" as "//".
  EXPECT_EQ(location("/\\evil.example"), "/%5Cevil.example/");
  EXPECT_EQ(location("/%5c%5cevil.example"), "/%5C%5Cevil.example/");
  EXPECT_EQ(location("//evil.example/.."), "/");
  EXPECT_EQ(location(""), "/");
}

TEST(UrlPath, RefusesNulBytes) {
  EXPECT_FALSE(map_url_path("/secret%00.txt"));
  EXPECT_FALSE(map_url_path("/%00"));
}

}  // namespace
}  // namespace basehttp
