// The consumer project's server: what a service embedding basehttp writes.
// Listens on 127.0.0.1 (port from argv[1], 0 for any), prints the port on
// the first line of stdout, and stops gracefully on SIGTERM or SIGINT.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "basehttp.hpp"

int main(int argc, char** argv) {
  basehttp::HandlerTable table;
  table.on("GET", [](basehttp::RequestHandler& handler) {
    std::string body = "consumer saw " + std::string(handler.path()) + "\n";
    handler.send_response(200);
    handler.send_header("Content-Type", "text/plain");
    handler.send_header("Content-Length", std::to_string(body.size()));
    handler.end_headers();
    handler.write(body);
  });
  basehttp::ServerOptions options;
  options.handle_signals = true;
  options.log_sink = nullptr;
  auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  basehttp::HTTPServer server({"127.0.0.1", port}, table, options);
  std::printf("%u\n", server.server_port());
  std::fflush(stdout);
  server.serve_forever();
  return 0;
}
