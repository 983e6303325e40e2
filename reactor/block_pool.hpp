// BlockPool: fixed-size blocks for objects a server holds one of per
// connection (its sessions, its parked idle connections), carved from
// 64 KiB chunks mapped from the kernel. A block costs its size and nothing
// more (no allocator header), and a chunk whose blocks are all free goes
// back to the kernel, so memory taken by a burst of busy connections is
// given back once they go idle, not kept resident by the heap. Allocation
// and release are O(1) with no syscall while a chunk has room; one chunk
// is kept spare so a connection opening and closing does not map and unmap
// each time. Not thread-safe: one per server, loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace basehttp {

class BlockPool {
 public:
  static constexpr size_t kChunkBytes = size_t{64} << 10;

  /// Blocks of `block_size` bytes (rounded up to 16), at most a chunk's room.
  explicit BlockPool(size_t block_size);
  /// Every block must have been freed.
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  /// A block of block_size() bytes, 16-aligned; throws std::bad_alloc.
  void* allocate();
  /// Gives back a block from allocate().
  void free(void* block) noexcept;

  size_t block_size() const { return block_size_; }
  /// Blocks handed out and not freed.
  size_t live() const { return live_; }
  /// Chunks mapped now (the spare one included).
  size_t chunks() const { return chunks_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  struct Chunk;

  Chunk* map_chunk();
  void unmap_chunk(Chunk* chunk) noexcept;
  void unlink(Chunk* chunk) noexcept;
  Chunk* chunk_of(void* block) const;

  size_t block_size_;
  size_t blocks_per_chunk_;
  size_t first_offset_;       // of the first block in a chunk, past its header
  Chunk* partial_ = nullptr;  // chunks with free blocks and live ones
  Chunk* spare_ = nullptr;    // one chunk with no live block, kept mapped
  size_t live_ = 0;
  size_t chunks_ = 0;
};

}  // namespace basehttp
