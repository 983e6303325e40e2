// CgiTarget: which script a request-target names, by the rules of Python's
// CGIHTTPRequestHandler: the decoded, collapsed path must start with one of
// the CGI folders followed by '/'; folders beneath it are walked while the
// next segment is a folder; the segment after them is the script and the
// rest is PATH_INFO. Pure (folder tests go through a callback); any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace basehttp {

struct CgiTarget {
  /// The folder holding the script, relative to the served root: "cgi-bin/sub".
  std::string folder;
  /// The script's file name: "env.sh"; empty when the target names a folder.
  std::string script;
  /// SCRIPT_NAME: "/cgi-bin/sub/env.sh".
  std::string script_name;
  /// PATH_INFO, decoded: "" or "/a/b/" (a trailing slash kept).
  std::string path_info;
  /// QUERY_STRING, as sent.
  std::string query;
  /// The script is an nph- (non-parsed headers) script.
  bool nph = false;

  /// The script's path relative to the root: "cgi-bin/sub/env.sh".
  std::string relative_path() const { return script.empty() ? folder : folder + "/" + script; }
};

/// Splits `cgi_directories` entries ("/cgi-bin", "/a/b") into segments.
std::vector<std::vector<std::string>> cgi_directory_segments(
    const std::vector<std::string>& cgi_directories);

/// The script `target` names, or nothing when it lies under no CGI folder.
/// `is_directory` says whether a path relative to the root is a folder.
std::optional<CgiTarget> map_cgi_target(
    std::string_view target, const std::vector<std::vector<std::string>>& cgi_directories,
    const std::function<bool(const std::string& relative)>& is_directory);

}  // namespace basehttp
