// DirectoryListing: the HTML page that lists a folder's entries for a
// static file handler: names sorted case-insensitively, folders with a
// trailing slash, symlinks marked with "@" as Python marks them, text
// HTML-escaped, links percent-encoded, UTF-8 declared. Any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace basehttp {

/// Lists the folder open as `directory_fd` (which is not consumed).
/// `url_path` is the decoded path shown in the title. Nothing if the
/// folder cannot be read.
std::optional<std::string> render_directory_listing(int directory_fd, std::string_view url_path);

}  // namespace basehttp
