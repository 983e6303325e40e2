// The hello endpoints of the benchmarks (GET /plaintext, GET /json) as a
// HandlerTable, answered either with respond() or with Python's five calls,
// for tests and benchmarks that need the same work as hello_server.
#pragma once

#include "basehttp.hpp"

namespace basehttp::testing {

enum class ResponseStyle { kRespond, kPythonCalls };

HandlerTable hello_handlers(ResponseStyle style);

}  // namespace basehttp::testing
