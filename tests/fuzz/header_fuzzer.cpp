// header_fuzzer: the parser's two ways through a header section must agree.
// A section wholly in the buffer may be read without llhttp (the usual
// fields, RequestParser's fast path); one that arrives in pieces always
// goes through llhttp. So the same bytes, parsed whole and parsed with the
// header section cut from its request line, must give the same requests,
// fields, framing and errors (status and message), byte for byte.
//
// Input: one byte of options (bits 0-2 shrink the limits, bit 3 prefixes a
// request line), then the request stream.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "http/request_parser.hpp"

namespace basehttp {
namespace {

std::string describe(const Request& request, const char* base) {
  std::string text;
  auto add = [&](std::string_view part) {
    text += std::to_string(part.size());
    text += ':';
    text.append(part);
    text += '|';
  };
  add(request.method.in(base));
  add(request.target.in(base));
  add(request.version.in(base));
  add(request.request_line.in(base));
  add(request.body.in(base));
  for (HeaderField field : request.headers(base)) {
    add(field.name);
    add(field.value);
  }
  text += "T";
  for (HeaderField field : request.trailer_fields(base)) {
    add(field.name);
    add(field.value);
  }
  text += std::to_string(request.keep_alive) + std::to_string(request.expect_continue) +
          std::to_string(request.chunked) + std::to_string(request.has_content_length) + "/" +
          std::to_string(request.content_length) + "/" + std::to_string(request.header_end) + "/" +
          std::to_string(request.message_size) + "/" + std::to_string(request.version_major) + "." +
          std::to_string(request.version_minor);
  return text;
}

/// Every event of parsing `pieces` in turn, as text.
std::string parse(const std::vector<std::string>& pieces, const ParserLimits& limits) {
  std::string events;
  RequestParser parser(limits);
  Request request;
  Buffer input;
  for (const std::string& piece : pieces) {
    input.append(piece);
    for (;;) {
      RequestParser::Event event = parser.parse(input, request);
      if (event == RequestParser::Event::kNeedMore) break;
      if (event == RequestParser::Event::kHeadersComplete) {
        events += "[H]";
        continue;
      }
      if (event == RequestParser::Event::kError) {
        events += "[E" + std::to_string(parser.error_status()) + " " + parser.error_message() + "]";
        return events;
      }
      events += "[R" + describe(request, input.peek()) + "]";
      input.retrieve(request.message_size);
      parser.next_message();
    }
  }
  return events;
}

/// Where the first request line of `bytes` ends, or npos.
size_t request_line_end(const std::string& bytes, const ParserLimits& limits) {
  RequestParser parser(limits);
  Request request;
  Buffer input;
  for (size_t i = 0; i < bytes.size(); ++i) {
    input.append(std::string_view(&bytes[i], 1));
    RequestParser::Event event = parser.parse(input, request);
    if (parser.request_line_parsed()) return i + 1;
    if (event != RequestParser::Event::kNeedMore) break;
  }
  return std::string::npos;
}

}  // namespace
}  // namespace basehttp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace basehttp;
  if (size < 1) return 0;
  ParserLimits limits;
  uint8_t options = data[0];
  if (options & 1) limits.max_header_fields = 3;
  if (options & 2) limits.max_header_bytes = 40;
  if (options & 4) limits.max_request_line = 30;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (options & 8) bytes = "GET / HTTP/1.1\r\n" + bytes;
  size_t cut = request_line_end(bytes, limits);
  if (cut == std::string::npos) return 0;
  std::string whole = parse({bytes}, limits);
  std::string split = parse({bytes.substr(0, cut), bytes.substr(cut)}, limits);
  if (whole != split) {
    std::fprintf(stderr, "the two ways disagree\nwhole: %s\nsplit: %s\n", whole.c_str(),
                 split.c_str());
    std::abort();
  }
  return 0;
}
