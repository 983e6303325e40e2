#include "reactor/buffer.hpp"

#include <cassert>
#include <cstring>

namespace basehttp {

void Buffer::retrieve(size_t n) {
  assert(n <= readable_bytes());
  read_index_ += n;
  if (read_index_ == write_index_) read_index_ = write_index_ = 0;
}

void Buffer::erase(size_t offset, size_t n) {
  assert(offset + n <= readable_bytes());
  char* start = peek() + offset;
  std::memmove(start, start + n, readable_bytes() - offset - n);
  write_index_ -= n;
}

void Buffer::ensure_writable(size_t n) {
  if (writable_bytes() >= n) return;
  size_t readable = readable_bytes();
  if (read_index_ + writable_bytes() >= n && read_index_ > 0) {
    std::memmove(storage_.get(), storage_.get() + read_index_, readable);
  } else {
    size_t wanted = readable + n;
    size_t new_capacity = capacity_ < 1024 ? 1024 : capacity_;
    while (new_capacity < wanted)
      new_capacity *= 2;
    std::unique_ptr<char[]> grown(new char[new_capacity]);
    if (readable > 0) std::memcpy(grown.get(), storage_.get() + read_index_, readable);
    storage_ = std::move(grown);
    capacity_ = new_capacity;
  }
  read_index_ = 0;
  write_index_ = readable;
}

void Buffer::release_if_empty() {
  if (!empty()) return;
  storage_.reset();
  capacity_ = read_index_ = write_index_ = 0;
}

}  // namespace basehttp
