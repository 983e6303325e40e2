// Exchange: the calls the handles given to application code make on the
// request they stand for (DeferredResponse, ResponseStream, BodyReader),
// and nothing else. A Session implements it; a handle finds it through
// its server's SessionTable by slot and generation, so it reaches either
// the live exchange or nothing. Loop thread only. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "http/deferred_response.hpp"

namespace basehttp {

class Exchange {
 public:
  // ---- A deferred response ----
  /// True while request `sequence` is this exchange's and its answer is awaited.
  virtual bool awaits(uint64_t sequence) const = 0;
  /// Runs `finish` for request `sequence` if it is still awaited.
  virtual bool complete(uint64_t sequence, const DeferredResponse::Completion& finish) = 0;

  // ---- A response stream (callers checked awaits()) ----
  virtual bool stream_write(std::string_view data) = 0;
  virtual bool stream_writable() const = 0;
  virtual size_t stream_queued() const = 0;
  virtual void stream_on_drain(std::function<void()> callback) = 0;
  /// Also a BodyReader's: the connection ended before the stream did.
  virtual void stream_on_close(std::function<void()> callback) = 0;
  /// Closes the connection at once.
  virtual void abort() = 0;

  // ---- A streamed request body ----
  virtual bool reading_body() const = 0;
  virtual void pause_body() = 0;
  virtual void resume_body() = 0;
  virtual uint64_t body_received() const = 0;

 protected:
  ~Exchange() = default;
};

}  // namespace basehttp
