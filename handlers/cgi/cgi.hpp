// Cgi: Python's CGIHTTPRequestHandler as a handler that never blocks the
// loop: a GET, HEAD or POST under one of the CGI folders runs the script it
// names, and the script's output is the response, streamed to the client
// as it comes. The child's stdin, stdout and stderr pipes and its exit are
// watched by the loop of the request's connection; the request body is
// written to stdin, stdout is read only as fast as the client takes it,
// stderr goes to the error log. A script is killed (SIGTERM to its
// process group, SIGKILL after a grace period) when its time is up or its
// client leaves; processes are counted, and over the limit the answer is
// 503. Anything that is not a CGI request goes to a fallback handler
// (static files, for basehttpd --cgi).
//
// Built before serving; handle() runs on the loop thread of each
// connection, on several at once when a server has several loops. Must
// outlive the HandlerTable entries that call it, and the servers that use
// it must have been shut down (shutdown() returned) before it is
// destroyed: a server destroyed while a script answers gives no close
// callback. Destroying it kills and reaps whatever still runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/handler_table.hpp"
#include "http/request_handler.hpp"
#include "reactor/file_descriptor.hpp"

namespace basehttp {

// Declared only: applications include this header, and these are the
// handler's inside (not installed).
class ChildProcess;
class ChildReaper;
class CgiProcess;
struct CgiTarget;
class RootFolder;

struct CgiOptions {
  /// The folder served; CGI folders are URL paths beneath it.
  std::string root = ".";
  /// URL paths whose files are scripts (Python's cgi_directories).
  std::vector<std::string> cgi_directories = {"/cgi-bin", "/htbin"};
  /// Answers GET and HEAD requests that are not CGI (nullptr: 404). POST
  /// outside the CGI folders gets 501, as in Python.
  HandlerTable::Handler fallback;
  /// How long a script may run from its start; then it is stopped, with a
  /// 504 if it had sent no header section, or a cut-short response.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  /// Between SIGTERM and SIGKILL.
  std::chrono::milliseconds kill_grace{std::chrono::seconds(2)};
  /// Scripts running at once (counting those being stopped); beyond: 503.
  size_t max_processes = 64;
  /// Variables of the server's environment a script also gets (PATH is
  /// always passed, or set to a default). Nothing else is inherited, and
  /// never a meta-variable (HTTPS, SERVER_NAME...) or a request's HTTP_*.
  std::vector<std::string> pass_environment = {"LANG", "LC_ALL", "LC_CTYPE", "TZ"};
  /// The longest header section a script may write before its body.
  size_t max_header_bytes = 64 * 1024;
  /// Local redirects (RFC 3875 §6.2.2) followed for one request; a script
  /// asking for one more (a loop, most likely) gets its client a 502. At most 254.
  unsigned max_local_redirects = 10;
};

class Cgi {
 public:
  /// Opens the root; throws std::system_error if it is not a readable folder.
  explicit Cgi(CgiOptions options);
  ~Cgi();
  Cgi(const Cgi&) = delete;
  Cgi& operator=(const Cgi&) = delete;

  /// Answers a request: runs the script it names, or passes it to the
  /// fallback. GET, HEAD and POST; another method gets 501. A script's
  /// local redirect comes back here, as a GET for its path.
  void handle(RequestHandler& handler);
  /// Registers handle() for GET, HEAD and POST in `table`.
  void install(HandlerTable& table);
  /// Whether `target` lies under a CGI folder (the script may not exist).
  bool is_cgi(std::string_view target) const;

  /// Scripts running now, those being stopped included. Any thread.
  size_t running() const { return running_.load(std::memory_order_relaxed); }
  const CgiOptions& options() const { return options_; }

 private:
  friend class CgiProcess;

  /// Takes one of max_processes; false when none is left.
  bool take_slot();
  void release_slot() { running_.fetch_sub(1, std::memory_order_relaxed); }
  /// Hands over a finished run's child: reaped, or left to the reaper.
  void retire(ChildProcess child, std::chrono::steady_clock::time_point terminate_at);
  /// Drops a finished run (loop thread of that run).
  void forget(CgiProcess* process);
  bool is_directory(const std::string& relative) const;
  /// Answers why the script of `target` cannot run, or true if it can.
  bool check_script(RequestHandler& handler, const CgiTarget& target) const;
  std::string absolute(const std::string& relative) const;

  CgiOptions options_;
  std::unique_ptr<const RootFolder> root_;
  std::string root_path_;  // absolute, without a trailing '/'
  std::vector<std::vector<std::string>> directories_;
  std::atomic<size_t> running_{0};
  std::mutex processes_mutex_;
  std::unordered_map<CgiProcess*, std::shared_ptr<CgiProcess>> processes_;
  // Last: destroyed first, while what its thread's callbacks use still exists.
  std::unique_ptr<ChildReaper> reaper_;
};

}  // namespace basehttp
