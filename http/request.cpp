#include "http/request.hpp"

namespace basehttp {

void Request::clear() {
  // The spans and version are all set again by the parser before use.
  body = Span{};
  fields.clear();
  trailers.clear();
  chunked = has_content_length = keep_alive = expect_continue = false;
  content_length = 0;
  header_end = message_size = 0;
}

}  // namespace basehttp
