// ByteRange: the Range header of a request for a representation of known
// size (RFC 9110 §14.1.2), reduced to what a file handler does with it:
// nothing, one range, "unsatisfiable", or several ranges. Pure; any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace basehttp {

struct RangeRequest {
  enum class Kind {
    kNone,           ///< no usable Range header: send the whole representation
    kSingle,         ///< one satisfiable range: 206
    kUnsatisfiable,  ///< no range overlaps the representation: 416
    kMultiple,       ///< several ranges: answered with the whole representation (200)
  };
  Kind kind = Kind::kNone;
  uint64_t first = 0;  ///< first byte (kSingle)
  uint64_t last = 0;   ///< last byte, inclusive (kSingle)
  uint64_t length() const { return last - first + 1; }
};

/// Parses "bytes=0-99", "bytes=100-", "bytes=-100", lists of them, for a
/// representation of `size` bytes. A malformed header, or another unit,
/// yields kNone, as the RFC says to ignore it.
RangeRequest parse_byte_range(std::string_view header, uint64_t size);

}  // namespace basehttp
