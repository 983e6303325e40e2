// RootFolder: the folder a handler serves from (StaticFiles, Cgi), and the
// one way they open a path beneath it: nothing, symlinks included, that
// leads out of it is opened. The kernel resolves with openat2
// (RESOLVE_BENEATH); where it cannot (kernels before 5.6, or a sandbox
// that refuses the call) each open is followed by a comparison of real
// paths. Which of the two is decided once, in the constructor; the object
// is immutable afterwards, so every loop thread may open through it.
#pragma once

#include <string>

#include "reactor/file_descriptor.hpp"

namespace basehttp {

class RootFolder {
 public:
  /// Opens `path`; throws std::system_error if it is not a readable folder.
  explicit RootFolder(const std::string& path);

  /// Opens `relative` ("" is the folder itself) with `flags` (O_CLOEXEC is
  /// added) if it lies beneath the folder once resolved; otherwise fails
  /// with errno EXDEV (or what the open failed with).
  FileDescriptor open(const std::string& relative, int flags) const;
  /// The folder's descriptor, for the *at() calls that only look.
  int fd() const { return fd_.get(); }
  /// True when the kernel resolves beneath the folder (openat2).
  bool kernel_resolves() const { return kernel_resolves_; }

 private:
  FileDescriptor fd_;
  bool kernel_resolves_ = false;
};

}  // namespace basehttp
