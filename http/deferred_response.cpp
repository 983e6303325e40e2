#include "http/deferred_response.hpp"

#include "http/server.hpp"
#include "http/session.hpp"

namespace basehttp {

bool DeferredResponse::complete(const Completion& finish) const {
  if (server_ == nullptr) return false;
  Session* session = server_->find_session(slot_, generation_);
  return session != nullptr && session->complete_deferred(sequence_, finish);
}

void DeferredResponse::post(Completion finish, std::function<void(bool)> done) const {
  if (server_ == nullptr) {
    return;
  }
  DeferredResponse handle = *this;
  server_->loop().post([handle, finish = std::move(finish), done = std::move(done)] {
    bool completed = handle.complete(finish);
    if (done) done(completed);
  });
}

Session* DeferredResponse::awaiting_session() const {
  if (server_ == nullptr) return nullptr;
  Session* session = server_->find_session(slot_, generation_);
  return session != nullptr && session->awaits(sequence_) ? session : nullptr;
}

bool DeferredResponse::pending() const {
  if (server_ == nullptr) return false;
  Session* session = server_->find_session(slot_, generation_);
  return session != nullptr && session->awaits(sequence_);
}

}  // namespace basehttp
