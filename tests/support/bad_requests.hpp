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

}  // namespace basehttp::testing
