// Tests reactor/result: a SysResult holds its value or an errno with the
// failed step; -errno and errno give the same error; message() reads as
// std::system_error's what(); value_or_throw() and throw_if_failed() throw
// that exception; asking a failure for its value aborts.
#include "reactor/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

namespace basehttp {
namespace {

SysResult<int> half(int n) {
  if (n % 2 != 0) return SysError(EINVAL, "half " + std::to_string(n));
  return n / 2;
}

TEST(SysResult, HoldsTheValueOnSuccess) {
  auto result = half(8);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(result.value(), 4);
  EXPECT_EQ(result.error(), 0);
  EXPECT_EQ(result.what(), "");
  EXPECT_EQ(result.message(), "");
}

TEST(SysResult, HoldsTheErrnoAndTheFailedStep) {
  auto result = half(3);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), EINVAL);
  EXPECT_EQ(result.what(), "half 3");
  EXPECT_EQ(result.message(), std::string("half 3: ") + std::strerror(EINVAL));
  EXPECT_EQ(result.failure().error(), EINVAL);
}

TEST(SysResult, NegatedErrnoIsTheSameError) {
  SysResult<int> result = SysError(-EAGAIN, "read");
  EXPECT_EQ(result.error(), EAGAIN);
}

TEST(SysResult, MessageIsWhatSystemErrorSays) {
  SysError error(EADDRINUSE, "bind 127.0.0.1:80");
  std::system_error thrown(EADDRINUSE, std::generic_category(), "bind 127.0.0.1:80");
  EXPECT_EQ(error.message(), thrown.what());
  EXPECT_EQ(SysError(ENOENT, "").message(), std::strerror(ENOENT));
}

TEST(SysResult, ValueOrThrowThrowsSystemErrorForConstructors) {
  try {
    (void)half(5).value_or_throw();
    FAIL() << "no exception";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EINVAL);
    EXPECT_EQ(error.code().category(), std::generic_category());
    EXPECT_EQ(std::string(error.what()), half(5).message());
  }
  EXPECT_EQ(half(6).value_or_throw(), 3);
}

TEST(SysResult, HoldsMoveOnlyValues) {
  SysResult<std::unique_ptr<int>> result = std::make_unique<int>(7);
  ASSERT_TRUE(result.ok());
  std::unique_ptr<int> taken = std::move(result).value();
  EXPECT_EQ(*taken, 7);
}

TEST(SysResult, VoidSaysOnlyWhetherItWorked) {
  SysResult<void> fine;
  EXPECT_TRUE(fine.ok());
  EXPECT_EQ(fine.error(), 0);
  EXPECT_NO_THROW(fine.throw_if_failed());
  SysResult<void> failed = SysError(EPIPE, "write");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), EPIPE);
  EXPECT_EQ(failed.message(), std::string("write: ") + std::strerror(EPIPE));
  EXPECT_THROW(failed.throw_if_failed(), std::system_error);
}

// Impossible states abort loudly rather than hand out garbage.
TEST(SysResultDeathTest, ValueOfAFailureAborts) {
  EXPECT_DEATH((void)half(1).value(), "value\\(\\) of a failed call: half 1");
}

TEST(SysResultDeathTest, AnErrorWithoutAnErrnoAborts) {
  EXPECT_DEATH(SysError(0, "nothing"), "without an errno");
}

TEST(SysResultDeathTest, FailureOfASuccessAborts) {
  EXPECT_DEATH((void)half(2).failure(), "failure\\(\\) of a success");
}

}  // namespace
}  // namespace basehttp
