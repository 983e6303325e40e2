#include "handlers/common/url_path.hpp"

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

std::string percent_encode_path(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(text.size());
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (unreserved(byte)) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 15];
    }
  }
  return encoded;
}

std::string_view target_path(std::string_view target) {
  size_t scheme = target.find("://");
  if (scheme != std::string_view::npos && target.find('/') > scheme) {
    size_t path_start = target.find('/', scheme + 3);
    target =
        path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  return target.substr(0, target.find_first_of("?#"));
}

std::optional<MappedPath> map_url_path(std::string_view target) {
  std::string_view path = target_path(target);
  MappedPath mapped;
  std::string_view trimmed = trim_trailing_whitespace(path);
  mapped.trailing_slash = !trimmed.empty() && trimmed.back() == '/';
  std::string decoded = percent_decode(path);
  if (decoded.find('\0') != std::string::npos) return std::nullopt;
  size_t start = 0;
  while (start <= decoded.size()) {
    size_t end = decoded.find('/', start);
    if (end == std::string::npos) end = decoded.size();
    std::string_view segment(decoded.data() + start, end - start);
    if (segment == "..") {
      if (!mapped.segments.empty()) mapped.segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      mapped.segments.emplace_back(segment);
    }
    start = end + 1;
  }
  return mapped;
}

std::string folder_redirect_location(const MappedPath& mapped, std::string_view target) {
  // Python answers with the path as sent, which "//host/.." turns into
  // another server (CVE-2021-28861). Segments are never empty and hold
  // no "/", and the encoding leaves no "\" or control byte: every "/"
  // here is one this function put in.
  std::string location = "/";
  for (const std::string& segment : mapped.segments) {
    location += percent_encode_path(segment);
    location += '/';
  }
  size_t query = target.find('?');
  if (query != std::string_view::npos) location += target.substr(query);
  return location;
}

}  // namespace basehttp
