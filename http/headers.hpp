// Headers: a read-only view of a request's header (or trailer) fields as
// they sit in the connection's input buffer: case-insensitive lookup,
// repeated fields kept in arrival order, iteration. Valid only while the
// request it came from is being handled; copy what you need to keep.
// Loop thread (the handler's) only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace basehttp {

/// Where one field's name and value lie, as offsets from the start of the
/// request message in the input buffer.
struct FieldSpan {
  uint32_t name_offset = 0;
  uint32_t name_length = 0;
  uint32_t value_offset = 0;
  uint32_t value_length = 0;
};

/// One field as text: the name as received, the value without surrounding whitespace.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

/// ASCII case-insensitive equality (field names, tokens).
bool iequals(std::string_view a, std::string_view b);

/// `text` without the optional whitespace (spaces, tabs) at its end.
inline std::string_view trim_trailing_whitespace(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

/// `text` without the optional whitespace (spaces, tabs) around it, as
/// field values and list items are read (RFC 9110 §5.6.3).
inline std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  return trim_trailing_whitespace(text);
}

class Headers {
 public:
  class Iterator {
   public:
    using value_type = HeaderField;
    using difference_type = std::ptrdiff_t;
    Iterator(const char* base, const FieldSpan* span) : base_(base), span_(span) {}
    HeaderField operator*() const {
      return {{base_ + span_->name_offset, span_->name_length},
              {base_ + span_->value_offset, span_->value_length}};
    }
    Iterator& operator++() {
      ++span_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return span_ == other.span_; }
    bool operator!=(const Iterator& other) const { return span_ != other.span_; }

   private:
    const char* base_;
    const FieldSpan* span_;
  };

  Headers() = default;
  /// A view of `count` fields at `fields`, with offsets relative to `base`.
  Headers(const char* base, const FieldSpan* fields, size_t count)
      : base_(base), fields_(fields), count_(count) {}

  /// The first field named `name` (any case), like Python's headers.get(name).
  std::optional<std::string_view> get(std::string_view name) const;
  /// The first value, or `fallback` when there is no such field.
  std::string_view get(std::string_view name, std::string_view fallback) const {
    return get(name).value_or(fallback);
  }
  /// Every value of fields named `name`, in arrival order.
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  /// How many fields named `name` there are.
  size_t count(std::string_view name) const;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  HeaderField operator[](size_t index) const { return *Iterator(base_, fields_ + index); }
  Iterator begin() const { return {base_, fields_}; }
  Iterator end() const { return {base_, fields_ + count_}; }

 private:
  const char* base_ = nullptr;
  const FieldSpan* fields_ = nullptr;
  size_t count_ = 0;
};

}  // namespace basehttp
