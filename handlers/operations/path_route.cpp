#include "handlers/operations/path_route.hpp"

#include <utility>

#include "http/request_handler.hpp"

namespace basehttp {

bool target_is(std::string_view target, std::string_view path) {
  size_t query = target.find('?');
  return target.substr(0, query) == path;
}

void route_path(HandlerTable& table, std::string path, HandlerTable::Handler handler) {
  for (const char* method : {"GET", "HEAD"}) {
    const HandlerTable::Handler* existing = table.find(method);
    // HEAD without an entry of its own falls back to GET's in the server:
    // keep it that way, the GET wrapper below answers it.
    if (existing == nullptr && std::string_view(method) == "HEAD") continue;
    HandlerTable::Handler rest = existing != nullptr ? *existing : HandlerTable::Handler();
    table.on(method, [path, handler, rest = std::move(rest)](RequestHandler& request) {
      if (target_is(request.path(), path)) return handler(request);
      if (rest) return rest(request);
      request.send_error(404);
    });
  }
}

}  // namespace basehttp
