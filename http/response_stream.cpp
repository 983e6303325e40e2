#include "http/response_stream.hpp"

#include <utility>

#include "http/session.hpp"

namespace basehttp {

bool ResponseStream::write(std::string_view data) const {
  Session* session = deferred_.awaiting_session();
  return session != nullptr && session->stream_write(data);
}

bool ResponseStream::writable() const {
  Session* session = deferred_.awaiting_session();
  return session != nullptr && session->stream_writable();
}

size_t ResponseStream::queued() const {
  Session* session = deferred_.awaiting_session();
  return session != nullptr ? session->stream_queued() : 0;
}

bool ResponseStream::on_drain(std::function<void()> callback) const {
  Session* session = deferred_.awaiting_session();
  if (session == nullptr) return false;
  session->stream_on_drain(std::move(callback));
  return true;
}

bool ResponseStream::on_close(std::function<void()> callback) const {
  Session* session = deferred_.awaiting_session();
  if (session == nullptr) return false;
  session->stream_on_close(std::move(callback));
  return true;
}

bool ResponseStream::finish() const {
  return deferred_.complete([](RequestHandler&) {});
}

bool ResponseStream::abort() const {
  Session* session = deferred_.awaiting_session();
  if (session == nullptr) return false;
  session->abort();
  return true;
}

}  // namespace basehttp
