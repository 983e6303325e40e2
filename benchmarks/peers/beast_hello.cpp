// beast_hello: the hello server of benchmarks/compare.py written with
// Boost.Beast the way its asynchronous server example does it: one
// io_context run by one thread, a session per connection that reads a
// request, writes its response and reads the next while keep-alive holds.
// The request and response live in the session and are reset before each
// use, and the read buffer is a flat_buffer, all as in the example.
// The socket is a plain tcp::socket, not the example's beast::tcp_stream
// with a 30 s timer per operation: no idle timeout, slightly less work.
// Beast writes no Date header of its own; none is added here (the
// comparison notes what each library does by itself). Usage:
//   beast_hello PORT
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}

  void start() { read(); }

 private:
  void read() {
    request_ = {};
    http::async_read(socket_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read(error);
                     });
  }

  void on_read(beast::error_code error) {
    if (error == http::error::end_of_stream) {
      socket_.shutdown(tcp::socket::shutdown_send, error);
      return;
    }
    if (error) return;  // a bad request or a reset: Beast leaves the answer to us; drop
    respond();
    http::async_write(socket_, response_,
                      [self = shared_from_this()](beast::error_code error, std::size_t) {
                        self->on_write(error);
                      });
  }

  void respond() {
    response_ = {};
    response_.version(request_.version());
    response_.set(http::field::server, BOOST_BEAST_VERSION_STRING);
    if (request_.method() == http::verb::get || request_.method() == http::verb::head) {
      if (request_.target() == "/plaintext") {
        fill(http::status::ok, "text/plain", "Hello, World!");
      } else if (request_.target() == "/json") {
        fill(http::status::ok, "application/json", R"({"message":"Hello, World!"})");
      } else {
        fill(http::status::not_found, "text/plain", "Not Found\n");
      }
    } else {
      fill(http::status::method_not_allowed, "text/plain", "Method Not Allowed\n");
    }
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    if (request_.method() == http::verb::head) response_.body().clear();
  }

  void fill(http::status status, beast::string_view type, beast::string_view body) {
    response_.result(status);
    response_.set(http::field::content_type, type);
    response_.body().assign(body.data(), body.size());
  }

  void on_write(beast::error_code error) {
    if (error) return;
    if (!response_.keep_alive()) {
      socket_.shutdown(tcp::socket::shutdown_send, error);
      return;
    }
    read();
  }

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

class Listener {
 public:
  Listener(asio::io_context& io, const tcp::endpoint& at) : acceptor_(io, at) {}

  void accept() {
    acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
      if (!error) {
        socket.set_option(tcp::no_delay(true));
        std::make_shared<Session>(std::move(socket))->start();
      }
      accept();
    });
  }

 private:
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: beast_hello PORT\n");
    return 2;
  }
  auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  asio::io_context io{1};  // concurrency hint 1: one thread, no locking
  Listener listener(io, {asio::ip::make_address("127.0.0.1"), port});
  listener.accept();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](beast::error_code, int) { io.stop(); });
  io.run();
  return 0;
}
