// Log escaping: the one rule for client bytes in every log line basehttp
// writes (Python's format through RequestHandler::log_message(), the
// combined format of AccessLog), so that a line shown on a terminal can
// hold no control sequence and reads back to the exact bytes received:
//   - C0 controls, DEL and C1 controls become \xNN (lowercase hex), as
//     Python 3.12's log_message does; the C1 control U+0080-U+009F is
//     escaped whether it came as one byte (0x9b, the 8-bit CSI) or as its
//     UTF-8 encoding (0xc2 0x9b becomes \xc2\x9b);
//   - any other byte that is not part of well-formed UTF-8 becomes \xNN,
//     so the log stays valid UTF-8;
//   - a backslash becomes \\ (a client's "\x1b" is logged as \\x1b);
//   - with Quotes::kEscaped, '"' becomes \x22 (a quoted field cannot end early).
// Well-formed UTF-8 characters from U+00A0 up pass as they are.
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace basehttp {

enum class LogQuotes { kAsIs, kEscaped };

/// How much of the text escape_for_log() wrote out, and into how many bytes.
struct LogEscapeResult {
  size_t consumed = 0;  ///< bytes of the text escaped (all unless out was full)
  size_t written = 0;   ///< bytes written to out
};

/// Escapes `text` into out[0, capacity), for a log line being assembled
/// without allocating (RequestLog, AccessLog). Stops before a character or escape
/// that would not fit whole. At most 4 bytes are written per text byte.
LogEscapeResult escape_for_log(std::string_view text, char* out, size_t capacity,
                               LogQuotes quotes = LogQuotes::kAsIs);

/// Appends `text` escaped to `out` (a std::string, so it may allocate).
void append_escaped_for_log(std::string& out, std::string_view text,
                            LogQuotes quotes = LogQuotes::kAsIs);

/// Writes the 4 bytes \xNN (lowercase hex) of `byte` at `out`: how a byte
/// shown by its value is written, in a log line and in the request text a
/// 400's reason quotes (http/request_parser.cpp), as Python's repr does.
inline void put_hex_escape(char* out, uint8_t byte) {
  // A literal, not a static table: each file keeps its own copy, reached
  // without the GOT load a shared inline function's static would need.
  out[0] = '\\';
  out[1] = 'x';
  out[2] = "0123456789abcdef"[byte >> 4];
  out[3] = "0123456789abcdef"[byte & 15];
}

}  // namespace basehttp
