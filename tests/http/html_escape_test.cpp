// Tests http/html_escape: the one escaping for text in the error page and
// the directory listing.
#include "http/html_escape.hpp"

#include <gtest/gtest.h>

namespace basehttp {
namespace {

TEST(HtmlEscape, EscapesAmpersandAndAngleBracketsOnly) {
  EXPECT_EQ(html_escape("<a href='x'>&</a>"), "&lt;a href='x'&gt;&amp;&lt;/a&gt;");
  // Quotes stay, as with Python's html.escape(text, quote=False).
  EXPECT_EQ(html_escape("\"q\" 'q'"), "\"q\" 'q'");
  EXPECT_EQ(html_escape("&amp;"), "&amp;amp;");
  EXPECT_EQ(html_escape(""), "");
}

}  // namespace
}  // namespace basehttp
