// ResponseStream: a response written over time (server-sent events, output
// produced as it becomes ready), from RequestHandler::stream(). Like
// DeferredResponse it is a weak handle: it never keeps the connection
// alive, and every call on it reports when the client has gone. Each
// write() goes out at once, as one chunk (HTTP/1.1 without a
// Content-Length) or as plain bytes (a Content-Length, or a close-delimited
// HTTP/1.0 body). A producer keeps pace with its client through writable()
// and on_drain(), so a fast source cannot grow the server's memory; on_close()
// tells it when the client leaves. finish() ends the response and the
// connection goes on to its next request. Copyable; loop thread only (from
// another thread, post to the loop). Must not outlive its HTTPServer.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>

#include "http/deferred_response.hpp"

namespace basehttp {

class ResponseStream {
 public:
  ResponseStream() = default;
  /// Made by RequestHandler::stream(), for the response `deferred` stands for.
  explicit ResponseStream(DeferredResponse deferred) : deferred_(std::move(deferred)) {}

  /// Queues `data` and writes what the socket takes. False, writing
  /// nothing, when the client has gone or the stream was finished.
  bool write(std::string_view data) const;
  /// True while the queued bytes are below ServerOptions::output_high_water.
  bool writable() const;
  /// Response bytes queued and not yet taken by the kernel.
  size_t queued() const;
  /// Runs `callback` once, when the queue has fallen to
  /// ServerOptions::output_low_water (soon, from the loop, if it already
  /// has). False if the stream is over.
  bool on_drain(std::function<void()> callback) const;
  /// Runs `callback` if the connection ends before finish(): the client
  /// left, or the server shut it. False if the stream is over.
  bool on_close(std::function<void()> callback) const;
  /// Ends the response (the last chunk) and lets the connection carry on.
  bool finish() const;
  /// Ends the response by closing the connection at once, for a producer
  /// that failed midway: finish() would make a cut-short body look
  /// complete. on_close() callbacks run. False if the stream is over.
  bool abort() const;
  /// True while the client still takes this response.
  bool open() const { return deferred_.pending(); }
  explicit operator bool() const { return static_cast<bool>(deferred_); }

 private:
  DeferredResponse deferred_;
};

}  // namespace basehttp
