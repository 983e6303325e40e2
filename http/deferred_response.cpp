#include "http/deferred_response.hpp"

#include "http/exchange.hpp"
#include "http/server_context.hpp"

namespace basehttp {

Exchange* DeferredResponse::exchange() const {
  if (anchor_ == nullptr || anchor_->context == nullptr) return nullptr;
  return anchor_->context->sessions.find_exchange(slot_, generation_);
}

bool DeferredResponse::complete(const Completion& finish) const {
  Exchange* exchange = this->exchange();
  return exchange != nullptr && exchange->complete(sequence_, finish);
}

void DeferredResponse::post(Completion finish, std::function<void(bool)> done) const {
  if (anchor_ == nullptr) return;
  DeferredResponse handle = *this;
  anchor_->loop->post([handle, finish = std::move(finish), done = std::move(done)] {
    bool completed = handle.complete(finish);
    if (done) done(completed);
  });
}

Exchange* DeferredResponse::awaiting() const {
  Exchange* exchange = this->exchange();
  return exchange != nullptr && exchange->awaits(sequence_) ? exchange : nullptr;
}

bool DeferredResponse::pending() const {
  return awaiting() != nullptr;
}

}  // namespace basehttp
