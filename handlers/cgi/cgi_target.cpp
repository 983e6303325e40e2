#include "handlers/cgi/cgi_target.hpp"

#include <algorithm>

#include "handlers/common/url_path.hpp"

namespace basehttp {
namespace {

std::string join(const std::vector<std::string>& segments, size_t begin, size_t end) {
  std::string path;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) path += '/';
    path += segments[i];
  }
  return path;
}

}  // namespace

std::vector<std::vector<std::string>> cgi_directory_segments(
    const std::vector<std::string>& cgi_directories) {
  std::vector<std::vector<std::string>> result;
  for (const std::string& directory : cgi_directories) {
    auto mapped = map_url_path(directory);
    if (mapped && !mapped->segments.empty()) result.push_back(mapped->segments);
  }
  return result;
}

std::optional<CgiTarget> map_cgi_target(
    std::string_view target, const std::vector<std::vector<std::string>>& cgi_directories,
    const std::function<bool(const std::string& relative)>& is_directory) {
  auto mapped = map_url_path(target);
  if (!mapped) return std::nullopt;
  const std::vector<std::string>& segments = mapped->segments;
  // The shortest CGI folder that prefixes the path and is followed by a '/'
  // (Python: "/cgi-bin" alone is the folder, served as such).
  size_t folder_end = 0;
  for (const auto& directory : cgi_directories) {
    if (directory.size() > segments.size()) continue;
    if (!std::equal(directory.begin(), directory.end(), segments.begin())) continue;
    bool followed_by_slash = directory.size() < segments.size() || mapped->trailing_slash;
    if (!followed_by_slash) continue;
    if (folder_end == 0 || directory.size() < folder_end) folder_end = directory.size();
  }
  if (folder_end == 0) return std::nullopt;
  // Sub-folders of the CGI folder belong to the script's folder, as long
  // as they are folders.
  while (folder_end < segments.size() && is_directory(join(segments, 0, folder_end + 1))) {
    ++folder_end;
  }
  CgiTarget result;
  result.folder = join(segments, 0, folder_end);
  if (folder_end < segments.size()) {
    result.script = segments[folder_end];
    if (folder_end + 1 < segments.size()) {
      result.path_info = "/" + join(segments, folder_end + 1, segments.size());
    }
    if (mapped->trailing_slash) result.path_info += '/';
  }
  result.script_name = "/" + result.relative_path();
  if (result.script.empty()) result.script_name += '/';
  result.nph = result.script.rfind("nph-", 0) == 0;
  size_t query = target.find('?');
  if (query != std::string_view::npos) {
    std::string_view rest = target.substr(query + 1);
    result.query = std::string(rest.substr(0, rest.find('#')));
  }
  return result;
}

}  // namespace basehttp
