#include "http/response_head.hpp"

namespace basehttp {

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
}

}  // namespace basehttp
