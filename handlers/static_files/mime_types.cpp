#include "handlers/static_files/mime_types.hpp"

#include <fstream>
#include <sstream>

namespace basehttp {
namespace {

struct BuiltIn {
  const char* extension;
  const char* type;
};

constexpr BuiltIn kBuiltIn[] = {
    {"html", "text/html"},
    {"htm", "text/html"},
    {"css", "text/css"},
    {"js", "text/javascript"},
    {"mjs", "text/javascript"},
    {"json", "application/json"},
    {"txt", "text/plain"},
    {"text", "text/plain"},
    {"md", "text/markdown"},
    {"csv", "text/csv"},
    {"xml", "application/xml"},
    {"xhtml", "application/xhtml+xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"bmp", "image/bmp"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"bz2", "application/x-bzip2"},
    {"xz", "application/x-xz"},
    {"zst", "application/zstd"},
    {"tar", "application/x-tar"},
    {"7z", "application/x-7z-compressed"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"ogv", "video/ogg"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"m4a", "audio/mp4"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"sh", "application/x-sh"},
    {"py", "text/x-python"},
    {"c", "text/x-c"},
    {"h", "text/x-c"},
    {"cpp", "text/x-c++src"},
    {"hpp", "text/x-c++hdr"},
    {"rtf", "application/rtf"},
    {"epub", "application/epub+zip"},
    {"webmanifest", "application/manifest+json"},
};

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return result;
}

// Text a browser decodes by a charset: say which.
bool is_text(std::string_view type) {
  return type.substr(0, 5) == "text/" || type == "application/json" || type == "application/xml" ||
         type == "application/javascript" || type == "application/manifest+json" ||
         (type.size() > 4 &&
          (type.substr(type.size() - 4) == "+xml" || type.substr(type.size() - 5) == "+json"));
}

std::string with_charset(std::string_view type) {
  std::string value(type);
  if (is_text(type) && value.find("charset") == std::string::npos) value += "; charset=utf-8";
  return value;
}

}  // namespace

MimeTypes::MimeTypes() {
  for (const BuiltIn& entry : kBuiltIn)
    set(entry.extension, entry.type);
}

const MimeTypes& MimeTypes::system() {
  static const MimeTypes table = [] {
    MimeTypes built;
    built.load("/etc/mime.types");
    return built;
  }();
  return table;
}

void MimeTypes::set(std::string_view extension, std::string_view type) {
  by_extension_[lower(extension)] = with_charset(type);
}

bool MimeTypes::load(const std::string& path) {
  std::ifstream file(path);
  if (!file) return false;
  std::string line;
  while (std::getline(file, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string type, extension;
    if (!(words >> type) || type.find('/') == std::string::npos) continue;
    while (words >> extension) {
      std::string key = lower(extension);
      if (by_extension_.count(key) == 0) by_extension_[key] = with_charset(type);
    }
  }
  return true;
}

std::string_view MimeTypes::lookup(std::string_view filename) const {
  size_t slash = filename.rfind('/');
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  size_t dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == filename.size()) return kDefault;
  auto found = by_extension_.find(lower(filename.substr(dot + 1)));
  return found == by_extension_.end() ? kDefault : std::string_view(found->second);
}

}  // namespace basehttp
