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
#include <string_view>
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
  /// names another file or it changed (inode, size, modification or
  /// status-change time differ): a changed file is served fresh at once.
  /// Kept files of at most 16 KiB keep their bytes too (4 MiB in all). With several loops (threads
  /// > 1) they share this cache, behind a lock held for one map lookup: the one thing the loops
  /// share when serving files.
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
  struct OpenFile;

  /// Looks the cache up by a path's view, so that a request's path need
  /// not become a std::string of its own.
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view path) const { return std::hash<std::string_view>()(path); }
  };

  /// `relative` is NUL-terminated (a std::string's c_str()).
  FileDescriptor open_beneath(const char* relative) const;
  /// The regular file at `relative`, from the cache when it still names the
  /// same unchanged file as `current` (its stat now); nullptr when there is
  /// no such file beneath the root.
  std::shared_ptr<const OpenFile> open_file(std::string_view relative, const char* c_path,
                                            const struct stat& current) const;
  void serve_file(RequestHandler& handler, const OpenFile& file) const;
  /// `path` holds the folder's mapped path, the part past the mount
  /// starting at `skip`; index names are appended to it and taken off again.
  void serve_directory(RequestHandler& handler, FileDescriptor directory, std::string& path,
                       size_t skip, std::string_view url_path) const;

  StaticFilesOptions options_;
  std::string mount_;  // the mount's mapped path: "static", "" for the top
  std::unique_ptr<const RootFolder> root_;
  const MimeTypes* mime_types_;
  // handle() is const for its callers, the cache is not; the lock is
  // uncontended with one loop and short with several.
  mutable std::mutex open_files_mutex_;
  mutable size_t kept_content_bytes_ = 0;  // OpenFile::content in open_files_
  mutable std::unordered_map<std::string, std::shared_ptr<const OpenFile>, PathHash,
                             std::equal_to<>>
      open_files_;
};

}  // namespace basehttp
