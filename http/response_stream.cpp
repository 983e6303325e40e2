#include "http/response_stream.hpp"

#include <utility>

#include "http/exchange.hpp"

namespace basehttp {

bool ResponseStream::write(std::string_view data) const {
  Exchange* exchange = deferred_.awaiting();
  return exchange != nullptr && exchange->stream_write(data);
}

bool ResponseStream::writable() const {
  Exchange* exchange = deferred_.awaiting();
  return exchange != nullptr && exchange->stream_writable();
}

size_t ResponseStream::queued() const {
  Exchange* exchange = deferred_.awaiting();
  return exchange != nullptr ? exchange->stream_queued() : 0;
}

bool ResponseStream::on_drain(std::function<void()> callback) const {
  Exchange* exchange = deferred_.awaiting();
  if (exchange == nullptr) return false;
  exchange->stream_on_drain(std::move(callback));
  return true;
}

bool ResponseStream::on_close(std::function<void()> callback) const {
  Exchange* exchange = deferred_.awaiting();
  if (exchange == nullptr) return false;
  exchange->stream_on_close(std::move(callback));
  return true;
}

bool ResponseStream::finish() const {
  return deferred_.complete([](RequestHandler&) {});
}

bool ResponseStream::abort() const {
  Exchange* exchange = deferred_.awaiting();
  if (exchange == nullptr) return false;
  exchange->abort();
  return true;
}

}  // namespace basehttp
