#include "tests/support/hello_handlers.hpp"

#include <charconv>

namespace basehttp::testing {

HandlerTable hello_handlers(ResponseStyle style) {
  HandlerTable table;
  table.on("GET", [style](RequestHandler& h) {
    bool json = h.path() == "/json";
    std::string_view body = json ? R"({"message":"Hello, World!"})" : "Hello, World!";
    std::string_view type = json ? "application/json" : "text/plain";
    if (style == ResponseStyle::kRespond) {
      h.respond(200, type, body);
      return;
    }
    char length[24];
    char* end = std::to_chars(length, length + sizeof(length), body.size()).ptr;
    h.send_response(200);
    h.send_header("Content-Type", type);
    h.send_header("Content-Length", std::string_view(length, static_cast<size_t>(end - length)));
    h.end_headers();
    h.write(body);
  });
  return table;
}

}  // namespace basehttp::testing
