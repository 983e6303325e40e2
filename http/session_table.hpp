// SessionTable: the connections of one server, each in a slot with a
// generation, so that a handle given to user code (DeferredResponse,
// ResponseStream, BodyReader) finds its connection, or learns it is gone,
// without owning it. A closed connection's session is destroyed at the end
// of the loop iteration, never inside the callback that noticed the close.
// One per server; loop thread only. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "reactor/event_loop.hpp"
#include "reactor/file_descriptor.hpp"
#include "reactor/socket_address.hpp"
#include "reactor/transport.hpp"

namespace basehttp {

class Exchange;
class ServerContext;
class Session;
struct ServerAnchor;

class SessionTable {
 public:
  SessionTable(EventLoop& loop, std::shared_ptr<ServerAnchor> anchor);
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  /// Makes and starts the session of an accepted connection, whose bytes
  /// go through `transport` (null: the plain socket).
  Session& open(ServerContext& context, FileDescriptor socket, const SocketAddress& peer,
                std::unique_ptr<Transport> transport = nullptr);
  /// The session in `slot` closed: it is destroyed at the end of this loop
  /// iteration, then `on_released` runs.
  void release(uint32_t slot);
  /// The open session of `slot` if it still is of `generation`, else nullptr.
  Session* find(uint32_t slot, uint32_t generation) const;
  /// The same, as the handles see it.
  Exchange* find_exchange(uint32_t slot, uint32_t generation) const;
  /// Runs `fn` on every session not destroyed yet.
  void for_each(const std::function<void(Session&)>& fn);
  /// Sessions not destroyed yet.
  size_t size() const { return live_; }
  /// Destroys every session without callbacks (the server is going away).
  void clear();
  /// Runs after closed sessions were destroyed.
  std::function<void()> on_released;

 private:
  struct Slot {
    std::unique_ptr<Session> session;
    uint32_t generation = 0;
  };
  void destroy_closed();

  EventLoop& loop_;
  std::shared_ptr<ServerAnchor> anchor_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> closed_slots_;  // released, destroyed at the iteration's end
  size_t live_ = 0;
};

}  // namespace basehttp
