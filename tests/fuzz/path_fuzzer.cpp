// path_fuzzer: arbitrary request-targets through the static file handler's
// path mapping (handlers/common/url_path.hpp), checking that what it yields can
// never name anything outside the served folder: segments that are never
// empty, ".", "..", nor hold "/" or NUL, a relative path without a leading
// or doubled slash, the same result as the standard library's lexical
// normalisation of the decoded path under a root, and the mount point
// recognised as StaticFiles does it; and the Location of a folder
// redirect, which must never leave the server ("//" or "/\" first). Also
// checks the helpers it rests on: target_path, percent_decode /
// percent_encode_path, html_escape.
//
// Input: the request-target's bytes, as they would follow the method.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/common/url_path.hpp"
#include "http/html_escape.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace basehttp::fuzzing {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '~' || c == '/';
}

void check_segments(const std::vector<std::string>& segments, std::string_view target) {
  for (const std::string& segment : segments) {
    require(!segment.empty(), "an empty segment", target);
    require(segment != "." && segment != "..", "a dot segment survives mapping", target);
    require(segment.find('/') == std::string::npos, "a segment holds '/'", target);
    require(segment.find('\0') == std::string::npos, "a segment holds NUL", target);
  }
}

// The decoded path put under "/" and normalised lexically by
// std::filesystem, where ".." cannot climb above the root either: an
// independent mapping to check map_url_path against. No trailing slash.
std::string lexically_normal(std::string_view decoded) {
  std::filesystem::path relative = std::filesystem::path(std::string(decoded)).relative_path();
  std::string normal = (std::filesystem::path("/") / relative).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/')
    normal.pop_back();
  return normal;
}

void check_mapping(std::string_view target) {
  std::string_view path = target_path(target);
  require(path.find_first_of("?#") == std::string_view::npos, "target_path keeps query", target);
  require(target.find(path) != std::string_view::npos || path == "/",
          "target_path is not part of the target", target);
  std::string decoded = percent_decode(path);

  std::optional<MappedPath> mapped = map_url_path(target);
  if (!mapped) {
    require(decoded.find('\0') != std::string::npos, "a target refused without NUL", target);
    return;
  }
  require(decoded.find('\0') == std::string::npos, "a target with NUL was mapped", target);
  check_segments(mapped->segments, target);
  std::string relative = mapped->relative();
  require(relative.empty() || (relative.front() != '/' && relative.back() != '/'),
          "the relative path has a leading or trailing slash", target);
  require(relative.find("//") == std::string::npos, "the relative path has '//'", target);
  // A leading "/" plus decoded ".." must never reach above it, as a string either.
  require(relative != ".." && relative.substr(0, 3) != "../" &&
              relative.find("/../") == std::string::npos &&
              (relative.size() < 3 || relative.substr(relative.size() - 3) != "/.."),
          "the relative path climbs", target);
  std::string normal = lexically_normal(decoded);
  require(normal == "/" + relative, "mapping differs from lexical normalisation", target);

  // StaticFiles serves "/static" by taking the mount's segments off the
  // front; that must match exactly the paths that lie under it.
  bool under_mount = !mapped->segments.empty() && mapped->segments.front() == "static";
  bool lexically_under = normal == "/static" || normal.substr(0, 8) == "/static/";
  require(under_mount == lexically_under, "the mount test disagrees with the path", target);

  // The folder redirect's Location names a path on this server whatever
  // the target held: one leading "/", then only unreserved bytes and
  // %XX escapes up to the query (nothing a browser drops or reads as
  // "/"), decoding to the mapped path.
  std::string location = folder_redirect_location(*mapped, target);
  std::string_view location_path = std::string_view(location).substr(0, location.find('?'));
  require(location.front() == '/', "a Location that is not a path", target);
  require(location.size() == 1 || (location[1] != '/' && location[1] != '\\'),
          "a Location starting with // or /\\ names another host", target);
  for (char c : location_path) {
    require(c == '%' || is_unreserved(static_cast<unsigned char>(c)),
            "a Location path with a byte left unencoded", target);
  }
  require(percent_decode(location_path) == (relative.empty() ? "/" : "/" + relative + "/"),
          "the Location is not the mapped folder", target);
}

void check_helpers(std::string_view text) {
  std::string encoded = percent_encode_path(text);
  for (size_t i = 0; i < encoded.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(encoded[i]);
    if (c == '%') {
      require(i + 2 < encoded.size(), "a cut %XX escape", text);
      i += 2;
    } else {
      require(is_unreserved(c), "percent_encode_path leaves a reserved byte", text);
    }
  }
  require(percent_decode(encoded) == text, "percent_decode does not undo percent_encode_path",
          text);
  std::string escaped = html_escape(text);
  require(escaped.find_first_of("<>") == std::string::npos, "html_escape leaves < or >", text);
  std::string unescaped;
  for (size_t i = 0; i < escaped.size(); ++i) {
    std::string_view rest = std::string_view(escaped).substr(i);
    if (escaped[i] != '&') {
      unescaped += escaped[i];
    } else if (rest.substr(0, 4) == "&lt;" || rest.substr(0, 4) == "&gt;") {
      unescaped += rest[1] == 'l' ? '<' : '>';
      i += 3;
    } else {
      require(rest.substr(0, 5) == "&amp;", "html_escape leaves a bare &", text);
      unescaped += '&';
      i += 4;
    }
  }
  require(unescaped == text, "html_escape loses bytes", text);
}

}  // namespace
}  // namespace basehttp::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  basehttp::fuzzing::check_mapping(target);
  basehttp::fuzzing::check_helpers(target);
  return 0;
}
