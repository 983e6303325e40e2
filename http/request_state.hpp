// RequestState: what a connection needs while a request is in flight (the
// parser, the parsed request, the handler and the callbacks of a streamed
// body or response), and RequestStatePool, which lends states to busy
// connections and takes them back when they go idle, so that an idle
// connection holds none and a busy one takes one without allocating.
// One pool per server; loop thread only. Internal.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "http/body_reader.hpp"
#include "http/deferred_response.hpp"
#include "http/handler_driver.hpp"
#include "http/parser_limits.hpp"
#include "http/request.hpp"
#include "http/request_parser.hpp"

namespace basehttp {

struct RequestState {
  explicit RequestState(const ParserLimits& limits) : parser(limits) {}
  RequestParser parser;
  Request request;
  HandlerDriver handler;
  // A ResponseStream's producer callbacks, while it streams; stream_closed
  // is a BodyReader's too.
  std::function<void()> stream_drained;
  std::function<void()> stream_closed;
  // A streamed request body's consumer (RequestHandler::read_body()).
  BodyReader::Chunk body_chunk;
  DeferredResponse::Completion body_end;
};

class RequestStatePool {
 public:
  explicit RequestStatePool(const ParserLimits& limits) : limits_(limits) {}

  /// A state ready for a new message (allocates only when none is spare).
  std::unique_ptr<RequestState> acquire() {
    if (spares_.empty()) return std::make_unique<RequestState>(limits_);
    std::unique_ptr<RequestState> state = std::move(spares_.back());
    spares_.pop_back();
    return state;
  }
  void release(std::unique_ptr<RequestState> state) {
    // Enough spares for the connections busy at once in a burst; beyond
    // that a state is freed (a few hundred bytes and one allocation).
    if (spares_.size() >= kSpareStates) return;
    state->parser.next_message();
    spares_.push_back(std::move(state));
  }
  size_t spares() const { return spares_.size(); }

  static constexpr size_t kSpareStates = 256;

 private:
  ParserLimits limits_;
  std::vector<std::unique_ptr<RequestState>> spares_;
};

}  // namespace basehttp
