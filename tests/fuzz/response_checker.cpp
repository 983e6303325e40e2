#include "tests/fuzz/response_checker.hpp"

#include <charconv>
#include <cstdint>
#include <optional>

#include "http/headers.hpp"

namespace basehttp::fuzzing {
namespace {

bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 9110 §5.5: field values (and reason phrases) are visible ASCII,
// space, HTAB and obs-text; never another control byte or DEL.
bool is_field_text(std::string_view text) {
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

std::optional<uint64_t> decimal(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool allows_body(int code) {
  return code >= 200 && code != 204 && code != 205 && code != 304;
}

// A whole response stream, consumed from the front.
class StreamReader {
 public:
  StreamReader(std::string_view wire, const StreamFacts& facts) : wire_(wire), facts_(facts) {}

  std::string run() {
    while (!rest().empty()) {
      if (closed_) return problem("bytes after a response that ended the connection");
      ++index_;
      if (std::string error = response(); !error.empty()) return error;
    }
    if (closed_ && facts_.connection_open) {
      return problem("a response ended the connection, but the server keeps it open");
    }
    if (facts_.must_end_cut && !cut_seen_) {
      return problem("a handler failed midway, yet the stream ends on a whole response");
    }
    if (next_logged_ < facts_.logged.size() && !facts_.may_be_cut && !facts_.must_end_cut) {
      return problem("the access log shows " + std::to_string(facts_.logged.size()) +
                     " responses, the client received " + std::to_string(next_logged_));
    }
    return {};
  }

 private:
  std::string_view rest() const { return wire_.substr(offset_); }

  std::string problem(const std::string& what) const {
    return what + " (response " + std::to_string(index_) + ", stream offset " +
           std::to_string(offset_) + ")";
  }

  // The stream ends inside a response: an error unless the server may
  // have stopped on purpose.
  std::string cut(const std::string& what) {
    if (facts_.may_be_cut || facts_.must_end_cut) {
      offset_ = wire_.size();
      closed_ = true;
      cut_seen_ = true;
      return {};
    }
    return problem("stream ends inside a response: " + what);
  }

  // One CRLF-ended line, without its CRLF; nullopt when the stream ends first.
  std::optional<std::string_view> line() {
    size_t end = rest().find("\r\n");
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view text = rest().substr(0, end);
    offset_ += end + 2;
    return text;
  }

  std::string response() {
    auto status_line = line();
    if (!status_line) return cut("status line");
    std::string_view status = *status_line;
    if (status.size() < 13 ||
        (status.substr(0, 9) != "HTTP/1.1 " && status.substr(0, 9) != "HTTP/1.0 ")) {
      return problem("bad status line '" + std::string(status.substr(0, 64)) + "'");
    }
    auto code_number = decimal(status.substr(9, 3));
    if (!code_number || *code_number < 100 || *code_number > 599 || status[12] != ' ') {
      return problem("bad status code in '" + std::string(status.substr(0, 64)) + "'");
    }
    int code = static_cast<int>(*code_number);
    if (!is_field_text(status.substr(13))) return problem("control byte in the reason phrase");

    std::optional<uint64_t> content_length;
    int content_lengths = 0, dates = 0, servers = 0;
    bool chunked = false, transfer_encoding = false, closes = false;
    for (;;) {
      auto field_line = line();
      if (!field_line) return cut("header section");
      if (field_line->empty()) break;
      std::string_view field = *field_line;
      size_t colon = field.find(':');
      if (colon == 0 || colon == std::string_view::npos) {
        return problem("field line without a name: '" + std::string(field.substr(0, 64)) + "'");
      }
      std::string_view name = field.substr(0, colon);
      for (char c : name) {
        if (!is_tchar(static_cast<unsigned char>(c))) {
          return problem("bad field name '" + std::string(name.substr(0, 64)) + "'");
        }
      }
      std::string_view value = field.substr(colon + 1);
      if (!is_field_text(value)) {
        return problem("control byte in the value of " + std::string(name));
      }
      value = trim(value);
      if (iequals(name, "content-length")) {
        ++content_lengths;
        content_length = decimal(value);
        if (!content_length) return problem("bad Content-Length '" + std::string(value) + "'");
      } else if (iequals(name, "transfer-encoding")) {
        transfer_encoding = true;
        chunked = iequals(value, "chunked");
      } else if (iequals(name, "connection")) {
        closes |= iequals(value, "close");
      } else if (iequals(name, "date")) {
        ++dates;
      } else if (iequals(name, "server")) {
        ++servers;
      }
    }
    // RFC 9110 §8.6, RFC 9112 §6.1; a 205 is framed, with nothing in it.
    if ((code < 200 || code == 204) && (content_lengths > 0 || transfer_encoding)) {
      return problem("framing fields in a " + std::to_string(code) + " response");
    }
    if (code == 205 && (transfer_encoding || content_length.value_or(1) != 0) && !closes) {
      return problem("a 205 response not framed as empty");
    }
    if (code < 200) {
      // A 1xx the handler gave as its whole response (send_error) ends
      // the connection.
      if (closes) closed_ = true;
      // Interim: the session's own 100 Continue is not logged, a
      // handler's send_response(1xx) is.
      if (next_logged_ < facts_.logged.size() && facts_.logged[next_logged_].code == code &&
          dates > 0) {
        ++next_logged_;
      }
      return {};
    }

    if (next_logged_ >= facts_.logged.size()) {
      return problem("a " + std::to_string(code) + " response the access log does not show");
    }
    const LoggedResponse& logged = facts_.logged[next_logged_++];
    if (logged.code != code) {
      return problem("status " + std::to_string(code) + " on the wire, " +
                     std::to_string(logged.code) + " in the access log");
    }
    if (dates != 1 || servers != 1) return problem("not exactly one Date and one Server");
    if (content_lengths > 1) return problem("more than one Content-Length");
    if (transfer_encoding && !chunked) return problem("a Transfer-Encoding other than chunked");
    if (transfer_encoding && content_lengths > 0) {
      return problem("both Transfer-Encoding and Content-Length");
    }
    if (closes) closed_ = true;

    if (!allows_body(code) || logged.method == "HEAD") return {};
    if (chunked) return chunked_body();
    if (content_length) {
      if (rest().size() < *content_length) return cut("body shorter than its Content-Length");
      offset_ += *content_length;
      return {};
    }
    // Delimited by the end of the connection.
    offset_ = wire_.size();
    closed_ = true;
    return {};
  }

  std::string chunked_body() {
    for (;;) {
      auto size_line = line();
      if (!size_line) return cut("chunk size line");
      uint64_t size = 0;
      std::string_view digits = *size_line;
      auto [end, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), size, /*base=*/16);
      if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
        return problem("bad chunk size line '" + std::string(digits.substr(0, 32)) + "'");
      }
      if (size == 0) {
        auto last = line();
        if (!last) return cut("end of the chunked body");
        if (!last->empty()) return problem("trailer fields after the last chunk");
        return {};
      }
      if (rest().size() < size + 2) return cut("chunk data");
      if (rest().substr(size, 2) != "\r\n") return problem("chunk data not followed by CRLF");
      offset_ += size + 2;
    }
  }

  std::string_view wire_;
  const StreamFacts& facts_;
  size_t offset_ = 0;
  size_t index_ = 0;
  size_t next_logged_ = 0;
  bool closed_ = false;
  bool cut_seen_ = false;
};

}  // namespace

std::string check_response_stream(std::string_view wire, const StreamFacts& facts) {
  return StreamReader(wire, facts).run();
}

bool parse_access_log_line(std::string_view line, LoggedResponse* entry) {
  // <host> - - [<time>] "<request line>" <code> <size>
  // The time holds no "] ": the first one ends it, and a quote after it
  // starts an access line (error and message lines start otherwise).
  size_t open = line.find("] ");
  if (open == std::string_view::npos || line.substr(open + 2, 1) != "\"") return false;
  std::string_view message = line.substr(open + 3);
  if (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  size_t size_space = message.rfind(' ');
  if (size_space == std::string_view::npos) return false;
  size_t code_space = message.rfind(' ', size_space - 1);
  if (code_space == std::string_view::npos || code_space == 0 || message[code_space - 1] != '"') {
    return false;
  }
  auto code = decimal(message.substr(code_space + 1, size_space - code_space - 1));
  if (!code) return false;
  std::string_view request_line = message.substr(0, code_space - 1);
  entry->method = std::string(request_line.substr(0, request_line.find(' ')));
  entry->code = static_cast<int>(*code);
  return true;
}

}  // namespace basehttp::fuzzing
