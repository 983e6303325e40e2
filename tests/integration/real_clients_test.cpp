// Drives the server with real HTTP clients: Python's http.client and curl,
// run as child processes under a time limit. Skipped (visibly) when the
// client is not installed; `./dev test` installs both.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/temp_folder.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::send_text;
using testing::TestServer;

bool installed(const char* program) {
  std::string probe = std::string("command -v ") + program + " >/dev/null 2>&1";
  return std::system(probe.c_str()) == 0;
}

// Runs `command` through the shell; returns its stdout and sets `status`.
std::string run(const std::string& command, int* status) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0)
    output.append(chunk, n);
  *status = pclose(pipe);
  return output;
}

HandlerTable client_table() {
  HandlerTable table;
  table.on("GET", [](RequestHandler& h) { send_text(h, 200, "got " + std::string(h.path())); });
  table.on("POST", [](RequestHandler& h) {
    send_text(
        h, 201,
        "posted " + std::to_string(h.body().size()) + " " + std::string(h.body().substr(0, 8)));
  });
  return table;
}

constexpr const char* kPythonClient = R"PY(
import http.client, sys
port = int(sys.argv[1])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def show(response):
    body = response.read().decode()
    print(response.status, response.getheader("Server"), body)
conn.request("GET", "/first")
show(conn.getresponse())
conn.request("POST", "/data", body=b"x" * 100000)
show(conn.getresponse())
conn.request("POST", "/chunks", body=iter([b"abcd", b"efgh", b"ij"]), encode_chunked=True,
             headers={"Transfer-Encoding": "chunked"})
show(conn.getresponse())
conn.request("HEAD", "/head")
response = conn.getresponse()
print(response.status, response.getheader("Content-Length"), repr(response.read()))
conn.request("GET", "/last")
show(conn.getresponse())
print("socket reused:", conn.sock is not None)
)PY";

TEST(RealClients, PythonHttpClient) {
  if (!installed("python3")) GTEST_SKIP() << "python3 is not installed";
  HandlerTable table = client_table();
  TestServer server(table);
  testing::TempFolder folder("client");
  std::string script_path = folder.file("client.py");
  FILE* script = std::fopen(script_path.c_str(), "w");
  ASSERT_NE(script, nullptr);
  std::fputs(kPythonClient, script);
  std::fclose(script);
  int status = -1;
  std::string output =
      run("timeout 30 python3 " + script_path + " " + std::to_string(server.port()), &status);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output,
            "200 basehttp/0.1 got /first\n"
            "201 basehttp/0.1 posted 100000 xxxxxxxx\n"
            "201 basehttp/0.1 posted 10 abcdefgh\n"
            "200 9 b''\n"
            "200 basehttp/0.1 got /last\n"
            "socket reused: True\n");
}

TEST(RealClients, Curl) {
  if (!installed("curl")) GTEST_SKIP() << "curl is not installed";
  HandlerTable table = client_table();
  TestServer server(table);
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  int status = -1;
  // Two URLs in one run share a connection; -v reports the reuse on stderr.
  std::string output =
      run("timeout 30 curl -sS -v --max-time 10 " + base + "/one " + base + "/two 2>&1", &status);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("got /one"), std::string::npos) << output;
  EXPECT_NE(output.find("got /two"), std::string::npos) << output;
  EXPECT_NE(output.find("Re-using existing connection"), std::string::npos) << output;

  // A large upload: curl sends "Expect: 100-continue" for it.
  output =
      run("head -c 2000000 /dev/zero | timeout 30 curl -sS --max-time 10 "
          "--data-binary @- " +
              base + "/upload",
          &status);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output.substr(0, 15), "posted 2000000 ") << output;

  output =
      run("timeout 30 curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X SPAM " + base + "/x",
          &status);
  EXPECT_EQ(output, "501");
}

}  // namespace
}  // namespace basehttp
