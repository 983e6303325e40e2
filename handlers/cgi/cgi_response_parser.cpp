#include "handlers/cgi/cgi_response_parser.hpp"

#include <charconv>

#include "http/headers.hpp"

namespace basehttp {
namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!is_token_char(c)) return false;
  return true;
}

std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// "NNN" or "NNN reason": a final status (1xx would leave the client waiting).
bool parse_code(std::string_view text, int* code, std::string_view* reason) {
  if (text.size() < 3) return false;
  for (size_t i = 0; i < 3; ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  if (text.size() > 3 && text[3] != ' ' && text[3] != '\t') return false;
  std::from_chars(text.data(), text.data() + 3, *code);
  if (*code < 200 || *code > 599) return false;
  *reason = trim_whitespace(text.substr(3));
  return true;
}

// RFC 3875 §6.2.2's local-pathquery: an abs-path, perhaps with a query.
// "//host/..." names another server, and spaces, controls or a fragment
// have no place in a request-target.
bool is_local_path(std::string_view location) {
  if (location.empty() || location.front() != '/' || location.substr(0, 2) == "//") return false;
  for (char c : location) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '#') return false;
  }
  return true;
}

}  // namespace

CgiResponseParser::Result CgiResponseParser::fail(std::string message) {
  done_ = true;
  error_ = std::move(message);
  return Result::kError;
}

CgiResponseParser::Result CgiResponseParser::feed(std::string_view data) {
  if (done_) return error_.empty() ? Result::kComplete : Result::kError;
  if (!data.empty()) saw_output_ = true;
  buffer_.append(data);
  size_t line_start = scanned_;
  for (size_t newline = buffer_.find('\n', scanned_); newline != std::string::npos;
       newline = buffer_.find('\n', line_start)) {
    std::string_view line =
        without_cr(std::string_view(buffer_).substr(line_start, newline - line_start));
    if (line.empty()) {
      body_start_ = newline + 1;
      done_ = true;
      Result result = parse_section(std::string_view(buffer_).substr(0, line_start));
      if (result == Result::kError) return result;
      return Result::kComplete;
    }
    line_start = newline + 1;
  }
  // Whole lines are never searched again; a partial one is, once more bytes come.
  scanned_ = line_start;
  if (buffer_.size() > max_bytes_) {
    return fail("header section longer than " + std::to_string(max_bytes_) + " bytes");
  }
  return Result::kNeedMore;
}

CgiResponseParser::Result CgiResponseParser::finish() {
  if (done_) return error_.empty() ? Result::kComplete : Result::kError;
  return fail(saw_output_ ? "output ended inside the header section" : "no output");
}

CgiResponseParser::Result CgiResponseParser::parse_section(std::string_view section) {
  bool status_seen = false;
  size_t fields = 0;
  bool first = true;
  while (!section.empty()) {
    size_t newline = section.find('\n');
    std::string_view line = without_cr(section.substr(0, newline));
    section.remove_prefix(newline + 1);
    if (first && nph_) {
      first = false;
      if (!parse_status_line(line)) return fail("malformed status line");
      continue;
    }
    first = false;
    if (++fields > max_fields_) {
      return fail("more than " + std::to_string(max_fields_) + " header fields");
    }
    if (parse_field(line, &status_seen) == Result::kError) return Result::kError;
  }
  if (nph_) {
    if (first) return fail("no status line");
    return Result::kComplete;
  }
  bool has_type = false;
  for (const auto& [name, value] : head_.fields)
    if (iequals(name, "Content-Type")) has_type = true;
  if (!has_type && head_.location.empty() && !status_seen) {
    return fail("no Content-Type, Location or Status field");
  }
  if (!head_.location.empty() && !status_seen) head_.status = 302;
  head_.local_redirect = !status_seen && head_.fields.size() == 1 && is_local_path(head_.location);
  return Result::kComplete;
}

bool CgiResponseParser::parse_status_line(std::string_view line) {
  // "HTTP/1.1 200 OK"
  if (line.substr(0, 5) != "HTTP/") return false;
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return false;
  std::string_view reason;
  if (!parse_code(line.substr(space + 1), &head_.status, &reason)) return false;
  head_.reason = std::string(reason);
  return true;
}

CgiResponseParser::Result CgiResponseParser::parse_field(std::string_view line, bool* status_seen) {
  if (line.front() == ' ' || line.front() == '\t') return fail("folded header line");
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    return fail("malformed header line");
  }
  std::string_view name = line.substr(0, colon);
  std::string_view value = trim_whitespace(line.substr(colon + 1));
  if (!nph_ && iequals(name, "Status")) {
    std::string_view reason;
    if (*status_seen || !parse_code(value, &head_.status, &reason)) {
      return fail("malformed Status field");
    }
    head_.reason = std::string(reason);
    *status_seen = true;
    return Result::kNeedMore;
  }
  if (iequals(name, "Content-Length")) {
    uint64_t length = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
      return fail("malformed Content-Length field");
    }
  }
  if (!nph_ && iequals(name, "Location")) {
    if (!head_.location.empty() || value.empty()) return fail("malformed Location field");
    head_.location = std::string(value);
  }
  head_.fields.emplace_back(std::string(name), std::string(value));
  return Result::kNeedMore;
}

}  // namespace basehttp
