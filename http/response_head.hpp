// ResponseHead: the bytes every response of a server starts with, made
// ready in advance: the status line of each code in the status table, the
// Server and Date lines (the date formatted once per second), and, for 200,
// all three joined so that the common response starts with one copy.
// One per server; loop thread only.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

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

 private:
  void refresh(std::time_t now);

  std::vector<std::string> status_lines_;  // by code - 100
  std::string server_line_;
  std::time_t second_ = -1;
  std::string server_and_date_;
  std::string ok_head_;
};

}  // namespace basehttp
