#include "reactor/buffer.hpp"

#include <sys/mman.h>

#include <cassert>
#include <cstring>
#include <new>

namespace basehttp {

// From kMappedFrom on (a large body or response; reads come in 16 KiB, so
// ordinary requests, pipelined ones too, stay below) storage is mapped from
// the kernel and unmapped when released. From malloc it could stay resident
// for good: once glibc has freed a block this large it raises its mmap
// threshold and serves the next one from the heap, where any smaller block
// allocated after it keeps the whole area resident after it is freed
// (basehttpd held ~24 MiB after one 8 MiB upload so). 256 KiB bounds what
// a connection can leave behind that way to about twice as much.
char* Buffer::allocate(size_t capacity) {
  if (capacity < kMappedFrom) return new char[capacity];
  void* area =
      ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) throw std::bad_alloc();
  return static_cast<char*>(area);
}

void Buffer::free_storage() noexcept {
  if (capacity_ >= kMappedFrom) {
    ::munmap(storage_, capacity_);
  } else {
    delete[] storage_;
  }
  storage_ = nullptr;
}

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
    std::memmove(storage_, storage_ + read_index_, readable);
  } else {
    size_t wanted = readable + n;
    size_t new_capacity = capacity_ < 1024 ? 1024 : capacity_;
    while (new_capacity < wanted)
      new_capacity *= 2;
    char* grown = allocate(new_capacity);
    if (readable > 0) std::memcpy(grown, storage_ + read_index_, readable);
    free_storage();
    storage_ = grown;
    capacity_ = new_capacity;
  }
  read_index_ = 0;
  write_index_ = readable;
}

void Buffer::release_if_empty() {
  if (!empty()) return;
  free_storage();
  capacity_ = read_index_ = write_index_ = 0;
}

}  // namespace basehttp
