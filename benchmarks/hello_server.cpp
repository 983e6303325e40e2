// hello_server: the TechEmpower-style server the benchmarks and profilers
// drive. GET /plaintext, GET /json, POST /echo; 404 for anything else; no
// access log. Usage: hello_server PORT [-b ADDR]. Exits 0 on SIGTERM or
// SIGINT once in-flight responses are finished.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "basehttp.hpp"

namespace {

using basehttp::RequestHandler;

void send_fixed(RequestHandler& h, std::string_view content_type, std::string_view body) {
  char length[24];
  int n = std::snprintf(length, sizeof(length), "%zu", body.size());
  h.send_response(200);
  h.send_header("Content-Type", content_type);
  h.send_header("Content-Length", std::string_view(length, static_cast<size_t>(n)));
  h.end_headers();
  h.write(body);
}

void not_found(RequestHandler& h) {
  static constexpr std::string_view kBody = "Not Found\n";
  h.send_response(404);
  h.send_header("Content-Type", "text/plain");
  h.send_header("Content-Length", "10");
  h.end_headers();
  h.write(kBody);
}

int usage() {
  std::fprintf(stderr, "usage: hello_server PORT [-b ADDR]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const char* port_text = nullptr;
  std::string host = "127.0.0.1";
  for (int i = 1; i < argc; ++i) {
    if ((std::strcmp(argv[i], "-b") == 0 || std::strcmp(argv[i], "--bind") == 0) && i + 1 < argc) {
      host = argv[++i];
    } else if (port_text == nullptr) {
      port_text = argv[i];
    } else {
      return usage();
    }
  }
  if (port_text == nullptr) return usage();
  char* end = nullptr;
  long port = std::strtol(port_text, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) return usage();

  basehttp::HandlerTable table;
  table.on("GET", [](RequestHandler& h) {
    std::string_view path = h.path();
    if (path == "/plaintext") {
      send_fixed(h, "text/plain", "Hello, World!");
    } else if (path == "/json") {
      send_fixed(h, "application/json", R"({"message":"Hello, World!"})");
    } else {
      not_found(h);
    }
  });
  table.on("POST", [](RequestHandler& h) {
    if (h.path() == "/echo") {
      send_fixed(h, "application/octet-stream", h.body());
    } else {
      not_found(h);
    }
  });

  basehttp::ServerOptions options;
  options.log_sink = nullptr;
  options.handle_signals = true;
  try {
    basehttp::HTTPServer server({host, static_cast<uint16_t>(port)}, table, options);
    server.serve_forever();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hello_server: %s\n", error.what());
    return 1;
  }
  return 0;
}
