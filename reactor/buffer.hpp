// Buffer: a growable byte area with a read index and a write index, used for
// a connection's input and for the copied part of its output. Bytes between
// the two indices are "readable"; appends go after the write index. Offsets
// taken relative to peek() stay valid when the buffer grows or compacts,
// which is how parsed requests refer to their bytes without copying them.
// Not thread-safe: owned by one connection on its loop thread.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

namespace basehttp {

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { free_storage(); }
  Buffer(Buffer&& other) noexcept { take(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      free_storage();
      take(other);
    }
    return *this;
  }

  size_t readable_bytes() const { return write_index_ - read_index_; }
  size_t writable_bytes() const { return capacity_ - write_index_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return read_index_ == write_index_; }

  /// The first readable byte; valid until the next append, ensure_writable or release.
  const char* peek() const { return storage_ + read_index_; }
  char* peek() { return storage_ + read_index_; }
  std::string_view view() const { return {peek(), readable_bytes()}; }

  /// Consumes `n` readable bytes (n <= readable_bytes()).
  void retrieve(size_t n);
  void retrieve_all() { read_index_ = write_index_ = 0; }

  void append(const char* data, size_t n) {
    if (writable_bytes() < n) ensure_writable(n);
    if (n > 0) std::memcpy(storage_ + write_index_, data, n);
    write_index_ += n;
  }
  void append(std::string_view text) { append(text.data(), text.size()); }
  void append(char c) {
    if (writable_bytes() < 1) ensure_writable(1);
    storage_[write_index_++] = c;
  }

  /// Makes room for at least `n` bytes after the write index, moving the
  /// readable bytes to the front first when that is enough.
  void ensure_writable(size_t n);
  char* begin_write() { return storage_ + write_index_; }
  /// ensure_writable(n), then begin_write(): where to write up to n bytes.
  char* reserve(size_t n) {
    if (writable_bytes() < n) ensure_writable(n);
    return begin_write();
  }
  /// Marks `n` bytes written at begin_write() as readable.
  void has_written(size_t n) { write_index_ += n; }
  /// Drops the last `n` readable bytes.
  void unwrite(size_t n) { write_index_ -= n; }
  /// Removes `n` readable bytes starting `offset` bytes past peek(), moving
  /// the bytes after them down (a streamed body, taken out of the middle
  /// of a message whose head stays where it was).
  void erase(size_t offset, size_t n);

  /// Frees the storage when nothing is readable (an idle connection keeps no
  /// buffer); otherwise does nothing.
  void release_if_empty();

 private:
  // Storage of kMappedFrom bytes or more is mapped rather than taken from
  // malloc (see buffer.cpp); capacity_ says which, so a Buffer stays four
  // words.
  static constexpr size_t kMappedFrom = size_t{256} << 10;
  static char* allocate(size_t capacity);
  void free_storage() noexcept;
  void take(Buffer& other) noexcept {
    storage_ = std::exchange(other.storage_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    read_index_ = std::exchange(other.read_index_, 0);
    write_index_ = std::exchange(other.write_index_, 0);
  }

  char* storage_ = nullptr;
  size_t capacity_ = 0;
  size_t read_index_ = 0;
  size_t write_index_ = 0;
};

}  // namespace basehttp
