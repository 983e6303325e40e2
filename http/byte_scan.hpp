// Byte scans on the per-request path, eight bytes at a time: control bytes
// in header text, the end and the validity of a request-target, ASCII
// case folding. Pure functions; any thread. Internal to http/.
#pragma once

#include <bit>
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

/// The bytes of `text` in one word, for 4 <= size <= 8: two overlapping
/// 4-byte loads, so every byte is there (some twice) and no other.
inline uint64_t load_4_to_8(const char* text, size_t size) {
  uint32_t head, tail;
  std::memcpy(&head, text, 4);
  std::memcpy(&tail, text + size - 4, 4);
  return head | uint64_t{tail} << 32;
}

/// True when `flags(word)` is nonzero for some word of `text`: whole
/// words, the last one overlapping the one before it; for short texts
/// one word of overlapping halves, or the bytes one at a time.
template <typename Flags>
inline bool any_flagged(const char* text, size_t size, Flags flags) {
  if (size >= 8) {
    for (size_t i = 0; i + 8 < size; i += 8) {
      if (flags(load8(text + i))) return true;
    }
    return flags(load8(text + size - 8)) != 0;
  }
  if (size >= 4) return flags(load_4_to_8(text, size)) != 0;
  for (size_t i = 0; i < size; ++i) {
    // A word of copies of the byte.
    if (flags(static_cast<unsigned char>(text[i]) * kOnes)) return true;
  }
  return false;
}

/// True when any of `size` bytes is a control byte: below 0x20 (HTAB
/// too) or DEL.
inline bool has_control_bytes(const char* text, size_t size) {
  return any_flagged(
      text, size, [](uint64_t word) { return bytes_below(word, 0x20) | bytes_equal(word, 0x7f); });
}

/// Makes every control byte but HTAB, and DEL, a space: a field value
/// written with it never ends a line and holds no byte RFC 9110 §5.5
/// forbids.
inline void blank_control_bytes(char* text, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) text[i] = ' ';
  }
}

/// True when any of `size` bytes is a control byte, a space or DEL: bytes a
/// request-target never holds.
inline bool has_non_target_bytes(const char* text, size_t size) {
  return any_flagged(
      text, size, [](uint64_t word) { return bytes_below(word, 0x21) | bytes_equal(word, 0x7f); });
}

/// True when any of `size` bytes is `value`.
inline bool contains(const char* text, size_t size, uint8_t value) {
  return any_flagged(text, size, [value](uint64_t word) { return bytes_equal(word, value); });
}

/// The index of the first flagged byte of a nonzero bytes_below() or
/// bytes_equal() result (or of their OR, or with the high bits). Those may
/// also flag bytes after a match, never one before it, so the first flag
/// is exact.
inline size_t first_flagged(uint64_t hits) {
  if constexpr (std::endian::native == std::endian::little) {
    return static_cast<size_t>(std::countr_zero(hits)) / 8;
  } else {
    return static_cast<size_t>(std::countl_zero(hits)) / 8;
  }
}

/// The index of the first of `size` bytes that a request-target never
/// holds (a control byte, a space or DEL), or `size` when there is none.
inline size_t find_non_target_byte(const char* text, size_t size) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = load8(text + i);
    if (uint64_t hits = bytes_below(word, 0x21) | bytes_equal(word, 0x7f)) {
      return i + first_flagged(hits);
    }
  }
  for (; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c == 0x7f) return i;
  }
  return size;
}

/// The index of the first of `size` bytes that is not printable ASCII (a
/// space or a visible character: a control byte, DEL or a byte of 0x80 and
/// above), or `size` when there is none.
inline size_t find_non_printable(const char* text, size_t size) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = load8(text + i);
    if (uint64_t hits = bytes_below(word, 0x20) | bytes_equal(word, 0x7f) | (word & kHighBits)) {
      return i + first_flagged(hits);
    }
  }
  for (; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f) return i;
  }
  return size;
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
  } else if (size >= 2) {
    // Not a loop: the compiler would make it a call to memcpy.
    uint16_t head, tail;
    std::memcpy(&head, source, 2);
    std::memcpy(&tail, source + size - 2, 2);
    std::memcpy(target, &head, 2);
    std::memcpy(target + size - 2, &tail, 2);
  } else if (size == 1) {
    *target = *source;
  }
}

/// Equality of two runs of `size` bytes, with word compares for short ones.
inline bool same(const char* a, const char* b, size_t size) {
  if (size > 16) return std::memcmp(a, b, size) == 0;
  if (size >= 8) return load8(a) == load8(b) && load8(a + size - 8) == load8(b + size - 8);
  if (size >= 4) return load_4_to_8(a, size) == load_4_to_8(b, size);
  if (size >= 2) {
    uint16_t a_head, a_tail, b_head, b_tail;
    std::memcpy(&a_head, a, 2);
    std::memcpy(&a_tail, a + size - 2, 2);
    std::memcpy(&b_head, b, 2);
    std::memcpy(&b_tail, b + size - 2, 2);
    return a_head == b_head && a_tail == b_tail;
  }
  return size == 0 || a[0] == b[0];
}

}  // namespace basehttp::byte_scan
