// Tests handlers/static_files/mime_types.
#include "handlers/static_files/mime_types.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "tests/support/temp_folder.hpp"

namespace basehttp {
namespace {

TEST(MimeTypes, KnowsTheWebTypes) {
  MimeTypes types;
  EXPECT_EQ(types.lookup("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(types.lookup("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(types.lookup("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(types.lookup("data.json"), "application/json; charset=utf-8");
  EXPECT_EQ(types.lookup("logo.svg"), "image/svg+xml; charset=utf-8");
  EXPECT_EQ(types.lookup("photo.jpeg"), "image/jpeg");
  EXPECT_EQ(types.lookup("archive.tar.gz"), "application/gzip");
}

TEST(MimeTypes, IgnoresCaseAndFolders) {
  MimeTypes types;
  EXPECT_EQ(types.lookup("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(types.lookup("a.b/readme"), MimeTypes::kDefault);
  EXPECT_EQ(types.lookup("dir/page.Htm"), "text/html; charset=utf-8");
}

TEST(MimeTypes, FallsBackToOctetStream) {
  MimeTypes types;
  EXPECT_EQ(types.lookup("noextension"), "application/octet-stream");
  EXPECT_EQ(types.lookup("trailing."), "application/octet-stream");
  EXPECT_EQ(types.lookup("weird.qqqzzz"), "application/octet-stream");
  EXPECT_EQ(types.lookup(""), "application/octet-stream");
}

TEST(MimeTypes, ExtendsButNeverOverridesFromAFile) {
  testing::TempFolder folder("mime");
  std::string path = folder.file("mime.types");
  {
    std::ofstream file(path);
    file << "# comment\n"
         << "application/x-test-type   tst tst2 # trailing comment\n"
         << "text/x-not-html html\n"
         << "text/x-fresh fresh\n"
         << "garbage-line-without-slash foo\n";
  }
  MimeTypes types;
  ASSERT_TRUE(types.load(path));
  EXPECT_EQ(types.lookup("a.tst"), "application/x-test-type");
  EXPECT_EQ(types.lookup("a.TST2"), "application/x-test-type");
  EXPECT_EQ(types.lookup("a.html"), "text/html; charset=utf-8");  // built-in wins
  EXPECT_EQ(types.lookup("a.fresh"), "text/x-fresh; charset=utf-8");
  EXPECT_EQ(types.lookup("a.foo"), MimeTypes::kDefault);
  EXPECT_FALSE(types.load("/nonexistent/mime.types"));
}

TEST(MimeTypes, SystemTableReadsEtcMimeTypesWhenPresent) {
  const MimeTypes& system = MimeTypes::system();
  EXPECT_EQ(system.lookup("index.html"), "text/html; charset=utf-8");
  std::ifstream probe("/etc/mime.types");
  if (!probe) GTEST_SKIP() << "/etc/mime.types is not present on this machine";
  // A type Debian's file lists that the built-in table does not.
  EXPECT_NE(system.lookup("file.odt"), MimeTypes::kDefault);
}

}  // namespace
}  // namespace basehttp
