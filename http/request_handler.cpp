#include "http/request_handler.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "http/byte_scan.hpp"
#include "http/html_escape.hpp"
#include "http/log_escape.hpp"
#include "http/server_context.hpp"
#include "http/session.hpp"

namespace basehttp {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// Control characters but HTAB become spaces: a value never ends a line,
// and holds no byte RFC 9110 §5.5 forbids in a field (DEL included).
void blank_control_bytes(char* text, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) text[i] = ' ';
  }
}

bool is_1xx(int code) {
  return code >= 100 && code < 200;
}

// "<size in hex>\r\n", the line before each chunk of a chunked body.
std::string_view chunk_header(uint64_t size) {
  thread_local char line[24];
  int length = std::snprintf(line, sizeof(line), "%llx\r\n", static_cast<unsigned long long>(size));
  return {line, static_cast<size_t>(length)};
}

// RFC 9110 §6.4.1 and §15.3.6: 1xx, 204, 205 and 304 responses have no
// content. Compiles to a few compares; 200 passes the first two.
constexpr bool allows_body(int code) {
  return code >= 200 && code != 204 && code != 205 && code != 304;
}

// Whether a response with this status may say how its content is framed.
// RFC 9110 §8.6 and RFC 9112 §6.1 forbid Content-Length and
// Transfer-Encoding in 1xx and 204 responses; a 205 has only one framing,
// Content-Length: 0, which end_headers() adds. Dropping a handler's (or a
// CGI script's) field keeps a client from waiting for bytes never sent. A
// 304 keeps its Content-Length: the selected representation's length.
constexpr bool frames_content(int code) {
  return code >= 200 && code != 204 && code != 205;
}

std::string fill_error_format(std::string_view format, int code, std::string_view message,
                              std::string_view explain) {
  std::string page;
  page.reserve(format.size() + message.size() + explain.size());
  while (!format.empty()) {
    size_t open = format.find('{');
    page.append(format.substr(0, open));
    if (open == std::string_view::npos) break;
    format.remove_prefix(open);
    if (format.substr(0, 6) == "{code}") {
      page += std::to_string(code);
      format.remove_prefix(6);
    } else if (format.substr(0, 9) == "{message}") {
      page += html_escape(message);
      format.remove_prefix(9);
    } else if (format.substr(0, 9) == "{explain}") {
      page += html_escape(explain);
      format.remove_prefix(9);
    } else {
      page += '{';
      format.remove_prefix(1);
    }
  }
  return page;
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

void RequestHandler::attach(Session& session) {
  session_ = &session;
  context_ = &session.context();
}

void RequestHandler::begin(const Request* request, bool parsed) {
  output_ = &session_->connection().output();
  logging_ = context_->logging;
  request_ = request;
  parsed_ = parsed;
  stage_ = Stage::kNone;
  status_ = 0;
  chunked_ = framing_set_ = has_content_length_ = connection_header_sent_ = deferred_ = false;
  reroutes_ = 0;
  body_allowed_ = true;
  content_length_ = body_bytes_ = 0;
  head_ = parsed && request->method.length == 4 &&
          byte_scan::same(base() + request->method.offset, "HEAD", 4);
  // Python: keep-alive needs an HTTP/1.1 protocol_version and a client
  // that allows it (1.1 without "Connection: close", or 1.0 with keep-alive).
  close_connection_ = !parsed || !request->keep_alive || !context_->keep_alive_protocol;
}

// ---- response ----

void RequestHandler::queue_sanitized(std::string_view text) {
  if (!byte_scan::has_control_bytes(text.data(), text.size())) {
    queue(text);
    return;
  }
  std::string replaced(text);
  blank_control_bytes(replaced.data(), replaced.size());
  queue(replaced);
}

void RequestHandler::queue_field(std::string_view name, std::string_view value) {
  OutputQueue& out = output();
  size_t size = name.size() + value.size() + 4;
  char* start = out.copy_block().reserve(size);
  char* cursor = start;
  byte_scan::copy(cursor, name.data(), name.size());
  cursor += name.size();
  *cursor++ = ':';
  *cursor++ = ' ';
  byte_scan::copy(cursor, value.data(), value.size());
  cursor += value.size();
  // Everything but the CRLF: the value's last bytes too.
  size_t text_size = size - 2;
  if (byte_scan::has_control_bytes(start, text_size)) blank_control_bytes(start, text_size);
  *cursor++ = '\r';
  *cursor = '\n';
  out.commit_copied(size);
}

void RequestHandler::send_response(int code, std::string_view message) {
  log_request(code);
  std::time_t now = context_->loop.wall_seconds();
  if (code == 200 && message.empty()) {  // the common head, in one copy
    queue(context_->response_head.ok_head(now));
    status_ = code;
    stage_ = Stage::kHeaders;
    return;
  }
  send_response_only(code, message);
  queue(context_->response_head.server_and_date(now));
}

void RequestHandler::send_response_only(int code, std::string_view message) {
  status_ = code;
  stage_ = Stage::kHeaders;
  std::string_view cached = context_->response_head.status_line(code);
  if (message.empty() && !cached.empty()) {
    queue(cached);
    return;
  }
  if (message.empty()) message = options().responses.reason(code);
  char digits[8];
  auto [end, error] = std::to_chars(digits, digits + sizeof(digits), code);
  (void)error;
  queue(options().protocol_version);
  queue(" ");
  queue(std::string_view(digits, static_cast<size_t>(end - digits)));
  queue(" ");
  queue_sanitized(message);
  queue(kCrlf);
}

void RequestHandler::send_header(std::string_view keyword, std::string_view value) {
  if (stage_ != Stage::kHeaders) {
    log_error("send_header(%.*s) outside a header section: ignored",
              static_cast<int>(keyword.size()), keyword.data());
    return;
  }
  // What the server must know about the response it is framing.
  switch (keyword.size()) {
    case 10:
      if (iequals(keyword, "connection")) {
        connection_header_sent_ = true;
        if (iequals(value, "close")) {
          close_connection_ = true;
        } else if (iequals(value, "keep-alive")) {
          close_connection_ = false;
        }
      }
      break;
    case 14:
      if (keyword == "Content-Length" || iequals(keyword, "content-length")) {
        if (!frames_content(status_)) [[unlikely]]
          return;
        uint64_t length = 0;
        auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (error == std::errc() && end == value.data() + value.size()) {
          has_content_length_ = true;
          content_length_ = length;
        }
        framing_set_ = true;
      }
      break;
    case 17:
      if (iequals(keyword, "transfer-encoding")) {
        if (!frames_content(status_)) [[unlikely]]
          return;
        framing_set_ = true;
      }
      break;
    default:
      break;
  }
  queue_field(keyword, value);
}

void RequestHandler::end_headers() {
  if (stage_ != Stage::kHeaders) return;
  if (is_1xx(status_)) {  // interim: the final response follows
    queue(kCrlf);
    stage_ = Stage::kNone;
    return;
  }
  body_allowed_ = allows_body(status_);
  if (session_->shutting_down()) close_connection_ = true;
  if (body_allowed_ && !framing_set_) {
    bool client_takes_chunked =
        parsed_ && request_->at_least_1_1() && context_->keep_alive_protocol;
    if (client_takes_chunked) {
      queue("Transfer-Encoding: chunked\r\n");
      chunked_ = true;
    } else {
      close_connection_ = true;  // the end of the body is the end of the connection
    }
  } else if (status_ == 205) {  // send_header() let no other framing through
    // Unlike 204 and 304, a 205 is framed like any response (RFC 9112
    // §6.3): without this a client would read until the connection closes.
    queue("Content-Length: 0\r\n");
  }
  if (!connection_header_sent_) {
    if (close_connection_) {
      queue("Connection: close\r\n");
    } else if (!request_->at_least_1_1()) {
      queue("Connection: keep-alive\r\n");
    }
  }
  queue(kCrlf);
  stage_ = Stage::kBody;
}

void RequestHandler::respond(int code, std::string_view content_type, std::string_view body) {
  if (stage_ != Stage::kNone) {
    log_error("respond(%d) after the response started: closing", code);
    close_connection_ = true;
    return;
  }
  if (!allows_body(code)) [[unlikely]] {
    respond_without_content(code);
    return;
  }
  log_request(code);
  if (session_->shutting_down()) close_connection_ = true;
  body_allowed_ = true;
  bool send_body = !head_;
  char digits[24];
  char* digits_end = std::to_chars(digits, digits + sizeof(digits), body.size()).ptr;
  std::string_view length(digits, static_cast<size_t>(digits_end - digits));
  std::string_view connection = close_connection_          ? "Connection: close\r\n"
                                : request_->at_least_1_1() ? std::string_view()
                                                           : "Connection: keep-alive\r\n";
  // The whole head, and a small body, in one piece of the output block.
  std::time_t now = context_->loop.wall_seconds();
  std::string_view head;
  if (code == 200) {
    head = context_->response_head.ok_head(now);
  } else {
    send_response_only(code);
    head = context_->response_head.server_and_date(now);
  }
  status_ = code;
  constexpr std::string_view kType = "Content-Type: ";
  constexpr std::string_view kLength = "\r\nContent-Length: ";
  size_t inline_body = send_body && body.size() <= OutputQueue::kMoveThreshold ? body.size() : 0;
  size_t size = head.size() + kType.size() + content_type.size() + kLength.size() + length.size() +
                2 + connection.size() + 2 + inline_body;
  char* start = output().copy_block().reserve(size);
  char* cursor = start;
  auto put = [&cursor](std::string_view piece) {
    byte_scan::copy(cursor, piece.data(), piece.size());
    cursor += piece.size();
  };
  put(head);
  put(kType);
  char* type_start = cursor;
  put(content_type);
  if (byte_scan::has_control_bytes(type_start, content_type.size())) {
    blank_control_bytes(type_start, content_type.size());
  }
  put(kLength);
  put(length);
  if (connection.empty()) {
    put("\r\n\r\n");
  } else {
    put(kCrlf);
    put(connection);
    put(kCrlf);
  }
  put(body.substr(0, inline_body));
  output().commit_copied(size);
  if (send_body && inline_body == 0) output().append(body);
  has_content_length_ = framing_set_ = connection_header_sent_ = true;
  content_length_ = body_bytes_ = body.size();
  stage_ = Stage::kBody;
}

void RequestHandler::respond_without_content(int code) {
  // No Content-Type or Content-Length: they would describe content that a
  // 1xx, 204, 205 or 304 cannot have (a 304's would have to be the
  // selected representation's, which respond() does not know).
  send_response(code);
  if (is_1xx(code)) {
    end_with_interim();
  } else {
    end_headers();
  }
}

void RequestHandler::end_with_interim() {
  // An interim response given as the whole answer (Python's send_error(1xx)
  // does so): no final response follows, so the connection cannot go on.
  queue("Connection: close\r\n\r\n");
  close_connection_ = true;
  body_allowed_ = false;
  stage_ = Stage::kDone;
}

void RequestHandler::flush_headers() {
  session_->connection().flush();
}

uint64_t RequestHandler::admit_body(uint64_t size) {
  if (stage_ == Stage::kHeaders) end_headers();
  if (stage_ != Stage::kBody) {
    log_error("write() before send_response(): %llu bytes dropped",
              static_cast<unsigned long long>(size));
    return 0;
  }
  if (head_ || !body_allowed_) {
    body_bytes_ += size;
    return 0;
  }
  if (has_content_length_ && size > content_length_ - body_bytes_) {
    log_error("body longer than its Content-Length: truncated, connection closed");
    size = content_length_ - body_bytes_;
    close_connection_ = true;
  }
  body_bytes_ += size;
  return size;  // an empty piece is dropped: as a chunk it would end the body
}

void RequestHandler::write(std::string_view data) {
  uint64_t size = admit_body(data.size());
  if (size == 0) return;
  OutputQueue& out = session_->connection().output();
  if (chunked_) out.append(chunk_header(size));
  out.append(data.substr(0, size));
  if (chunked_) out.append(kCrlf);
}

void RequestHandler::write(std::string&& data) {
  uint64_t size = admit_body(data.size());
  if (size == 0) return;
  OutputQueue& out = session_->connection().output();
  if (chunked_) out.append(chunk_header(size));
  if (size == data.size()) {
    out.append(std::move(data));
  } else {
    out.append(std::string_view(data).substr(0, size));
  }
  if (chunked_) out.append(kCrlf);
}

void RequestHandler::write_file(std::shared_ptr<const FileDescriptor> file, uint64_t offset,
                                uint64_t length) {
  uint64_t size = admit_body(length);
  if (size == 0) return;
  OutputQueue& out = session_->connection().output();
  if (chunked_) out.append(chunk_header(size));
  out.append_file(std::move(file), offset, size);
  if (chunked_) out.append(kCrlf);
}

void RequestHandler::send_error(int code, std::string_view message, std::string_view explain) {
  if (stage_ == Stage::kBody || stage_ == Stage::kDone) {
    // Too late for a status line: all the client can learn is that the
    // response is cut short.
    log_error("send_error(%d) after the response started: closing", code);
    close_connection_ = true;
    return;
  }
  const StatusTable& table = options().responses;
  if (message.empty()) message = table.contains(code) ? table.reason(code) : "???";
  if (explain.empty()) explain = table.contains(code) ? table.explain(code) : "???";
  log_error("code %d, message %.*s", code, static_cast<int>(message.size()), message.data());
  send_response(code, message);
  if (is_1xx(code)) {
    end_with_interim();
    return;
  }
  std::string page;
  if (allows_body(code)) {
    page = fill_error_format(options().error_message_format, code, message, explain);
    send_header("Content-Type", options().error_content_type);
    send_header("Content-Length", std::to_string(page.size()));
  }
  end_headers();
  if (!page.empty()) write(std::move(page));
}

void send_unsupported_method(RequestHandler& handler) {
  handler.send_error(501, "Unsupported method ('" + std::string(handler.command()) + "')");
}

void RequestHandler::finish() {
  if (stage_ == Stage::kNone) [[unlikely]] {
    if (status_ == 101) {
      // The client now speaks the protocol it switched to: a 500 would
      // reach it as bytes of that protocol.
      log_error("no protocol takes over after 101: closing");
      close_connection_ = true;
      stage_ = Stage::kDone;
      return;
    }
    log_error("the handler sent no response");
    send_error(500, "Handler sent no response");
  }
  if (stage_ == Stage::kHeaders) end_headers();
  if (stage_ == Stage::kBody && body_allowed_ && !head_) {
    if (chunked_) queue("0\r\n\r\n");
    // A body shorter than its Content-Length leaves the client waiting for
    // bytes that will not come: only closing tells it.
    if (has_content_length_ && body_bytes_ < content_length_) close_connection_ = true;
  }
  stage_ = Stage::kDone;
}

void RequestHandler::fail(const char* what) {
  log_error("handler failed: %s", what);
  // Whatever it deferred to (a completion, a stream) no longer answers.
  deferred_ = false;
  if (stage_ == Stage::kNone) {
    send_error(500);
    return;
  }
  // Part of the response is queued: a 500 can no longer take its place, and
  // ending its header section or its chunked body would make a cut-short
  // response look whole to a client, a cache or a proxy. It stops where it
  // is, and the connection closes after the bytes already queued (earlier
  // pipelined responses among them), short of the response's end.
  close_connection_ = true;
  stage_ = Stage::kDone;
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
  if (!parsed_ || stage_ != Stage::kNone) {
    log_error("reroute() without a request or after the response started: ignored");
    return;
  }
  reroute_path_.assign(target);
  if (reroutes_ != UINT8_MAX) ++reroutes_;
}

bool RequestHandler::begin_raw_response(int code) {
  if (stage_ != Stage::kNone) return false;
  log_request(code);
  status_ = code;
  stage_ = Stage::kBody;
  // Every byte is the handler's, a HEAD's included; the server frames
  // nothing, so only the end of the connection ends the response.
  head_ = false;
  body_allowed_ = true;
  chunked_ = has_content_length_ = false;
  framing_set_ = connection_header_sent_ = close_connection_ = true;
  return true;
}

ResponseStream RequestHandler::stream() {
  if (stage_ == Stage::kHeaders) end_headers();
  return ResponseStream(defer());
}

// ---- logging ----

void RequestHandler::log_request(int code, int64_t size) {
  if (!logging_ || options().request_logger) return;  // logged in its own format when done
  char code_text[16] = "-";
  char size_text[24] = "-";
  if (code > 0) std::snprintf(code_text, sizeof(code_text), "%d", code);
  if (size >= 0) std::snprintf(size_text, sizeof(size_text), "%lld", static_cast<long long>(size));
  std::string_view line = requestline();
  log_message("\"%.*s\" %s %s", static_cast<int>(line.size()), line.data(), code_text, size_text);
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

void RequestHandler::vlog(const char* format, va_list args) {
  const LogSink& sink = options().log_sink;
  if (!sink) return;
  char stack_text[512];
  va_list copy;
  va_copy(copy, args);
  int length = std::vsnprintf(stack_text, sizeof(stack_text), format, copy);
  va_end(copy);
  if (length < 0) return;
  std::string message;
  if (static_cast<size_t>(length) < sizeof(stack_text)) {
    message.assign(stack_text, static_cast<size_t>(length));
  } else {
    message.resize(static_cast<size_t>(length) + 1);
    std::vsnprintf(message.data(), message.size(), format, args);
    message.resize(static_cast<size_t>(length));
  }
  std::string line = address_string();
  line += " - - [";
  line += log_date_time_string();
  line += "] ";
  append_escaped_for_log(line, message);
  line += '\n';
  sink(line);
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
  // A unix-domain peer has no host; logs show where it came in instead.
  const SocketAddress& client = client_address();
  return client.is_unix() ? client.to_string() : client.host();
}

}  // namespace basehttp
