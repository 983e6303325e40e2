#include "handlers/cgi/cgi_process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "handlers/cgi/cgi.hpp"
#include "http/headers.hpp"
#include "http/server.hpp"

namespace basehttp {
namespace {

constexpr size_t kReadSize = 64 * 1024;
// Output taken per readiness before letting the loop serve others.
constexpr size_t kReadBudget = 1024 * 1024;
constexpr size_t kMaxStderrLine = 4096;

// The server frames the response and sends its own Server and Date.
bool server_owned_field(std::string_view name) {
  for (std::string_view owned : {"Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer",
                                 "Upgrade", "Proxy-Connection", "Server", "Date"}) {
    if (iequals(name, owned)) return true;
  }
  return false;
}

std::string describe_exit(int status) {
  if (status < 0) return "an unknown status";
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

CgiProcess::CgiProcess(Cgi& owner, RequestHandler& handler, ChildProcess child,
                       std::string script_name, bool nph, std::string_view body)
    : owner_(owner),
      loop_(handler.server().loop()),
      handler_(&handler),
      child_(std::move(child)),
      script_name_(std::move(script_name)),
      nph_(nph),
      body_(body),
      parser_(nph, owner.options().max_header_bytes),
      buffer_(new char[kReadSize]) {}

void CgiProcess::start() {
  response_ = handler_->defer();  // the handle stream() makes too: one response
  stream_ = handler_->stream();   // nothing is queued yet: no header goes out
  deadline_ = loop_.now() + owner_.options().timeout;
  std::weak_ptr<CgiProcess> weak = weak_from_this();
  stream_.on_close([weak] {
    if (auto self = weak.lock()) self->end(EventLoop::Clock::now());
  });
  timer_ = loop_.run_after(owner_.options().timeout, [weak] {
    if (auto self = weak.lock()) {
      self->timer_ = 0;
      self->on_timeout();
    }
  });
  exit_watch_.emplace(loop_, child_.pidfd(), true, false, [this](Readiness) { on_exit(); });
  stdout_watch_.emplace(loop_, child_.stdout_pipe().get(), true, false,
                        [this](Readiness) { on_stdout_ready(); });
  stderr_watch_.emplace(loop_, child_.stderr_pipe().get(), true, false,
                        [this](Readiness) { on_stderr_ready(); });
  if (body_.empty()) {
    close_stdin();
  } else {
    stdin_watch_.emplace(loop_, child_.stdin_pipe().get(), false, true,
                         [this](Readiness) { on_stdin_ready(); });
  }
}

void CgiProcess::abandon() {
  ended_ = true;
  child_.kill_and_wait();
}

void CgiProcess::on_stdin_ready() {
  if (ended_ || !child_.stdin_pipe()) return;
  if (handler() == nullptr) return close_stdin();  // the body's bytes are gone with the request
  while (body_written_ < body_.size()) {
    size_t size = std::min(body_.size() - body_written_, kReadBudget);
    ssize_t written = ::write(child_.stdin_pipe().get(), body_.data() + body_written_, size);
    if (written > 0) {
      body_written_ += static_cast<size_t>(written);
    } else if (written < 0 && errno == EINTR) {
      continue;
    } else if (written < 0 && errno == EAGAIN) {
      return;
    } else {
      break;  // EPIPE: the script does not read its input; fine
    }
  }
  close_stdin();
}

void CgiProcess::close_stdin() {
  stdin_watch_.reset();
  child_.stdin_pipe().reset();
}

void CgiProcess::on_stdout_ready() {
  if (ended_ || waiting_drain_ || continue_posted_) return;
  size_t taken = 0;
  while (!ended_) {
    if (head_sent_ && !stream_.writable()) {
      // The client is slower than the script: leave the rest in the pipe,
      // which stops the script once full, until the client drains.
      waiting_drain_ = true;
      std::weak_ptr<CgiProcess> weak = weak_from_this();
      stream_.on_drain([weak] {
        if (auto self = weak.lock()) {
          self->waiting_drain_ = false;
          self->on_stdout_ready();
        }
      });
      return;
    }
    if (taken >= kReadBudget) {
      // Edge-triggered: no new event comes for bytes already there, so
      // come back on the next iteration, after the others had their turn.
      continue_posted_ = true;
      std::weak_ptr<CgiProcess> weak = weak_from_this();
      loop_.post([weak] {
        if (auto self = weak.lock()) {
          self->continue_posted_ = false;
          self->on_stdout_ready();
        }
      });
      return;
    }
    ssize_t size = ::read(child_.stdout_pipe().get(), buffer_.get(), kReadSize);
    if (size > 0) {
      taken += static_cast<size_t>(size);
      on_output(std::string_view(buffer_.get(), static_cast<size_t>(size)));
    } else if (size < 0 && errno == EINTR) {
      continue;
    } else if (size < 0 && errno == EAGAIN) {
      return;
    } else {
      return on_output_end();
    }
  }
}

void CgiProcess::on_output(std::string_view data) {
  if (!head_sent_) {
    switch (parser_.feed(data)) {
      case CgiResponseParser::Result::kNeedMore:
        return;
      case CgiResponseParser::Result::kError:
        return fail(502, "malformed header from script: " + parser_.error());
      case CgiResponseParser::Result::kComplete:
        break;
    }
    if (handler() == nullptr) return end(EventLoop::Clock::now());
    if (nph_) {
      // The script's response, head and body, byte for byte; only the
      // status was read from it, for the log.
      handler_->begin_raw_response(parser_.head().status);
      head_sent_ = true;
      data = parser_.output();
    } else if (parser_.head().local_redirect) {
      return redirect_locally();
    } else {
      send_head(parser_.head());
      head_sent_ = true;
      data = parser_.body();
      if (data.empty()) {
        handler_->flush_headers();  // the client learns the status while the body is made
        return;
      }
    }
  }
  if (!stream_.write(data)) end(EventLoop::Clock::now());
}

void CgiProcess::send_head(const CgiResponseHead& head) {
  RequestHandler& handler = *handler_;
  handler.send_response(head.status, head.reason);
  for (const auto& [name, value] : head.fields) {
    if (server_owned_field(name)) continue;
    handler.send_header(name, value);
  }
  handler.end_headers();
}

void CgiProcess::redirect_locally() {
  const std::string& location = parser_.head().location;
  if (handler_->reroutes() >= owner_.options().max_local_redirects) {
    return fail(502, "local redirect to " + location + " after " +
                         std::to_string(handler_->reroutes()) + " others: a loop?");
  }
  // RFC 3875 §6.2.2: no body may follow; whatever the script still writes
  // is not read. It keeps its time, as after a complete output.
  std::string target = location;
  DeferredResponse response = response_;
  Cgi& owner = owner_;
  on_stderr_ready();  // what it said so far, logged with the request
  end(deadline_);
  // This object is dropped later in the iteration, and not used below.
  response.complete([&owner, &target](RequestHandler& handler) {
    handler.reroute(target);
    owner.handle(handler);
  });
}

void CgiProcess::on_output_end() {
  stdout_watch_.reset();
  child_.stdout_pipe().reset();
  on_stderr_ready();  // its last lines, while they can still be logged with the request
  if (!head_sent_) {
    parser_.finish();
    std::string why = parser_.saw_output() ? "malformed header from script: " + parser_.error()
                                           : "script ended without output";
    if (child_.reaped()) why += " (" + describe_exit(child_.wait_status()) + ")";
    return fail(502, why);
  }
  stream_.finish();
  // The output is complete; the script may still be exiting. It keeps its
  // time: stopped at its deadline if it is still there then.
  end(deadline_);
}

void CgiProcess::on_stderr_ready() {
  if (ended_ || !child_.stderr_pipe()) return;
  char chunk[4096];
  for (;;) {
    ssize_t size = ::read(child_.stderr_pipe().get(), chunk, sizeof(chunk));
    if (size > 0) {
      stderr_line_.append(chunk, static_cast<size_t>(size));
      size_t newline;
      while ((newline = stderr_line_.find('\n')) != std::string::npos) {
        log_stderr_line(std::string_view(stderr_line_).substr(0, newline));
        stderr_line_.erase(0, newline + 1);
      }
      if (stderr_line_.size() > kMaxStderrLine) {
        log_stderr_line(stderr_line_);
        stderr_line_.clear();
      }
    } else if (size < 0 && errno == EINTR) {
      continue;
    } else if (size < 0 && errno == EAGAIN) {
      return;
    } else {
      if (!stderr_line_.empty()) log_stderr_line(stderr_line_);
      stderr_line_.clear();
      stderr_watch_.reset();
      child_.stderr_pipe().reset();
      return;
    }
  }
}

void CgiProcess::log_stderr_line(std::string_view line) {
  if (RequestHandler* handler = this->handler()) {
    handler->log_error("CGI script %s: %.*s", script_name_.c_str(), static_cast<int>(line.size()),
                       line.data());
  }
}

void CgiProcess::on_exit() {
  if (ended_) return;
  exit_watch_.reset();  // before try_reap() closes the pidfd it watches
  if (!child_.try_reap()) return;
  int status = child_.wait_status();
  if (status != 0) {
    if (RequestHandler* handler = this->handler()) {
      handler->log_error("CGI script %s: %s", script_name_.c_str(), describe_exit(status).c_str());
    }
  }
  // The output may still be in the pipe, or held open by what the script
  // started: the response ends with the output, not with the exit.
}

void CgiProcess::on_timeout() {
  if (ended_) return;
  if (RequestHandler* handler = this->handler()) {
    handler->log_error("CGI script %s: timed out after %lld ms, stopped", script_name_.c_str(),
                       static_cast<long long>(owner_.options().timeout.count()));
  }
  if (!head_sent_) return fail(504, "CGI script timed out");
  stream_.abort();  // a cut-short body must not look complete
  end(EventLoop::Clock::now());
}

void CgiProcess::fail(int code, const std::string& why) {
  if (RequestHandler* handler = this->handler()) {
    handler->log_error("CGI script %s: %s", script_name_.c_str(), why.c_str());
    if (!head_sent_) {
      handler->send_error(code);
      stream_.finish();
    } else {
      stream_.abort();
    }
  }
  end(EventLoop::Clock::now());
}

void CgiProcess::end(EventLoop::Clock::time_point terminate_at) {
  if (ended_) return;
  ended_ = true;
  if (timer_ != 0) loop_.cancel(timer_);
  timer_ = 0;
  stdin_watch_.reset();
  stdout_watch_.reset();
  stderr_watch_.reset();
  exit_watch_.reset();
  owner_.retire(std::move(child_), terminate_at);
  // Not now: this may run inside one of this object's own callbacks.
  loop_.run_soon([self = shared_from_this()] { self->owner_.forget(self.get()); });
}

}  // namespace basehttp
