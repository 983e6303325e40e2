// The README's embedding example, built by Meson: hello [PORT] (default 8000).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "basehttp.hpp"

int main(int argc, char** argv) {
  basehttp::HandlerTable table;
  table.on("GET", [](basehttp::RequestHandler& h) {
    std::string body = "Hello from basehttp, you asked for " + std::string(h.path()) + "\n";
    h.send_response(200);
    h.send_header("Content-Type", "text/plain; charset=utf-8");
    h.send_header("Content-Length", std::to_string(body.size()));
    h.end_headers();
    h.write(body);
  });
  basehttp::ServerOptions options;
  options.handle_signals = true;  // Ctrl-C: finish in-flight responses, then return
  uint16_t port = argc > 1 ? static_cast<uint16_t>(std::atoi(argv[1])) : 8000;
  basehttp::HTTPServer server({"127.0.0.1", port}, table, options);
  std::printf("Serving HTTP on 127.0.0.1 port %u ...\n", server.server_port());
  std::fflush(stdout);
  server.serve_forever();
}
