// Producers of ResponseStream bodies shared by the streaming tests, plain
// and over TLS: events written from the loop's timers over later
// iterations, and a producer that writes as fast as its client allows
// (writable() / on_drain()), noting the most it ever had queued. Loop
// thread, as ResponseStream is.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "basehttp.hpp"

namespace basehttp::testing {

/// Writes "data: tick N\n\n" for N = count..1, one per `every`, from the
/// loop's timers, then finishes the stream.
void tick_events(ResponseStream stream, EventLoop& loop, int count,
                 std::chrono::milliseconds every);

/// Writes `left` bytes of 'p' in 64 KiB pieces as fast as the client
/// allows, then finishes. Start it with pump(); it keeps itself alive
/// through its drain callbacks.
struct Producer : std::enable_shared_from_this<Producer> {
  ResponseStream stream;
  uint64_t left = 0;
  size_t most_queued = 0;
  std::string piece = std::string(64 * 1024, 'p');
  void pump();
};

}  // namespace basehttp::testing
