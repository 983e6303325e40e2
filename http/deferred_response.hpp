// DeferredResponse: a weak handle to a response that a handler promised to
// finish later (RequestHandler::defer()). It never keeps the connection
// alive: if the client left, completing reports false and does nothing.
// Copyable; complete() and pending() are for the loop thread, post() for
// any thread. It may outlive the HTTPServer that made it (the server is
// then gone, like the client); post() needs the server's loop to exist.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace basehttp {

class Exchange;
class RequestHandler;
struct ServerAnchor;

class DeferredResponse {
 public:
  /// Writes the rest of the response through the same RequestHandler the
  /// request was dispatched with (its request data is still valid).
  using Completion = std::function<void(RequestHandler&)>;

  DeferredResponse() = default;
  /// Made by the server (RequestHandler::defer()): request `sequence` of
  /// the connection in `slot` of the server that `anchor` stands for.
  DeferredResponse(std::shared_ptr<ServerAnchor> anchor, uint32_t slot, uint32_t generation,
                   uint64_t sequence)
      : anchor_(std::move(anchor)), slot_(slot), generation_(generation), sequence_(sequence) {}

  /// Loop thread. Runs `finish` and lets the connection go on to its next
  /// request. Returns false without calling `finish` when the client has
  /// gone, the server shut the connection, or it was completed already.
  /// `finish` may defer the response again (defer(), stream(): a request
  /// answered anew after RequestHandler::reroute()); it is then awaited
  /// once more, through the new handle (equal to this one).
  bool complete(const Completion& finish) const;
  /// Any thread: runs complete(finish) on the loop thread, then `done`
  /// (if given) with its result, also on the loop thread.
  void post(Completion finish, std::function<void(bool completed)> done = {}) const;
  /// Loop thread: true while the client still waits for this response.
  bool pending() const;
  /// False for a default-constructed handle.
  explicit operator bool() const { return anchor_ != nullptr; }
  /// The exchange still awaiting this response, or nullptr: for the other
  /// handles (ResponseStream, BodyReader), which act on the same request.
  Exchange* awaiting() const;

 private:
  Exchange* exchange() const;

  std::shared_ptr<ServerAnchor> anchor_;
  uint32_t slot_ = 0;
  uint32_t generation_ = 0;
  uint64_t sequence_ = 0;
};

}  // namespace basehttp
