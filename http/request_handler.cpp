#include "http/request_handler.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "http/byte_scan.hpp"
#include "http/html_escape.hpp"
#include "http/server_context.hpp"
#include "http/session.hpp"

namespace basehttp {
namespace {

// Appends the page `format` describes to `page`.
void fill_error_format(std::string& page, std::string_view format, int code,
                       std::string_view message, std::string_view explain) {
  while (!format.empty()) {
    size_t open = format.find('{');
    page.append(format.substr(0, open));
    if (open == std::string_view::npos) break;
    format.remove_prefix(open);
    if (format.substr(0, 6) == "{code}") {
      char digits[16];
      page.append(digits, static_cast<size_t>(
                              std::to_chars(digits, digits + sizeof(digits), code).ptr - digits));
      format.remove_prefix(6);
    } else if (format.substr(0, 9) == "{message}") {
      append_html_escaped(message, page);
      format.remove_prefix(9);
    } else if (format.substr(0, 9) == "{explain}") {
      append_html_escaped(explain, page);
      format.remove_prefix(9);
    } else {
      page += '{';
      format.remove_prefix(1);
    }
  }
}

}  // namespace

// ---- request ----

const char* RequestHandler::base() const {
  return session_->connection().input().peek();
}

std::string_view RequestHandler::command() const {
  if (reroutes_ != 0) [[unlikely]]  // the method as sent: head_ may have been cleared since
    return request_->method.in(base()) == "HEAD" ? "HEAD" : "GET";
  return parsed_ ? request_->method.in(base()) : std::string_view();
}
std::string_view RequestHandler::path() const {
  if (reroutes_ != 0) [[unlikely]]
    return reroute_path_;
  return parsed_ ? request_->target.in(base()) : std::string_view();
}
std::string_view RequestHandler::request_version() const {
  return parsed_ ? request_->version.in(base()) : std::string_view();
}
std::string_view RequestHandler::requestline() const {
  return parsed_ ? request_->request_line.in(base()) : std::string_view();
}
Headers RequestHandler::headers() const {
  return parsed_ ? request_->headers(base()) : Headers();
}
Headers RequestHandler::trailers() const {
  return parsed_ ? request_->trailer_fields(base()) : Headers();
}
std::string_view RequestHandler::body() const {
  return parsed_ && reroutes_ == 0 ? request_->body.in(base()) : std::string_view();
}
const SocketAddress& RequestHandler::client_address() const {
  return session_->connection().peer();
}
HTTPServer& RequestHandler::server() const {
  return *context_->server;
}
const ServerOptions& RequestHandler::options() const {
  return context_->options;
}

// ---- what the response writer needs from the server: gathered here only ----

void RequestHandler::attach(Session& session) {
  session_ = &session;
  context_ = &session.context();
  ResponseWriter::Setup setup;
  setup.heads = &context_->response_head;
  setup.responses = &context_->options.responses;
  setup.protocol_version = context_->options.protocol_version;
  setup.keep_alive_protocol = context_->keep_alive_protocol;
  writer_.attach(session.connection().output(), setup);
  // Python logs in log_request(); a request_logger logs in its own format when done.
  logging_ = context_->logging && !context_->options.request_logger;
}

ResponseWriter& RequestHandler::writer() {
  writer_.refresh(context_->loop.wall_seconds(), session_->shutting_down());
  return writer_;
}

// ---- response: framed by the writer; logged here ----

void RequestHandler::send_response(int code, std::string_view message) {
  log_request(code);
  writer().send_response(code, message);
}

void RequestHandler::send_response_only(int code, std::string_view message) {
  writer().send_response_only(code, message);
}

void RequestHandler::send_header(std::string_view keyword, std::string_view value) {
  if (!writer_.send_header(keyword, value)) {
    log_error("send_header(%.*s) outside a header section: ignored",
              static_cast<int>(keyword.size()), keyword.data());
  }
}

void RequestHandler::send_header_lines(const HeaderLines& lines) {
  if (!writer_.send_header_lines(lines))
    log_error("send_header_lines() outside a header section: ignored");
}

void RequestHandler::end_headers() {
  writer().end_headers();
}

void RequestHandler::respond(int code, std::string_view content_type, std::string_view body) {
  // Logged after the bytes are queued (they leave later anyway): the
  // common path then keeps nothing across the writer's call.
  if (!writer().respond(code, content_type, body)) [[unlikely]] {
    log_error("respond(%d) after the response started: cut short", code);
    return;
  }
  log_request(code);
}

void RequestHandler::flush_headers() {
  session_->connection().flush();
}

void RequestHandler::log_written(ResponseWriter::Written written, uint64_t size) {
  if (written == ResponseWriter::Written::kTruncated) {
    log_error("body longer than its Content-Length: truncated, connection closed");
  } else if (writer_.stage() == Stage::kNone) {
    log_error("write() before send_response(): %llu bytes dropped",
              static_cast<unsigned long long>(size));
  } else {
    log_error("write() after the response ended: %llu bytes dropped",
              static_cast<unsigned long long>(size));
  }
}

void RequestHandler::write(std::string_view data) {
  ResponseWriter::Written written = writer().write(data);
  if (written != ResponseWriter::Written::kQueued) [[unlikely]]
    log_written(written, data.size());
}

void RequestHandler::write(std::string&& data) {
  size_t size = data.size();
  ResponseWriter::Written written = writer().write(std::move(data));
  if (written != ResponseWriter::Written::kQueued) [[unlikely]]
    log_written(written, size);
}

void RequestHandler::write_file(std::shared_ptr<const FileDescriptor> file, uint64_t offset,
                                uint64_t length) {
  ResponseWriter::Written written = writer().write_file(std::move(file), offset, length);
  if (written != ResponseWriter::Written::kQueued) [[unlikely]]
    log_written(written, length);
}

void RequestHandler::send_error(int code, std::string_view message, std::string_view explain) {
  ResponseWriter& out = writer();
  if (out.stage() != Stage::kNone) {
    // Too late for a status line: all the client can learn is that the
    // response is cut short, so it is, as after a throw: ending its header
    // section or its chunked body would make it look whole.
    log_error("send_error(%d) after the response started: cut short", code);
    out.abort();
    return;
  }
  const StatusTable& table = options().responses;
  if (message.empty()) message = table.contains(code) ? table.reason(code) : "???";
  if (explain.empty()) explain = table.contains(code) ? table.explain(code) : "???";
  log_error("code %d, message %.*s", code, static_cast<int>(message.size()), message.data());
  send_response(code, message);
  if (ResponseWriter::is_interim(code)) {
    out.end_with_interim();
    return;
  }
  if (!ResponseWriter::allows_body(code)) {
    end_headers();
    return;
  }
  // Built in a buffer the loop thread keeps and copied into the output,
  // so that answering an error (a 404 from a file server) allocates nothing.
  thread_local std::string page;
  page.clear();
  fill_error_format(page, options().error_message_format, code, message, explain);
  char length[24];
  char* length_end = std::to_chars(length, length + sizeof(length), page.size()).ptr;
  send_header("Content-Type", options().error_content_type);
  send_header("Content-Length", std::string_view(length, static_cast<size_t>(length_end - length)));
  end_headers();
  if (!page.empty()) write(std::string_view(page));
}

void send_unsupported_method(RequestHandler& handler) {
  // In a buffer the loop thread keeps, as the page is: a 501 allocates nothing.
  thread_local std::string message;
  message.assign("Unsupported method ('");
  message += handler.command();
  message += "')";
  handler.send_error(501, message);
}

void RequestHandler::finish_unusual() {
  ResponseWriter& out = writer();
  if (out.stage() == Stage::kNone) {
    if (out.status() == 101) {
      // The client now speaks the protocol it switched to: a 500 would
      // reach it as bytes of that protocol.
      log_error("no protocol takes over after 101: closing");
      out.abort();
      return;
    }
    log_error("the handler sent no response");
    send_error(500, "Handler sent no response");
  }
  out.finish();
}

void RequestHandler::fail(const char* what) {
  log_error("handler failed: %s", what);
  // Whatever it deferred to (a completion, a stream) no longer answers.
  deferred_ = false;
  if (writer_.stage() == Stage::kNone) {
    send_error(500);
    return;
  }
  // Part of the response is queued: a 500 can no longer take its place, and
  // ending its header section or its chunked body would make a cut-short
  // response look whole to a client, a cache or a proxy.
  writer_.abort();
}

DeferredResponse RequestHandler::defer() {
  deferred_ = true;
  return session_->defer();
}

BodyReader RequestHandler::read_body(BodyReader::Chunk on_chunk,
                                     DeferredResponse::Completion on_end) {
  BodyReader reader(defer());
  session_->start_body(std::move(on_chunk), std::move(on_end));
  return reader;
}

void RequestHandler::reroute(std::string_view target) {
  if (!parsed_ || writer_.stage() != Stage::kNone) {
    log_error("reroute() without a request or after the response started: ignored");
    return;
  }
  reroute_path_.assign(target);
  if (reroutes_ != UINT8_MAX) ++reroutes_;
}

bool RequestHandler::begin_raw_response(int code) {
  if (!writer_.begin_raw(code)) return false;
  log_request(code);
  return true;
}

ResponseStream RequestHandler::stream() {
  ResponseWriter& out = writer();
  if (out.stage() == Stage::kHeaders) out.end_headers();
  return ResponseStream(defer());
}

// ---- logging ----

void RequestHandler::log_request(int code, int64_t size) {
  if (!logging_) return;
  context_->request_log.log_request(client_address(), context_->loop.wall_seconds(), requestline(),
                                    code, size);
}

void RequestHandler::log_error(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vlog(format, args);
  va_end(args);
}

void RequestHandler::log_message(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vlog(format, args);
  va_end(args);
}

std::time_t RequestHandler::wall_seconds() const {
  return context_->loop.wall_seconds();
}

void RequestHandler::queue_log_line(LogWriter& writer, std::string_view line) const {
  context_->request_log.queue_line(writer, line);
}

void RequestHandler::vlog(const char* format, va_list args) {
  context_->request_log.vlog(client_address(), context_->loop.wall_seconds(), format, args);
}

std::string RequestHandler::version_string() const {
  const ServerOptions& opts = options();
  if (opts.sys_version.empty()) return opts.server_version;
  return opts.server_version + " " + opts.sys_version;
}

std::string RequestHandler::date_time_string() const {
  return date_time_string(context_->loop.wall_seconds());
}

std::string RequestHandler::date_time_string(std::time_t timestamp) const {
  return format_imf_fixdate(timestamp);
}

std::string RequestHandler::log_date_time_string() const {
  return format_log_time(context_->loop.wall_seconds());
}

std::string RequestHandler::address_string() const {
  char text[RequestLog::kAddressSize];
  return std::string(text, RequestLog::format_address(client_address(), text));
}

}  // namespace basehttp
