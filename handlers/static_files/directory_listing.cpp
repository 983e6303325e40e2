#include "handlers/static_files/directory_listing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "handlers/common/url_path.hpp"
#include "http/html_escape.hpp"

namespace basehttp {
namespace {

struct Entry {
  std::string name;
  bool directory = false;
  bool symlink = false;
};

char fold(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool less_ignoring_case(const Entry& a, const Entry& b) {
  size_t n = std::min(a.name.size(), b.name.size());
  for (size_t i = 0; i < n; ++i) {
    char x = fold(a.name[i]);
    char y = fold(b.name[i]);
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
  }
  if (a.name.size() != b.name.size()) return a.name.size() < b.name.size();
  return a.name < b.name;
}

std::optional<std::vector<Entry>> read_entries(int directory_fd) {
  int own = ::openat(directory_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (own < 0) return std::nullopt;
  DIR* directory = ::fdopendir(own);
  if (directory == nullptr) {
    ::close(own);
    return std::nullopt;
  }
  std::vector<Entry> entries;
  while (dirent* item = ::readdir(directory)) {
    if (std::strcmp(item->d_name, ".") == 0 || std::strcmp(item->d_name, "..") == 0) continue;
    Entry entry;
    entry.name = item->d_name;
    struct stat info {};
    if (::fstatat(directory_fd, item->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0) {
      entry.symlink = S_ISLNK(info.st_mode);
      if (entry.symlink && ::fstatat(directory_fd, item->d_name, &info, 0) != 0) info = {};
      entry.directory = S_ISDIR(info.st_mode);
    }
    entries.push_back(std::move(entry));
  }
  ::closedir(directory);
  std::sort(entries.begin(), entries.end(), less_ignoring_case);
  return entries;
}

}  // namespace

std::optional<std::string> render_directory_listing(int directory_fd, std::string_view url_path) {
  auto entries = read_entries(directory_fd);
  if (!entries) return std::nullopt;
  std::string title = "Index of " + html_escape(url_path);
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + title +
      "</title>\n</head>\n<body>\n<h1>" + title + "</h1>\n<hr>\n<ul>\n";
  for (const Entry& entry : *entries) {
    std::string link = entry.name + (entry.directory ? "/" : "");
    std::string shown = entry.name + (entry.directory ? "/" : entry.symlink ? "@" : "");
    page +=
        "<li><a href=\"" + percent_encode_path(link) + "\">" + html_escape(shown) + "</a></li>\n";
  }
  page += "</ul>\n<hr>\n</body>\n</html>\n";
  return page;
}

}  // namespace basehttp
