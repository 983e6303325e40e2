// URL path helpers for handlers that map request targets to files:
// percent-decoding and -encoding, and the mapping of a request-target to a
// path relative to a served folder, which resolves "." and ".." lexically
// and can never climb above that folder, however the target is encoded.
// Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace basehttp {

/// A request-target reduced to a safe relative path.
struct MappedPath {
  /// The path's segments: decoded, never empty, ".", ".." or containing "/" or NUL.
  std::vector<std::string> segments;
  /// The target's path ended with "/" (before decoding), as Python checks it.
  bool trailing_slash = false;

  /// "a/b/c" without the first `skip` segments, or "" for the folder itself.
  std::string relative(size_t skip = 0) const;
};

/// Decodes %XX escapes; malformed escapes stay as they are (as Python's
/// urllib.parse.unquote does).
std::string percent_decode(std::string_view text);

/// Encodes every byte but ASCII letters, digits, "_.-~" and "/" as %XX,
/// as Python's urllib.parse.quote does by default.
std::string percent_encode_path(std::string_view text);

/// The path part of a request-target: query and fragment dropped, and the
/// scheme and authority of an absolute-form target ("http://h/x" -> "/x").
std::string_view target_path(std::string_view target);

/// Maps `target` as map_url_path() does, into `out` (cleared first; its
/// capacity is reused, so a caller that keeps it maps without allocating):
/// the segments joined by "/" ("a/b/c", "" for the top), which is the
/// mapping whole, since no segment holds a "/". `trailing_slash` as in
/// MappedPath. False for a target whose decoded path holds a NUL byte.
bool map_url_path_into(std::string_view target, std::string& out, bool& trailing_slash);

/// Maps `target` as Python's SimpleHTTPRequestHandler.translate_path does:
/// query and fragment dropped, percent-decoded, empty and "." segments
/// dropped, ".." removing the segment before it (never above the top).
/// Nothing for a target whose decoded path holds a NUL byte.
std::optional<MappedPath> map_url_path(std::string_view target);

/// The Location of the redirect that gives a folder's URL its missing
/// slash: `mapped`'s segments percent-encoded under a single "/", a "/"
/// after them, then the query of `target` as it came. Built from the
/// mapping, never from the bytes sent, so that no request-target ("//host",
/// "/\host", "%2f", dot segments) makes it name another host: it never
/// starts with "//" or "/\", and holds no byte a browser drops or reads
/// as a separator before the query.
std::string folder_redirect_location(const MappedPath& mapped, std::string_view target);
/// The same Location from the joined form map_url_path_into() gives,
/// appended to `out`.
void append_folder_redirect_location(std::string_view joined, std::string_view target,
                                     std::string& out);

/// percent_encode_path(text), appended to `out`.
void append_percent_encoded_path(std::string_view text, std::string& out);

}  // namespace basehttp
