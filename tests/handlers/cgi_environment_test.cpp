// Tests cgi_environment(): the RFC 3875 meta-variables, request headers as
// HTTP_* (joined when repeated), the ones kept out (credentials, httpoxy's
// Proxy, CONTENT_*, names with '_'), Basic credentials, and a server
// environment that passes nothing but PATH and the names listed.
#include "handlers/cgi/cgi_environment.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

namespace basehttp {
namespace {

std::map<std::string, std::string> as_map(const std::vector<std::string>& entries) {
  std::map<std::string, std::string> result;
  for (const std::string& entry : entries) {
    size_t equals = entry.find('=');
    EXPECT_NE(equals, std::string::npos) << entry;
    EXPECT_TRUE(result.emplace(entry.substr(0, equals), entry.substr(equals + 1)).second)
        << "set twice: " << entry;
  }
  return result;
}

CgiRequestInfo sample() {
  CgiRequestInfo info;
  info.method = "POST";
  info.protocol = "HTTP/1.0";
  info.script_name = "/cgi-bin/x.py";
  info.path_info = "/extra";
  info.path_translated = "/srv/extra";
  info.query = "a=1";
  info.remote_addr = "::1";
  info.server_name = "example.test";
  info.server_port = 8080;
  info.server_software = "basehttp/0.1";
  info.content_length = 5;
  return info;
}

TEST(CgiEnvironment, HasTheMetaVariables) {
  auto env = as_map(cgi_environment(sample(), {}));
  EXPECT_EQ(env["GATEWAY_INTERFACE"], "CGI/1.1");
  EXPECT_EQ(env["REQUEST_METHOD"], "POST");
  EXPECT_EQ(env["SERVER_PROTOCOL"], "HTTP/1.0");
  EXPECT_EQ(env["SCRIPT_NAME"], "/cgi-bin/x.py");
  EXPECT_EQ(env["PATH_INFO"], "/extra");
  EXPECT_EQ(env["PATH_TRANSLATED"], "/srv/extra");
  EXPECT_EQ(env["QUERY_STRING"], "a=1");
  EXPECT_EQ(env["REMOTE_ADDR"], "::1");
  EXPECT_EQ(env["REMOTE_HOST"], "::1");
  EXPECT_EQ(env["SERVER_NAME"], "example.test");
  EXPECT_EQ(env["SERVER_PORT"], "8080");
  EXPECT_EQ(env["SERVER_SOFTWARE"], "basehttp/0.1");
  EXPECT_EQ(env["CONTENT_LENGTH"], "5");
  EXPECT_EQ(env.count("CONTENT_TYPE"), 0u);
  EXPECT_EQ(env.count("AUTH_TYPE"), 0u);
}

TEST(CgiEnvironment, LeavesOutWhatTheRequestDoesNotHave) {
  CgiRequestInfo info = sample();
  info.path_info = "";
  info.remote_addr = "";
  info.content_length.reset();
  auto env = as_map(cgi_environment(info, {}));
  EXPECT_EQ(env["PATH_INFO"], "");
  EXPECT_EQ(env.count("PATH_TRANSLATED"), 0u) << "RFC 3875 §4.1.6";
  EXPECT_EQ(env.count("REMOTE_ADDR"), 0u);
  EXPECT_EQ(env.count("CONTENT_LENGTH"), 0u);
  EXPECT_EQ(env["QUERY_STRING"], "a=1");
}

TEST(CgiEnvironment, HeadersBecomeHttpVariables) {
  CgiRequestInfo info = sample();
  info.headers = {{"User-Agent", "test/1"},
                  {"Accept", "a/b"},
                  {"accept", "c/d"},
                  {"Cookie", "x=1"},
                  {"Cookie", "y=2"},
                  {"Content-Type", "a/b"},
                  {"Content-Length", "5"},
                  {"Proxy", "http://evil"},
                  {"Authorization", "Basic dXNlcjpwYTpzcw=="},
                  {"Proxy-Authorization", "Basic eDp5"},
                  {"X_Forwarded_For", "spoof"},
                  {"Transfer-Encoding", "chunked"}};
  auto env = as_map(cgi_environment(info, {}));
  EXPECT_EQ(env["HTTP_USER_AGENT"], "test/1");
  EXPECT_EQ(env["HTTP_ACCEPT"], "a/b, c/d");
  EXPECT_EQ(env["HTTP_COOKIE"], "x=1; y=2");
  EXPECT_EQ(env["CONTENT_TYPE"], "a/b");
  EXPECT_EQ(env.count("HTTP_CONTENT_TYPE"), 0u);
  EXPECT_EQ(env.count("HTTP_CONTENT_LENGTH"), 0u);
  EXPECT_EQ(env.count("HTTP_PROXY"), 0u) << "httpoxy";
  EXPECT_EQ(env.count("HTTP_AUTHORIZATION"), 0u);
  EXPECT_EQ(env.count("HTTP_PROXY_AUTHORIZATION"), 0u);
  EXPECT_EQ(env.count("HTTP_X_FORWARDED_FOR"), 0u);
  EXPECT_EQ(env.count("HTTP_TRANSFER_ENCODING"), 0u);
  EXPECT_EQ(env["AUTH_TYPE"], "Basic");
  EXPECT_EQ(env["REMOTE_USER"], "user") << "user-id up to the first ':' (RFC 7617)";
}

TEST(CgiEnvironment, OtherAuthSchemesGiveOnlyTheType) {
  CgiRequestInfo info = sample();
  info.headers = {{"Authorization", "Bearer abc.def"}};
  auto env = as_map(cgi_environment(info, {}));
  EXPECT_EQ(env["AUTH_TYPE"], "Bearer");
  EXPECT_EQ(env.count("REMOTE_USER"), 0u);
  info.headers = {{"Authorization", "Basic !!notbase64"}};
  env = as_map(cgi_environment(info, {}));
  EXPECT_EQ(env["AUTH_TYPE"], "Basic");
  EXPECT_EQ(env.count("REMOTE_USER"), 0u);
}

TEST(CgiEnvironment, PassesOnlyPathAndTheListedVariables) {
  ::setenv("BASEHTTP_TEST_LISTED", "yes", 1);
  ::setenv("BASEHTTP_TEST_SECRET", "no", 1);
  auto env = as_map(cgi_environment(sample(), {"BASEHTTP_TEST_LISTED", "BASEHTTP_TEST_UNSET"}));
  ::unsetenv("BASEHTTP_TEST_LISTED");
  ::unsetenv("BASEHTTP_TEST_SECRET");
  EXPECT_EQ(env["BASEHTTP_TEST_LISTED"], "yes");
  EXPECT_EQ(env.count("BASEHTTP_TEST_SECRET"), 0u);
  EXPECT_EQ(env.count("BASEHTTP_TEST_UNSET"), 0u);
  EXPECT_EQ(env.count("PATH"), 1u);
}

TEST(CgiEnvironment, TheSchemeIsTheConnections) {
  auto plain = as_map(cgi_environment(sample(), {}));
  EXPECT_EQ(plain["REQUEST_SCHEME"], "http");
  EXPECT_EQ(plain.count("HTTPS"), 0u);
  CgiRequestInfo info = sample();
  info.https = true;
  auto tls = as_map(cgi_environment(info, {}));
  EXPECT_EQ(tls["REQUEST_SCHEME"], "https");
  EXPECT_EQ(tls["HTTPS"], "on");
}

// The server's own environment, passed through, never sets a name the
// request sets (as_map fails on a name set twice) nor one it leaves out
// on purpose: a plain request must not pose as TLS.
TEST(CgiEnvironment, APassedVariableNeverStandsInForTheRequests) {
  ::setenv("HTTPS", "on", 1);
  ::setenv("SERVER_NAME", "from.the.server", 1);
  auto env = as_map(cgi_environment(sample(), {"HTTPS", "SERVER_NAME"}));
  ::unsetenv("HTTPS");
  ::unsetenv("SERVER_NAME");
  EXPECT_EQ(env["SERVER_NAME"], "example.test");
  EXPECT_EQ(env.count("HTTPS"), 0u);
}

TEST(CgiEnvironment, DecodesBase64Strictly) {
  EXPECT_EQ(decode_base64("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(decode_base64("YQ=="), "a");
  EXPECT_EQ(decode_base64("YWI="), "ab");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_FALSE(decode_base64("YQ="));
  EXPECT_FALSE(decode_base64("Y=Q="));
  EXPECT_FALSE(decode_base64("YQ==YQ=="));
  EXPECT_FALSE(decode_base64("a b="));
}

}  // namespace
}  // namespace basehttp
