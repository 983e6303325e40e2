// Tests map_cgi_target(): which targets are CGI (Python's is_cgi rules),
// the walk down sub-folders, SCRIPT_NAME, PATH_INFO, the query, nph-.
#include "handlers/cgi/cgi_target.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace basehttp {
namespace {

const auto kDirectories = cgi_directory_segments({"/cgi-bin", "/htbin", "/a/b"});

std::optional<CgiTarget> map(std::string_view target, std::set<std::string> folders = {}) {
  return map_cgi_target(target, kDirectories,
                        [&](const std::string& relative) { return folders.count(relative) > 0; });
}

TEST(CgiTarget, OnlyPathsUnderACgiFolderAreScripts) {
  EXPECT_FALSE(map("/"));
  EXPECT_FALSE(map("/cgi-bin")) << "the folder itself is served as a folder";
  EXPECT_FALSE(map("/cgi-binx/a.sh"));
  EXPECT_FALSE(map("/other/cgi-bin/a.sh"));
  EXPECT_FALSE(map("/a/a.sh"));
  EXPECT_TRUE(map("/cgi-bin/"));
  EXPECT_TRUE(map("/htbin/a.sh"));
  EXPECT_TRUE(map("/a/b/c.sh"));
  EXPECT_TRUE(map("/x/../cgi-bin/a.sh")) << "collapsed before matching";
  EXPECT_TRUE(map("/%63gi-bin/a.sh")) << "decoded before matching";
}

TEST(CgiTarget, SplitsScriptPathInfoAndQuery) {
  auto target = map("/cgi-bin/env.sh/a%20b/c/?x=1&y=%41");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->folder, "cgi-bin");
  EXPECT_EQ(target->script, "env.sh");
  EXPECT_EQ(target->script_name, "/cgi-bin/env.sh");
  EXPECT_EQ(target->path_info, "/a b/c/");
  EXPECT_EQ(target->query, "x=1&y=%41");
  EXPECT_EQ(target->relative_path(), "cgi-bin/env.sh");
  EXPECT_FALSE(target->nph);
  auto plain = map("/cgi-bin/env.sh");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->path_info, "");
  EXPECT_EQ(plain->query, "");
  auto slash = map("/cgi-bin/env.sh/");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->path_info, "/");
}

TEST(CgiTarget, WalksDownSubFolders) {
  auto target = map("/cgi-bin/sub/deeper/run.py/info", {"cgi-bin/sub", "cgi-bin/sub/deeper"});
  ASSERT_TRUE(target);
  EXPECT_EQ(target->folder, "cgi-bin/sub/deeper");
  EXPECT_EQ(target->script, "run.py");
  EXPECT_EQ(target->script_name, "/cgi-bin/sub/deeper/run.py");
  EXPECT_EQ(target->path_info, "/info");
  auto folder = map("/cgi-bin/sub/", {"cgi-bin/sub"});
  ASSERT_TRUE(folder);
  EXPECT_EQ(folder->script, "");
  EXPECT_EQ(folder->script_name, "/cgi-bin/sub/");
}

TEST(CgiTarget, NeverLeavesTheRoot) {
  auto target = map("/cgi-bin/../../../etc/passwd");
  EXPECT_FALSE(target) << "collapsed to /etc/passwd, not under /cgi-bin";
  auto inside = map("/cgi-bin/%2e%2e/cgi-bin/a.sh");
  ASSERT_TRUE(inside);
  EXPECT_EQ(inside->relative_path(), "cgi-bin/a.sh");
}

TEST(CgiTarget, NphScriptsAreRecognised) {
  auto target = map("/cgi-bin/nph-raw.sh");
  ASSERT_TRUE(target);
  EXPECT_TRUE(target->nph);
}

}  // namespace
}  // namespace basehttp
