// StaticFiles: Python's SimpleHTTPRequestHandler as a handler: serves the
// files under a root folder at a URL prefix, for GET and HEAD. Folders
// answer with index.html / index.htm or a listing; files go out by
// sendfile with Last-Modified, a strong ETag, conditional requests (304,
// 412) and single byte ranges (206, 416). Targets are mapped lexically and
// then opened with the kernel refusing any path, symlinks included, that
// leaves the root. Built on the loop thread before serving; handle() runs
// there; must outlive the HandlerTable entries that call it.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "handlers/mime_types.hpp"
#include "http/handler_table.hpp"
#include "http/request_handler.hpp"
#include "reactor/file_descriptor.hpp"

namespace basehttp {

struct StaticFilesOptions {
  /// The folder served.
  std::string root = ".";
  /// The URL prefix it appears under: "/" or "/static".
  std::string mount = "/";
  /// Follow symlinks that lead outside the root (off: they answer 404).
  bool follow_symlinks_outside_root = false;
  /// Answer a folder without an index file with a listing (else 404).
  bool list_directories = true;
  /// Files that stand for their folder, tried in order.
  std::vector<std::string> index_names = {"index.html", "index.htm"};
  /// Content-Type by extension; nullptr means MimeTypes::system().
  const MimeTypes* mime_types = nullptr;
};

class StaticFiles {
 public:
  /// Opens the root; throws std::system_error if it is not a readable folder.
  explicit StaticFiles(StaticFilesOptions options);

  /// Answers a GET or HEAD request (another method gets 501).
  void handle(RequestHandler& handler) const;
  /// Registers handle() for GET and HEAD in `table`; other methods are left
  /// to the table, which answers 501 as Python does.
  void install(HandlerTable& table) const;

  const StaticFilesOptions& options() const { return options_; }

 private:
  FileDescriptor open_beneath(const std::string& relative) const;
  void serve_file(RequestHandler& handler, FileDescriptor file, const struct stat& info,
                  std::string_view name) const;
  void serve_directory(RequestHandler& handler, FileDescriptor directory,
                       const std::string& relative, std::string_view url_path) const;

  StaticFilesOptions options_;
  std::vector<std::string> mount_segments_;
  FileDescriptor root_;
  const MimeTypes* mime_types_;
};

}  // namespace basehttp
