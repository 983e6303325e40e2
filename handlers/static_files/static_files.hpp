// StaticFiles: Python's SimpleHTTPRequestHandler as a handler: serves the
// files under a root folder at a URL prefix, for GET and HEAD. Folders
// answer with index.html / index.htm or a listing; files go out by
// sendfile with Last-Modified, a strong ETag, conditional requests (304,
// 412) and single byte ranges (206, 416). Targets are mapped lexically and
// then opened with the kernel refusing any path, symlinks included, that
// leaves the root. Built before serving; handle() runs on the loop thread
// of each connection, on several at once when a server has several loops
// (ServerOptions::threads). Must outlive the HandlerTable entries that call it.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "handlers/static_files/mime_types.hpp"
#include "http/handler_table.hpp"
#include "http/request_handler.hpp"
#include "reactor/file_descriptor.hpp"

namespace basehttp {

// Declared only: applications include this header, and the root folder
// is the handler's inside (not installed).
class RootFolder;

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
  /// Files kept open between requests (0: open every time). A kept file is
  /// checked with one stat per request and opened again when its path now
  /// names another file or it changed. With several loops (threads > 1)
  /// they share this cache, behind a lock held for one map lookup: the
  /// one thing the loops share when serving files.
  size_t open_file_cache = 1024;
};

class StaticFiles {
 public:
  /// Opens the root; throws std::system_error if it is not a readable folder.
  explicit StaticFiles(StaticFilesOptions options);
  ~StaticFiles();

  /// Answers a GET or HEAD request (another method gets 501).
  void handle(RequestHandler& handler) const;
  /// Registers handle() for GET and HEAD in `table`; other methods are left
  /// to the table, which answers 501 as Python does.
  void install(HandlerTable& table) const;

  const StaticFilesOptions& options() const { return options_; }

 private:
  /// A regular file opened beneath the root, with what answering needs.
  struct OpenFile {
    std::shared_ptr<const FileDescriptor> descriptor;
    struct stat info {};
    std::string etag;
    std::string last_modified;
    std::string_view content_type;
  };

  FileDescriptor open_beneath(const std::string& relative) const;
  /// The regular file at `relative`, from the cache when it still names the
  /// same unchanged file; nullptr when there is no such file beneath the root.
  std::shared_ptr<const OpenFile> open_file(const std::string& relative,
                                            const struct stat* current) const;
  void serve_file(RequestHandler& handler, const OpenFile& file) const;
  void serve_directory(RequestHandler& handler, FileDescriptor directory,
                       const std::string& relative, std::string_view url_path) const;

  StaticFilesOptions options_;
  std::vector<std::string> mount_segments_;
  std::unique_ptr<const RootFolder> root_;
  const MimeTypes* mime_types_;
  // handle() is const for its callers, the cache is not; the lock is
  // uncontended with one loop and short with several.
  mutable std::mutex open_files_mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const OpenFile>> open_files_;
};

}  // namespace basehttp
