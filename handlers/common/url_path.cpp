#include "handlers/common/url_path.hpp"

#include <cstring>

#include "http/headers.hpp"

namespace basehttp {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '~' || c == '/';
}

}  // namespace

std::string MappedPath::relative(size_t skip) const {
  std::string path;
  for (size_t i = skip; i < segments.size(); ++i) {
    if (i > skip) path += '/';
    path += segments[i];
  }
  return path;
}

std::string percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    decoded += text[i];
  }
  return decoded;
}

void append_percent_encoded_path(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (unreserved(byte)) {
      out += c;
    } else {
      char escape[3] = {'%', kHex[byte >> 4], kHex[byte & 15]};
      out.append(escape, 3);
    }
  }
}

std::string percent_encode_path(std::string_view text) {
  std::string encoded;
  encoded.reserve(text.size());
  append_percent_encoded_path(text, encoded);
  return encoded;
}

std::string_view target_path(std::string_view target) {
  // Origin-form, what nearly every request sends: no scheme to look for,
  // and a plain loop (find_first_of tries each byte against the set).
  if (!target.empty() && target[0] == '/') {
    size_t end = 0;
    while (end < target.size() && target[end] != '?' && target[end] != '#')
      ++end;
    return target.substr(0, end);
  }
  size_t scheme = target.find("://");
  if (scheme != std::string_view::npos && target.find('/') > scheme) {
    size_t path_start = target.find('/', scheme + 3);
    target =
        path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  return target.substr(0, target.find_first_of("?#"));
}

bool map_url_path_into(std::string_view target, std::string& out, bool& trailing_slash) {
  std::string_view path = target_path(target);
  std::string_view trimmed = trim_trailing_whitespace(path);
  trailing_slash = !trimmed.empty() && trimmed.back() == '/';
  // Decode first (an escaped "/" separates segments too, as in Python),
  // then resolve the segments in place: each one is written at or before
  // where it was read, so the one buffer does for both.
  // Most paths need neither decoding nor resolving ("/a/b.css"): no
  // escape, NUL, dot segment or empty segment. One pass finds out, and
  // the mapping is then the path without its slashes at either end.
  bool plain = !path.empty() && path[0] == '/';
  for (size_t i = 1; plain && i < path.size(); ++i) {
    char c = path[i];
    plain = c != '%' && c != '\0' && !(path[i - 1] == '/' && (c == '/' || c == '.'));
  }
  if (plain) {
    size_t end = path.size();
    if (end > 1 && path[end - 1] == '/') --end;
    out.assign(path.data() + 1, end - 1);
    return true;
  }
  out.resize(path.size());  // decoding never lengthens
  char* text = out.data();
  size_t size = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%' && i + 2 < path.size()) {
      int high = hex_value(path[i + 1]);
      int low = hex_value(path[i + 2]);
      if (high >= 0 && low >= 0) {
        c = static_cast<char>(high * 16 + low);
        i += 2;
      }
    }
    if (c == '\0') return false;
    text[size++] = c;
  }
  // Paths are short: plain loops, where memchr's set-up would cost more.
  size_t written = 0;
  for (size_t start = 0; start <= size;) {
    size_t end = start;
    while (end < size && text[end] != '/')
      ++end;
    size_t length = end - start;
    if (length == 2 && text[start] == '.' && text[start + 1] == '.') {
      while (written > 0 && text[written - 1] != '/')
        --written;
      if (written > 0) --written;  // the separator before the segment dropped
    } else if (length > 0 && !(length == 1 && text[start] == '.')) {
      if (written > 0) text[written++] = '/';
      if (written != start) std::memmove(text + written, text + start, length);
      written += length;
    }
    start = end + 1;
  }
  out.resize(written);
  return true;
}

std::optional<MappedPath> map_url_path(std::string_view target) {
  MappedPath mapped;
  std::string joined;
  if (!map_url_path_into(target, joined, mapped.trailing_slash)) return std::nullopt;
  for (size_t start = 0; start < joined.size();) {
    size_t end = joined.find('/', start);
    if (end == std::string::npos) end = joined.size();
    mapped.segments.emplace_back(joined, start, end - start);
    start = end + 1;
  }
  return mapped;
}

std::string folder_redirect_location(const MappedPath& mapped, std::string_view target) {
  std::string location;
  append_folder_redirect_location(mapped.relative(), target, location);
  return location;
}

void append_folder_redirect_location(std::string_view joined, std::string_view target,
                                     std::string& out) {
  // Python answers with the path as sent, which "//host/.." turns into
  // another server (CVE-2021-28861). Segments are never empty and hold
  // no "/", and the encoding leaves no "\" or control byte: every "/"
  // here is one this function put in (the joined form's separators are
  // kept as they are by the encoding).
  out += '/';
  append_percent_encoded_path(joined, out);
  if (!joined.empty()) out += '/';
  size_t query = target.find('?');
  if (query != std::string_view::npos) out += target.substr(query);
}

}  // namespace basehttp
