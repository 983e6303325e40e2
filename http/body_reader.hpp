// BodyReader: a weak handle to a request body that arrives while its
// handler already runs (HandlerTable::on_streaming, then
// RequestHandler::read_body()). The body reaches the handler piece by
// piece; a handler that cannot take more for now (a slow disk, a busy
// upstream) calls pause(), and the connection stops reading from its client
// until resume(), so memory stays bounded whatever the body's size. Like
// DeferredResponse it never keeps the connection alive: every call reports
// false once the body is over or the client has gone. Copyable; loop
// thread only (from another thread, post to the loop). Must not outlive
// its HTTPServer.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "http/deferred_response.hpp"

namespace basehttp {

class Exchange;

class BodyReader {
 public:
  /// One piece of the de-chunked body, valid only during the call.
  using Chunk = std::function<void(std::string_view data)>;

  BodyReader() = default;
  /// Made by RequestHandler::read_body(), for the request `deferred` stands for.
  explicit BodyReader(DeferredResponse deferred) : deferred_(std::move(deferred)) {}

  /// Takes no more body bytes until resume(); the piece being handed over,
  /// if any, was taken.
  bool pause() const;
  /// Takes body bytes again, including those that arrived while paused.
  bool resume() const;
  /// Runs `callback` if the connection ends before the body is complete
  /// (the client left, a timeout, the server shut it down).
  bool on_close(std::function<void()> callback) const;
  /// Body bytes handed over so far.
  uint64_t received() const;
  /// True while the body is still arriving.
  bool open() const;
  explicit operator bool() const { return static_cast<bool>(deferred_); }

 private:
  /// The exchange whose body this still reads, or nullptr.
  Exchange* reading() const;

  DeferredResponse deferred_;
};

}  // namespace basehttp
