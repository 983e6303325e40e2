// basehttpd: serves a folder over HTTP, as `python3 -m http.server` does,
// with keep-alive, Range and sendfile. Run `basehttpd --help`.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "basehttp.hpp"

namespace {

constexpr const char* kHelp =
    "usage: basehttpd [-h] [--cgi] [-q] [-b ADDRESS] [-d DIRECTORY] [-p VERSION]\n"
    "                 [--unix PATH] [--threads N] [--drain-timeout SECONDS] [port]\n"
    "\n"
    "Serve the files of a folder over HTTP (a drop-in for python3 -m http.server).\n"
    "\n"
    "positional arguments:\n"
    "  port                  port to listen on (default: 8000; 0 picks a free one)\n"
    "\n"
    "options:\n"
    "  -h, --help            show this help and exit\n"
    "  --cgi                 also run CGI scripts under /cgi-bin/ (not available yet)\n"
    "  -b, --bind ADDRESS    address to listen on (default: all interfaces, IPv6 and\n"
    "                        IPv4 through '::' where the system has IPv6)\n"
    "  -d, --directory DIRECTORY\n"
    "                        folder to serve (default: the current folder)\n"
    "  -q, --quiet           log nothing (no request lines on stderr)\n"
    "  -p, --protocol VERSION\n"
    "                        HTTP version of responses: HTTP/1.1 keeps connections\n"
    "                        alive (default), HTTP/1.0 closes after each response\n"
    "  --unix PATH           listen on a unix-domain socket at PATH instead of a port\n"
    "  --threads N           serve on N event loops, one thread each (default: 1)\n"
    "  --drain-timeout SECONDS\n"
    "                        how long SIGTERM waits for responses in flight before\n"
    "                        closing what is left (default: 10)\n"
    "\n"
    "Started by systemd socket activation (LISTEN_FDS), it serves on the socket\n"
    "it was given and ignores PORT, -b and --unix.\n"
    "\n"
    "Each request is logged to stderr. Ctrl-C or SIGTERM stops taking connections,\n"
    "finishes the responses in flight, then exits.\n";

struct Arguments {
  uint16_t port = 8000;
  std::optional<std::string> bind;
  std::string directory = ".";
  std::string protocol = "HTTP/1.1";
  bool cgi = false;
  bool quiet = false;
  std::optional<double> drain_timeout;  // seconds
  std::optional<std::string> unix_path;
  unsigned threads = 1;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "usage: basehttpd [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION] "
               "[port]\nbasehttpd: error: %s\n",
               message.c_str());
  std::exit(2);
}

Arguments parse_arguments(int argc, char** argv) {
  Arguments arguments;
  bool port_seen = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      size_t equals = arg.find('=');
      if (arg.rfind("--", 0) == 0 && equals != std::string::npos) return arg.substr(equals + 1);
      if (i + 1 >= argc) usage_error(std::string("argument ") + name + ": expected one argument");
      return argv[++i];
    };
    auto is = [&](const char* short_name, const char* long_name) {
      return arg == short_name || arg == long_name ||
             arg.rfind(std::string(long_name) + "=", 0) == 0;
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kHelp, stdout);
      std::exit(0);
    } else if (arg == "--cgi") {
      arguments.cgi = true;
    } else if (arg == "-q" || arg == "--quiet") {
      arguments.quiet = true;
    } else if (is("-b", "--bind")) {
      arguments.bind = value("-b/--bind");
    } else if (is("-d", "--directory")) {
      arguments.directory = value("-d/--directory");
    } else if (is("-p", "--protocol")) {
      arguments.protocol = value("-p/--protocol");
      if (arguments.protocol != "HTTP/1.0" && arguments.protocol != "HTTP/1.1") {
        usage_error("argument -p/--protocol: HTTP/1.0 or HTTP/1.1");
      }
    } else if (is("--threads", "--threads")) {
      std::string text = value("--threads");
      char* end = nullptr;
      long threads = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || threads < 1 || threads > 1024) {
        usage_error("argument --threads: invalid int value: '" + text + "'");
      }
      arguments.threads = static_cast<unsigned>(threads);
    } else if (is("--unix", "--unix")) {
      arguments.unix_path = value("--unix");
    } else if (arg == "--drain-timeout" || arg.rfind("--drain-timeout=", 0) == 0) {
      std::string text = value("--drain-timeout");
      char* end = nullptr;
      double seconds = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(seconds >= 0 && seconds <= 86400)) {
        usage_error("argument --drain-timeout: invalid seconds value: '" + text + "'");
      }
      arguments.drain_timeout = seconds;
    } else if (!port_seen && !arg.empty() && arg[0] != '-') {
      char* end = nullptr;
      long port = std::strtol(arg.c_str(), &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) {
        usage_error("argument port: invalid int value: '" + arg + "'");
      }
      arguments.port = static_cast<uint16_t>(port);
      port_seen = true;
    } else {
      usage_error("unrecognized arguments: " + arg);
    }
  }
  return arguments;
}

// Serves on a unix socket or a socket systemd passed; no port to report.
int serve_on(const basehttp::ServerAddress& address, basehttp::HandlerTable& table,
             const basehttp::ServerOptions& options) {
  std::optional<basehttp::HTTPServer> server;
  try {
    server.emplace(address, table, options);
  } catch (const std::system_error& error) {
    std::fprintf(stderr, "basehttpd: cannot listen on %s: %s\n",
                 address.unix_path.empty() ? "the passed socket" : address.unix_path.c_str(),
                 std::strerror(error.code().value()));
    return 1;
  }
  if (address.unix_path.empty()) {
    std::printf("Serving HTTP on the socket systemd passed (%s) ...\n",
                server->server_address().to_string().c_str());
  } else {
    std::printf("Serving HTTP on unix:%s ...\n", address.unix_path.c_str());
  }
  std::fflush(stdout);
  server->serve_forever();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments arguments = parse_arguments(argc, argv);
  if (arguments.cgi) {
    std::fprintf(stderr, "basehttpd: --cgi is not available yet\n");
    return 2;
  }

  std::optional<basehttp::StaticFiles> files;
  try {
    basehttp::StaticFilesOptions static_options;
    static_options.root = arguments.directory;
    files.emplace(static_options);
  } catch (const std::system_error& error) {
    std::fprintf(stderr, "basehttpd: cannot serve '%s': %s\n", arguments.directory.c_str(),
                 std::strerror(error.code().value()));
    return 1;
  }
  basehttp::HandlerTable table;
  files->install(table);

  basehttp::ServerOptions options;
  options.protocol_version = arguments.protocol;
  options.handle_signals = true;
  options.threads = arguments.threads;
  if (arguments.quiet) options.log_sink = nullptr;
  if (arguments.drain_timeout) {
    options.drain_timeout =
        std::chrono::milliseconds(std::llround(*arguments.drain_timeout * 1000));
  }

  std::vector<int> passed = basehttp::systemd_listening_sockets();
  if (!passed.empty() || arguments.unix_path) {
    return serve_on(passed.empty() ? basehttp::ServerAddress::unix_socket(*arguments.unix_path)
                                   : basehttp::ServerAddress::listening_socket(passed.front()),
                    table, options);
  }

  // Like Python: both IPv6 and IPv4 through "::" unless an address is given.
  std::string host = arguments.bind.value_or("::");
  std::optional<basehttp::HTTPServer> server;
  try {
    server.emplace(basehttp::ServerAddress{host, arguments.port}, table, options);
  } catch (const std::system_error& error) {
    bool no_ipv6 = !arguments.bind &&
                   (error.code().value() == EAFNOSUPPORT || error.code().value() == EADDRNOTAVAIL);
    try {
      if (!no_ipv6) throw;
      host = "0.0.0.0";
      server.emplace(basehttp::ServerAddress{host, arguments.port}, table, options);
    } catch (const std::system_error& failure) {
      std::fprintf(stderr, "basehttpd: cannot listen on %s port %u: %s\n", host.c_str(),
                   arguments.port, std::strerror(failure.code().value()));
      return 1;
    }
  }
  std::string name = server->server_name();
  std::string url_host = name.find(':') != std::string::npos ? "[" + name + "]" : name;
  std::printf("Serving HTTP on %s port %u (http://%s:%u/) ...\n", name.c_str(),
              server->server_port(), url_host.c_str(), server->server_port());
  std::fflush(stdout);
  server->serve_forever();
  return 0;
}
