#include "http/session_table.hpp"

#include <utility>

#include "http/server_context.hpp"
#include "http/session.hpp"

namespace basehttp {

SessionTable::SessionTable(EventLoop& loop, std::shared_ptr<ServerAnchor> anchor)
    : loop_(loop), anchor_(std::move(anchor)) {}

SessionTable::~SessionTable() {
  clear();
}

Session& SessionTable::open(ServerContext& context, FileDescriptor socket,
                            const SocketAddress& peer, std::unique_ptr<Transport> transport) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& entry = slots_[slot];
  entry.session = std::make_unique<Session>(context, std::move(socket), peer, slot,
                                            entry.generation, std::move(transport));
  ++live_;
  entry.session->start();
  return *entry.session;
}

void SessionTable::release(uint32_t slot) {
  closed_slots_.push_back(slot);
  if (closed_slots_.size() > 1) return;  // the first of this iteration queued the work
  // The anchor, not `this`: the server may be destroyed earlier in the
  // same end of iteration (another server's work on a shared loop).
  loop_.run_soon([anchor = anchor_] {
    if (anchor->context != nullptr) anchor->context->sessions.destroy_closed();
  });
}

void SessionTable::destroy_closed() {
  bool released = false;
  while (!closed_slots_.empty()) {
    uint32_t slot = closed_slots_.back();
    closed_slots_.pop_back();
    // A session made outside the table (a test's) has no slot to free.
    if (slot >= slots_.size() || !slots_[slot].session) continue;
    Slot& entry = slots_[slot];
    entry.session.reset();
    ++entry.generation;
    free_slots_.push_back(slot);
    --live_;
    released = true;
  }
  if (released && on_released) on_released();
}

Session* SessionTable::find(uint32_t slot, uint32_t generation) const {
  if (slot >= slots_.size()) return nullptr;
  const Slot& entry = slots_[slot];
  if (entry.generation != generation || !entry.session || entry.session->closed()) return nullptr;
  return entry.session.get();
}

Exchange* SessionTable::find_exchange(uint32_t slot, uint32_t generation) const {
  return find(slot, generation);
}

void SessionTable::for_each(const std::function<void(Session&)>& fn) {
  for (Slot& entry : slots_) {
    if (entry.session) fn(*entry.session);
  }
}

void SessionTable::clear() {
  slots_.clear();  // closes every connection without callbacks
  free_slots_.clear();
  closed_slots_.clear();
  live_ = 0;
}

}  // namespace basehttp
