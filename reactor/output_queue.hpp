// OutputQueue: the bytes a connection still has to send, in order, as
// segments: small pieces copied into one contiguous block (so a batch of
// pipelined responses leaves in one writev), large strings moved in whole,
// and file regions sent with sendfile, or, through a transport that cannot,
// read piecewise into one bounded buffer and written. Not thread-safe: loop
// thread only.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reactor/buffer.hpp"
#include "reactor/file_descriptor.hpp"
#include "reactor/scratch_buffer.hpp"

namespace basehttp {

struct StreamIo;

class OutputQueue {
 public:
  /// `scratch`, when given, is the loop's block lent to the queue while it
  /// fills and flushes, so a queue that empties keeps no block of its own.
  explicit OutputQueue(ScratchBuffer* scratch = nullptr) : scratch_(scratch) {}
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;
  ~OutputQueue();

  /// Strings at least this long are queued as their own segment instead of
  /// being copied.
  static constexpr size_t kMoveThreshold = 4096;

  /// The most a file region sent without sendfile holds in memory at once.
  static constexpr size_t kFileChunk = 16 * 1024;

  /// Copies `bytes` to the end of the queue. Cheap: a copy into the
  /// contiguous block; segment bookkeeping waits until it is needed.
  void append(std::string_view bytes) {
    if (queued_bytes_ == 0) borrow_scratch();
    copied_->append(bytes);
    unsealed_ += bytes.size();
    queued_bytes_ += bytes.size();
  }
  void append(const char* text) { append(std::string_view(text)); }
  /// Queues `bytes`, moving it in when it is large instead of copying.
  void append(std::string&& bytes);
  /// Queues `length` bytes of `file` from `offset`, sent with sendfile. The
  /// file must stay that long until sent; if it shrinks, flush_to() fails
  /// with -EIO.
  void append_file(std::shared_ptr<const FileDescriptor> file, uint64_t offset, uint64_t length);

  /// The contiguous block small appends go to; for writers that format in
  /// place. Call commit_copied(n) after writing n bytes at begin_write().
  Buffer& copy_block() {
    if (queued_bytes_ == 0) borrow_scratch();
    return *copied_;
  }
  void commit_copied(size_t n) {
    copied_->has_written(n);
    unsealed_ += n;
    queued_bytes_ += n;
  }

  /// Writes as much as `io` takes: one gather write for the memory
  /// segments, sendfile for files (or, when the transport cannot, reads of
  /// at most kFileChunk bytes into a buffer kept for the next one), until
  /// drained or -EAGAIN. Returns 0 when drained, -EAGAIN when the stream
  /// is full (io.wants() says what it waits for), or -errno when it failed
  /// and the connection should close (-EIO: a file shorter than promised).
  int flush_to(StreamIo io);
  /// The same into the plain socket or pipe `fd`.
  int flush_to(int fd);

  /// Bytes still to send.
  size_t size() const { return queued_bytes_; }
  /// Bytes the kernel has taken from this queue since it was made.
  uint64_t bytes_sent() const { return bytes_sent_; }
  bool empty() const { return queued_bytes_ == 0; }
  /// Drops everything queued (the connection is being aborted).
  void clear();
  /// Frees the copy block and the file buffer when nothing is queued (idle
  /// connections).
  void release_if_empty();
  /// True when the queue holds no storage of its own.
  bool released() const {
    return own_.capacity() == 0 && segments_.capacity() == 0 && file_chunk_ == nullptr;
  }

 private:
  enum class Kind : uint8_t { kCopied, kOwned, kFile };
  struct Segment {
    Kind kind;
    size_t remaining;  // bytes of this segment still to send
    uint64_t offset;   // kOwned: into text; kFile: into the file
    std::string text;
    std::shared_ptr<const FileDescriptor> file;
  };

  /// Turns the bytes appended since the last call into (the end of) a
  /// kCopied segment, so that what follows is queued after them.
  void seal();
  /// Fills the loop's scratch block instead of our own while it is free.
  void borrow_scratch();
  /// After a flush: the scratch block goes back, unsent bytes moved to ours.
  void return_scratch();
  /// Marks `n` bytes from the head of the queue as sent.
  void consume(size_t n);
  // Each writes from the head segment: 0 or -errno, and *would_block when
  // the stream took less than offered.
  int flush_memory(StreamIo io, bool* would_block);
  int flush_file(StreamIo io, bool* would_block);
  int flush_file_by_copy(StreamIo io, bool* would_block);
  // Accounts for a write of `offered` bytes that returned `written`.
  int took(StreamIo io, ssize_t written, size_t offered, bool* would_block);

  std::vector<Segment> segments_;
  size_t head_ = 0;         // first segment not fully sent
  ScratchBuffer* scratch_;  // the loop's, or nullptr
  Buffer own_;
  Buffer* copied_ = &own_;     // the bytes of every kCopied segment, in queue order
  size_t unsealed_ = 0;        // bytes at the end of copied_ not yet in a segment
  bool not_a_socket_ = false;  // flushed into a pipe: no sendmsg flags
  size_t queued_bytes_ = 0;
  uint64_t bytes_sent_ = 0;
  // Without sendfile: the last piece of a file read, kept until written
  // (a transport retries with the same bytes), made on first use.
  std::unique_ptr<char[]> file_chunk_;
  const FileDescriptor* chunk_file_ = nullptr;  // whose bytes it holds; nullptr: none
  uint64_t chunk_offset_ = 0;                   // their offset in that file
  size_t chunk_size_ = 0;
};

}  // namespace basehttp
