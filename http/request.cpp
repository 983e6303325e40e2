#include "http/request.hpp"

namespace basehttp {

void Request::clear() {
  method = target = version = request_line = body = Span{};
  version_major = version_minor = 0;
  fields.clear();
  trailers.clear();
  chunked = has_content_length = keep_alive = expect_continue = false;
  content_length = 0;
  header_end = message_size = 0;
}

}  // namespace basehttp
