#include "reactor/block_pool.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

namespace basehttp {
namespace {

TEST(BlockPool, BlocksAreDistinctAlignedAndWholeSized) {
  BlockPool pool(100);
  EXPECT_EQ(pool.block_size(), 112u);
  std::set<uintptr_t> seen;
  std::vector<void*> blocks;
  for (int i = 0; i < 2000; ++i) {
    void* block = pool.allocate();
    auto address = reinterpret_cast<uintptr_t>(block);
    EXPECT_EQ(address % 16, 0u);
    std::memset(block, i & 0xff, pool.block_size());  // no overlap: checked below
    EXPECT_TRUE(seen.insert(address).second);
    blocks.push_back(block);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(*static_cast<unsigned char*>(blocks[i]), i & 0xff);
    EXPECT_EQ(static_cast<unsigned char*>(blocks[i])[pool.block_size() - 1], i & 0xff);
  }
  EXPECT_EQ(pool.live(), 2000u);
  for (void* block : blocks)
    pool.free(block);
  EXPECT_EQ(pool.live(), 0u);
}

// The point of the pool: a burst of connections leaves nothing resident
// once they are gone, but one chunk kept against map/unmap churn.
TEST(BlockPool, ChunksWhoseBlocksAreAllFreeGoBackToTheKernel) {
  BlockPool pool(488);
  std::vector<void*> blocks;
  for (int i = 0; i < 10000; ++i)
    blocks.push_back(pool.allocate());
  size_t mapped = pool.chunks();
  EXPECT_GE(mapped, 10000 * 488 / BlockPool::kChunkBytes);
  // Every other block freed: no chunk is empty, none goes.
  for (size_t i = 0; i < blocks.size(); i += 2)
    pool.free(blocks[i]);
  EXPECT_EQ(pool.chunks(), mapped);
  // Freed blocks are used again before any new chunk is mapped.
  for (size_t i = 0; i < blocks.size(); i += 2)
    blocks[i] = pool.allocate();
  EXPECT_EQ(pool.chunks(), mapped);
  for (void* block : blocks)
    pool.free(block);
  EXPECT_EQ(pool.chunks(), 1u);
  // One block taken and freed over and over maps nothing more.
  for (int i = 0; i < 100; ++i)
    pool.free(pool.allocate());
  EXPECT_EQ(pool.chunks(), 1u);
}

}  // namespace
}  // namespace basehttp
