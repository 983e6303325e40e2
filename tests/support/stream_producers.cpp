#include "tests/support/stream_producers.hpp"

#include <algorithm>

namespace basehttp::testing {

void tick_events(ResponseStream stream, EventLoop& loop, int count,
                 std::chrono::milliseconds every) {
  if (count == 0) {
    stream.finish();
    return;
  }
  loop.run_after(every, [stream, &loop, count, every] {
    if (!stream.write("data: tick " + std::to_string(count) + "\n\n")) return;
    tick_events(stream, loop, count - 1, every);
  });
}

void Producer::pump() {
  while (left > 0 && stream.writable()) {
    size_t size = std::min<uint64_t>(left, piece.size());
    if (!stream.write(std::string_view(piece).substr(0, size))) return;
    left -= size;
    most_queued = std::max(most_queued, stream.queued());
  }
  if (left == 0) {
    stream.finish();
  } else {
    stream.on_drain([self = shared_from_this()] { self->pump(); });
  }
}

}  // namespace basehttp::testing
