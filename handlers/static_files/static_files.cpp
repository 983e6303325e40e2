#include "handlers/static_files/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "handlers/common/root_folder.hpp"
#include "handlers/common/url_path.hpp"
#include "handlers/static_files/byte_range.hpp"
#include "handlers/static_files/directory_listing.hpp"
#include "handlers/static_files/preconditions.hpp"
#include "http/http_date.hpp"

namespace basehttp {
namespace {

// O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

void not_found(RequestHandler& handler) {
  handler.send_error(404, "File not found");
}

std::string size_text(uint64_t value) {
  return std::to_string(value);
}

}  // namespace

StaticFiles::StaticFiles(StaticFilesOptions options)
    : options_(std::move(options)),
      root_(std::make_unique<RootFolder>(options_.root)),
      mime_types_(options_.mime_types ? options_.mime_types : &MimeTypes::system()) {
  if (auto mount = map_url_path(options_.mount)) mount_segments_ = mount->segments;
}

StaticFiles::~StaticFiles() = default;

void StaticFiles::install(HandlerTable& table) const {
  table.on("GET", [this](RequestHandler& handler) { handle(handler); });
  table.on("HEAD", [this](RequestHandler& handler) { handle(handler); });
}

FileDescriptor StaticFiles::open_beneath(const std::string& relative) const {
  if (options_.follow_symlinks_outside_root) {
    return FileDescriptor(
        ::openat(root_->fd(), relative.empty() ? "." : relative.c_str(), kOpenFlags));
  }
  return root_->open(relative, kOpenFlags);
}

void StaticFiles::handle(RequestHandler& handler) const {
  std::string_view command = handler.command();
  if (command != "GET" && command != "HEAD") {
    send_unsupported_method(handler);
    return;
  }
  auto mapped = map_url_path(handler.path());
  if (!mapped) return not_found(handler);
  // The request must lie under the mount point; the rest is the file's path.
  if (mapped->segments.size() < mount_segments_.size() ||
      !std::equal(mount_segments_.begin(), mount_segments_.end(), mapped->segments.begin())) {
    return not_found(handler);
  }
  std::string relative = mapped->relative(mount_segments_.size());

  // One stat tells a folder from a file and, for a kept file, whether it
  // is still the same. It may follow a symlink out of the root: what it
  // finds is only trusted once open_beneath() has opened it.
  struct stat info {};
  const char* stat_path = relative.empty() ? "." : relative.c_str();
  if (::fstatat(root_->fd(), stat_path, &info, 0) != 0) return not_found(handler);
  if (S_ISDIR(info.st_mode)) {
    FileDescriptor directory = open_beneath(relative);
    struct stat opened {};
    if (!directory || ::fstat(directory.get(), &opened) != 0 || !S_ISDIR(opened.st_mode)) {
      return not_found(handler);
    }
    std::string_view raw_path = target_path(handler.path());
    if (!mapped->trailing_slash) {
      // Python's answer, the URL with a slash and the query kept, but the
      // path rebuilt from the mapping: "//host/.." must stay on this server.
      handler.send_response(301);
      handler.send_header("Location", folder_redirect_location(*mapped, handler.path()));
      handler.send_header("Content-Length", "0");
      handler.end_headers();
      return;
    }
    return serve_directory(handler, std::move(directory), relative, percent_decode(raw_path));
  }
  if (!S_ISREG(info.st_mode) || mapped->trailing_slash) return not_found(handler);
  std::shared_ptr<const OpenFile> file = open_file(relative, &info);
  if (!file) return not_found(handler);
  serve_file(handler, *file);
}

namespace {

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

}  // namespace

std::shared_ptr<const StaticFiles::OpenFile> StaticFiles::open_file(
    const std::string& relative, const struct stat* current) const {
  if (current != nullptr && options_.open_file_cache > 0) {
    std::lock_guard<std::mutex> lock(open_files_mutex_);
    auto kept = open_files_.find(relative);
    if (kept != open_files_.end() && same_file(kept->second->info, *current)) return kept->second;
  }
  FileDescriptor descriptor = open_beneath(relative);
  auto file = std::make_shared<OpenFile>();
  if (!descriptor || ::fstat(descriptor.get(), &file->info) != 0 || !S_ISREG(file->info.st_mode)) {
    return nullptr;
  }
  file->descriptor = std::make_shared<const FileDescriptor>(std::move(descriptor));
  uint64_t size = static_cast<uint64_t>(file->info.st_size);
  file->etag = make_etag(size, file->info.st_mtim.tv_sec, file->info.st_mtim.tv_nsec);
  file->last_modified = format_imf_fixdate(file->info.st_mtim.tv_sec);
  size_t slash = relative.rfind('/');
  file->content_type =
      mime_types_->lookup(slash == std::string::npos ? relative : relative.substr(slash + 1));
  if (options_.open_file_cache > 0) {
    std::lock_guard<std::mutex> lock(open_files_mutex_);
    if (open_files_.size() >= options_.open_file_cache) open_files_.clear();
    open_files_[relative] = file;
  }
  return file;
}

void StaticFiles::serve_directory(RequestHandler& handler, FileDescriptor directory,
                                  const std::string& relative, std::string_view url_path) const {
  for (const std::string& index : options_.index_names) {
    std::string path = relative.empty() ? index : relative + "/" + index;
    struct stat info {};
    if (::fstatat(root_->fd(), path.c_str(), &info, 0) != 0 || !S_ISREG(info.st_mode)) continue;
    if (auto file = open_file(path, &info)) return serve_file(handler, *file);
  }
  if (!options_.list_directories) return not_found(handler);
  auto page = render_directory_listing(directory.get(), url_path);
  if (!page) return handler.send_error(404, "No permission to list directory");
  handler.send_response(200);
  handler.send_header("Content-Type", "text/html; charset=utf-8");
  handler.send_header("Content-Length", size_text(page->size()));
  handler.end_headers();
  handler.write(std::move(*page));
}

void StaticFiles::serve_file(RequestHandler& handler, const OpenFile& file) const {
  uint64_t size = static_cast<uint64_t>(file.info.st_size);
  Validators validators{file.etag, file.info.st_mtim.tv_sec};
  Headers headers = handler.headers();

  switch (evaluate_preconditions(headers, validators)) {
    case PreconditionResult::kNotModified:
      handler.send_response(304);
      handler.send_header("ETag", file.etag);
      handler.send_header("Last-Modified", file.last_modified);
      handler.end_headers();
      return;
    case PreconditionResult::kPreconditionFailed:
      handler.send_error(412);
      return;
    case PreconditionResult::kProceed:
      break;
  }

  RangeRequest range;
  if (auto header = headers.get("Range"); header && if_range_allows(headers, validators)) {
    range = parse_byte_range(*header, size);
  }
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    handler.send_response(416);
    handler.send_header("Content-Range", "bytes */" + size_text(size));
    handler.send_header("Content-Length", "0");
    handler.end_headers();
    return;
  }
  bool partial = range.kind == RangeRequest::Kind::kSingle;
  uint64_t offset = partial ? range.first : 0;
  uint64_t length = partial ? range.length() : size;

  handler.send_response(partial ? 206 : 200);
  handler.send_header("Content-Type", file.content_type);
  handler.send_header("Content-Length", size_text(length));
  if (partial) {
    handler.send_header("Content-Range", "bytes " + size_text(range.first) + "-" +
                                             size_text(range.last) + "/" + size_text(size));
  }
  handler.send_header("Last-Modified", file.last_modified);
  handler.send_header("ETag", file.etag);
  handler.send_header("Accept-Ranges", "bytes");
  handler.end_headers();
  handler.write_file(file.descriptor, offset, length);
}

}  // namespace basehttp
