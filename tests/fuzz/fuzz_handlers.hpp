// The HandlerTable request_fuzzer serves: every registered method answers
// in the way the target's first path segment names ("/chunked", "/defer",
// "/static/...", see fuzz_handlers.cpp), so that the fuzzer reaches each
// RequestHandler call, the misuses the server must survive, deferred
// responses and the static file handler. Each answer first checks what a
// handler may rely on about its request, and aborts when that fails.
#pragma once

#include <cstdint>
#include <memory>

#include "handlers/static_files/static_files.hpp"
#include "http/handler_table.hpp"
#include "http/request_handler.hpp"
#include "reactor/file_descriptor.hpp"
#include "tests/fuzz/paired_session.hpp"

namespace basehttp::fuzzing {

/// What the handlers use and what they leave for the checks after an
/// exchange. Lives as long as the table made from it.
struct HandlerContext {
  PairedSession* paired = nullptr;             ///< set once the session exists
  const StaticFiles* static_files = nullptr;   ///< "/static/..." goes there
  std::shared_ptr<const FileDescriptor> file;  ///< "/file" sends regions of it
  uint64_t file_size = 0;
  uint64_t max_body_bytes = 0;  ///< the server's limit, which bodies must respect

  /// A handler stopped its body short of its Content-Length on purpose.
  bool cut_on_purpose = false;
  /// A handler threw after its response began, and the response had
  /// framing left to end: the stream must end inside it.
  bool cut_by_throw = false;
};

/// The table; GET, POST, PUT, DELETE, OPTIONS, CONNECT and SPAM (HEAD
/// falls back to GET).
HandlerTable make_fuzz_handlers(HandlerContext& context);

/// The completion of a response "/defer" left for later.
void finish_deferred(RequestHandler& handler);

}  // namespace basehttp::fuzzing
