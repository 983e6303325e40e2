#include "reactor/file_descriptor.hpp"

#include <unistd.h>

namespace basehttp {

void FileDescriptor::reset(int fd) noexcept {
  if (fd_ >= 0) {
    // Linux releases the descriptor even when close() reports EINTR, so a
    // retry could close a descriptor another thread has just been given.
    ::close(fd_);
  }
  fd_ = fd;
}

}  // namespace basehttp
