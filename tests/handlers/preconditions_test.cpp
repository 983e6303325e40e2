// Tests handlers/static_files/preconditions: ETags and the conditional request fields.
#include "handlers/static_files/preconditions.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/http_date.hpp"

namespace basehttp {
namespace {

struct FieldList {
  std::string text;
  std::vector<FieldSpan> spans;
  FieldList(std::initializer_list<std::pair<std::string, std::string>> fields) {
    for (const auto& [name, value] : fields) {
      FieldSpan span{static_cast<uint32_t>(text.size()), static_cast<uint32_t>(name.size()), 0, 0};
      text += name;
      span.value_offset = static_cast<uint32_t>(text.size());
      span.value_length = static_cast<uint32_t>(value.size());
      text += value;
      spans.push_back(span);
    }
  }
  Headers headers() const { return {text.data(), spans.data(), spans.size()}; }
};

constexpr std::time_t kModified = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
const Validators kFile{make_etag(1234, kModified, 5), kModified};

PreconditionResult evaluate(std::initializer_list<std::pair<std::string, std::string>> fields) {
  return evaluate_preconditions(FieldList(fields).headers(), kFile);
}

TEST(Preconditions, EtagsAreStrongAndChangeWithTheFile) {
  std::string etag = make_etag(1234, kModified, 5);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_NE(etag, make_etag(1235, kModified, 5));
  EXPECT_NE(etag, make_etag(1234, kModified, 6));
  EXPECT_NE(etag, make_etag(1234, kModified + 1, 5));
}

TEST(Preconditions, NoConditionsProceed) {
  EXPECT_EQ(evaluate({}), PreconditionResult::kProceed);
}

TEST(Preconditions, IfNoneMatch) {
  EXPECT_EQ(evaluate({{"If-None-Match", kFile.etag}}), PreconditionResult::kNotModified);
  EXPECT_EQ(evaluate({{"If-None-Match", "W/" + kFile.etag}}), PreconditionResult::kNotModified);
  EXPECT_EQ(evaluate({{"If-None-Match", "\"other\", " + kFile.etag}}),
            PreconditionResult::kNotModified);
  EXPECT_EQ(evaluate({{"If-None-Match", "*"}}), PreconditionResult::kNotModified);
  EXPECT_EQ(evaluate({{"If-None-Match", "\"other\""}}), PreconditionResult::kProceed);
}

TEST(Preconditions, IfModifiedSince) {
  EXPECT_EQ(evaluate({{"If-Modified-Since", format_imf_fixdate(kModified)}}),
            PreconditionResult::kNotModified);
  EXPECT_EQ(evaluate({{"If-Modified-Since", format_imf_fixdate(kModified + 60)}}),
            PreconditionResult::kNotModified);
  EXPECT_EQ(evaluate({{"If-Modified-Since", format_imf_fixdate(kModified - 1)}}),
            PreconditionResult::kProceed);
  EXPECT_EQ(evaluate({{"If-Modified-Since", "not a date"}}), PreconditionResult::kProceed);
}

TEST(Preconditions, IfNoneMatchOverridesIfModifiedSince) {
  EXPECT_EQ(evaluate({{"If-Modified-Since", format_imf_fixdate(kModified)},
                      {"If-None-Match", "\"other\""}}),
            PreconditionResult::kProceed);
}

TEST(Preconditions, IfMatchAndIfUnmodifiedSince) {
  EXPECT_EQ(evaluate({{"If-Match", kFile.etag}}), PreconditionResult::kProceed);
  EXPECT_EQ(evaluate({{"If-Match", "\"other\""}}), PreconditionResult::kPreconditionFailed);
  EXPECT_EQ(evaluate({{"If-Match", "W/" + kFile.etag}}), PreconditionResult::kPreconditionFailed);
  EXPECT_EQ(evaluate({{"If-Unmodified-Since", format_imf_fixdate(kModified - 1)}}),
            PreconditionResult::kPreconditionFailed);
  EXPECT_EQ(evaluate({{"If-Unmodified-Since", format_imf_fixdate(kModified)}}),
            PreconditionResult::kProceed);
}

TEST(Preconditions, IfRange) {
  auto allows = [](std::initializer_list<std::pair<std::string, std::string>> fields) {
    return if_range_allows(FieldList(fields).headers(), kFile);
  };
  EXPECT_TRUE(allows({}));
  EXPECT_TRUE(allows({{"If-Range", kFile.etag}}));
  EXPECT_FALSE(allows({{"If-Range", "W/" + kFile.etag}}));  // weak tags never match
  EXPECT_FALSE(allows({{"If-Range", "\"other\""}}));
  EXPECT_TRUE(allows({{"If-Range", format_imf_fixdate(kModified)}}));
  EXPECT_FALSE(allows({{"If-Range", format_imf_fixdate(kModified + 1)}}));
  EXPECT_FALSE(allows({{"If-Range", "garbage"}}));
}

}  // namespace
}  // namespace basehttp
