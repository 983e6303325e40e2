#include "http/session_table.hpp"

#include <sys/epoll.h>

#include <new>
#include <utility>

#include "http/server_context.hpp"
#include "http/session.hpp"

namespace basehttp {

ParkedSession::~ParkedSession() {
  // Deregister explicitly, as a Connection does: a forked child may hold
  // the descriptor.
  if (socket_) context_.loop.remove(socket_.get());
}

void ParkedSession::handle_events(uint32_t events) {
  // Destroys this object: nothing may touch it after the call.
  context_.sessions.unpark(slot_, events);
}

SessionTable::SessionTable(EventLoop& loop, std::shared_ptr<ServerAnchor> anchor)
    : loop_(loop),
      anchor_(std::move(anchor)),
      session_pool_(sizeof(Session)),
      parked_pool_(sizeof(ParkedSession)) {}

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
  void* block = session_pool_.allocate();
  Session* session;
  try {
    session = new (block)
        Session(context, std::move(socket), peer, slot, entry.generation, std::move(transport));
  } catch (...) {
    session_pool_.free(block);
    free_slots_.push_back(slot);
    throw;
  }
  entry.entry = session;
  ++live_;
  session->start();
  return *session;
}

void SessionTable::destroy(SessionEntry* entry) noexcept {
  if (entry->parked()) {
    auto* parked = static_cast<ParkedSession*>(entry);
    parked->~ParkedSession();
    parked_pool_.free(parked);
  } else {
    auto* session = static_cast<Session*>(entry);
    session->~Session();
    session_pool_.free(session);
  }
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
    if (slot >= slots_.size() || slots_[slot].entry == nullptr) continue;
    Slot& entry = slots_[slot];
    destroy(std::exchange(entry.entry, nullptr));
    ++entry.generation;
    free_slots_.push_back(slot);
    --live_;
    released = true;
  }
  if (released && on_released) on_released();
}

void SessionTable::park_soon(Session& session) {
  uint32_t slot = session.slot();
  // A session made outside the table (a test's) is not parked.
  if (slot >= slots_.size() || slots_[slot].entry != &session) return;
  park_slots_.push_back({slot, slots_[slot].generation});
  if (park_slots_.size() > 1) return;
  loop_.run_soon([anchor = anchor_] {
    if (anchor->context != nullptr) anchor->context->sessions.park_pending();
  });
}

void SessionTable::park_pending() {
  while (!park_slots_.empty()) {
    auto [slot, generation] = park_slots_.back();
    park_slots_.pop_back();
    // Closed, or closed and the slot taken by another connection since.
    if (slots_[slot].generation != generation || slots_[slot].entry == nullptr ||
        slots_[slot].entry->parked()) {
      continue;
    }
    auto* session = static_cast<Session*>(slots_[slot].entry);
    // Whatever happened since the idle deadline (a new request, a close)
    // keeps it a Session.
    if (!session->parkable()) continue;
    void* block = parked_pool_.allocate();
    auto* parked =
        new (block) ParkedSession(session->context(), slot, session->connection().peer());
    session->park_into(*parked);
    destroy(session);
    // Handles given out for the Session's requests find nothing now.
    ++slots_[slot].generation;
    slots_[slot].entry = parked;
  }
}

Session& SessionTable::unpark(uint32_t slot, uint32_t events) {
  Slot& entry = slots_[slot];
  auto* parked = static_cast<ParkedSession*>(entry.entry);
  void* block = session_pool_.allocate();
  auto* session =
      new (block) Session(parked->context(), parked->take_socket(), parked->peer(), slot,
                          entry.generation, parked->take_transport(), /*resumed=*/true);
  entry.entry = session;
  session->resume_parked(*parked, events);
  parked->~ParkedSession();  // its socket and transport are the Session's now
  parked_pool_.free(parked);
  return *session;
}

void SessionTable::close_parked(bool abort) {
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].entry == nullptr || !slots_[slot].entry->parked()) continue;
    Session& session = unpark(slot, 0);
    if (abort) {
      session.abort();
    } else {
      session.begin_shutdown();
    }
  }
}

void SessionTable::expired(DeadlineEntry& due, Wait wait) {
  auto& entry = static_cast<SessionEntry&>(due);
  if (!entry.parked()) {
    static_cast<Session&>(entry).on_deadline(wait);
    return;
  }
  // Parked only under the keep-alive deadline: it ends as a Session's does.
  Session& session = unpark(static_cast<ParkedSession&>(entry).slot(), 0);
  session.on_deadline(wait);
}

size_t SessionTable::held_bytes() const {
  return (session_pool_.chunks() + parked_pool_.chunks()) * BlockPool::kChunkBytes +
         slots_.capacity() * sizeof(Slot) +
         (free_slots_.capacity() + closed_slots_.capacity()) * sizeof(uint32_t) +
         park_slots_.capacity() * sizeof(ToPark);
}

size_t SessionTable::parked_bytes() {
  return BlockPool(sizeof(ParkedSession)).block_size() + sizeof(Slot);
}

Session* SessionTable::find(uint32_t slot, uint32_t generation) const {
  if (slot >= slots_.size()) return nullptr;
  const Slot& entry = slots_[slot];
  if (entry.generation != generation || entry.entry == nullptr || entry.entry->parked()) {
    return nullptr;
  }
  auto* session = static_cast<Session*>(entry.entry);
  return session->closed() ? nullptr : session;
}

Exchange* SessionTable::find_exchange(uint32_t slot, uint32_t generation) const {
  return find(slot, generation);
}

void SessionTable::for_each(const std::function<void(Session&)>& fn) {
  for (Slot& entry : slots_) {
    if (entry.entry != nullptr && !entry.entry->parked()) fn(*static_cast<Session*>(entry.entry));
  }
}

void SessionTable::clear() {
  // Closes every connection without callbacks.
  for (Slot& entry : slots_) {
    if (entry.entry != nullptr) destroy(std::exchange(entry.entry, nullptr));
  }
  slots_.clear();
  free_slots_.clear();
  closed_slots_.clear();
  park_slots_.clear();
  live_ = 0;
}

}  // namespace basehttp
