// ResponseHead: the bytes every response of a server starts with, made
// ready in advance: the status line of each code in the status table, the
// Server and Date lines (the date formatted once per second), and, for 200,
// all three joined so that the common response starts with one copy; and
// the whole head respond() gave last, for a 200 of the same Content-Type,
// so that a server answering alike again and again copies it in one piece.
// One per server; loop thread only.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "http/byte_scan.hpp"
#include "http/http_date.hpp"
#include "http/server_options.hpp"

namespace basehttp {

class ResponseHead {
 public:
  explicit ResponseHead(const ServerOptions& options);

  /// "HTTP/1.1 404 Not Found\r\n" with the table's reason, or "" for a code
  /// the table does not have.
  std::string_view status_line(int code) const {
    if (code < StatusTable::kFirstCode || code > StatusTable::kLastCode) return {};
    return status_lines_[static_cast<size_t>(code - StatusTable::kFirstCode)];
  }
  /// "Server: ...\r\nDate: ...\r\n" for the second `now`.
  std::string_view server_and_date(std::time_t now) {
    if (now != second_) refresh(now);
    return server_and_date_;
  }
  /// Status line, Server and Date of a 200 response, in one piece.
  std::string_view ok_head(std::time_t now) {
    if (now != second_) refresh(now);
    return ok_head_;
  }
  /// The head of a 200 response with Content-Type `type` and
  /// Content-Length `length` and no Connection field, through the empty
  /// line that ends it (control bytes of `type` made spaces); "" for a
  /// type longer than kMaxRememberedType, which respond() builds itself.
  /// The head is kept for the next call: the same type costs a compare,
  /// another length a few stores.
  std::string_view content_head(std::time_t now, std::string_view type, uint64_t length) {
    if (now != second_) refresh(now);
    if (type.size() != content_type_.size() ||
        !byte_scan::same(type.data(), content_type_.data(), type.size()) || content_head_size_ == 0)
        [[unlikely]] {
      if (!remember_type(type)) return {};
    }
    if (length != content_length_) set_length(length);
    return {content_head_.data(), content_head_size_};
  }

  /// Longest Content-Type content_head() keeps; the space for it is taken
  /// once, so that no request allocates.
  static constexpr size_t kMaxRememberedType = 128;

 private:
  void refresh(std::time_t now);
  /// Builds content_head_ up to its Content-Length's value for `type`;
  /// false for one too long to keep.
  bool remember_type(std::string_view type);
  void set_length(uint64_t length);

  std::vector<std::string> status_lines_;  // by code - 100
  std::string server_line_;
  std::time_t second_ = -1;
  std::string server_and_date_;
  std::string ok_head_;
  // content_head(): the first content_head_size_ bytes of content_head_
  // (0: none kept), for content_type_ and content_length_; the bytes from
  // content_head_length_at_ on are the length and the two CRLFs.
  std::string content_type_;
  std::string content_head_;
  size_t content_head_size_ = 0;
  size_t content_head_length_at_ = 0;
  uint64_t content_length_ = 0;
};

}  // namespace basehttp
