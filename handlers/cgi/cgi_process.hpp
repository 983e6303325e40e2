// CgiProcess: one run of a CGI script answering one request. It writes the
// request body to the script's stdin, reads its stdout into the response
// (the header section first, then the body, as fast as the client takes
// it), logs its stderr and notes its exit, all through FdWatches on the
// request's loop. It ends when the output ends, the time is up or the
// client leaves (or the script asks for a local redirect, answered by a
// new run of the Cgi); what still runs then goes to the Cgi's reaper.
// An nph- script's output goes to the client as it is, unframed. Loop
// thread only; owned by its Cgi, and dropped at the end of the loop
// iteration in which it ended. Internal to handlers/cgi/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "handlers/cgi/cgi_response_parser.hpp"
#include "http/deferred_response.hpp"
#include "http/request_handler.hpp"
#include "http/response_stream.hpp"
#include "process/child_process.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/fd_watch.hpp"

namespace basehttp {

class Cgi;

class CgiProcess : public std::enable_shared_from_this<CgiProcess> {
 public:
  /// `handler` is the request's; `body` its body, which stays valid while
  /// the response is pending (RequestHandler's contract).
  CgiProcess(Cgi& owner, RequestHandler& handler, ChildProcess child, std::string script_name,
             bool nph, std::string_view body);
  CgiProcess(const CgiProcess&) = delete;
  CgiProcess& operator=(const CgiProcess&) = delete;

  /// Takes the response over (as a stream) and starts watching the child.
  /// Once, right after construction, from the handler.
  void start();
  /// The Cgi is going away while this run is not over (its server was
  /// destroyed without shutdown): kill and reap the child, touch nothing else.
  void abandon();

 private:
  /// The request's handler while the response is still pending; it is the
  /// same object for as long as the stream is open.
  RequestHandler* handler() const { return stream_.open() ? handler_ : nullptr; }
  void on_stdin_ready();
  void close_stdin();
  void on_stdout_ready();
  void on_output(std::string_view data);
  void on_output_end();
  void send_head(const CgiResponseHead& head);
  /// A Location with a local path alone: this run is over, and the
  /// request is answered again, as a GET for that path.
  void redirect_locally();
  void on_stderr_ready();
  void log_stderr_line(std::string_view line);
  void on_exit();
  void on_timeout();
  /// Answers `code` if nothing was sent yet; the run ends.
  void fail(int code, const std::string& why);
  /// The run is over: stop watching, hand the child on (SIGTERM at
  /// `terminate_at`), drop this object at the end of the iteration.
  void end(EventLoop::Clock::time_point terminate_at);

  Cgi& owner_;
  EventLoop& loop_;
  RequestHandler* handler_;
  DeferredResponse response_;  // the same response as stream_'s, to answer it anew
  ResponseStream stream_;
  ChildProcess child_;
  std::string script_name_;
  bool nph_;
  std::string_view body_;
  size_t body_written_ = 0;
  CgiResponseParser parser_;
  bool head_sent_ = false;
  bool waiting_drain_ = false;
  bool continue_posted_ = false;
  bool ended_ = false;
  EventLoop::Clock::time_point deadline_;
  EventLoop::TimerId timer_ = 0;
  std::string stderr_line_;
  std::unique_ptr<char[]> buffer_;
  std::optional<FdWatch> stdin_watch_;
  std::optional<FdWatch> stdout_watch_;
  std::optional<FdWatch> stderr_watch_;
  std::optional<FdWatch> exit_watch_;
};

}  // namespace basehttp
