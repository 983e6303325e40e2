#include "handlers/common/root_folder.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <string_view>
#include <system_error>

namespace basehttp {
namespace {

int open_resolved_beneath(int root, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, path, &how, sizeof(how)));
}

// The path `fd` names now, from /proc; 0 when it cannot be read.
size_t real_path(int fd, char (&out)[PATH_MAX]) {
  char link[32];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t length = ::readlink(link, out, sizeof(out) - 1);
  return length > 0 ? static_cast<size_t>(length) : 0;
}

// Open, then compare real paths: the file must be the folder or lie in it.
int open_checked_beneath(int root, const char* path, int flags) {
  int fd = ::openat(root, path, flags);
  if (fd < 0) return fd;
  char root_real[PATH_MAX], file_real[PATH_MAX];
  size_t root_length = real_path(root, root_real);
  size_t file_length = real_path(fd, file_real);
  std::string_view folder(root_real, root_length), file(file_real, file_length);
  bool inside = root_length > 0 && file.substr(0, root_length) == folder &&
                (file_length == root_length || file_real[root_length] == '/' || folder == "/");
  if (!inside) {
    ::close(fd);
    errno = EXDEV;
    return -1;
  }
  return fd;
}

}  // namespace

RootFolder::RootFolder(const std::string& path)
    : fd_(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
  if (!fd_) throw std::system_error(errno, std::generic_category(), "cannot open folder " + path);
  // The folder itself is beneath itself: if openat2 cannot open it, it
  // cannot be relied on for anything (ENOSYS, or EPERM from a sandbox).
  FileDescriptor probe(open_resolved_beneath(fd_.get(), ".", O_PATH | O_CLOEXEC));
  kernel_resolves_ = probe.valid();
}

FileDescriptor RootFolder::open(const std::string& relative, int flags) const {
  const char* path = relative.empty() ? "." : relative.c_str();
  flags |= O_CLOEXEC;
  if (kernel_resolves_) return FileDescriptor(open_resolved_beneath(fd_.get(), path, flags));
  return FileDescriptor(open_checked_beneath(fd_.get(), path, flags));
}

}  // namespace basehttp
