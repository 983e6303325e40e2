#include "handlers/static_files/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>

#include "handlers/common/root_folder.hpp"
#include "handlers/common/url_path.hpp"
#include "handlers/static_files/byte_range.hpp"
#include "handlers/static_files/directory_listing.hpp"
#include "handlers/static_files/preconditions.hpp"
#include "http/header_lines.hpp"
#include "http/http_date.hpp"

namespace basehttp {
namespace {

// O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

// Files up to this size keep their bytes in the cache: copied into the
// response, they cost a copy of at most one file chunk instead of a
// sendfile per response. The budget bounds the cache's memory for them.
constexpr uint64_t kSmallFile = 16 * 1024;
constexpr size_t kKeptContentBudget = 4 * 1024 * 1024;
// How old a file's last change must be for its bytes to be kept: past
// any file system's timestamp granularity.
constexpr std::time_t kSettledSeconds = 2;

void not_found(RequestHandler& handler) {
  handler.send_error(404, "File not found");
}

// The request's mapped path and a header value being built, one of each
// per loop thread (handle() runs on every loop, and never re-enters
// itself): their capacity stays, so once they have grown to the longest
// path served, requests map and answer without allocating.
std::string& path_buffer() {
  thread_local std::string buffer;
  return buffer;
}

std::string& value_buffer() {
  thread_local std::string buffer;
  return buffer;
}

// Room for any of the numeric header values built here: "bytes " and
// three 20-digit numbers with their separators.
using ValueText = char[64];

char* put(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

char* put(char* out, uint64_t value) {
  return std::to_chars(out, out + 20, value).ptr;
}

std::string_view decimal(ValueText& text, uint64_t value) {
  return {text, static_cast<size_t>(put(text, value) - text)};
}

}  // namespace

struct StaticFiles::OpenFile {
  std::shared_ptr<const FileDescriptor> descriptor;
  struct stat info {};
  Validators validators;  // the ETag and the modification time
  std::string last_modified;
  // Formatted once, sent with every 200 and 206: Content-Type, then the
  // validators and Accept-Ranges (Content-Length goes between them).
  HeaderLines type_line;
  HeaderLines validator_lines;
  // The bytes of a small file, read when it was opened: they go out in the
  // response's gather write, where a sendfile each would cost a system
  // call per response. Only used while a stat says the file is unchanged,
  // as the ETag is.
  std::string content;
  bool has_content = false;
  // Nonzero: a small file changed too recently to keep its bytes; from
  // this time on it is opened again, and then kept with them.
  std::time_t recheck_after = 0;
};

StaticFiles::StaticFiles(StaticFilesOptions options)
    : options_(std::move(options)),
      root_(std::make_unique<RootFolder>(options_.root)),
      mime_types_(options_.mime_types ? options_.mime_types : &MimeTypes::system()) {
  bool trailing_slash = false;
  if (!map_url_path_into(options_.mount, mount_, trailing_slash)) mount_.clear();
}

StaticFiles::~StaticFiles() = default;

void StaticFiles::install(HandlerTable& table) const {
  table.on("GET", [this](RequestHandler& handler) { handle(handler); });
  table.on("HEAD", [this](RequestHandler& handler) { handle(handler); });
}

FileDescriptor StaticFiles::open_beneath(const char* relative) const {
  if (options_.follow_symlinks_outside_root) {
    return FileDescriptor(::openat(root_->fd(), *relative == '\0' ? "." : relative, kOpenFlags));
  }
  return root_->open(relative, kOpenFlags);
}

void StaticFiles::handle(RequestHandler& handler) const {
  std::string_view command = handler.command();
  if (command != "GET" && command != "HEAD") {
    send_unsupported_method(handler);
    return;
  }
  std::string& mapped = path_buffer();
  bool trailing_slash = false;
  if (!map_url_path_into(handler.path(), mapped, trailing_slash)) return not_found(handler);
  // The request must lie under the mount point; the rest is the file's
  // path, a NUL-terminated tail of `mapped`.
  size_t skip = 0;
  if (!mount_.empty()) {
    if (mapped.compare(0, mount_.size(), mount_) != 0 ||
        (mapped.size() > mount_.size() && mapped[mount_.size()] != '/')) {
      return not_found(handler);
    }
    skip = std::min(mapped.size(), mount_.size() + 1);
  }
  std::string_view relative = std::string_view(mapped).substr(skip);
  const char* c_relative = mapped.c_str() + skip;

  // One stat tells a folder from a file and, for a kept file, whether it
  // is still the same. It may follow a symlink out of the root: what it
  // finds is only trusted once open_beneath() has opened it.
  struct stat info {};
  if (::fstatat(root_->fd(), relative.empty() ? "." : c_relative, &info, 0) != 0) {
    return not_found(handler);
  }
  if (S_ISDIR(info.st_mode)) {
    FileDescriptor directory = open_beneath(c_relative);
    struct stat opened {};
    if (!directory || ::fstat(directory.get(), &opened) != 0 || !S_ISDIR(opened.st_mode)) {
      return not_found(handler);
    }
    if (!trailing_slash) {
      // Python's answer, the URL with a slash and the query kept, but the
      // path rebuilt from the mapping: "//host/.." must stay on this server.
      std::string& location = value_buffer();
      location.clear();
      append_folder_redirect_location(mapped, handler.path(), location);
      handler.send_response(301);
      handler.send_header("Location", location);
      handler.send_header("Content-Length", "0");
      handler.end_headers();
      return;
    }
    return serve_directory(handler, std::move(directory), mapped, skip,
                           target_path(handler.path()));
  }
  if (!S_ISREG(info.st_mode) || trailing_slash) return not_found(handler);
  std::shared_ptr<const OpenFile> file = open_file(relative, c_relative, info);
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
    std::string_view relative, const char* c_relative, const struct stat& current) const {
  if (options_.open_file_cache > 0) {
    std::lock_guard<std::mutex> lock(open_files_mutex_);
    auto kept = open_files_.find(relative);
    if (kept != open_files_.end() && same_file(kept->second->info, current) &&
        (kept->second->recheck_after == 0 || ::time(nullptr) < kept->second->recheck_after)) {
      return kept->second;
    }
  }
  FileDescriptor descriptor = open_beneath(c_relative);
  auto file = std::make_shared<OpenFile>();
  if (!descriptor || ::fstat(descriptor.get(), &file->info) != 0 || !S_ISREG(file->info.st_mode)) {
    return nullptr;
  }
  file->descriptor = std::make_shared<const FileDescriptor>(std::move(descriptor));
  uint64_t size = static_cast<uint64_t>(file->info.st_size);
  file->validators.etag = make_etag(size, file->info.st_mtim.tv_sec, file->info.st_mtim.tv_nsec);
  file->validators.modified = file->info.st_mtim.tv_sec;
  file->last_modified = format_imf_fixdate(file->info.st_mtim.tv_sec);
  file->type_line.add("Content-Type", mime_types_->lookup(relative));
  file->validator_lines.add("Last-Modified", file->last_modified);
  file->validator_lines.add("ETag", file->validators.etag);
  file->validator_lines.add("Accept-Ranges", "bytes");
  if (options_.open_file_cache == 0) return file;
  std::lock_guard<std::mutex> lock(open_files_mutex_);
  if (open_files_.size() >= options_.open_file_cache) {
    open_files_.clear();
    kept_content_bytes_ = 0;
  }
  // A change within the clock tick of the last one can leave the times
  // as they were (kernels without fine-grained timestamps on demand), so
  // the bytes of a file changed that recently are not kept: it goes out by
  // sendfile, and is opened again once the change is old enough.
  std::time_t settled = file->info.st_ctim.tv_sec + kSettledSeconds;
  if (size <= kSmallFile && settled > ::time(nullptr)) {
    file->recheck_after = settled;
  } else if (size <= kSmallFile && kept_content_bytes_ + size <= kKeptContentBudget) {
    // Read under the lock: small, once per change of the file, and the
    // budget stays exact. A file read short (shrinking meanwhile) keeps
    // no bytes and goes out by sendfile, which notices.
    file->content.resize(size);
    ssize_t got = ::pread(file->descriptor->get(), file->content.data(), size, 0);
    file->has_content = got == static_cast<ssize_t>(size);
    if (file->has_content) {
      kept_content_bytes_ += size;
    } else {
      file->content.clear();
    }
  }
  auto [kept, inserted] = open_files_.try_emplace(std::string(relative), file);
  if (!inserted) {
    kept_content_bytes_ -= kept->second->has_content ? kept->second->content.size() : 0;
    kept->second = file;
  }
  return file;
}

void StaticFiles::serve_directory(RequestHandler& handler, FileDescriptor directory,
                                  std::string& path, size_t skip, std::string_view url_path) const {
  size_t folder_end = path.size();
  for (const std::string& index : options_.index_names) {
    if (folder_end > skip) path += '/';
    path += index;
    std::string_view relative = std::string_view(path).substr(skip);
    const char* c_relative = path.c_str() + skip;
    struct stat info {};
    std::shared_ptr<const OpenFile> file;
    if (::fstatat(root_->fd(), c_relative, &info, 0) == 0 && S_ISREG(info.st_mode)) {
      file = open_file(relative, c_relative, info);
    }
    path.resize(folder_end);
    if (file) return serve_file(handler, *file);
  }
  if (!options_.list_directories) return not_found(handler);
  auto page = render_directory_listing(directory.get(), percent_decode(url_path));
  if (!page) return handler.send_error(404, "No permission to list directory");
  ValueText length;
  handler.send_response(200);
  handler.send_header("Content-Type", "text/html; charset=utf-8");
  handler.send_header("Content-Length", decimal(length, page->size()));
  handler.end_headers();
  handler.write(std::move(*page));
}

namespace {

// Only a request with an If-* or a Range field needs the preconditions
// and the range looked at; most have neither, which one pass over the
// names tells (instead of a lookup of each of the five by name).
bool may_be_conditional(const Headers& headers) {
  for (HeaderField field : headers) {
    char first = static_cast<char>(field.name.empty() ? 0 : field.name[0] | 0x20);
    if (first == 'i' || first == 'r') return true;
  }
  return false;
}

}  // namespace

void StaticFiles::serve_file(RequestHandler& handler, const OpenFile& file) const {
  uint64_t size = static_cast<uint64_t>(file.info.st_size);
  const Validators& validators = file.validators;
  Headers headers = handler.headers();
  bool conditional = may_be_conditional(headers);

  switch (conditional ? evaluate_preconditions(headers, validators)
                      : PreconditionResult::kProceed) {
    case PreconditionResult::kNotModified:
      handler.send_response(304);
      handler.send_header("ETag", validators.etag);
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
  if (auto header = conditional ? headers.get("Range") : std::nullopt;
      header && if_range_allows(headers, validators)) {
    range = parse_byte_range(*header, size);
  }
  ValueText text;
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    char* end = put(put(text, "bytes */"), size);
    handler.send_response(416);
    handler.send_header("Content-Range", std::string_view(text, static_cast<size_t>(end - text)));
    handler.send_header("Content-Length", "0");
    handler.end_headers();
    return;
  }
  bool partial = range.kind == RangeRequest::Kind::kSingle;
  uint64_t offset = partial ? range.first : 0;
  uint64_t length = partial ? range.length() : size;

  handler.send_response(partial ? 206 : 200);
  handler.send_header_lines(file.type_line);
  handler.send_header("Content-Length", decimal(text, length));
  if (partial) {
    char* end =
        put(put(put(put(put(put(text, "bytes "), range.first), "-"), range.last), "/"), size);
    handler.send_header("Content-Range", std::string_view(text, static_cast<size_t>(end - text)));
  }
  handler.send_header_lines(file.validator_lines);
  handler.end_headers();
  if (file.has_content) {
    handler.write(std::string_view(file.content).substr(offset, length));
  } else {
    handler.write_file(file.descriptor, offset, length);
  }
}

}  // namespace basehttp
