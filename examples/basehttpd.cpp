// basehttpd: serves a folder over HTTP, as `python3 -m http.server` does,
// with keep-alive, Range and sendfile. Run `basehttpd --help`.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
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
    "  --cgi                 also run the CGI scripts under /cgi-bin/ and /htbin/\n"
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
    "  --shutdown-delay SECONDS\n"
    "                        after SIGTERM, go on serving this long (health 503,\n"
    "                        responses with Connection: close) before closing the\n"
    "                        listener, so a load balancer sees it first (default: 0)\n"
    "  --health PATH         answer GET PATH with 200 ok, or 503 once draining\n"
    "  --metrics PATH        answer GET PATH with Prometheus metrics (counters and\n"
    "                        per-phase latency histograms)\n"
    "  --pid-file FILE       write the serving process's pid to FILE\n"
    "  --listen-fd FD        serve on the listening socket FD (inherited)\n"
    "  --ready-fd FD         write READY=1 to FD once serving, then close it\n"
    "  --log-format FORMAT   python (default) or combined (Apache/nginx)\n"
    "  --access-log FILE     append the log to FILE instead of stderr (reopened on\n"
    "                        SIGUSR1; lines are dropped, never waited for, when the\n"
    "                        disk cannot keep up)\n"
    "\n"
    "SIGUSR2 restarts without losing a connection: a new basehttpd (the same\n"
    "binary path and arguments) inherits the listening socket, and once it says\n"
    "it serves, this one stops accepting and drains as on SIGTERM.\n"
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
  std::optional<double> shutdown_delay;  // seconds
  std::optional<std::string> health_path;
  std::optional<std::string> metrics_path;
  std::optional<std::string> pid_file;
  std::optional<int> listen_fd;
  std::optional<int> ready_fd;
  bool combined_log = false;
  std::optional<std::string> access_log;
};

// What run() needs besides the server: how to restart, the log to reopen.
struct Lifecycle {
  std::vector<std::string> restart;
  basehttp::AccessLog* access_log = nullptr;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "usage: basehttpd [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION] "
               "[port]\nbasehttpd: error: %s\n",
               message.c_str());
  std::exit(2);
}

double seconds_value(const std::string& name, const std::string& text) {
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(seconds >= 0 && seconds <= 86400)) {
    usage_error("argument " + name + ": invalid seconds value: '" + text + "'");
  }
  return seconds;
}

int fd_value(const std::string& name, const std::string& text) {
  char* end = nullptr;
  long fd = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || fd < 0 || fd > INT_MAX) {
    usage_error("argument " + name + ": invalid fd: '" + text + "'");
  }
  return static_cast<int>(fd);
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
    } else if (is("--shutdown-delay", "--shutdown-delay")) {
      arguments.shutdown_delay = seconds_value("--shutdown-delay", value("--shutdown-delay"));
    } else if (is("--health", "--health")) {
      arguments.health_path = value("--health");
    } else if (is("--metrics", "--metrics")) {
      arguments.metrics_path = value("--metrics");
    } else if (is("--pid-file", "--pid-file")) {
      arguments.pid_file = value("--pid-file");
    } else if (is("--listen-fd", "--listen-fd")) {
      arguments.listen_fd = fd_value("--listen-fd", value("--listen-fd"));
    } else if (is("--log-format", "--log-format")) {
      std::string format = value("--log-format");
      if (format != "python" && format != "combined") {
        usage_error("argument --log-format: python or combined");
      }
      arguments.combined_log = format == "combined";
    } else if (is("--access-log", "--access-log")) {
      arguments.access_log = value("--access-log");
    } else if (is("--ready-fd", "--ready-fd")) {
      arguments.ready_fd = fd_value("--ready-fd", value("--ready-fd"));
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

// The command line a restart runs: this binary (by the path it was started
// from, so that a binary replaced on disk is the one started) with the same
// arguments, serving on the socket it inherits.
std::vector<std::string> restart_command(int argc, char** argv) {
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::vector<std::string> command{length > 0 ? std::string(self, static_cast<size_t>(length))
                                              : std::string(argv[0])};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--listen-fd" || arg == "--ready-fd") {
      ++i;  // and its value
    } else if (arg.rfind("--listen-fd=", 0) != 0 && arg.rfind("--ready-fd=", 0) != 0) {
      command.push_back(arg);
    }
  }
  for (const char* arg :
       {"--listen-fd", "3", "--ready-fd", "4"})  // ListenerHandover::kListenFd, kReadyFd
    command.emplace_back(arg);
  return command;
}

void write_pid_file(const std::string& path) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << ::getpid() << '\n';
  }
  // Renamed into place: a reader never sees a half-written file.
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "basehttpd: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
  }
}

void remove_pid_file(const std::string& path) {
  // A process that took over has written its own pid there: leave it.
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid == static_cast<long>(::getpid())) std::remove(path.c_str());
}

// Serves until shut down: pid file, readiness report, restarts on SIGUSR2.
void run(basehttp::HTTPServer& server, const Arguments& arguments, const Lifecycle& lifecycle) {
  const std::vector<std::string>& restart = lifecycle.restart;
  if (arguments.pid_file) write_pid_file(*arguments.pid_file);
  basehttp::ListenerHandover handover(server.loop());
  server.loop().watch_signals({SIGUSR2}, [&](int) {
    if (arguments.unix_path && !arguments.listen_fd) {
      std::fprintf(stderr, "basehttpd: SIGUSR2 ignored: a unix socket is not handed over\n");
      return;
    }
    if (server.draining() || handover.in_progress()) {
      std::fprintf(stderr, "basehttpd: SIGUSR2 ignored: %s\n",
                   server.draining() ? "shutting down" : "a restart is in progress");
      return;
    }
    std::string error;
    auto done = [&server, &handover](bool ready, const std::string& failure) {
      if (!ready) {
        std::fprintf(stderr, "basehttpd: restart failed (%s); still serving\n", failure.c_str());
        return;
      }
      std::fprintf(stderr, "basehttpd: pid %d serves now; draining\n",
                   static_cast<int>(handover.child()));
      server.shutdown();  // on the loop: starts the drain, returns at once
    };
    if (!handover.start(server.listening_fd(), restart, std::chrono::seconds(30), done, &error)) {
      std::fprintf(stderr, "basehttpd: restart failed (%s); still serving\n", error.c_str());
    }
  });
  if (basehttp::AccessLog* log = lifecycle.access_log) {
    // logrotate's convention: move the file, then SIGUSR1.
    server.loop().watch_signals({SIGUSR1}, [log](int) { log->reopen(); });
  }
  if (arguments.ready_fd) basehttp::ListenerHandover::report_ready(*arguments.ready_fd);
  server.serve_forever();
  if (arguments.pid_file) remove_pid_file(*arguments.pid_file);
}

// A TCP listener made here rather than by the server, so that all its loops
// share one socket and one accept queue: the socket a restart hands over.
basehttp::ServerAddress tcp_listener(const std::string& host, uint16_t port) {
  auto address = basehttp::SocketAddress::resolve(host, port);
  if (!address) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "cannot resolve host '" + host + "'");
  }
  return basehttp::ServerAddress::listening_socket(basehttp::listen_tcp(*address).release());
}

// Serves on a unix socket or a socket systemd passed; no port to report.
int serve_on(const basehttp::ServerAddress& address, basehttp::HandlerTable& table,
             const basehttp::ServerOptions& options, const Arguments& arguments,
             const Lifecycle& lifecycle) {
  std::optional<basehttp::HTTPServer> server;
  try {
    server.emplace(address, table, options);
  } catch (const std::system_error& error) {
    std::fprintf(stderr, "basehttpd: cannot listen on %s: %s\n",
                 address.unix_path.empty() ? "the passed socket" : address.unix_path.c_str(),
                 std::strerror(error.code().value()));
    return 1;
  }
  if (arguments.listen_fd) {
    std::printf("Serving HTTP on the inherited socket (%s) ...\n",
                server->server_address().to_string().c_str());
  } else if (address.unix_path.empty()) {
    std::printf("Serving HTTP on the socket systemd passed (%s) ...\n",
                server->server_address().to_string().c_str());
  } else {
    std::printf("Serving HTTP on unix:%s ...\n", address.unix_path.c_str());
  }
  std::fflush(stdout);
  run(*server, arguments, lifecycle);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Held back until the server's signalfd collects them: a SIGTERM that
  // arrives once the socket listens, before the server is up, must stop
  // it gracefully rather than kill it.
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  Arguments arguments = parse_arguments(argc, argv);
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
  // --cgi: GET, HEAD and POST under the CGI folders run scripts; the rest
  // goes to the files. Declared before the server, so destroyed after it.
  std::optional<basehttp::Cgi> cgi;
  if (arguments.cgi) {
    basehttp::CgiOptions cgi_options;
    cgi_options.root = arguments.directory;
    cgi_options.fallback = [&files](basehttp::RequestHandler& h) { files->handle(h); };
    cgi.emplace(cgi_options);
    cgi->install(table);
  }
  // Mounted over the files: these exact paths are answered before them.
  basehttp::Metrics metrics;
  basehttp::Health health;
  if (arguments.metrics_path) metrics.install(table, *arguments.metrics_path);
  if (arguments.health_path) health.install(table, *arguments.health_path);

  basehttp::ServerOptions options;
  options.protocol_version = arguments.protocol;
  options.handle_signals = true;
  options.threads = arguments.threads;
  std::optional<basehttp::AccessLog> access_log;
  if (!arguments.quiet && (arguments.access_log || arguments.combined_log)) {
    try {
      access_log.emplace(basehttp::AccessLogOptions{arguments.access_log.value_or("")});
    } catch (const std::system_error& error) {
      std::fprintf(stderr, "basehttpd: %s\n", error.what());
      return 1;
    }
    // Combined lines only in the access log; errors stay on stderr then.
    if (arguments.combined_log) {
      options.request_logger = access_log->combined_logger();
    } else {
      options.log_sink = access_log->sink();
    }
  }
  if (arguments.quiet) options.log_sink = nullptr;
  if (arguments.drain_timeout) {
    options.drain_timeout =
        std::chrono::milliseconds(std::llround(*arguments.drain_timeout * 1000));
  }
  if (arguments.shutdown_delay) {
    options.shutdown_delay =
        std::chrono::milliseconds(std::llround(*arguments.shutdown_delay * 1000));
  }
  options.latency_histograms = arguments.metrics_path.has_value();
  Lifecycle lifecycle{restart_command(argc, argv), access_log ? &*access_log : nullptr};

  std::vector<int> passed = basehttp::systemd_listening_sockets();
  if (arguments.listen_fd) passed = {*arguments.listen_fd};
  if (!passed.empty() || arguments.unix_path) {
    return serve_on(passed.empty() ? basehttp::ServerAddress::unix_socket(*arguments.unix_path)
                                   : basehttp::ServerAddress::listening_socket(passed.front()),
                    table, options, arguments, lifecycle);
  }

  // Like Python: both IPv6 and IPv4 through "::" unless an address is given.
  std::string host = arguments.bind.value_or("::");
  std::optional<basehttp::HTTPServer> server;
  try {
    server.emplace(tcp_listener(host, arguments.port), table, options);
  } catch (const std::system_error& error) {
    bool no_ipv6 = !arguments.bind &&
                   (error.code().value() == EAFNOSUPPORT || error.code().value() == EADDRNOTAVAIL);
    try {
      if (!no_ipv6) throw;
      host = "0.0.0.0";
      server.emplace(tcp_listener(host, arguments.port), table, options);
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
  run(*server, arguments, lifecycle);
  return 0;
}
