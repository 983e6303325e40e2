// Byte scans on the per-request path, eight bytes at a time: control bytes
// in header text, the end and the validity of a request-target, ASCII
// case folding. Pure functions; any thread. Internal to http/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace basehttp::byte_scan {

inline constexpr uint64_t kOnes = 0x0101010101010101;
inline constexpr uint64_t kHighBits = 0x8080808080808080;

/// Nonzero when some byte of `word` is below `limit` (limit <= 128).
inline uint64_t bytes_below(uint64_t word, uint8_t limit) {
  return (word - limit * kOnes) & ~word & kHighBits;
}

/// Nonzero when some byte of `word` equals `value`.
inline uint64_t bytes_equal(uint64_t word, uint8_t value) {
  uint64_t x = word ^ (value * kOnes);
  return (x - kOnes) & ~x & kHighBits;
}

inline uint64_t load8(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

/// True when any of `size` bytes is a control byte: below 0x20 (HTAB
/// too) or DEL.
inline bool has_control_bytes(const char* text, size_t size) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = load8(text + i);
    if (bytes_below(word, 0x20) | bytes_equal(word, 0x7f)) return true;
  }
  for (; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

/// True when any of `size` bytes is a control byte, a space or DEL: bytes a
/// request-target never holds.
inline bool has_non_target_bytes(const char* text, size_t size) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = load8(text + i);
    if (bytes_below(word, 0x21) | bytes_equal(word, 0x7f)) return true;
  }
  for (; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

/// memcpy for the short strings of header fields: overlapping word moves
/// instead of a call into libc.
inline void copy(char* target, const char* source, size_t size) {
  if (size > 16) {
    std::memcpy(target, source, size);
  } else if (size >= 8) {
    uint64_t head, tail;
    std::memcpy(&head, source, 8);
    std::memcpy(&tail, source + size - 8, 8);
    std::memcpy(target, &head, 8);
    std::memcpy(target + size - 8, &tail, 8);
  } else if (size >= 4) {
    uint32_t head, tail;
    std::memcpy(&head, source, 4);
    std::memcpy(&tail, source + size - 4, 4);
    std::memcpy(target, &head, 4);
    std::memcpy(target + size - 4, &tail, 4);
  } else {
    for (size_t i = 0; i < size; ++i)
      target[i] = source[i];
  }
}

/// Equality of two runs of `size` bytes, with word compares for short ones.
inline bool same(const char* a, const char* b, size_t size) {
  if (size > 16) return std::memcmp(a, b, size) == 0;
  if (size >= 8) return load8(a) == load8(b) && load8(a + size - 8) == load8(b + size - 8);
  uint64_t x = 0, y = 0;
  for (size_t i = 0; i < size; ++i) {
    x = x << 8 | static_cast<unsigned char>(a[i]);
    y = y << 8 | static_cast<unsigned char>(b[i]);
  }
  return x == y;
}

}  // namespace basehttp::byte_scan
