#include "http/log_escape.hpp"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "http/byte_scan.hpp"

namespace basehttp {
namespace {

// Nonzero when some byte of `word` is not printable ASCII that passes as
// it is: a control, DEL, a byte from 0x80 up, '\\', or '"' when quoted.
uint64_t needs_escape(uint64_t word, LogQuotes quotes) {
  using namespace byte_scan;
  uint64_t flags = bytes_below(word, 0x20) | (word & kHighBits) | bytes_equal(word, 0x7f) |
                   bytes_equal(word, '\\');
  if (quotes == LogQuotes::kEscaped) flags |= bytes_equal(word, '"');
  return flags;
}

// The length of the well-formed UTF-8 character (RFC 3629 §4: no overlong
// forms, no surrogates, nothing above U+10FFFF) at the start of `text`,
// whose first byte is 0x80 or above; 0 when there is none.
size_t utf8_length(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  uint8_t lead = byte(0);
  size_t length;
  uint8_t low = 0x80, high = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  return length;
}

// The byte loop, for text with something to escape (or too short for a
// word): out of line, so that the usual case in escape_for_log() sets up
// no frame for it.
[[gnu::noinline]] LogEscapeResult escape_slowly(std::string_view text, char* out, size_t capacity,
                                                LogQuotes quotes) {
  LogEscapeResult result;
  size_t& i = result.consumed;
  size_t& n = result.written;
  auto put_hex = [&](uint8_t c) {
    put_hex_escape(out + n, c);
    n += 4;
  };
  while (i < text.size()) {
    // Eight bytes at a time while none needs escaping: a request line
    // usually has none, and this is on the path of every logged request.
    while (text.size() - i >= 8 && capacity - n >= 8) {
      uint64_t word = byte_scan::load8(text.data() + i);
      if (needs_escape(word, quotes)) break;
      std::memcpy(out + n, &word, 8);
      i += 8;
      n += 8;
    }
    size_t rest = text.size() - i;
    if (rest == 0) break;
    if (rest >= 4 && rest < 8 && capacity - n >= rest &&
        !needs_escape(byte_scan::load_4_to_8(text.data() + i, rest), quotes)) {
      std::memcpy(out + n, text.data() + i, rest);  // the last few, in one word
      i += rest;
      n += rest;
      break;
    }
    auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      bool escaped = c == '\\' || (c == '"' && quotes == LogQuotes::kEscaped);
      if (capacity - n < (escaped ? (c == '\\' ? 2u : 4u) : 1u)) break;
      if (c == '\\') {
        out[n++] = '\\';
        out[n++] = '\\';
      } else if (escaped) {
        put_hex(c);
      } else {
        out[n++] = static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t length = c >= 0x80 ? utf8_length(text.substr(i)) : 0;
    // U+0080-U+009F: the C1 controls a UTF-8 terminal obeys as well.
    bool c1 = length == 2 && c == 0xc2 && static_cast<uint8_t>(text[i + 1]) < 0xa0;
    if (length == 0 || c1) {
      // A control or a byte outside UTF-8; the C1 character's two bytes
      // go together, so a line is never cut between them.
      size_t bytes = c1 ? 2 : 1;
      if (capacity - n < 4 * bytes) break;
      for (size_t k = 0; k < bytes; ++k)
        put_hex(static_cast<uint8_t>(text[i + k]));
      i += bytes;
    } else {
      if (capacity - n < length) break;
      for (size_t k = 0; k < length; ++k)
        out[n++] = text[i + k];
      i += length;
    }
  }
  return result;
}

}  // namespace

LogEscapeResult escape_for_log(std::string_view text, char* out, size_t capacity,
                               LogQuotes quotes) {
  // The usual text (a request line, a User-Agent) needs no escape: copy it
  // in wide words, the last one overlapping, checking as it goes, with no
  // call and no byte loop. Words stored before an escape is found are
  // written over by escape_slowly().
  size_t size = text.size();
  const char* p = text.data();
#if defined(__SSE2__)
  if (size >= 16 && capacity >= size) {
    // Signed bytes: below 0x20 catches the controls and 0x80 up at once.
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i tilde = _mm_set1_epi8(0x7e);
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i quote = _mm_set1_epi8(quotes == LogQuotes::kEscaped ? '"' : '\\');
    int flags = 0;
    auto copy = [&](size_t at) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
      __m128i bad =
          _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpgt_epi8(v, tilde)),
                       _mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmpeq_epi8(v, quote)));
      flags |= _mm_movemask_epi8(bad);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + at), v);
    };
    size_t k = 0;
    for (; k + 16 <= size; k += 16)
      copy(k);
    if (k < size) copy(size - 16);
    if (flags == 0) return {size, size};
  }
#endif
  if (size >= 8 && capacity >= size) {
    uint64_t flags = 0;
    size_t k = 0;
    for (; k + 8 <= size; k += 8) {
      uint64_t word = byte_scan::load8(p + k);
      flags |= needs_escape(word, quotes);
      std::memcpy(out + k, &word, 8);
    }
    if (k < size) {
      uint64_t word = byte_scan::load8(p + size - 8);
      flags |= needs_escape(word, quotes);
      std::memcpy(out + size - 8, &word, 8);
    }
    if (flags == 0) return {size, size};
  }
  return escape_slowly(text, out, capacity, quotes);
}

void append_escaped_for_log(std::string& out, std::string_view text, LogQuotes quotes) {
  size_t start = out.size();
  out.resize(start + 4 * text.size());
  LogEscapeResult result = escape_for_log(text, out.data() + start, 4 * text.size(), quotes);
  out.resize(start + result.written);
}

}  // namespace basehttp
