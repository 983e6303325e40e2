#include "tests/support/test_server.hpp"

#include <future>
#include <stdexcept>

namespace basehttp::testing {

ServerOptions quiet_options() {
  ServerOptions options;
  options.log_sink = nullptr;
  return options;
}

void send_text(RequestHandler& handler, int code, std::string_view body) {
  handler.send_response(code);
  handler.send_header("Content-Type", "text/plain");
  handler.send_header("Content-Length", std::to_string(body.size()));
  handler.end_headers();
  handler.write(body);
}

TestServer::TestServer(HandlerTable& table, ServerOptions options, std::string host)
    : TestServer(table, std::move(options), ServerAddress{std::move(host), 0}) {}

TestServer::TestServer(HandlerTable& table, ServerOptions options, ServerAddress address)
    : server_(std::make_unique<HTTPServer>(std::move(address), table, std::move(options))) {
  thread_ = std::thread([this] { server_->serve_forever(); });
}

TestServer::~TestServer() {
  server_->shutdown();
  thread_.join();
}

void TestServer::run_in_loop(std::function<void()> fn) {
  std::promise<void> done;
  auto future = done.get_future();
  server_->loop().post([&] {
    fn();
    done.set_value();
  });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    throw std::runtime_error("the loop did not run the posted function in 10 s");
  }
}

}  // namespace basehttp::testing
