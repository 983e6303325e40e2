#include "handlers/cgi/cgi.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "handlers/cgi/cgi_environment.hpp"
#include "handlers/cgi/cgi_process.hpp"
#include "handlers/cgi/cgi_target.hpp"
#include "handlers/common/root_folder.hpp"
#include "handlers/common/url_path.hpp"
#include "http/server.hpp"
#include "process/child_process.hpp"
#include "process/child_reaper.hpp"

namespace basehttp {
namespace {

// RFC 3875 §4.4: a query without '=' is a search string, and its
// '+'-separated words, decoded, are the script's arguments.
std::vector<std::string> search_words(std::string_view query) {
  std::vector<std::string> words;
  if (query.empty() || query.find('=') != std::string_view::npos) return words;
  size_t start = 0;
  while (start <= query.size()) {
    size_t plus = query.find('+', start);
    if (plus == std::string_view::npos) plus = query.size();
    std::string word = percent_decode(query.substr(start, plus - start));
    if (word.find('\0') != std::string::npos) return {};
    words.push_back(std::move(word));
    start = plus + 1;
  }
  return words;
}

// SERVER_NAME: the host the client asked for, as RFC 3875 §4.1.14 wants,
// without its port; the bound address when the request names none.
std::string server_name(RequestHandler& handler) {
  std::string_view host = handler.headers().get("Host", "");
  if (host.empty()) return handler.server().server_name();
  if (host.front() == '[') return std::string(host.substr(0, host.find(']') + 1));
  return std::string(host.substr(0, host.find(':')));
}

}  // namespace

Cgi::Cgi(CgiOptions options)
    : options_(std::move(options)),
      root_(std::make_unique<RootFolder>(options_.root)),
      reaper_(std::make_unique<ChildReaper>()) {
  root_path_ = std::filesystem::absolute(options_.root).lexically_normal().string();
  while (root_path_.size() > 1 && root_path_.back() == '/')
    root_path_.pop_back();
  if (root_path_ == "/") root_path_.clear();
  directories_ = cgi_directory_segments(options_.cgi_directories);
}

Cgi::~Cgi() {
  std::lock_guard<std::mutex> lock(processes_mutex_);
  for (auto& [raw, process] : processes_) {
    process->abandon();
    // Its watches belong to a loop that may be gone: leaking the small
    // object is the one safe way out of a broken contract.
    new std::shared_ptr<CgiProcess>(std::move(process));
  }
  processes_.clear();
}

void Cgi::install(HandlerTable& table) {
  for (const char* method : {"GET", "HEAD", "POST"})
    table.on(method, [this](RequestHandler& handler) { handle(handler); });
}

bool Cgi::is_directory(const std::string& relative) const {
  struct stat info {};
  return ::fstatat(root_->fd(), relative.c_str(), &info, 0) == 0 && S_ISDIR(info.st_mode);
}

bool Cgi::is_cgi(std::string_view target) const {
  return map_cgi_target(target, directories_, [](const std::string&) { return false; }).has_value();
}

std::string Cgi::absolute(const std::string& relative) const {
  return relative.empty() ? (root_path_.empty() ? "/" : root_path_) : root_path_ + "/" + relative;
}

bool Cgi::take_slot() {
  size_t now = running_.load(std::memory_order_relaxed);
  do {
    if (now >= options_.max_processes) return false;
  } while (!running_.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  return true;
}

void Cgi::retire(ChildProcess child, std::chrono::steady_clock::time_point terminate_at) {
  if (!child.started() || child.reaped() || child.try_reap()) {
    release_slot();
    return;
  }
  reaper_->adopt(std::move(child), terminate_at, options_.kill_grace, [this] { release_slot(); });
}

void Cgi::forget(CgiProcess* process) {
  std::shared_ptr<CgiProcess> last;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lock(processes_mutex_);
  auto found = processes_.find(process);
  if (found == processes_.end()) return;
  last = std::move(found->second);
  processes_.erase(found);
}

bool Cgi::check_script(RequestHandler& handler, const CgiTarget& target) const {
  std::string quoted = "('" + target.script_name + "')";
  if (target.script.empty()) {
    handler.send_error(403, "CGI script is not a plain file " + quoted);
    return false;
  }
  std::string relative = target.relative_path();
  // Beneath the root, symlinks included, as static files are.
  FileDescriptor script = root_->open(relative, O_PATH);
  struct stat info {};
  if (!script || ::fstat(script.get(), &info) != 0) {
    handler.send_error(404, "No such CGI script " + quoted);
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    handler.send_error(403, "CGI script is not a plain file " + quoted);
    return false;
  }
  if (::faccessat(root_->fd(), relative.c_str(), X_OK, 0) != 0) {
    handler.send_error(403, "CGI script is not executable " + quoted);
    return false;
  }
  return true;
}

void Cgi::handle(RequestHandler& handler) {
  std::string_view command = handler.command();
  if (command != "GET" && command != "HEAD" && command != "POST") {
    send_unsupported_method(handler);
    return;
  }
  auto target = map_cgi_target(handler.path(), directories_, [this](const std::string& relative) {
    return is_directory(relative);
  });
  if (!target) {
    if (command == "POST") return handler.send_error(501, "Can only POST to CGI scripts");
    if (options_.fallback) return options_.fallback(handler);
    return handler.send_error(404, "File not found");
  }
  if (!check_script(handler, *target)) return;
  if (!take_slot()) return handler.send_error(503, "Too many CGI scripts running");

  Headers headers = handler.headers();
  std::string name = server_name(handler);
  std::string software = handler.version_string();
  std::string remote =
      handler.client_address().is_unix() ? std::string() : handler.client_address().host();
  std::string translated = absolute("") + target->path_info;
  CgiRequestInfo info;
  info.method = command;
  info.protocol = handler.request_version();
  info.script_name = target->script_name;
  info.path_info = target->path_info;
  info.path_translated = translated;
  info.query = target->query;
  info.remote_addr = remote;
  info.server_name = name;
  info.server_port = handler.server().server_port();
  info.server_software = software;
  info.https = handler.server().options().tls.has_value();
  // A local redirect makes the request a GET without a body (RFC 3875
  // §6.2.2, as Apache does): what described the body is gone too.
  bool rerouted = handler.reroutes() != 0;
  if (!rerouted && (headers.contains("Content-Length") || headers.contains("Transfer-Encoding"))) {
    info.content_length = handler.body().size();
  }
  for (HeaderField field : headers) {
    if (rerouted && iequals(field.name, "Content-Type")) continue;
    info.headers.push_back(field);
  }

  SpawnRequest spawn;
  spawn.program = absolute(target->relative_path());
  spawn.directory = absolute(target->folder);
  spawn.arguments.push_back(target->script);
  for (std::string& word : search_words(target->query))
    spawn.arguments.push_back(std::move(word));
  spawn.environment = cgi_environment(info, options_.pass_environment);

  auto child = ChildProcess::spawn(spawn);
  if (int error = child.error()) {
    release_slot();
    handler.log_error("CGI script %s: cannot start: %s", target->script_name.c_str(),
                      std::strerror(error));
    if (error == EACCES || error == EPERM) {
      return handler.send_error(403,
                                "CGI script is not executable ('" + target->script_name + "')");
    }
    return handler.send_error(500, "CGI script could not be started");
  }
  auto process = std::make_shared<CgiProcess>(*this, handler, std::move(child).value(),
                                              target->script_name, target->nph, handler.body());
  {
    std::lock_guard<std::mutex> lock(processes_mutex_);
    processes_.emplace(process.get(), process);
  }
  process->start();
}

}  // namespace basehttp
