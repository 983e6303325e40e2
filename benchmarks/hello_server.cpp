// hello_server: the TechEmpower-style server the benchmarks and profilers
// drive. GET /plaintext, GET /json, POST /echo; 404 for anything else; no
// access log unless asked. Usage:
//   hello_server PORT [-b ADDR] [--threads N] [--latency-histograms]
//                [--log | --combined-log FILE] [--tls-cert FILE [--tls-key FILE]]
// (--latency-histograms: ServerOptions::latency_histograms, to measure
// their cost; --log: Python's access log on stderr, basehttpd's default;
// --combined-log: the combined format to FILE, as basehttpd --combined
// --access-log FILE; --tls-cert: HTTPS, in a build with TLS). Exits 0 on SIGTERM
// or SIGINT once in-flight responses are finished.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "basehttp.hpp"

namespace {

using basehttp::RequestHandler;

void not_found(RequestHandler& h) {
  h.respond(404, "text/plain", "Not Found\n");
}

int usage() {
  std::fprintf(stderr,
               "usage: hello_server PORT [-b ADDR] [--threads N] [--latency-histograms] "
               "[--log | --combined-log FILE] [--tls-cert FILE [--tls-key FILE]]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const char* port_text = nullptr;
  std::string host = "127.0.0.1";
  unsigned threads = 1;
  bool latency_histograms = false;  // what keeping them costs: benchmarks/RESULTS.md
  std::string tls_cert;
  std::string tls_key;
  bool log = false;
  std::string combined_log;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--log") == 0) {
      log = true;
      continue;
    }
    if (std::strcmp(argv[i], "--combined-log") == 0 && i + 1 < argc) {
      combined_log = argv[++i];
      continue;
    }
    if (std::strcmp(argv[i], "--tls-cert") == 0 && i + 1 < argc) {
      tls_cert = argv[++i];
      continue;
    }
    if (std::strcmp(argv[i], "--tls-key") == 0 && i + 1 < argc) {
      tls_key = argv[++i];
      continue;
    }
    if (std::strcmp(argv[i], "--latency-histograms") == 0) {
      latency_histograms = true;
      continue;
    }
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
      if (threads < 1) return usage();
      continue;
    }
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
      h.respond(200, "text/plain", "Hello, World!");
    } else if (path == "/json") {
      h.respond(200, "application/json", R"({"message":"Hello, World!"})");
    } else {
      not_found(h);
    }
  });
  table.on("POST", [](RequestHandler& h) {
    if (h.path() == "/echo") {
      h.respond(200, "application/octet-stream", h.body());
    } else {
      not_found(h);
    }
  });

  basehttp::ServerOptions options;
  if (!log) options.log_sink = nullptr;
  std::optional<basehttp::AccessLog> access_log;
  if (!combined_log.empty()) {
    try {
      access_log.emplace(basehttp::AccessLogOptions{combined_log});
    } catch (const std::exception& error) {
      std::fprintf(stderr, "hello_server: %s\n", error.what());
      return 1;
    }
    options.request_logger = access_log->combined_logger();
  }
  options.handle_signals = true;
  options.threads = threads;
  options.latency_histograms = latency_histograms;
  if (!tls_cert.empty()) {
    options.tls.emplace();
    options.tls->certificate.chain_file = tls_cert;
    options.tls->certificate.key_file = tls_key;
  } else if (!tls_key.empty()) {
    return usage();
  }
  try {
    basehttp::HTTPServer server({host, static_cast<uint16_t>(port)}, table, options);
    server.serve_forever();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hello_server: %s\n", error.what());
    return 1;
  }
  return 0;
}
