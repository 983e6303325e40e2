// The malformed and ambiguous requests every layer must refuse (request
// smuggling vectors among them), each with the status it is answered with:
// one table for the parser's unit test and the server's loopback test.
#pragma once

#include <string>
#include <vector>

namespace basehttp::testing {

struct BadRequest {
  std::string name;
  std::string bytes;  ///< a whole request (or what can be read of one)
  int status;
};

const std::vector<BadRequest>& bad_requests();

/// A bare CR, a bare LF, and CR followed by SP, HTAB, a letter or NUL, at
/// every place of a request where a line could be taken to end (RFC 9112
/// §2.2): each must be refused with 400, never read as the end of a line.
const std::vector<BadRequest>& stray_line_end_requests();

}  // namespace basehttp::testing
