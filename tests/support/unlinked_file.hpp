// unlinked_file(): a file holding `content` that no path names (made by
// mkstemp under /tmp, then unlinked), for tests that send a file region:
// nothing is left behind, whatever the test's outcome. Header-only: it
// reports through GoogleTest, which the benchmarks sharing
// tests/support do not link. Any thread.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string_view>

#include "reactor/file_descriptor.hpp"

namespace basehttp::testing {

/// The open file, read from offset 0 by sendfile/pread; fails the test if
/// it cannot be made.
inline std::shared_ptr<const FileDescriptor> unlinked_file(std::string_view content) {
  char path[] = "/tmp/basehttp-file-XXXXXX";
  int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0) << "mkstemp";
  ::unlink(path);
  EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  return std::make_shared<const FileDescriptor>(fd);
}

}  // namespace basehttp::testing
