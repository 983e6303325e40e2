// Checks benchmarks/hello_server's contract: /plaintext, /json, POST /echo
// (Content-Length and chunked), 404 otherwise, and exit status 0 on
// SIGTERM and SIGINT. The binary's path comes from BASEHTTP_HELLO_SERVER.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "tests/support/raw_client.hpp"

namespace basehttp {
namespace {

using testing::RawClient;

// A port that was free a moment ago (the kernel's next ephemeral choice).
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class HelloServer : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* binary = std::getenv("BASEHTTP_HELLO_SERVER");
    if (binary == nullptr) GTEST_SKIP() << "BASEHTTP_HELLO_SERVER not set (benchmarks not built)";
    port_ = free_port();
    std::string port_text = std::to_string(port_);
    pid_ = fork();
    if (pid_ == 0) {
      execl(binary, binary, port_text.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait (bounded) until it accepts connections.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      RawClient probe(port_);
      if (probe.connected()) return;
      std::this_thread::yield();
    }
    FAIL() << "hello_server did not start listening";
  }
  void TearDown() override {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Sends `signal_number` and returns the exit status (-1 if it did not exit in 10 s).
  int stop_with(int signal_number) {
    kill(pid_, signal_number);
    return exit_status();
  }
  int exit_status() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::yield();
    }
    return -1;
  }
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

TEST_F(HelloServer, AnswersItsEndpoints) {
  RawClient client(port_);
  ASSERT_TRUE(
      client.send("GET /plaintext HTTP/1.1\r\nHost: h\r\n\r\n"
                  "GET /json HTTP/1.1\r\nHost: h\r\n\r\n"
                  "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                  "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                  "GET /other HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto plaintext = client.read_response();
  ASSERT_TRUE(plaintext);
  EXPECT_EQ(plaintext->status, 200);
  EXPECT_EQ(plaintext->header("Content-Type"), "text/plain");
  EXPECT_EQ(plaintext->body, "Hello, World!");
  EXPECT_TRUE(plaintext->has_header("Date"));
  EXPECT_TRUE(plaintext->has_header("Server"));
  auto json = client.read_response();
  ASSERT_TRUE(json);
  EXPECT_EQ(json->header("Content-Type"), "application/json");
  EXPECT_EQ(json->body, R"({"message":"Hello, World!"})");
  auto echo = client.read_response();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->body, "hello");
  auto chunked_echo = client.read_response();
  ASSERT_TRUE(chunked_echo);
  EXPECT_EQ(chunked_echo->body, "abcde");
  auto other = client.read_response();
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  EXPECT_EQ(stop_with(SIGTERM), 0);
}

TEST_F(HelloServer, ExitsCleanlyOnSigint) {
  EXPECT_EQ(stop_with(SIGINT), 0);
}

TEST_F(HelloServer, FinishesAnInFlightRequestBeforeExiting) {
  RawClient client(port_);
  // Half a request is in flight when the signal comes; it still gets its answer.
  // The interim 100 shows the server has parsed the header section.
  ASSERT_TRUE(client.send(
      "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = client.read_interim();
  ASSERT_TRUE(interim);
  ASSERT_EQ(interim->status, 100);
  kill(pid_, SIGTERM);
  ASSERT_TRUE(client.send("abcd"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "abcd");
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(exit_status(), 0);
}

}  // namespace
}  // namespace basehttp
