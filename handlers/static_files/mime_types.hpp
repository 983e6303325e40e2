// MimeTypes: Content-Type by file extension: a built-in table of the
// common web types, extended (never overridden) by /etc/mime.types when it
// exists. Text types get "; charset=utf-8". Immutable once built; any thread.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace basehttp {

class MimeTypes {
 public:
  /// The type for files nothing else matches.
  static constexpr std::string_view kDefault = "application/octet-stream";

  /// The built-in table plus /etc/mime.types, read once.
  static const MimeTypes& system();

  /// Only the built-in table.
  MimeTypes();
  /// Adds the entries of a mime.types file ("type ext ext..." lines) whose
  /// extensions are not known yet. Returns false if it cannot be read.
  bool load(const std::string& path);
  /// Adds or replaces one extension ("svg", no dot; any case).
  void set(std::string_view extension, std::string_view type);

  /// The Content-Type for `filename`, from its last extension (any case):
  /// "index.HTML" -> "text/html; charset=utf-8". kDefault when unknown.
  std::string_view lookup(std::string_view filename) const;

 private:
  std::unordered_map<std::string, std::string> by_extension_;  // lower-case ext -> full value
};

}  // namespace basehttp
