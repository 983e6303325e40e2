// SessionTable: the connections of one server, each in a slot with a
// generation, so that a handle given to user code (DeferredResponse,
// ResponseStream, BodyReader) finds its connection, or learns it is gone,
// without owning it. A closed connection's session is destroyed at the end
// of the loop iteration, never inside the callback that noticed the close.
// One per server; loop thread only. Internal.
//
// A connection idle past ServerOptions::idle_release_after is parked: its
// Session is destroyed and a ParkedSession, which holds only what an idle
// connection needs (the socket, the TLS transport, the peer's address and
// its place on the keep-alive deadline list), stands in its slot until
// bytes arrive, the deadline passes or the server shuts down; then a
// Session is made again in its place. Sessions and parked connections are
// blocks of two BlockPools, so a burst of busy connections gives its
// memory back to the kernel once it goes idle. An idle connection costs
// one ParkedSession and one Slot (see session_test.cpp's size guard).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "reactor/block_pool.hpp"
#include "reactor/deadline_list.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/file_descriptor.hpp"
#include "reactor/io_handler.hpp"
#include "reactor/socket_address.hpp"
#include "reactor/transport.hpp"

namespace basehttp {

class Exchange;
class ServerContext;
class Session;
struct ServerAnchor;
enum class Wait : uint8_t;

/// What a Session and a ParkedSession share: the hook of the deadline
/// lists they wait on, and which of the two an expired entry is.
class SessionEntry : public DeadlineEntry {
 public:
  explicit SessionEntry(bool parked) : parked_(parked) {}
  bool parked() const { return parked_; }

 private:
  const bool parked_;
};

/// An idle connection with no Session: what it needs to be woken (the
/// loop's registration, for input or a hang-up), timed out (its place on
/// the keep-alive list) and made a Session again. Loop thread only.
class ParkedSession final : public IoHandler, public SessionEntry {
 public:
  /// Holds no socket until adopt().
  ParkedSession(ServerContext& context, uint32_t slot, const SocketAddress& peer)
      : SessionEntry(true), slot_(slot), context_(context), peer_(peer) {}
  ~ParkedSession();
  ParkedSession(const ParkedSession&) = delete;
  ParkedSession& operator=(const ParkedSession&) = delete;

  /// Takes the socket (registered with the loop for this object by now)
  /// and the transport of the Session it stands for.
  void adopt(FileDescriptor socket, std::unique_ptr<Transport> transport) {
    socket_ = std::move(socket);
    transport_ = std::move(transport);
  }
  /// For the Session made in its place.
  FileDescriptor take_socket() { return std::move(socket_); }
  std::unique_ptr<Transport> take_transport() { return std::move(transport_); }
  const SocketAddress& peer() const { return peer_; }
  uint32_t slot() const { return slot_; }
  ServerContext& context() const { return context_; }

 private:
  /// Input or a hang-up: the connection becomes a Session, which handles it.
  void handle_events(uint32_t events) override;

  FileDescriptor socket_;
  uint32_t slot_;
  ServerContext& context_;
  std::unique_ptr<Transport> transport_;
  SocketAddress peer_;
};

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
  /// Runs `fn` on every session not destroyed yet, parked ones excepted
  /// (they are idle, with nothing queued: see close_parked()).
  void for_each(const std::function<void(Session&)>& fn);
  /// Connections not destroyed yet, parked ones included.
  size_t size() const { return live_; }
  /// Parked connections.
  size_t parked() const { return parked_pool_.live(); }
  /// Bytes the table holds for its connections: the pools' chunks and the
  /// slot arrays (what an idle connection costs, beside the kernel's socket).
  size_t held_bytes() const;
  /// What one parked connection holds at least: its block and its slot.
  static size_t parked_bytes();
  /// Destroys every session without callbacks (the server is going away).
  void clear();

  /// `session` went idle and gave back its buffers: park it at the end of
  /// this loop iteration if it is still parkable then.
  void park_soon(Session& session);
  /// Server shutdown: every parked connection becomes a Session again and
  /// closes (`abort`: at once; otherwise as an idle one does).
  void close_parked(bool abort);
  /// A deadline of `entry` (a Session or a ParkedSession) passed.
  void expired(DeadlineEntry& entry, Wait wait);
  /// Makes the parked connection of `slot` a Session again (the parked
  /// one is destroyed); `events` (what woke it, or 0) are handled at once.
  Session& unpark(uint32_t slot, uint32_t events);
  /// Runs after closed sessions were destroyed.
  std::function<void()> on_released;

 private:
  struct Slot {
    SessionEntry* entry = nullptr;  // a Session, or a ParkedSession, or none
    uint32_t generation = 0;
  };
  void destroy_closed();
  void park_pending();
  void destroy(SessionEntry* entry) noexcept;

  EventLoop& loop_;
  std::shared_ptr<ServerAnchor> anchor_;
  BlockPool session_pool_;
  BlockPool parked_pool_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> closed_slots_;  // released, destroyed at the iteration's end
  struct ToPark {
    uint32_t slot;
    uint32_t generation;
  };
  std::vector<ToPark> park_slots_;  // to park at the iteration's end
  size_t live_ = 0;
};

}  // namespace basehttp
