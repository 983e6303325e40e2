#include "http/response_head.hpp"

#include <charconv>
#include <cstring>

namespace basehttp {

namespace {

constexpr std::string_view kType = "Content-Type: ";
constexpr std::string_view kLength = "\r\nContent-Length: ";
// The digits of any length and two CRLFs.
constexpr size_t kLengthRoom = 20 + 4;
// Room in content_head_ beside the 200 head: the field names, the longest
// type kept, the length.
constexpr size_t kContentHeadRoom =
    kType.size() + ResponseHead::kMaxRememberedType + kLength.size() + kLengthRoom;

}  // namespace

ResponseHead::ResponseHead(const ServerOptions& options)
    : status_lines_(StatusTable::kLastCode - StatusTable::kFirstCode + 1) {
  for (int code : options.responses.codes()) {
    status_lines_[static_cast<size_t>(code - StatusTable::kFirstCode)] =
        options.protocol_version + " " + std::to_string(code) + " " +
        std::string(options.responses.reason(code)) + "\r\n";
  }
  server_line_ = "Server: " + options.server_version;
  if (!options.sys_version.empty()) server_line_ += " " + options.sys_version;
  server_line_ += "\r\n";
  // Capacity for the longest they get, so refreshing never allocates.
  server_and_date_.reserve(server_line_.size() + 64);
  ok_head_.reserve(status_line(200).size() + server_line_.size() + 64);
  content_type_.reserve(kMaxRememberedType);
  content_head_.reserve(ok_head_.capacity() + kContentHeadRoom);
}

bool ResponseHead::remember_type(std::string_view type) {
  content_head_size_ = 0;
  content_type_.clear();
  if (type.size() > kMaxRememberedType) return false;
  content_type_.assign(type);
  content_head_.assign(ok_head_);
  content_head_.append(kType);
  size_t type_at = content_head_.size();
  content_head_.append(type);
  byte_scan::blank_control_bytes(content_head_.data() + type_at, type.size());
  content_head_.append(kLength);
  content_head_length_at_ = content_head_.size();
  content_head_.resize(content_head_length_at_ + kLengthRoom);  // set_length() writes there
  set_length(0);
  return true;
}

void ResponseHead::set_length(uint64_t length) {
  content_length_ = length;
  char* digits = content_head_.data() + content_head_length_at_;
  char* end = std::to_chars(digits, digits + 20, length).ptr;
  std::memcpy(end, "\r\n\r\n", 4);
  content_head_size_ = static_cast<size_t>(end + 4 - content_head_.data());
}

void ResponseHead::refresh(std::time_t now) {
  second_ = now;
  server_and_date_.assign(server_line_);
  server_and_date_.append("Date: ");
  size_t date = server_and_date_.size();
  server_and_date_.resize(date + kImfFixdateLength);
  format_imf_fixdate(now, server_and_date_.data() + date);
  server_and_date_.append("\r\n");
  ok_head_.assign(status_line(200));
  ok_head_.append(server_and_date_);
  content_head_size_ = 0;  // made again, with this date, when next asked for
}

}  // namespace basehttp
