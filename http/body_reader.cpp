#include "http/body_reader.hpp"

#include <utility>

#include "http/exchange.hpp"

namespace basehttp {
Exchange* BodyReader::reading() const {
  Exchange* exchange = deferred_.awaiting();
  return exchange != nullptr && exchange->reading_body() ? exchange : nullptr;
}

bool BodyReader::pause() const {
  Exchange* exchange = reading();
  if (exchange == nullptr) return false;
  exchange->pause_body();
  return true;
}

bool BodyReader::resume() const {
  Exchange* exchange = reading();
  if (exchange == nullptr) return false;
  exchange->resume_body();
  return true;
}

bool BodyReader::on_close(std::function<void()> callback) const {
  Exchange* exchange = reading();
  if (exchange == nullptr) return false;
  exchange->stream_on_close(std::move(callback));
  return true;
}

uint64_t BodyReader::received() const {
  Exchange* exchange = reading();
  return exchange != nullptr ? exchange->body_received() : 0;
}

bool BodyReader::open() const {
  return reading() != nullptr;
}

}  // namespace basehttp
