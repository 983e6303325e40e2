#include "http/session.hpp"

#include <exception>
#include <string>

#include "http/server.hpp"

namespace basehttp {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

ParserLimits limits_from(const ServerOptions& options) {
  ParserLimits limits;
  limits.max_request_line = options.max_request_line;
  limits.max_header_fields = options.max_header_fields;
  limits.max_header_bytes = options.max_header_bytes;
  limits.max_body_bytes = options.max_body_bytes;
  return limits;
}

}  // namespace

Session::Session(HTTPServer& server, FileDescriptor socket, const SocketAddress& peer,
                 uint32_t slot, uint32_t generation)
    : server_(server),
      connection_(server.loop(), std::move(socket), peer, *this),
      parser_(limits_from(server.options())),
      handler_(*this),
      slot_(slot),
      generation_(generation) {}

void Session::process_input() {
  while (connection_.open() && !paused()) {
    switch (parser_.parse(connection_.input(), request_)) {
      case RequestParser::Event::kNeedMore:
        // The peer sent its last byte and no complete request is left.
        if (connection_.peer_closed()) connection_.close_after_flush();
        return;
      case RequestParser::Event::kHeadersComplete:
        if (!on_headers_complete()) return;
        break;
      case RequestParser::Event::kMessageComplete:
        dispatch();
        break;
      case RequestParser::Event::kError:
        answer_parse_error();
        return;
    }
  }
}

const HandlerTable::Handler* find_handler(const HandlerTable& table, std::string_view method) {
  const HandlerTable::Handler* handler = table.find(method);
  // A HEAD with no handler of its own is answered by GET's, without the body.
  if (handler == nullptr && method == "HEAD") handler = table.find("GET");
  return handler;
}

bool Session::on_headers_complete() {
  if (!request_.expect_continue) return true;
  const char* base = connection_.input().peek();
  if (find_handler(server_.handlers(), request_.method.in(base)) == nullptr) {
    // Nobody will read the body: answer now instead of inviting it.
    dispatch();
    return false;
  }
  // The client waits for 100 before sending the body, unless it already has.
  if (connection_.input().readable_bytes() == parser_.parsed_bytes()) {
    connection_.output().append(kContinue);
    connection_.flush();
  }
  return true;
}

void Session::dispatch() {
  const char* base = connection_.input().peek();
  std::string_view method = request_.method.in(base);
  const HandlerTable::Handler* handler = find_handler(server_.handlers(), method);
  ++sequence_;
  handler_.begin(&request_, true);
  if (request_.message_size == 0) handler_.set_close_connection(true);  // body unread
  dispatching_ = true;
  if (handler == nullptr) {
    handler_.send_error(501, "Unsupported method ('" + std::string(method) + "')");
  } else {
    try {
      (*handler)(handler_);
    } catch (const std::exception& error) {
      handler_.fail(error.what());
    } catch (...) {
      handler_.fail("unknown exception");
    }
  }
  dispatching_ = false;
  if (handler_.deferred()) {
    awaiting_deferred_ = true;
    connection_.pause_reading();
    return;
  }
  finish_request();
}

void Session::finish_request() {
  handler_.finish();
  Buffer& input = connection_.input();
  // A request answered before its body arrived (see on_headers_complete)
  // leaves the body unread: the connection cannot go on.
  bool complete = request_.message_size > 0;
  bool close = !complete || handler_.close_connection() || shutting_down_ ||
               request_.method.in(input.peek()) == "CONNECT";  // no tunnels: the stream ends here
  if (complete) {
    input.retrieve(request_.message_size);
    parser_.next_message();
  }
  if (close) {
    connection_.close_after_flush(/*linger=*/!input.empty() || !complete);
    return;
  }
  const ServerOptions& options = server_.options();
  if (connection_.output().size() > options.output_high_water) {
    over_high_water_ = true;
    connection_.pause_reading();
    connection_.watch_drain(options.output_low_water);
  }
}

void Session::answer_parse_error() {
  // The stream is out of step: answer, then close once the answer is out.
  ++sequence_;
  handler_.begin(&request_, parser_.request_line_parsed());
  handler_.set_close_connection(true);
  handler_.send_error(parser_.error_status(), parser_.error_message());
  handler_.finish();
  connection_.close_after_flush(/*linger=*/true);
}

void Session::on_peer_closed(Connection&) {
  // Requests already read are still answered; process_input() closes once
  // nothing complete is left.
  process_input();
}

void Session::on_hangup_while_paused(Connection&) {
  // A client that leaves while its response is deferred has given up on it.
  if (awaiting_deferred_) connection_.abort();
}

void Session::on_output_drained(Connection&) {
  over_high_water_ = false;
  resume();
}

void Session::on_closed(Connection&) {
  server_.release(slot_);
}

void Session::resume() {
  process_input();
  if (connection_.open() && !paused()) connection_.resume_reading();
  connection_.flush();
}

DeferredResponse Session::defer() {
  return DeferredResponse(&server_, slot_, generation_, sequence_);
}

bool Session::awaits(uint64_t sequence) const {
  return !connection_.closed() && sequence == sequence_ && handler_.deferred();
}

bool Session::complete_deferred(uint64_t sequence, const DeferredResponse::Completion& finish) {
  if (!awaits(sequence)) return false;
  handler_.clear_deferred();
  bool was_dispatching = dispatching_;
  dispatching_ = true;
  try {
    finish(handler_);
  } catch (const std::exception& error) {
    handler_.fail(error.what());
  } catch (...) {
    handler_.fail("unknown exception");
  }
  dispatching_ = was_dispatching;
  // Completed from inside the handler itself: dispatch() carries on.
  if (was_dispatching) return true;
  awaiting_deferred_ = false;
  finish_request();
  resume();
  return true;
}

void Session::begin_shutdown() {
  shutting_down_ = true;
  bool idle = parser_.at_message_start() && connection_.input().empty() && !awaiting_deferred_ &&
              !dispatching_;
  if (idle) connection_.close_after_flush();
}

}  // namespace basehttp
