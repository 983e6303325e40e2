// Tests the CGI handler on a live server: the RFC 3875 environment, the
// status mapping (404, 403, 502, 501, 503, Status, Location, nph-), local
// redirects answered inside the server, nph- output sent unframed, the
// body both ways (1 MiB in, 64 MiB out with bounded memory), a slow script
// that delays nobody else, scripts killed when their client leaves or
// their time is up, and no zombie and no descriptor left behind after
// 1,000 sequential and 50 concurrent runs. The scripts are /bin/sh
// scripts written into a fresh folder per test.
#include "handlers/cgi/cgi.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/support/raw_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/without_openat2.hpp"

namespace basehttp {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::Response;
using testing::TestServer;
using Clock = std::chrono::steady_clock;

/// A folder of scripts, removed at the end of the test.
class ScriptFolder {
 public:
  ScriptFolder() {
    char pattern[] = "/tmp/basehttp-cgi-XXXXXX";
    root_ = ::mkdtemp(pattern);
    std::filesystem::create_directory(root_ + "/cgi-bin");
  }
  ~ScriptFolder() { std::filesystem::remove_all(root_); }
  /// Writes cgi-bin/`name` with `body` after a #!/bin/sh line.
  void script(const std::string& name, const std::string& body, mode_t mode = 0755) const {
    std::string path = root_ + "/cgi-bin/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), mode);
  }
  void file(const std::string& name, const std::string& content) const {
    std::ofstream(root_ + "/" + name) << content;
  }
  const std::string& root() const { return root_; }
  /// The pid a script wrote to cgi-bin/`name` with `echo $$ > name`, once it has (bounded).
  pid_t wait_for_pid(const std::string& name) const {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      std::ifstream in(root_ + "/cgi-bin/" + name);
      pid_t pid = 0;
      if (in >> pid && pid > 0) return pid;
      std::this_thread::sleep_for(milliseconds(5));  // polls a condition, with a deadline
    }
    return 0;
  }

 private:
  std::string root_;
};

/// Waits (bounded) until `condition` holds.
bool eventually(const std::function<bool()>& condition, milliseconds limit = milliseconds(10000)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(2));  // polls a condition, with a deadline
  }
  return condition();
}

/// True once `pid` is gone and reaped (a zombie still answers kill(pid, 0)).
bool process_gone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

size_t open_fd_count() {
  size_t count = 0;
  DIR* folder = ::opendir("/proc/self/fd");
  while (dirent* entry = ::readdir(folder))
    if (entry->d_name[0] != '.') ++count;
  ::closedir(folder);
  return count - 1;  // the folder's own descriptor
}

/// This process's children: {all, zombies}, from /proc.
std::pair<int, int> child_processes() {
  int all = 0, zombies = 0;
  pid_t self = ::getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so start after its ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    char state = 0;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent != self) continue;
    ++all;
    if (state == 'Z') ++zombies;
  }
  return {all, zombies};
}

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: cgi.test\r\n" + extra + "\r\n";
}

/// "NAME=value" lines of `body` as a lookup.
std::string variable(const std::string& body, const std::string& name) {
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return "<unset>";
}

/// A Cgi with static text as its fallback, on a test server.
struct CgiServer {
  explicit CgiServer(const ScriptFolder& folder, CgiOptions options = {},
                     ServerOptions server_options = testing::quiet_options()) {
    options.root = folder.root();
    if (!options.fallback) {
      options.fallback = [](RequestHandler& h) { testing::send_text(h, 200, "static"); };
    }
    cgi = std::make_unique<Cgi>(options);
    cgi->install(table);
    server = std::make_unique<TestServer>(table, server_options);
  }
  ~CgiServer() {
    server.reset();  // shut down first: the Cgi must outlive it
    cgi.reset();
  }
  uint16_t port() const { return server->port(); }
  bool idle() const { return cgi->running() == 0; }
  /// No script runs and no connection is open (their descriptors are closed).
  bool settled() {
    size_t connections = 1;
    server->run_in_loop([&] { connections = server->server().connection_count(); });
    return idle() && connections == 0;
  }

  HandlerTable table;
  std::unique_ptr<Cgi> cgi;
  std::unique_ptr<TestServer> server;
};

constexpr const char* kEnvScript =
    "printf 'Content-Type: text/plain\\n\\n'\n"
    "env\n"
    "echo \"CWD=$(pwd)\"\n"
    "echo \"ARGS=$#:$1:$2\"\n";

TEST(Cgi, RunsAScriptWithTheRfc3875Environment) {
  ScriptFolder folder;
  folder.script("env.sh", kEnvScript);
  ::setenv("BASEHTTP_CGI_SECRET", "leaked", 1);
  CgiServer server(folder);
  auto response = testing::exchange(
      server.port(), get("/cgi-bin/env.sh/a%20b/c?x=1&y=%41",
                         "X-Test: one\r\nX-Test: two\r\nProxy: http://evil:1\r\n"
                         "Authorization: Basic dXNlcjpwYXNz\r\nCookie: a=1\r\nCookie: b=2\r\n"
                         "X_Under: sneaky\r\n"));
  ::unsetenv("BASEHTTP_CGI_SECRET");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->header("Content-Type"), "text/plain");
  EXPECT_EQ(response->header("Transfer-Encoding"), "chunked");
  const std::string& env = response->body;
  EXPECT_EQ(variable(env, "GATEWAY_INTERFACE"), "CGI/1.1");
  EXPECT_EQ(variable(env, "REQUEST_METHOD"), "GET");
  EXPECT_EQ(variable(env, "SCRIPT_NAME"), "/cgi-bin/env.sh");
  EXPECT_EQ(variable(env, "PATH_INFO"), "/a b/c");
  EXPECT_EQ(variable(env, "PATH_TRANSLATED"), folder.root() + "/a b/c");
  EXPECT_EQ(variable(env, "QUERY_STRING"), "x=1&y=%41");
  EXPECT_EQ(variable(env, "SERVER_PROTOCOL"), "HTTP/1.1");
  EXPECT_EQ(variable(env, "SERVER_NAME"), "cgi.test");
  EXPECT_EQ(variable(env, "SERVER_PORT"), std::to_string(server.port()));
  EXPECT_EQ(variable(env, "SERVER_SOFTWARE").rfind("basehttp/", 0), 0u);
  EXPECT_EQ(variable(env, "REMOTE_ADDR"), "127.0.0.1");
  EXPECT_EQ(variable(env, "AUTH_TYPE"), "Basic");
  EXPECT_EQ(variable(env, "REMOTE_USER"), "user");
  EXPECT_EQ(variable(env, "HTTP_X_TEST"), "one, two");
  EXPECT_EQ(variable(env, "HTTP_COOKIE"), "a=1; b=2");
  EXPECT_EQ(variable(env, "HTTP_HOST"), "cgi.test");
  EXPECT_EQ(variable(env, "HTTP_PROXY"), "<unset>") << "httpoxy";
  EXPECT_EQ(variable(env, "HTTP_AUTHORIZATION"), "<unset>");
  EXPECT_EQ(variable(env, "HTTP_X_UNDER"), "<unset>");
  EXPECT_EQ(variable(env, "CONTENT_LENGTH"), "<unset>");
  EXPECT_EQ(variable(env, "BASEHTTP_CGI_SECRET"), "<unset>") << "server environment leaked";
  EXPECT_NE(variable(env, "PATH"), "<unset>");
  EXPECT_EQ(variable(env, "CWD"), std::filesystem::canonical(folder.root() + "/cgi-bin").string());
  EXPECT_EQ(variable(env, "ARGS"), "0::") << "a query with '=' is no search string";
}

TEST(Cgi, ASearchQueryBecomesTheArguments) {
  ScriptFolder folder;
  folder.script("env.sh", kEnvScript);
  CgiServer server(folder);
  auto response = testing::exchange(server.port(), get("/cgi-bin/env.sh?hello+w%6Frld"));
  ASSERT_TRUE(response);
  EXPECT_EQ(variable(response->body, "ARGS"), "2:hello:world");
}

TEST(Cgi, OnlyStdioIsOpenAndSignalsAreDefaultInTheScript) {
  ScriptFolder folder;
  folder.script("fds.sh",
                "printf 'Content-Type: text/plain\\n\\n'\n"
                "grep -E '^Sig(Blk|Ign)' /proc/self/status\n"
                "exec ls /proc/self/fd\n");
  CgiServer server(folder);
  auto response = testing::exchange(server.port(), get("/cgi-bin/fds.sh"));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  // ls holds the folder it lists open as fd 3.
  EXPECT_NE(response->body.find("0\n1\n2\n3\n"), std::string::npos) << response->body;
  EXPECT_EQ(response->body.find("\n4\n"), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("SigBlk:\t0000000000000000"), std::string::npos) << response->body;
  size_t ignored_at = response->body.find("SigIgn:\t");
  ASSERT_NE(ignored_at, std::string::npos);
  uint64_t ignored = std::stoull(response->body.substr(ignored_at + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u)
      << "SIGPIPE, ignored by the server, must be default again: " << response->body;
}

TEST(Cgi, StatusLocationAndErrorsAreMapped) {
  ScriptFolder folder;
  folder.script("status.sh",
                "printf 'Status: 404 Not Here\\r\\nContent-Type: text/plain\\r\\n\\r\\ngone'\n");
  folder.script("redirect.sh", "printf 'Location: http://example.test/elsewhere\\n\\n'\n");
  folder.script("broken.sh", "echo 'this is no header'\necho\necho body\n");
  folder.script("nofield.sh", "printf 'X-Only: 1\\n\\nbody'\n");
  folder.script("silent.sh", "exit 3\n");
  folder.script("halfway.sh", "printf 'Content-Type: text/plain\\n'\n");
  folder.script("noexec.sh", "echo never\n", 0644);
  folder.script(
      "length.sh",
      "printf 'Content-Type: text/plain\\nContent-Length: 5\\nConnection: close\\n\\nhello'\n");
  folder.script("nph-raw.sh", "printf 'HTTP/1.1 299 Custom\\r\\nX-Nph: yes\\r\\n\\r\\nraw body'\n");
  std::filesystem::create_directory(folder.root() + "/cgi-bin/sub");
  folder.script("sub/deep.sh",
                "printf 'Content-Type: text/plain\\n\\n%s' \"$SCRIPT_NAME $PATH_INFO\"\n");
  CgiServer server(folder);

  struct Case {
    std::string request;
    int status;
    std::string body_part;
  };
  const Case cases[] = {
      {get("/cgi-bin/status.sh"), 404, "gone"},
      {get("/cgi-bin/redirect.sh"), 302, ""},
      {get("/cgi-bin/broken.sh"), 502, "Bad Gateway"},
      {get("/cgi-bin/nofield.sh"), 502, ""},
      {get("/cgi-bin/silent.sh"), 502, ""},
      {get("/cgi-bin/halfway.sh"), 502, ""},
      {get("/cgi-bin/missing.sh"), 404, "No such CGI script"},
      {get("/cgi-bin/noexec.sh"), 403, "not executable"},
      {get("/cgi-bin/"), 403, "not a plain file"},
      {get("/cgi-bin/sub/"), 403, "not a plain file"},
      {get("/cgi-bin/sub/deep.sh/x"), 200, "/cgi-bin/sub/deep.sh /x"},
      {get("/cgi-bin/length.sh"), 200, "hello"},
      {get("/cgi-bin/nph-raw.sh"), 299, "raw body"},
      {get("/elsewhere.txt"), 200, "static"},
      {"POST /elsewhere.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 501,
       "Can only POST"},
      {"PUT /cgi-bin/status.sh HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 501,
       "Unsupported method ('PUT')"},
  };
  for (const Case& c : cases) {
    auto response = testing::exchange(server.port(), c.request);
    ASSERT_TRUE(response) << c.request;
    EXPECT_EQ(response->status, c.status) << c.request << response->body;
    EXPECT_NE(response->body.find(c.body_part), std::string::npos) << c.request << response->body;
    if (c.status != 299) {
      EXPECT_TRUE(response->has_header("Date")) << c.request;
    }
    if (c.request == get("/cgi-bin/redirect.sh")) {
      EXPECT_EQ(response->header("Location"), "http://example.test/elsewhere");
    }
    if (c.request == get("/cgi-bin/status.sh")) {
      EXPECT_EQ(response->reason, "Not Here");
    }
    if (c.request == get("/cgi-bin/length.sh")) {
      EXPECT_EQ(response->header("Content-Length"), "5");
      EXPECT_EQ(response->header_count("Connection"), 0u) << "the server frames the response";
    }
    if (c.request == get("/cgi-bin/nph-raw.sh")) {
      EXPECT_EQ(response->reason, "Custom");
      EXPECT_EQ(response->header("X-Nph"), "yes");
      EXPECT_FALSE(response->has_header("Server")) << "nph: the script's head only";
    }
  }
  EXPECT_TRUE(eventually([&] { return server.idle(); }));
}

TEST(Cgi, HeadRunsTheScriptAndSendsNoBody) {
  ScriptFolder folder;
  folder.script("env.sh", kEnvScript);
  CgiServer server(folder);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("HEAD /cgi-bin/env.sh HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.read_response(/*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  ASSERT_TRUE(client.send(get("/cgi-bin/env.sh")));  // the connection is still in step
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(variable(next->body, "REQUEST_METHOD"), "GET");
}

/// A fallback that says what it was asked: "<command> <path> <body size>",
/// in an X-Seen field (for HEAD) and as the body.
void echo_request(RequestHandler& h) {
  std::string seen = std::string(h.command()) + " " + std::string(h.path()) + " " +
                     std::to_string(h.body().size());
  h.send_response(200);
  h.send_header("X-Seen", seen);
  h.send_header("Content-Type", "text/plain");
  h.send_header("Content-Length", std::to_string(seen.size()));
  h.end_headers();
  h.write(seen);
}

TEST(Cgi, ALocalRedirectIsAnsweredInsideTheServer) {
  ScriptFolder folder;
  folder.script("env.sh", kEnvScript);
  folder.script("local.sh", "printf 'Location: /cgi-bin/env.sh/more?x=1\\n\\n'\n");
  folder.script("chain.sh", "printf 'Location: /cgi-bin/local.sh\\r\\n\\r\\n'\n");
  folder.script("to-static.sh", "printf 'Location: /page.txt?q=2\\n\\nno body is allowed here'\n");
  CgiOptions options;
  options.fallback = echo_request;
  CgiServer server(folder, options);
  RawClient client(server.port());

  ASSERT_TRUE(client.send(get("/cgi-bin/local.sh")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_FALSE(response->has_header("Location"));
  EXPECT_EQ(variable(response->body, "SCRIPT_NAME"), "/cgi-bin/env.sh");
  EXPECT_EQ(variable(response->body, "PATH_INFO"), "/more");
  EXPECT_EQ(variable(response->body, "QUERY_STRING"), "x=1");
  EXPECT_EQ(variable(response->body, "REQUEST_METHOD"), "GET");

  // Two redirects, from a POST: the request that arrives is a GET without a body.
  ASSERT_TRUE(
      client.send("POST /cgi-bin/chain.sh HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                  "Content-Length: 5\r\n\r\nhello"));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(variable(response->body, "SCRIPT_NAME"), "/cgi-bin/env.sh");
  EXPECT_EQ(variable(response->body, "REQUEST_METHOD"), "GET");
  EXPECT_EQ(variable(response->body, "CONTENT_LENGTH"), "<unset>");
  EXPECT_EQ(variable(response->body, "CONTENT_TYPE"), "<unset>");

  // To what is not a script: the fallback answers, for the new path.
  ASSERT_TRUE(client.send(get("/cgi-bin/to-static.sh")));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /page.txt?q=2 0") << "the script's body is not sent";
  ASSERT_TRUE(client.send(
      "POST /cgi-bin/to-static.sh HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /page.txt?q=2 0");

  // A HEAD stays a HEAD, through scripts and the fallback alike.
  ASSERT_TRUE(client.send("HEAD /cgi-bin/to-static.sh HTTP/1.1\r\nHost: t\r\n\r\n"));
  response = client.read_response(/*head_request=*/true);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("X-Seen"), "HEAD /page.txt?q=2 0");
  EXPECT_EQ(response->body, "");
  ASSERT_TRUE(client.send("HEAD /cgi-bin/chain.sh HTTP/1.1\r\nHost: t\r\n\r\n"));
  response = client.read_response(/*head_request=*/true);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");

  // The connection is still in step after all of them.
  ASSERT_TRUE(client.send(get("/cgi-bin/env.sh?plain")));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(variable(response->body, "QUERY_STRING"), "plain");
  EXPECT_TRUE(eventually([&] { return server.idle(); }));
}

TEST(Cgi, ALocationForTheClientIsA302) {
  ScriptFolder folder;
  // With another field, or naming another host: not a local redirect.
  folder.script("typed.sh", "printf 'Location: /elsewhere\\nContent-Type: text/plain\\n\\nsee'\n");
  folder.script("host.sh", "printf 'Location: //other.test/x\\n\\n'\n");
  folder.script("status.sh", "printf 'Status: 303 See Other\\nLocation: /x\\n\\n'\n");
  CgiOptions options;
  options.fallback = echo_request;
  CgiServer server(folder, options);
  for (auto [script, status, location] :
       {std::tuple{"typed.sh", 302, "/elsewhere"}, std::tuple{"host.sh", 302, "//other.test/x"},
        std::tuple{"status.sh", 303, "/x"}}) {
    auto response = testing::exchange(server.port(), get(std::string("/cgi-bin/") + script));
    ASSERT_TRUE(response) << script;
    EXPECT_EQ(response->status, status) << script;
    EXPECT_EQ(response->header("Location"), location) << script;
    EXPECT_EQ(response->header_count("X-Seen"), 0u) << script << ": followed";
  }
}

TEST(Cgi, ALoopOfLocalRedirectsEndsIn502) {
  ScriptFolder folder;
  folder.script("loop.sh",
                "echo run >> loop.count\nprintf 'Location: /cgi-bin/loop.sh?again\\n\\n'\n");
  CgiOptions options;
  options.max_local_redirects = 4;
  CgiServer server(folder, options);
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/cgi-bin/loop.sh")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 502);
  std::ifstream count(folder.root() + "/cgi-bin/loop.count");
  std::string line;
  int runs = 0;
  while (std::getline(count, line))
    ++runs;
  EXPECT_EQ(runs, 5) << "the request and its 4 redirects";
  ASSERT_TRUE(client.send(get("/page.txt")));  // and the connection goes on
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "static");
  EXPECT_TRUE(eventually([&] { return server.idle(); }));
}

TEST(Cgi, NphOutputGoesToTheClientUntouched) {
  ScriptFolder folder;
  const std::string output = "HTTP/1.1 299 Custom\r\nX-Nph: yes\r\n\r\nraw body, in two writes\n";
  folder.script("nph-raw.sh",
                "printf 'HTTP/1.1 299 Custom\\r\\nX-Nph: yes\\r\\n\\r\\nraw body, '\n"
                "printf 'in two writes\\n'\n");
  CgiServer server(folder);
  // The answer is the script's bytes, unframed, and the connection ends with
  // them: a request behind it on the same connection is not answered.
  for (const std::string& request :
       {get("/cgi-bin/nph-raw.sh") + get("/page.txt"),
        std::string("HEAD /cgi-bin/nph-raw.sh HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("GET /cgi-bin/nph-raw.sh HTTP/1.0\r\n\r\n")}) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(request));
    std::string all;
    ASSERT_TRUE(client.closed_by_peer(&all)) << request;
    EXPECT_EQ(all, output) << request;
  }
  EXPECT_TRUE(eventually([&] { return server.idle(); }));
}

TEST(Cgi, NphOutputKeepsPaceWithItsClient) {
  constexpr uint64_t kTotal = 16ull << 20;
  ScriptFolder folder;
  folder.script("nph-big.sh",
                "printf 'HTTP/1.1 200 OK\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n'\n"
                "exec head -c " +
                    std::to_string(kTotal) + " /dev/zero\n");
  ServerOptions options = testing::quiet_options();
  CgiServer server(folder, {}, options);
  std::atomic<size_t> most_queued{0};
  EventLoop::TimerId sampler = 0;
  HTTPServer& http = server.server->server();
  server.server->run_in_loop([&] {
    sampler = http.loop().run_every(milliseconds(1), [&] {
      size_t queued = http.queued_output_bytes();
      if (queued > most_queued) most_queued = queued;
    });
  });
  RawClient client(server.port(), "127.0.0.1", RawClient::Duration(60000), 64 * 1024);
  ASSERT_TRUE(client.send(get("/cgi-bin/nph-big.sh")));
  auto head = client.read_interim();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_FALSE(head->has_header("Transfer-Encoding"));
  EXPECT_EQ(client.discard(kTotal), kTotal);
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  EXPECT_EQ(rest, "") << "nothing follows the script's bytes";
  server.server->run_in_loop([&] { http.loop().cancel(sampler); });
  EXPECT_LE(most_queued.load(), options.output_high_water + 256 * 1024);
}

TEST(Cgi, StderrGoesToTheErrorLog) {
  ScriptFolder folder;
  folder.script("noisy.sh",
                "echo 'something went wrong' >&2\nprintf 'Content-Type: text/plain\\n\\nok'\n");
  testing::LogCapture log;
  ServerOptions options = testing::quiet_options();
  options.log_sink = log.sink();
  CgiServer server(folder, {}, options);
  auto response = testing::exchange(server.port(), get("/cgi-bin/noisy.sh"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "ok");
  bool found = false;
  for (const std::string& line : log.lines())
    found = found ||
            line.find("CGI script /cgi-bin/noisy.sh: something went wrong") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(Cgi, AMebibytePostReachesTheScriptIntact) {
  ScriptFolder folder;
  folder.script("echo.sh",
                "printf 'Content-Type: application/octet-stream\\nX-Length: %s\\n\\n' "
                "\"$CONTENT_LENGTH\"\nexec cat\n");
  CgiServer server(folder);
  std::string body(1 << 20, '\0');
  std::mt19937 random(42);
  for (char& c : body)
    c = static_cast<char>(random());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("X-Length"), std::to_string(body.size()));
  EXPECT_TRUE(response->body == body) << "body of " << response->body.size() << " bytes differs";
}

TEST(Cgi, SixtyFourMebibytesAreStreamedWithBoundedMemory) {
  constexpr uint64_t kTotal = 64ull << 20;
  ScriptFolder folder;
  folder.script("big.sh", "printf 'Content-Type: application/octet-stream\\nContent-Length: " +
                              std::to_string(kTotal) + "\\n\\n'\nexec head -c " +
                              std::to_string(kTotal) + " /dev/zero\n");
  ServerOptions options = testing::quiet_options();
  CgiServer server(folder, {}, options);
  // Samples what the server holds for its clients while the body passes.
  std::atomic<size_t> most_queued{0};
  EventLoop::TimerId sampler = 0;
  HTTPServer& http = server.server->server();
  server.server->run_in_loop([&] {
    sampler = http.loop().run_every(milliseconds(1), [&] {
      size_t queued = http.queued_output_bytes();
      if (queued > most_queued) most_queued = queued;
    });
  });
  long peak_before = peak_rss_kib();
  RawClient client(server.port(), "127.0.0.1", RawClient::Duration(60000), 64 * 1024);
  ASSERT_TRUE(client.send(get("/cgi-bin/big.sh")));
  auto head = client.read_interim();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->status, 200);
  EXPECT_EQ(client.discard(kTotal), kTotal);
  long growth_kib = peak_rss_kib() - peak_before;
  server.server->run_in_loop([&] { http.loop().cancel(sampler); });
  EXPECT_LT(growth_kib, 32 * 1024) << "64 MiB of output should not be held in memory";
  EXPECT_LE(most_queued.load(), options.output_high_water + 256 * 1024);
}

TEST(Cgi, ASlowScriptDoesNotDelayAStaticRequest) {
  ScriptFolder folder;
  folder.script("slow.sh",
                "echo $$ > slow.pid\nsleep 5\nprintf 'Content-Type: text/plain\\n\\nlate'\n");
  CgiServer server(folder);
  RawClient slow(server.port());
  ASSERT_TRUE(slow.send(get("/cgi-bin/slow.sh")));
  pid_t pid = folder.wait_for_pid("slow.pid");
  ASSERT_GT(pid, 0) << "the script did not start";
  auto start = Clock::now();
  auto response = testing::exchange(server.port(), get("/index.txt"));
  auto took = Clock::now() - start;
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "static");
  EXPECT_LT(took, milliseconds(1000)) << "the static request waited for the script";
  slow.close();  // and the script goes with its client
  EXPECT_TRUE(eventually([&] { return process_gone(pid) && server.idle(); }));
}

TEST(Cgi, AClientThatLeavesKillsItsScript) {
  ScriptFolder folder;
  // Headers first: the client is gone in the middle of the body.
  folder.script("endless.sh",
                "echo $$ > endless.pid\nprintf 'Content-Type: text/plain\\n\\nstarted\\n'\n"
                "exec sleep 60\n");
  CgiServer server(folder);
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(get("/cgi-bin/endless.sh")));
    ASSERT_TRUE(client.read_interim());
  }
  pid_t pid = folder.wait_for_pid("endless.pid");
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(eventually([&] { return process_gone(pid); })) << "script " << pid << " still runs";
  EXPECT_TRUE(eventually([&] { return server.idle(); }));
}

TEST(Cgi, AScriptThatNeverEndsIsKilledAtTheTimeout) {
  ScriptFolder folder;
  // It ignores SIGTERM (so do its children): SIGKILL must follow.
  folder.script("hang.sh", "trap '' TERM\necho $$ > hang.pid\nwhile :; do sleep 1; done\n");
  folder.script("hang-late.sh", "printf 'Content-Type: text/plain\\n\\npartial'\nexec sleep 60\n");
  CgiOptions options;
  options.timeout = milliseconds(300);
  options.kill_grace = milliseconds(200);
  CgiServer server(folder, options);

  auto start = Clock::now();
  auto response = testing::exchange(server.port(), get("/cgi-bin/hang.sh"));
  auto took = Clock::now() - start;
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 504);
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(5000));
  pid_t pid = folder.wait_for_pid("hang.pid");
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(eventually([&] { return process_gone(pid); })) << "SIGKILL did not follow";

  // After the head: the body is cut short, and must not look complete.
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/cgi-bin/hang-late.sh")));
  std::string rest;
  EXPECT_TRUE(client.closed_by_peer(&rest));
  std::string all = client.pending() + rest;
  EXPECT_NE(all.find("partial"), std::string::npos) << all;
  EXPECT_EQ(all.find("\r\n0\r\n\r\n"), std::string::npos) << "a cut-short body ended cleanly";
  EXPECT_TRUE(eventually([&] { return server.idle(); }));
}

TEST(Cgi, BeyondTheLimitTheAnswerIs503) {
  ScriptFolder folder;
  folder.script("slow.sh", "echo $$ > slow.pid\nexec sleep 30\n");
  folder.script("quick.sh", "printf 'Content-Type: text/plain\\n\\nquick'\n");
  CgiOptions options;
  options.max_processes = 1;
  CgiServer server(folder, options);
  RawClient slow(server.port());
  ASSERT_TRUE(slow.send(get("/cgi-bin/slow.sh")));
  ASSERT_GT(folder.wait_for_pid("slow.pid"), 0);
  auto refused = testing::exchange(server.port(), get("/cgi-bin/quick.sh"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  slow.close();
  ASSERT_TRUE(eventually([&] { return server.idle(); }));
  auto served = testing::exchange(server.port(), get("/cgi-bin/quick.sh"));
  ASSERT_TRUE(served);
  EXPECT_EQ(served->body, "quick");
}

/// Asks for cgi-bin/escape.sh, a symlink to a script in a folder beside
/// the root; returns what went wrong, empty when it was refused unrun.
std::string escape_through_a_symlink() {
  ScriptFolder folder;
  char pattern[] = "/tmp/basehttp-cgi-outside-XXXXXX";
  std::string outside = ::mkdtemp(pattern);
  std::string script = outside + "/escape.sh";
  std::ofstream(script) << "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nescaped'\n";
  ::chmod(script.c_str(), 0755);
  std::filesystem::create_symlink(script, folder.root() + "/cgi-bin/escape.sh");
  std::string failure;
  {
    CgiServer server(folder);
    auto response = testing::exchange(server.port(), get("/cgi-bin/escape.sh"));
    if (!response) {
      failure = "no response";
    } else if (response->status != 404 || response->body.find("escaped") != std::string::npos) {
      failure = "ran the script outside the root: " + std::to_string(response->status) + " " +
                response->body;
    }
  }
  std::filesystem::remove_all(outside);
  return failure;
}

TEST(Cgi, AScriptSymlinkedOutOfTheRootIsNotRun) {
  EXPECT_EQ(escape_through_a_symlink(), "");
}

// Kernels before 5.6 have no openat2: the fallback must refuse the same.
TEST(Cgi, AScriptSymlinkedOutOfTheRootIsNotRunWithoutOpenat2) {
  if (!testing::can_hide_openat2()) {
    GTEST_SKIP() << "seccomp filters are refused here: the fallback cannot be reached";
  }
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(testing::exit_with_check_without_openat2(escape_through_a_symlink),
              ::testing::ExitedWithCode(0), "");
}

TEST(Cgi, AThousandSequentialRequestsLeaveNoZombieAndNoDescriptor) {
  ScriptFolder folder;
  folder.script("quick.sh", "printf 'Content-Type: text/plain\\n\\n%s' \"$QUERY_STRING\"\n");
  CgiServer server(folder);
  RawClient client(server.port());
  // One run first, so that what the server keeps for good is counted.
  ASSERT_TRUE(client.send(get("/cgi-bin/quick.sh?warm")));
  ASSERT_TRUE(client.read_response());
  ASSERT_TRUE(eventually([&] { return server.idle(); }));
  size_t fds_before = open_fd_count();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(client.send(get("/cgi-bin/quick.sh?" + std::to_string(i))));
    auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    ASSERT_EQ(response->body, std::to_string(i));
  }
  EXPECT_TRUE(eventually([&] { return server.idle(); }));
  EXPECT_EQ(open_fd_count(), fds_before);
  auto [children, zombies] = child_processes();
  EXPECT_EQ(children, 0);
  EXPECT_EQ(zombies, 0);
}

TEST(Cgi, FiftyConcurrentRequestsLeaveNoZombieAndNoDescriptor) {
  ScriptFolder folder;
  folder.script("quick.sh",
                "sleep 0.2\nprintf 'Content-Type: text/plain\\n\\n%s' \"$QUERY_STRING\"\n");
  CgiServer server(folder);
  ASSERT_TRUE(testing::exchange(server.port(), get("/cgi-bin/quick.sh?warm")));
  ASSERT_TRUE(eventually([&] { return server.settled(); }));
  size_t fds_before = open_fd_count();
  {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 50; ++i) {
      clients.push_back(std::make_unique<RawClient>(server.port()));
      ASSERT_TRUE(clients.back()->send(get("/cgi-bin/quick.sh?" + std::to_string(i))));
    }
    for (int i = 0; i < 50; ++i) {
      auto response = clients[static_cast<size_t>(i)]->read_response();
      ASSERT_TRUE(response) << i;
      EXPECT_EQ(response->status, 200);
      EXPECT_EQ(response->body, std::to_string(i));
    }
  }
  EXPECT_TRUE(eventually([&] { return server.settled(); }));
  EXPECT_EQ(open_fd_count(), fds_before);
  auto [children, zombies] = child_processes();
  EXPECT_EQ(children, 0);
  EXPECT_EQ(zombies, 0);
}

}  // namespace
}  // namespace basehttp
