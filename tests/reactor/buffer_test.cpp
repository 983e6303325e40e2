// Tests reactor/buffer.
#include "reactor/buffer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "tests/support/process_memory.hpp"

namespace basehttp {
namespace {

TEST(Buffer, AppendsAndRetrieves) {
  Buffer buffer;
  EXPECT_TRUE(buffer.empty());
  buffer.append("hello ");
  buffer.append("world");
  EXPECT_EQ(buffer.view(), "hello world");
  buffer.retrieve(6);
  EXPECT_EQ(buffer.view(), "world");
  buffer.retrieve(5);
  EXPECT_TRUE(buffer.empty());
}

TEST(Buffer, OffsetsFromPeekSurviveGrowthAndCompaction) {
  Buffer buffer;
  buffer.append(std::string(1000, 'x'));
  buffer.append("MARK");
  buffer.retrieve(990);  // readable: 10 x's then MARK, at offset 10
  const size_t mark = 10;
  buffer.ensure_writable(100000);  // grows
  EXPECT_EQ(std::string(buffer.peek() + mark, 4), "MARK");
  buffer.append(std::string(100000, 'y'));
  buffer.retrieve(5);
  buffer.ensure_writable(buffer.capacity() - buffer.readable_bytes());  // compacts in place
  EXPECT_EQ(std::string(buffer.peek() + mark - 5, 4), "MARK");
}

TEST(Buffer, ErasesFromTheMiddleKeepingTheHeadInPlace) {
  Buffer buffer;
  buffer.append("xxHEAD-body-body-rest");
  buffer.retrieve(2);
  buffer.erase(5, 10);  // "body-body-"
  EXPECT_EQ(buffer.view(), "HEAD-rest");
  buffer.erase(9, 0);
  buffer.erase(4, 5);  // up to the end
  EXPECT_EQ(buffer.view(), "HEAD");
  buffer.append("!");
  EXPECT_EQ(buffer.view(), "HEAD!");
}

TEST(Buffer, WritesInPlace) {
  Buffer buffer;
  buffer.ensure_writable(16);
  ASSERT_GE(buffer.writable_bytes(), 16u);
  std::memcpy(buffer.begin_write(), "abc", 3);
  buffer.has_written(3);
  EXPECT_EQ(buffer.view(), "abc");
  buffer.unwrite(1);
  EXPECT_EQ(buffer.view(), "ab");
}

TEST(Buffer, ReleasesStorageOnlyWhenEmpty) {
  Buffer buffer;
  buffer.append("data");
  buffer.release_if_empty();
  EXPECT_GT(buffer.capacity(), 0u);
  buffer.retrieve_all();
  buffer.release_if_empty();
  EXPECT_EQ(buffer.capacity(), 0u);
  buffer.append("again");
  EXPECT_EQ(buffer.view(), "again");
}

// A request body of several MiB is read into a connection's input buffer,
// which is released once the request is done. That memory must go back to
// the system, even after the allocator has seen a buffer as large before
// (glibc then raises its mmap threshold and serves the next one from the
// heap, where a smaller block allocated after it pins it: basehttpd kept
// ~24 MiB resident after one 8 MiB upload that way).
TEST(Buffer, ALargeReleasedBufferGivesItsMemoryBack) {
  constexpr size_t kLarge = 12u << 20;
  {
    Buffer first;  // what an earlier large body leaves in the allocator
    std::memset(first.reserve(kLarge), 1, kLarge);
    first.release_if_empty();
  }
  long before = testing::resident_kib();
  Buffer buffer;
  char* area = buffer.reserve(kLarge);
  // A block allocated after the buffer, as the next connection's would be.
  std::unique_ptr<char[]> later(new char[256 << 10]);
  std::memset(later.get(), 1, 256 << 10);
  std::memset(area, 1, kLarge);
  buffer.release_if_empty();
  long after = testing::resident_kib();
  ASSERT_GT(before, 0);
  EXPECT_LT(after - before, 2048) << "KiB still resident after the release";
}

}  // namespace
}  // namespace basehttp
