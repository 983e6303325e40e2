// Tests handlers/static_files/static_files over loopback on a temporary tree that has a
// secret file beside the served root: path tricks and symlinks never reach
// it; folders, listings, redirects, types, validators, conditionals and
// ranges behave; bodies go by sendfile at constant memory.
#include "handlers/static_files/static_files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/process_memory.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

namespace fs = std::filesystem;
using testing::RawClient;
using testing::Response;
using testing::TestServer;

constexpr std::string_view kSecret = "TOP SECRET: never served";

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream(path, std::ios::binary) << content;
}

// <top>/secret.txt beside <top>/root/, the served folder.
class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    top_ = folder_.path();
    root_ = top_ / "root";
    fs::create_directories(root_ / "sub");
    fs::create_directories(root_ / "docs" / "Nested");
    write_file(top_ / "secret.txt", kSecret);
    write_file(root_ / "hello.txt", "hello, world\n");
    write_file(root_ / "page.html", "<p>page</p>");
    write_file(root_ / "sub" / "index.html", "<p>sub index</p>");
    write_file(root_ / "docs" / "b.txt", "b");
    write_file(root_ / "docs" / "A.txt", "a");
    write_file(root_ / "docs" / "<script>.txt", "x");
    write_file(root_ / "docs" / "with space & 100%.txt", "y");
    write_file(root_ / "docs" / "\xC3\xA9t\xC3\xA9.txt", "z");
    fs::create_symlink("../secret.txt", root_ / "link-out");
    fs::create_symlink("..", root_ / "dir-out");
    fs::create_symlink(top_ / "secret.txt", root_ / "absolute-out");
    fs::create_symlink("hello.txt", root_ / "link-in");
    mkfifo((root_ / "fifo").c_str(), 0644);
    std::string digits;
    for (int i = 0; i < 1000; ++i)
      digits += static_cast<char>('0' + i % 10);
    write_file(root_ / "digits.txt", digits);
  }
  ~StaticFilesTest() override { server_.reset(); }

  void serve(StaticFilesOptions options = {}) {
    if (options.root == ".") options.root = root_.string();
    files_ = std::make_unique<StaticFiles>(options);
    files_->install(table_);
    server_ = std::make_unique<TestServer>(table_);
  }

  std::optional<Response> get(std::string_view target, std::string_view extra = "",
                              std::string_view method = "GET") {
    RawClient client(server_->port());
    client.send(std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" +
                std::string(extra) + "\r\n");
    return client.read_response(method == "HEAD");
  }

  testing::TempFolder folder_{"static"};  // first made, last removed
  fs::path top_, root_;
  HandlerTable table_;
  std::unique_ptr<StaticFiles> files_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(StaticFilesTest, NoTrickReachesTheFileBesideTheRoot) {
  serve();
  for (const char* target : {"/../secret.txt",
                             "/../../secret.txt",
                             "/%2e%2e/secret.txt",
                             "/%2E%2E/secret.txt",
                             "/..%2fsecret.txt",
                             "/..%2Fsecret.txt",
                             "/sub/../../secret.txt",
                             "//../secret.txt",
                             "/.%2e/secret.txt",
                             "/%2e%2e%2fsecret.txt",
                             "/..%5csecret.txt",
                             "/..\\secret.txt",
                             "/secret.txt%00",
                             "/%00/../secret.txt",
                             "/link-out",
                             "/dir-out/secret.txt",
                             "/dir-out/root/../secret.txt",
                             "/absolute-out",
                             "/dir-out/",
                             "http://t/../secret.txt",
                             "/%252e%252e/secret.txt"}) {
    auto response = get(target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->body.find("TOP SECRET"), std::string::npos) << target;
    EXPECT_EQ(response->status, 404) << target;
  }
}

TEST_F(StaticFilesTest, FollowsEscapingSymlinksOnlyWhenAsked) {
  StaticFilesOptions options;
  options.follow_symlinks_outside_root = true;
  serve(options);
  auto response = get("/link-out");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, kSecret);
  EXPECT_EQ(get("/../secret.txt")->status, 404);  // lexical climbing stays impossible
}

TEST_F(StaticFilesTest, ServesFilesWithTypeValidatorsAndRanges) {
  serve();
  auto response = get("/hello.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello, world\n");
  EXPECT_EQ(response->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->header("Content-Length"), "13");
  EXPECT_EQ(response->header("Accept-Ranges"), "bytes");
  EXPECT_FALSE(response->header("ETag").empty());
  std::regex imf(R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT)");
  EXPECT_TRUE(std::regex_match(response->header("Last-Modified"), imf));
  EXPECT_EQ(get("/page.html")->header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(get("/link-in")->body, "hello, world\n");  // a symlink inside the root is fine
}

TEST_F(StaticFilesTest, HeadSendsTheSameHeadersWithoutABody) {
  serve();
  RawClient client(server_->port());
  ASSERT_TRUE(
      client.send("HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.read_response(true);
  auto full = client.read_response();
  ASSERT_TRUE(head && full);
  EXPECT_EQ(head->header("Content-Length"), "13");
  EXPECT_EQ(head->header("ETag"), full->header("ETag"));
  EXPECT_EQ(full->body, "hello, world\n");
}

TEST_F(StaticFilesTest, FoldersRedirectServeTheirIndexOrAListing) {
  serve();
  auto redirect = get("/sub?x=1&y=2");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(redirect->header("Location"), "/sub/?x=1&y=2");
  EXPECT_EQ(get("/sub/")->body, "<p>sub index</p>");

  auto listing = get("/docs/");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 200);
  EXPECT_EQ(listing->header("Content-Type"), "text/html; charset=utf-8");
  const std::string& page = listing->body;
  EXPECT_NE(page.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(page.find("<a href=\"%3Cscript%3E.txt\">&lt;script&gt;.txt</a>"), std::string::npos)
      << page;
  EXPECT_NE(page.find("<a href=\"with%20space%20%26%20100%25.txt\">with space &amp; 100%.txt</a>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<a href=\"%C3%A9t%C3%A9.txt\">"), std::string::npos) << page;
  EXPECT_NE(page.find("<a href=\"Nested/\">Nested/</a>"), std::string::npos) << page;
  EXPECT_EQ(page.find("<script>"), std::string::npos);  // never unescaped
  // Sorted ignoring case: A.txt, b.txt, Nested/.
  size_t a = page.find(">A.txt<"), b = page.find(">b.txt<"), nested = page.find(">Nested/<");
  EXPECT_LT(a, b);
  EXPECT_LT(b, nested);
}

TEST_F(StaticFilesTest, MissingThingsAre404) {
  serve();
  for (const char* target : {"/missing.txt", "/hello.txt/", "/sub/missing/", "/fifo"}) {
    auto response = get(target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 404) << target;
    EXPECT_EQ(response->reason, "File not found") << target;
  }
}

TEST_F(StaticFilesTest, UnreadableFilesAre404WithoutTheReason) {
  write_file(root_ / "locked.txt", "locked");
  chmod((root_ / "locked.txt").c_str(), 0);
  chmod(top_.c_str(), 0755);  // mkdtemp's 0700 would keep nobody out of the root itself
  // Permissions do not stop root: the server runs in a child process that
  // first becomes nobody (CI runs as root).
  auto serve_as_nobody = [this] {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) std::_Exit(2);
    serve();
    auto response = get("/locked.txt");
    bool hidden = response && response->status == 404 &&
                  response->body.find("ermission") == std::string::npos;
    auto readable = get("/hello.txt");  // the same server reads what it may
    std::_Exit(hidden && readable && readable->status == 200 ? 0 : 1);
  };
  EXPECT_EXIT(serve_as_nobody(), ::testing::ExitedWithCode(0), "");
}

TEST_F(StaticFilesTest, OtherMethodsAre501) {
  serve();
  auto response = get("/hello.txt", "Content-Length: 0\r\n", "POST");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 501);
  EXPECT_EQ(response->reason, "Unsupported method ('POST')");
}

TEST_F(StaticFilesTest, ConditionalRequests) {
  serve();
  auto first = get("/hello.txt");
  ASSERT_TRUE(first);
  std::string etag = first->header("ETag");
  std::string modified = first->header("Last-Modified");
  auto by_etag = get("/hello.txt", "If-None-Match: " + etag + "\r\n");
  ASSERT_TRUE(by_etag);
  EXPECT_EQ(by_etag->status, 304);
  EXPECT_EQ(by_etag->header("ETag"), etag);
  EXPECT_EQ(by_etag->body, "");
  EXPECT_EQ(get("/hello.txt", "If-Modified-Since: " + modified + "\r\n")->status, 304);
  // If-None-Match wins over If-Modified-Since.
  EXPECT_EQ(
      get("/hello.txt", "If-None-Match: \"x\"\r\nIf-Modified-Since: " + modified + "\r\n")->status,
      200);
  EXPECT_EQ(get("/hello.txt", "If-Match: \"x\"\r\n")->status, 412);
}

TEST_F(StaticFilesTest, ByteRanges) {
  serve();
  auto part = get("/digits.txt", "Range: bytes=10-19\r\n");
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, "0123456789");
  EXPECT_EQ(part->header("Content-Range"), "bytes 10-19/1000");
  EXPECT_EQ(get("/digits.txt", "Range: bytes=-3\r\n")->body, "789");
  auto beyond = get("/digits.txt", "Range: bytes=5000-\r\n");
  ASSERT_TRUE(beyond);
  EXPECT_EQ(beyond->status, 416);
  EXPECT_EQ(beyond->header("Content-Range"), "bytes */1000");
  auto several = get("/digits.txt", "Range: bytes=0-1,5-6\r\n");
  EXPECT_EQ(several->status, 200);
  EXPECT_EQ(several->body.size(), 1000u);
  std::string etag = get("/digits.txt")->header("ETag");
  EXPECT_EQ(get("/digits.txt", "Range: bytes=0-0\r\nIf-Range: " + etag + "\r\n")->status, 206);
  EXPECT_EQ(get("/digits.txt", "Range: bytes=0-0\r\nIf-Range: \"stale\"\r\n")->status, 200);
  EXPECT_EQ(get("/digits.txt", "Range: lines=1-2\r\n")->status, 200);
}

// A Location starting with "//" (or "/\\", which browsers read the same
// way) names another host: the folder redirect is built from the mapped
// path, never from the bytes the client sent.
TEST_F(StaticFilesTest, AFolderRedirectNeverNamesAnotherHost) {
  serve();
  for (const char* target :
       {"//evil.example/../sub", "///evil.example/../sub", "/\\evil.example/../sub",
        "/%2fevil.example/../sub", "/%2F%2Fevil.example/../sub", "/%5cevil.example/../sub",
        "/./\\evil.example/../sub", "/.//evil.example/../sub", "http://t//evil.example/../sub",
        "/sub/.", "//sub"}) {
    auto response = get(target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 301) << target;
    EXPECT_EQ(response->header("Location"), "/sub/") << target;
  }
  EXPECT_EQ(get("//evil.example/../sub?x=1&y=/2")->header("Location"), "/sub/?x=1&y=/2");
  // The served folder itself.
  EXPECT_EQ(get("//evil.example/..")->header("Location"), "/");
  EXPECT_EQ(get("/\\evil.example/%2e%2e")->header("Location"), "/");
  // Names that need escaping come back escaped, one slash between segments.
  EXPECT_EQ(get("/docs//Nested")->header("Location"), "/docs/Nested/");
}

TEST_F(StaticFilesTest, MountedUnderAPrefix) {
  StaticFilesOptions options;
  options.mount = "/static";
  serve(options);
  EXPECT_EQ(get("/static/hello.txt")->body, "hello, world\n");
  EXPECT_EQ(get("/hello.txt")->status, 404);
  EXPECT_EQ(get("/static/../hello.txt")->status, 404);
  EXPECT_EQ(get("/static")->header("Location"), "/static/");
  EXPECT_EQ(get("//evil.example/../static")->header("Location"), "/static/");
  EXPECT_EQ(get("/static//evil.example/../sub")->header("Location"), "/static/sub/");
}

TEST_F(StaticFilesTest, AKeptOpenFileIsOpenedAgainWhenItChanges) {
  serve();
  EXPECT_EQ(get("/hello.txt")->body, "hello, world\n");
  // Replaced by rename: another inode.
  write_file(root_ / "fresh.tmp", "replaced\n");
  fs::rename(root_ / "fresh.tmp", root_ / "hello.txt");
  EXPECT_EQ(get("/hello.txt")->body, "replaced\n");
  // Rewritten in place: same inode, new size and time.
  write_file(root_ / "hello.txt", "rewritten in place\n");
  EXPECT_EQ(get("/hello.txt")->body, "rewritten in place\n");
  // Swapped for a symlink out of the root: refused, never the kept file.
  fs::remove(root_ / "hello.txt");
  fs::create_symlink("../secret.txt", root_ / "hello.txt");
  auto swapped = get("/hello.txt");
  ASSERT_TRUE(swapped);
  EXPECT_EQ(swapped->status, 404);
  EXPECT_EQ(swapped->body.find("TOP SECRET"), std::string::npos);
  // Deleted: gone.
  fs::remove(root_ / "hello.txt");
  EXPECT_EQ(get("/hello.txt")->status, 404);
}

TEST_F(StaticFilesTest, ASmallFileRewrittenInPlaceAtOnceIsServedFresh) {
  // A small kept file keeps its bytes, trusted while a stat shows the same
  // size and times. A rewrite at the same size within the clock tick of
  // the last one leaves those equal, so bytes are kept only of a file
  // whose last change is older than that: each round below rewrites the
  // file right after it was served, usually within one tick.
  serve();
  for (int round = 0; round < 20; ++round) {
    std::string before = "round " + std::to_string(round) + " a\n";
    std::string after = "round " + std::to_string(round) + " b\n";
    write_file(root_ / "hello.txt", before);
    ASSERT_EQ(get("/hello.txt")->body, before);
    {
      // In place: same inode, same size.
      std::fstream out(root_ / "hello.txt", std::ios::in | std::ios::out | std::ios::binary);
      out.seekp(0);
      out << after;
    }
    ASSERT_EQ(get("/hello.txt")->body, after) << "round " << round;
  }
}

TEST_F(StaticFilesTest, ASettledSmallFileIsServedFromItsKeptBytes) {
  // Bytes are kept only of a file last changed 2 s ago or more: wait for
  // the fixture's files to get there (bounded), then every kind of answer
  // comes from the kept bytes, and a change is still seen at once.
  struct stat info {};
  ASSERT_EQ(::stat((root_ / "digits.txt").c_str(), &info), 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::time(nullptr) < info.st_ctim.tv_sec + 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GE(::time(nullptr), info.st_ctim.tv_sec + 3);
  serve();
  std::string digits;
  for (int i = 0; i < 1000; ++i)
    digits += static_cast<char>('0' + i % 10);
  for (int twice = 0; twice < 2; ++twice) {  // opened, then kept
    auto whole = get("/digits.txt");
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->body, digits);
    EXPECT_EQ(whole->header("Content-Length"), "1000");
    auto part = get("/digits.txt", "Range: bytes=995-\r\n");
    ASSERT_TRUE(part);
    EXPECT_EQ(part->status, 206);
    EXPECT_EQ(part->body, "56789");
    EXPECT_EQ(part->header("Content-Range"), "bytes 995-999/1000");
    auto head = get("/digits.txt", "", "HEAD");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->header("Content-Length"), "1000");
    EXPECT_EQ(head->body, "");
    auto again = get("/digits.txt", "If-None-Match: " + whole->header("ETag") + "\r\n");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_EQ(get("/sub/")->body, "<p>sub index</p>");
  }
  {
    std::fstream out(root_ / "digits.txt", std::ios::in | std::ios::out | std::ios::binary);
    out << "X";  // in place, same size
  }
  EXPECT_EQ(get("/digits.txt")->body, "X" + digits.substr(1));
}

TEST_F(StaticFilesTest, WorksWithoutTheOpenFileCache) {
  StaticFilesOptions options;
  options.open_file_cache = 0;
  serve(options);
  EXPECT_EQ(get("/hello.txt")->body, "hello, world\n");
  write_file(root_ / "hello.txt", "changed\n");
  EXPECT_EQ(get("/hello.txt")->body, "changed\n");
  EXPECT_EQ(get("/sub/")->body, "<p>sub index</p>");
}

TEST_F(StaticFilesTest, AFileThatShrinksMidTransferEndsTheConnection) {
  serve();
  fs::path big = root_ / "shrinking.bin";
  {
    int fd = ::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_EQ(ftruncate(fd, 256 << 20), 0);  // sparse: cheap to make
    ::close(fd);
  }
  RawClient client(server_->port(), "127.0.0.1", std::chrono::milliseconds(20000), 64 * 1024);
  ASSERT_TRUE(client.send("GET /shrinking.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.read_interim();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), std::to_string(256 << 20));
  ASSERT_EQ(::truncate(big.c_str(), 1 << 20), 0);
  size_t received = client.discard(256 << 20);
  EXPECT_LT(received, size_t{256} << 20);
  EXPECT_TRUE(client.closed_by_peer());
  // The server carries on.
  EXPECT_EQ(get("/hello.txt")->status, 200);
}

TEST_F(StaticFilesTest, AFileRemovedMidTransferIsStillSentWhole) {
  // The body is sent from the descriptor opened for the request: removing
  // or replacing the path does not touch what this client receives.
  serve();
  fs::path doomed = root_ / "doomed.bin";
  std::string content(8 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>('a' + i % 26);
  write_file(doomed, content);
  RawClient client(server_->port(), "127.0.0.1", std::chrono::milliseconds(20000), 64 * 1024);
  ASSERT_TRUE(client.send("GET /doomed.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.read_interim();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->status, 200);
  ASSERT_TRUE(fs::remove(doomed));
  write_file(doomed, "replaced");
  ASSERT_TRUE(client.send("GET /doomed.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto rest = client.read_body_bytes(content.size());
  ASSERT_TRUE(rest);
  EXPECT_TRUE(*rest == content) << "the body changed under the transfer";
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "replaced");
}

TEST_F(StaticFilesTest, ServesAGibibyteAtConstantMemory) {
  serve();
  fs::path huge = root_ / "huge.bin";
  {
    int fd = ::open(huge.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_EQ(ftruncate(fd, 1L << 30), 0);
    ::close(fd);
  }
  ASSERT_TRUE(testing::reset_peak_resident());
  long before = testing::peak_resident_kib();
  RawClient client(server_->port(), "127.0.0.1", std::chrono::milliseconds(60000));
  ASSERT_TRUE(client.send("GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.read_interim();
  ASSERT_TRUE(head);
  EXPECT_EQ(client.discard(size_t{1} << 30), size_t{1} << 30);
  long growth_kib = testing::peak_resident_kib() - before;
  EXPECT_LT(growth_kib, 32 * 1024) << "peak resident memory grew by " << growth_kib << " KiB";
}

}  // namespace
}  // namespace basehttp
