// CgiResponseParser: reads the header section a CGI script writes before
// its body (RFC 3875 §6), fed in pieces as the pipe delivers them: fields
// ending in LF or CRLF up to an empty line, `Status` giving the status,
// `Location` meaning a redirect: a local one (§6.2.2) when it is the only
// field and holds a path, else one for the client. An nph- script's section
// begins with an HTTP status line instead and is taken as it is. Any
// thread; one parser per script run.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace basehttp {

/// The response a script's header section asks for.
struct CgiResponseHead {
  int status = 200;
  /// The reason phrase the script gave; empty: the status table's.
  std::string reason;
  /// The fields to send, in the script's order; `Status` is not among them.
  std::vector<std::pair<std::string, std::string>> fields;
  /// The `Location` value, if any (also among `fields`).
  std::string location;
  /// RFC 3875 §6.2.2: `Location` is the only field and its value a local
  /// path ("/abs/path", optionally with "?query"): the server answers the
  /// request as if made for it, instead of sending a redirect.
  bool local_redirect = false;
};

class CgiResponseParser {
 public:
  enum class Result { kNeedMore, kComplete, kError };

  /// `nph`: the script writes its own status line. A section longer than
  /// `max_bytes` or with more than `max_fields` fields is an error.
  explicit CgiResponseParser(bool nph = false, size_t max_bytes = 64 * 1024,
                             size_t max_fields = 100)
      : nph_(nph), max_bytes_(max_bytes), max_fields_(max_fields) {}

  /// Takes the next bytes of the script's output. After kComplete, head()
  /// is the response and body() the bytes that followed the section;
  /// nothing more may be fed. After kError, error() says why.
  Result feed(std::string_view data);
  /// The script's output ended: the section was not finished, an error.
  Result finish();

  const CgiResponseHead& head() const { return head_; }
  /// The body bytes fed along with the end of the section.
  std::string_view body() const { return std::string_view(buffer_).substr(body_start_); }
  /// Every byte fed so far, the header section included: an nph- script's
  /// response exactly as it wrote it.
  std::string_view output() const { return buffer_; }
  const std::string& error() const { return error_; }
  /// Whether any byte came at all (an empty output is a distinct failure).
  bool saw_output() const { return saw_output_; }

 private:
  Result fail(std::string message);
  Result parse_section(std::string_view section);
  bool parse_status_line(std::string_view line);
  Result parse_field(std::string_view line, bool* status_seen);

  bool nph_;
  size_t max_bytes_;
  size_t max_fields_;
  bool saw_output_ = false;
  bool done_ = false;
  size_t scanned_ = 0;  // bytes of buffer_ already searched for the end of the section
  size_t body_start_ = 0;
  std::string buffer_;
  CgiResponseHead head_;
  std::string error_;
};

}  // namespace basehttp
