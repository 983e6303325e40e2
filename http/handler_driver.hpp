// HandlerDriver: the side of a RequestHandler that the server drives
// (lending it to a connection, starting and finishing each request,
// turning a handler's exception into an answer), kept out of the public
// class so that application code sees only Python's vocabulary. The
// RequestStatePool holds these; handlers receive them as RequestHandler&.
// Loop thread only. Internal.
#pragma once

#include "http/request_handler.hpp"

namespace basehttp {

class HandlerDriver final : public RequestHandler {
 public:
  HandlerDriver() = default;

  using RequestHandler::attach;
  using RequestHandler::begin;
  using RequestHandler::clear_deferred;
  using RequestHandler::deferred;
  using RequestHandler::fail;
  using RequestHandler::finish;
  using RequestHandler::response_cut_short;
};

}  // namespace basehttp
