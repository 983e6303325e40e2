#include "http/body_reader.hpp"

#include <utility>

#include "http/session.hpp"

namespace basehttp {
Session* BodyReader::reading_session() const {
  Session* session = deferred_.awaiting_session();
  return session != nullptr && session->reading_body() ? session : nullptr;
}

bool BodyReader::pause() const {
  Session* session = reading_session();
  if (session == nullptr) return false;
  session->pause_body();
  return true;
}

bool BodyReader::resume() const {
  Session* session = reading_session();
  if (session == nullptr) return false;
  session->resume_body();
  return true;
}

bool BodyReader::on_close(std::function<void()> callback) const {
  Session* session = reading_session();
  if (session == nullptr) return false;
  session->stream_on_close(std::move(callback));
  return true;
}

uint64_t BodyReader::received() const {
  Session* session = reading_session();
  return session != nullptr ? session->body_received() : 0;
}

bool BodyReader::open() const {
  return reading_session() != nullptr;
}

}  // namespace basehttp
