// Preconditions: validators of a file (strong ETag, Last-Modified) and the
// conditional request fields evaluated against them in RFC 9110 §13.2.2's
// order: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since,
// and If-Range for a Range request. Pure; any thread.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "http/headers.hpp"

namespace basehttp {

/// What a file's validators are.
struct Validators {
  std::string etag;          ///< strong, quoted: "\"65a1b2c3.1f-400\""
  std::time_t modified = 0;  ///< Last-Modified, whole seconds
};

/// A strong ETag from a file's size and modification time (nanoseconds
/// included, so a rewrite within the same second changes it).
std::string make_etag(uint64_t size, std::time_t mtime_seconds, long mtime_nanoseconds);

enum class PreconditionResult {
  kProceed,             ///< answer normally
  kNotModified,         ///< 304 (GET and HEAD)
  kPreconditionFailed,  ///< 412
};

/// Evaluates the conditional fields of a GET or HEAD request.
PreconditionResult evaluate_preconditions(const Headers& headers, const Validators& validators);

/// True when a Range request may be honoured: no If-Range, or an If-Range
/// that names the current representation (strong ETag, or exactly its date).
bool if_range_allows(const Headers& headers, const Validators& validators);

/// True when the list in an If-None-Match or If-Match field names `etag`;
/// `weak` uses weak comparison (If-None-Match), otherwise strong.
bool etag_list_matches(std::string_view list, std::string_view etag, bool weak);

}  // namespace basehttp
