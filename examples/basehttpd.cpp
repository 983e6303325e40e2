// basehttpd: serves a folder over HTTP, as `python3 -m http.server` does,
// with keep-alive, Range and sendfile. Run `basehttpd --help`.
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "basehttp.hpp"

namespace {

constexpr const char* kProgram = "basehttpd";
constexpr const char* kDescription =
    "Serve the files of a folder over HTTP (a drop-in for python3 -m http.server).";
constexpr const char* kEpilog =
    "SIGUSR2 restarts without losing a connection: a new basehttpd (the same\n"
    "binary path and arguments) inherits the listening socket, and once it says\n"
    "it serves, this one stops accepting and drains as on SIGTERM.\n"
    "\n"
    "Started by systemd socket activation (LISTEN_FDS), it serves on the socket\n"
    "it was given and ignores PORT, -b and --unix.\n"
    "\n"
    "Each request is logged to stderr. Ctrl-C or SIGTERM stops taking connections,\n"
    "finishes the responses in flight, then exits with status 0; a second one\n"
    "closes what is left at once. Ctrl-C also prints \"Keyboard interrupt\n"
    "received, exiting.\" on stdout, as Python does.\n";

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
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> tls_password_file;
  // The command line without --listen-fd and --ready-fd, whatever their
  // spelling: what a restart passes on, with its own two in front.
  std::vector<std::string> passed_on;
};

// A value as the table's checks left it.
struct Value {
  std::string text;
  long integer = 0;
  double seconds = 0;
};

enum class Kind { kHelp, kFlag, kText, kInt, kSeconds, kChoice };

// One command-line option (or the positional port): everything --help,
// the usage lines and the parser know about it.
struct Option {
  const char* short_name;  // "-b", or nullptr
  const char* name;        // "--bind"; without dashes for the positional
  const char* metavar;     // nullptr when it takes no value
  const char* help;
  Kind kind;
  void (*store)(Arguments&, const Value&);
  double min = 0, max = 0;  // kInt, kSeconds: the valid range, inclusive
  std::span<const char* const> choices = {};
  bool handed_over = false;  // set by a restart: not passed on
};

constexpr const char* kProtocols[] = {"HTTP/1.0", "HTTP/1.1"};
constexpr const char* kLogFormats[] = {"python", "combined"};

const Option kOptions[] = {
    {"-h", "--help", nullptr, "show this help and exit", Kind::kHelp, nullptr},
    {nullptr, "--cgi", nullptr, "also run the CGI scripts under /cgi-bin/ and /htbin/", Kind::kFlag,
     [](Arguments& a, const Value&) { a.cgi = true; }},
    {"-q", "--quiet", nullptr, "log nothing (no request lines on stderr)", Kind::kFlag,
     [](Arguments& a, const Value&) { a.quiet = true; }},
    {"-b", "--bind", "ADDRESS",
     "address to listen on (default: all interfaces, IPv6 and IPv4 through '::' where the "
     "system has IPv6)",
     Kind::kText, [](Arguments& a, const Value& v) { a.bind = v.text; }},
    {"-d", "--directory", "DIRECTORY", "folder to serve (default: the current folder)", Kind::kText,
     [](Arguments& a, const Value& v) { a.directory = v.text; }},
    {"-p", "--protocol", "VERSION",
     "HTTP version of responses: HTTP/1.1 keeps connections alive (default), HTTP/1.0 "
     "closes after each response",
     Kind::kChoice, [](Arguments& a, const Value& v) { a.protocol = v.text; }, 0, 0, kProtocols},
    {nullptr, "--unix", "PATH", "listen on a unix-domain socket at PATH instead of a port",
     Kind::kText, [](Arguments& a, const Value& v) { a.unix_path = v.text; }},
    {nullptr, "--threads", "N", "serve on N event loops, one thread each (1 to 1024; default: 1)",
     Kind::kInt, [](Arguments& a, const Value& v) { a.threads = static_cast<unsigned>(v.integer); },
     1, 1024},
    {nullptr, "--drain-timeout", "SECONDS",
     "how long SIGTERM waits for responses in flight before closing what is left "
     "(default: 10)",
     Kind::kSeconds, [](Arguments& a, const Value& v) { a.drain_timeout = v.seconds; }, 0, 86400},
    {nullptr, "--shutdown-delay", "SECONDS",
     "after SIGTERM, go on serving this long (health 503, responses with Connection: close) "
     "before closing the listener, so a load balancer sees it first (default: 0)",
     Kind::kSeconds, [](Arguments& a, const Value& v) { a.shutdown_delay = v.seconds; }, 0, 86400},
    {nullptr, "--health", "PATH", "answer GET PATH with 200 ok, or 503 once draining", Kind::kText,
     [](Arguments& a, const Value& v) { a.health_path = v.text; }},
    {nullptr, "--metrics", "PATH",
     "answer GET PATH with Prometheus metrics (counters and per-phase latency histograms)",
     Kind::kText, [](Arguments& a, const Value& v) { a.metrics_path = v.text; }},
    {nullptr, "--pid-file", "FILE", "write the serving process's pid to FILE", Kind::kText,
     [](Arguments& a, const Value& v) { a.pid_file = v.text; }},
    {nullptr,
     "--listen-fd",
     "FD",
     "serve on the listening socket FD (inherited)",
     Kind::kInt,
     [](Arguments& a, const Value& v) { a.listen_fd = static_cast<int>(v.integer); },
     0,
     INT_MAX,
     {},
     true},
    {nullptr,
     "--ready-fd",
     "FD",
     "write READY=1 to FD once serving, then close it",
     Kind::kInt,
     [](Arguments& a, const Value& v) { a.ready_fd = static_cast<int>(v.integer); },
     0,
     INT_MAX,
     {},
     true},
    {nullptr, "--log-format", "FORMAT", "python (default) or combined (Apache/nginx)",
     Kind::kChoice, [](Arguments& a, const Value& v) { a.combined_log = v.text == "combined"; }, 0,
     0, kLogFormats},
    {nullptr, "--access-log", "FILE",
     "append the log to FILE instead of stderr (reopened on SIGUSR1; lines are dropped, never "
     "waited for, when the disk cannot keep up)",
     Kind::kText, [](Arguments& a, const Value& v) { a.access_log = v.text; }},
    {nullptr, "--tls-cert", "FILE",
     "serve HTTPS with the certificate chain in FILE (PEM; the key too, unless --tls-key; "
     "reloaded on SIGHUP)",
     Kind::kText, [](Arguments& a, const Value& v) { a.tls_cert = v.text; }},
    {nullptr, "--tls-key", "FILE", "the private key of --tls-cert (PEM)", Kind::kText,
     [](Arguments& a, const Value& v) { a.tls_key = v.text; }},
    {nullptr, "--tls-password-file", "FILE", "the password of an encrypted --tls-key", Kind::kText,
     [](Arguments& a, const Value& v) { a.tls_password_file = v.text; }},
};

const Option kPort = {
    .short_name = nullptr,
    .name = "port",
    .metavar = "port",
    .help = "port to listen on (0 to 65535; default: 8000; 0 picks a free one)",
    .kind = Kind::kInt,
    .store = [](Arguments& a, const Value& v) { a.port = static_cast<uint16_t>(v.integer); },
    .min = 0,
    .max = 65535,
};

// What run() needs besides the server: how to restart, the log to reopen.
struct Lifecycle {
  std::vector<std::string> restart;
  basehttp::AccessLog* access_log = nullptr;
};

constexpr size_t kWidth = 79;       // of --help's lines
constexpr size_t kHelpColumn = 24;  // where the options' explanations start

// "-b/--bind", "--threads", "port": how errors name an option, as argparse.
std::string display_name(const Option& option) {
  return option.short_name ? std::string(option.short_name) + "/" + option.name : option.name;
}

// Words of `text` appended to `out`, wrapped at kWidth, continuation lines
// indented by `indent`; `column` is where `out`'s last line ends.
void wrap(std::string& out, const std::vector<std::string>& words, size_t column, size_t indent) {
  bool first = true;
  for (const std::string& word : words) {
    if (!first && column + 1 + word.size() > kWidth) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    } else if (!first) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    first = false;
  }
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  size_t start = 0;
  while ((start = text.find_first_not_of(' ', start)) != std::string::npos) {
    size_t end = text.find(' ', start);
    words.push_back(text.substr(start, end - start));
    start = end;
  }
  return words;
}

// The one usage line (wrapped), for --help and for errors alike.
std::string usage() {
  std::string prefix = std::string("usage: ") + kProgram + " ";
  std::vector<std::string> items;
  for (const Option& option : kOptions) {
    std::string item = option.short_name ? option.short_name : option.name;
    if (option.metavar) item += std::string(" ") + option.metavar;
    items.push_back("[" + item + "]");
  }
  items.push_back(std::string("[") + kPort.name + "]");
  std::string out = prefix;
  wrap(out, items, prefix.size(), prefix.size());
  return out + "\n";
}

void describe(std::string& out, const Option& option) {
  std::string invocation = option.short_name ? std::string(option.short_name) + ", " : "";
  invocation += option.name;
  if (option.metavar && option.name != std::string(option.metavar)) {
    invocation += std::string(" ") + option.metavar;
  }
  out += "  " + invocation;
  if (2 + invocation.size() + 2 <= kHelpColumn) {
    out += std::string(kHelpColumn - 2 - invocation.size(), ' ');
  } else {
    out += "\n" + std::string(kHelpColumn, ' ');
  }
  wrap(out, split_words(option.help), kHelpColumn, kHelpColumn);
  out += "\n";
}

std::string help() {
  std::string out = usage() + "\n" + kDescription + "\n\npositional arguments:\n";
  describe(out, kPort);
  out += "\noptions:\n";
  for (const Option& option : kOptions)
    describe(out, option);
  return out + "\n" + kEpilog;
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "%s%s: error: %s\n", usage().c_str(), kProgram, message.c_str());
  std::exit(2);
}

// argparse's test: "-1" and "-.5" are values, not options (as long as no
// option's name looks like a negative number).
bool looks_like_option(const std::string& arg) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  size_t digits = arg.find_first_not_of("0123456789", 1);
  if (digits == std::string::npos) return false;
  if (arg[digits] == '.' && digits + 1 < arg.size() &&
      arg.find_first_not_of("0123456789", digits + 1) == std::string::npos) {
    return false;
  }
  return true;
}

// The value of `option` checked against its kind and range, and stored.
void store(Arguments& arguments, const Option& option, const std::string& text) {
  Value value{text};
  std::string name = "argument " + display_name(option) + ": ";
  auto out_of_range = [&] {
    char range[128];
    std::snprintf(range, sizeof(range), " is out of range (%.15g to %.15g)", option.min,
                  option.max);
    usage_error(name + text + range);
  };
  char* end = nullptr;
  errno = 0;
  switch (option.kind) {
    case Kind::kInt:
      value.integer = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0') usage_error(name + "invalid int value: '" + text + "'");
      if (errno == ERANGE || value.integer < option.min || value.integer > option.max) {
        out_of_range();
      }
      break;
    case Kind::kSeconds:
      value.seconds = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || std::isnan(value.seconds)) {
        usage_error(name + "invalid seconds value: '" + text + "'");
      }
      if (!(value.seconds >= option.min && value.seconds <= option.max)) out_of_range();
      break;
    case Kind::kChoice:
      if (std::find(option.choices.begin(), option.choices.end(), text) == option.choices.end()) {
        std::string choices;
        for (const char* choice : option.choices)
          choices += std::string(choices.empty() ? "" : ", ") + "'" + choice + "'";
        usage_error(name + "invalid choice: '" + text + "' (choose from " + choices + ")");
      }
      break;
    default:
      break;
  }
  option.store(arguments, value);
}

const Option* find_short(const std::string& spelled) {
  for (const Option& option : kOptions) {
    if (option.short_name && spelled == option.short_name) return &option;
  }
  return nullptr;
}

// An exact long name, else the one it is a prefix of (as argparse allows).
const Option* find_long(const std::string& spelled) {
  std::vector<const Option*> matches;
  for (const Option& option : kOptions) {
    if (spelled == option.name) return &option;
    if (std::string_view(option.name).starts_with(spelled)) matches.push_back(&option);
  }
  if (matches.size() > 1) {
    std::string names;
    for (const Option* option : matches)
      names += std::string(names.empty() ? "" : ", ") + option->name;
    usage_error("ambiguous option: " + spelled + " could match " + names);
  }
  return matches.empty() ? nullptr : matches.front();
}

// Python argparse's forms: -b ADDR, -bADDR, -b=ADDR, --bind ADDR,
// --bind=ADDR, --bi ADDR (an unambiguous prefix), -qb ADDR (flags
// clustered), `--` ending the options; errors as `usage: ...` then
// `basehttpd: error: ...` on stderr, exit 2.
Arguments parse_arguments(int argc, char** argv) {
  Arguments arguments;
  std::vector<std::string> unrecognized;
  bool port_seen = false;
  bool options_ended = false;
  for (int i = 1; i < argc; ++i) {
    const int first = i;
    std::string arg = argv[i];
    if (!options_ended && arg == "--") {
      options_ended = true;
    } else if (options_ended || !looks_like_option(arg)) {
      if (port_seen) {
        unrecognized.push_back(arg);
      } else {
        store(arguments, kPort, arg);
        port_seen = true;
      }
    } else {
      const Option* option = nullptr;
      std::optional<std::string> attached;
      size_t equals = arg.find('=');
      bool is_long = arg.starts_with("--");
      if (is_long) {
        option = find_long(arg.substr(0, equals));
        if (equals != std::string::npos) attached = arg.substr(equals + 1);
      } else if (equals != std::string::npos && (option = find_short(arg.substr(0, equals)))) {
        attached = arg.substr(equals + 1);
      } else {
        option = find_short(arg.substr(0, 2));
        if (arg.size() > 2) attached = arg.substr(2);
      }
      // Flags clustered in one argument (-qb ADDR) are taken one by one.
      while (option && !option->metavar) {
        const Option* next = nullptr;
        if (attached && !(next = is_long ? nullptr : find_short("-" + attached->substr(0, 1)))) {
          usage_error("argument " + display_name(*option) + ": ignored explicit argument '" +
                      *attached + "'");
        }
        if (option->kind == Kind::kHelp) {
          std::fputs(help().c_str(), stdout);
          std::exit(0);
        }
        option->store(arguments, Value{});
        if (!attached) break;
        option = next;
        attached = attached->size() > 1 ? std::optional(attached->substr(1)) : std::nullopt;
      }
      if (!option) {
        unrecognized.push_back(arg);
      } else if (option->metavar) {
        if (!attached && (i + 1 >= argc || looks_like_option(argv[i + 1]))) {
          usage_error("argument " + display_name(*option) + ": expected one argument");
        }
        store(arguments, *option, attached ? *attached : argv[++i]);
      }
      if (option && option->handed_over) continue;
    }
    for (int used = first; used <= i; ++used)
      arguments.passed_on.emplace_back(argv[used]);
  }
  if (!unrecognized.empty()) {
    std::string list;
    for (const std::string& arg : unrecognized)
      list += (list.empty() ? "" : " ") + arg;
    usage_error("unrecognized arguments: " + list);
  }
  if (arguments.tls_key && !arguments.tls_cert)
    usage_error("--tls-key requires --tls-cert to be set");
  if (arguments.tls_password_file && !arguments.tls_cert) {
    usage_error("--tls-password-file requires --tls-cert to be set");
  }
  return arguments;
}

// The command line a restart runs: this binary (by the path it was started
// from, so that a binary replaced on disk is the one started) with the same
// arguments, serving on the socket it inherits. The two it adds go first:
// after a `--` they would be taken for positionals.
std::vector<std::string> restart_command(const Arguments& arguments, char** argv) {
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::vector<std::string> command{length > 0 ? std::string(self, static_cast<size_t>(length))
                                              : std::string(argv[0])};
  for (const char* arg :
       {"--listen-fd", "3", "--ready-fd", "4"})  // ListenerHandover::kListenFd, kReadyFd
    command.emplace_back(arg);
  command.insert(command.end(), arguments.passed_on.begin(), arguments.passed_on.end());
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
    auto done = [&server, &handover](bool ready, const std::string& failure) {
      if (!ready) {
        std::fprintf(stderr, "basehttpd: restart failed (%s); still serving\n", failure.c_str());
        return;
      }
      std::fprintf(stderr, "basehttpd: pid %d serves now; draining\n",
                   static_cast<int>(handover.child()));
      server.shutdown();  // on the loop: starts the drain, returns at once
    };
    auto started = handover.start(server.listening_fd(), restart, std::chrono::seconds(30), done);
    if (!started) {
      std::fprintf(stderr, "basehttpd: restart failed (%s); still serving\n",
                   started.message().c_str());
    }
  });
  if (server.options().tls) {
    // Renewed certificate files are taken on SIGHUP by new connections.
    server.loop().watch_signals({SIGHUP}, [&server](int) {
      auto reloaded = server.reload_certificates();
      if (reloaded) {
        std::fprintf(stderr, "basehttpd: TLS certificate reloaded\n");
      } else {
        std::fprintf(stderr, "basehttpd: TLS certificate not reloaded (%s); the old one stays\n",
                     reloaded.message().c_str());
      }
    });
  }
  if (basehttp::AccessLog* log = lifecycle.access_log) {
    // logrotate's convention: move the file, then SIGUSR1.
    server.loop().watch_signals({SIGUSR1}, [log](int) { log->reopen(); });
  }
  // Ctrl-C says so, as Python does, then stops as SIGTERM does: the first
  // signal starts the drain, a later one cuts it short. That second step is
  // the server's own SIGTERM handler, so it is reached by a SIGTERM; only
  // that step sends one, so two Ctrl-Cs never merge into one pending signal.
  server.loop().watch_signals({SIGINT}, [&server, said = false](int) mutable {
    if (!said) {
      std::fputs("\nKeyboard interrupt received, exiting.\n", stdout);
      std::fflush(stdout);
      said = true;
    }
    if (server.draining()) {
      ::kill(::getpid(), SIGTERM);
    } else {
      server.shutdown();  // on the loop: starts the drain, returns at once
    }
  });
  if (arguments.ready_fd) basehttp::ListenerHandover::report_ready(*arguments.ready_fd);
  server.serve_forever();
  if (arguments.pid_file) remove_pid_file(*arguments.pid_file);
}

// Why listening on `port` failed, with what a refused low port needs.
std::string listen_failure(int error, uint16_t port) {
  std::string text = std::strerror(error);
  int start = 1024;  // below it, ports need privileges (unless the sysctl says otherwise)
  std::ifstream("/proc/sys/net/ipv4/ip_unprivileged_port_start") >> start;
  if (error == EACCES && port != 0 && port < start) {
    text += " (ports below " + std::to_string(start) + " need root or CAP_NET_BIND_SERVICE)";
  }
  return text;
}

// A TCP listener made here rather than by the server, so that all its loops
// share one socket and one accept queue: the socket a restart hands over.
basehttp::ServerAddress tcp_listener(const std::string& host, uint16_t port) {
  auto address = basehttp::SocketAddress::resolve(host, port);
  if (!address) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "cannot resolve host '" + host + "'");
  }
  return basehttp::ServerAddress::listening_socket(
      basehttp::listen_tcp(*address).value_or_throw().release());
}

// options.tls from --tls-cert, --tls-key and --tls-password-file, checked
// here so that a certificate, key or password that does not load is told
// as such (one line) rather than as a failure to listen.
bool configure_tls(const Arguments& arguments, basehttp::ServerOptions& options) {
  basehttp::TlsOptions tls;
  tls.certificate.chain_file = *arguments.tls_cert;
  tls.certificate.key_file = arguments.tls_key.value_or("");
  if (arguments.tls_password_file) {
    std::ifstream in(*arguments.tls_password_file, std::ios::binary);
    if (!in) {
      usage_error("Failed to read TLS password file: " + *arguments.tls_password_file + ": " +
                  std::strerror(errno));
    }
    std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // As Python strips it: the file's trailing newline is no part of it.
    size_t end = password.find_last_not_of(" \t\r\n");
    size_t start = password.find_first_not_of(" \t\r\n");
    tls.certificate.password =
        end == std::string::npos ? "" : password.substr(start, end - start + 1);
  }
  auto loaded = basehttp::HTTPServer::check_tls(tls);
  if (!loaded) {
    std::fprintf(stderr, "basehttpd: cannot serve HTTPS: %s\n", loaded.message().c_str());
    return false;
  }
  options.tls = std::move(tls);
  return true;
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
  const char* scheme = options.tls ? "HTTPS" : "HTTP";
  if (arguments.listen_fd) {
    std::printf("Serving %s on the inherited socket (%s) ...\n", scheme,
                server->server_address().to_string().c_str());
  } else if (address.unix_path.empty()) {
    std::printf("Serving %s on the socket systemd passed (%s) ...\n", scheme,
                server->server_address().to_string().c_str());
  } else {
    std::printf("Serving %s on unix:%s ...\n", scheme, address.unix_path.c_str());
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
  if (arguments.tls_cert) {
    if (!configure_tls(arguments, options)) return 1;
  }
  Lifecycle lifecycle{restart_command(arguments, argv), access_log ? &*access_log : nullptr};

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
                   arguments.port, listen_failure(failure.code().value(), arguments.port).c_str());
      return 1;
    }
  }
  std::string name = server->server_name();
  std::string url_host = name.find(':') != std::string::npos ? "[" + name + "]" : name;
  std::printf("Serving %s on %s port %u (%s://%s:%u/) ...\n", options.tls ? "HTTPS" : "HTTP",
              name.c_str(), server->server_port(), options.tls ? "https" : "http", url_host.c_str(),
              server->server_port());
  std::fflush(stdout);
  run(*server, arguments, lifecycle);
  return 0;
}
