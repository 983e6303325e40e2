#include "tests/support/in_process_exchange.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "http/server_context.hpp"
#include "http/session.hpp"

namespace basehttp::testing {

InProcessExchange::InProcessExchange(HandlerTable& table, ServerOptions options)
    : context_(std::make_unique<ServerContext>(loop_, table, std::move(options))),
      session_(std::make_unique<Session>(*context_, FileDescriptor(),
                                         *SocketAddress::parse("127.0.0.1", 40000),
                                         /*slot=*/0, /*generation=*/0)) {}

InProcessExchange::~InProcessExchange() = default;

size_t InProcessExchange::feed(std::string_view bytes) {
  Connection& connection = session_->connection();
  connection.input().append(bytes);
  static_cast<ConnectionHandler&>(*session_).on_input(connection);
  size_t produced = connection.output().size();
  connection.output().clear();
  return produced;
}

std::string InProcessExchange::exchange(std::string_view bytes) {
  Connection& connection = session_->connection();
  connection.input().append(bytes);
  static_cast<ConnectionHandler&>(*session_).on_input(connection);
  // Drain the queue through a socketpair to read its bytes back.
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) {
    throw std::runtime_error("socketpair failed");
  }
  std::string bytes_out;
  char chunk[65536];
  while (!connection.output().empty()) {
    connection.output().flush_to(fds[0]);
    ssize_t n;
    while ((n = ::read(fds[1], chunk, sizeof(chunk))) > 0)
      bytes_out.append(chunk, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  ::close(fds[1]);
  return bytes_out;
}

}  // namespace basehttp::testing
