// TestServer: an HTTPServer on an ephemeral loopback port, serving from a
// background thread for the length of a test, shut down gracefully (with a
// bounded wait) when destroyed.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "basehttp.hpp"

namespace basehttp::testing {

/// Options with the access log captured instead of printed.
class LogCapture {
 public:
  LogSink sink() {
    return [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

/// ServerOptions for tests: no log output.
ServerOptions quiet_options();

/// Sends a complete text/plain response with a Content-Length.
void send_text(RequestHandler& handler, int code, std::string_view body);

class TestServer {
 public:
  explicit TestServer(HandlerTable& table, ServerOptions options = quiet_options(),
                      std::string host = "127.0.0.1");
  /// Listens where `address` says (a unix socket, an inherited fd...).
  TestServer(HandlerTable& table, ServerOptions options, ServerAddress address);
  ~TestServer();

  uint16_t port() const { return server_->server_port(); }
  HTTPServer& server() { return *server_; }
  /// Runs `fn` on the loop thread and waits for it (bounded).
  void run_in_loop(std::function<void()> fn);

 private:
  std::unique_ptr<HTTPServer> server_;
  std::thread thread_;
};

}  // namespace basehttp::testing
