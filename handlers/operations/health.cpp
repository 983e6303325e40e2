#include "handlers/operations/health.hpp"

#include "handlers/operations/path_route.hpp"
#include "http/server.hpp"

namespace basehttp {

void Health::handle(RequestHandler& handler) const {
  // Checks arrive every second or so from each balancer: never cache them.
  bool draining = handler.server().draining();
  handler.send_response(draining ? 503 : 200);
  handler.send_header("Content-Type", "text/plain; charset=utf-8");
  handler.send_header("Cache-Control", "no-store");
  handler.send_header("Content-Length", draining ? "9" : "3");
  handler.end_headers();
  handler.write(draining ? "draining\n" : "ok\n");
}

void Health::install(HandlerTable& table, std::string path) const {
  route_path(table, std::move(path), [this](RequestHandler& handler) { handle(handler); });
}

}  // namespace basehttp
