#include "reactor/block_pool.hpp"

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <new>

namespace basehttp {

// At the start of each chunk. Chunks are aligned to their size, so a
// block finds its chunk by masking its address.
struct BlockPool::Chunk {
  Chunk* previous;  // in partial_
  Chunk* next;
  FreeBlock* free;  // blocks given back
  uint32_t live;    // blocks handed out
  uint32_t carved;  // blocks taken from the never-used tail so far
};

namespace {
constexpr size_t round_up(size_t n, size_t to) {
  return (n + to - 1) / to * to;
}
}  // namespace

BlockPool::BlockPool(size_t block_size)
    : block_size_(round_up(block_size < sizeof(FreeBlock) ? sizeof(FreeBlock) : block_size, 16)),
      first_offset_(round_up(sizeof(Chunk), 16)) {
  assert(first_offset_ + block_size_ <= kChunkBytes);
  blocks_per_chunk_ = (kChunkBytes - first_offset_) / block_size_;
}

BlockPool::~BlockPool() {
  assert(live_ == 0);
  while (partial_ != nullptr) {
    Chunk* chunk = partial_;
    unlink(chunk);
    unmap_chunk(chunk);
  }
  if (spare_ != nullptr) unmap_chunk(spare_);
}

BlockPool::Chunk* BlockPool::map_chunk() {
  // Twice the size, then the unaligned ends unmapped: an aligned chunk.
  void* area =
      ::mmap(nullptr, 2 * kChunkBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) throw std::bad_alloc();
  auto start = reinterpret_cast<uintptr_t>(area);
  uintptr_t aligned = round_up(start, kChunkBytes);
  if (aligned > start) ::munmap(area, aligned - start);
  uintptr_t end = start + 2 * kChunkBytes;
  if (end > aligned + kChunkBytes) {
    ::munmap(reinterpret_cast<void*>(aligned + kChunkBytes), end - aligned - kChunkBytes);
  }
  auto* chunk = reinterpret_cast<Chunk*>(aligned);
  *chunk = Chunk{nullptr, nullptr, nullptr, 0, 0};
  ++chunks_;
  return chunk;
}

void BlockPool::unmap_chunk(Chunk* chunk) noexcept {
  ::munmap(chunk, kChunkBytes);
  --chunks_;
}

void BlockPool::unlink(Chunk* chunk) noexcept {
  if (chunk->previous != nullptr) {
    chunk->previous->next = chunk->next;
  } else {
    partial_ = chunk->next;
  }
  if (chunk->next != nullptr) chunk->next->previous = chunk->previous;
  chunk->previous = chunk->next = nullptr;
}

BlockPool::Chunk* BlockPool::chunk_of(void* block) const {
  return reinterpret_cast<Chunk*>(reinterpret_cast<uintptr_t>(block) & ~(kChunkBytes - 1));
}

void* BlockPool::allocate() {
  Chunk* chunk = partial_;
  if (chunk == nullptr) {
    chunk = spare_ != nullptr ? spare_ : map_chunk();
    spare_ = nullptr;
    chunk->next = nullptr;
    chunk->previous = nullptr;
    partial_ = chunk;
  }
  void* block;
  if (chunk->free != nullptr) {
    block = chunk->free;
    chunk->free = chunk->free->next;
  } else {
    block = reinterpret_cast<char*>(chunk) + first_offset_ + chunk->carved * block_size_;
    ++chunk->carved;
  }
  ++chunk->live;
  ++live_;
  // Full: out of the list until a block comes back.
  if (chunk->free == nullptr && chunk->carved == blocks_per_chunk_) unlink(chunk);
  return block;
}

void BlockPool::free(void* block) noexcept {
  if (block == nullptr) return;
  Chunk* chunk = chunk_of(block);
  bool was_full = chunk->free == nullptr && chunk->carved == blocks_per_chunk_;
  auto* freed = static_cast<FreeBlock*>(block);
  freed->next = chunk->free;
  chunk->free = freed;
  --chunk->live;
  --live_;
  if (was_full) {
    chunk->previous = nullptr;
    chunk->next = partial_;
    if (partial_ != nullptr) partial_->previous = chunk;
    partial_ = chunk;
  }
  if (chunk->live != 0) return;
  unlink(chunk);
  // Its pages go back to the kernel, but for one chunk kept as it is: a
  // connection opening and closing alone would otherwise map and unmap it
  // (and fault its pages in) each time.
  if (spare_ == nullptr) {
    *chunk = Chunk{nullptr, nullptr, nullptr, 0, 0};
    spare_ = chunk;
  } else {
    unmap_chunk(chunk);
  }
}

}  // namespace basehttp
