#include "http/deferred_response.hpp"

#include "http/server.hpp"
#include "http/session.hpp"

namespace basehttp {

bool DeferredResponse::complete(const Completion& finish) const {
  Session* session =
      anchor_ && anchor_->server ? anchor_->server->find_session(slot_, generation_) : nullptr;
  return session != nullptr && session->complete_deferred(sequence_, finish);
}

void DeferredResponse::post(Completion finish, std::function<void(bool)> done) const {
  if (anchor_ == nullptr) return;
  DeferredResponse handle = *this;
  anchor_->loop->post([handle, finish = std::move(finish), done = std::move(done)] {
    bool completed = handle.complete(finish);
    if (done) done(completed);
  });
}

Session* DeferredResponse::awaiting_session() const {
  Session* session =
      anchor_ && anchor_->server ? anchor_->server->find_session(slot_, generation_) : nullptr;
  return session != nullptr && session->awaits(sequence_) ? session : nullptr;
}

bool DeferredResponse::pending() const {
  return awaiting_session() != nullptr;
}

}  // namespace basehttp
