// RequestHandler: the per-request object a HandlerTable entry receives,
// with the vocabulary of Python's BaseHTTPRequestHandler: the request
// (command, path, request_version, requestline, headers, body) and the
// response (send_response, send_header, end_headers, write, send_error),
// logging included. One lives in each connection and is reused for every
// request on it. Loop thread only; the request's text views are valid
// until the response is finished (for a deferred response, until it is
// completed).
//
// Framing is taken care of (by a ResponseWriter, http/response_writer.hpp):
// without a Content-Length or Transfer-Encoding
// from the handler, the body is sent chunked to HTTP/1.1 clients and
// delimited by closing the connection for HTTP/1.0 ones. HEAD responses and
// 1xx, 204, 205 and 304 responses never carry body bytes (a 205 says so
// with Content-Length: 0). A handler that throws before sending anything
// gets a 500; one that throws later leaves its response cut short, and the
// connection closes.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "http/body_reader.hpp"
#include "http/deferred_response.hpp"
#include "http/headers.hpp"
#include "http/request.hpp"
#include "http/response_stream.hpp"
#include "http/response_writer.hpp"
#include "http/server_options.hpp"
#include "reactor/file_descriptor.hpp"
#include "reactor/output_queue.hpp"
#include "reactor/socket_address.hpp"

namespace basehttp {

class HTTPServer;
class LogWriter;
class ServerContext;
class Session;

class RequestHandler {
 public:
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  // ---- The request (Python's instance variables) ----

  /// The method: "GET", "SPAM". Empty when the request line was unreadable.
  /// After reroute(): "GET", or "HEAD" for a HEAD request.
  std::string_view command() const;
  /// The request-target exactly as sent, query included: "/a%20b?x=1".
  /// After reroute(): the target given to it.
  std::string_view path() const;
  /// "HTTP/1.1" or "HTTP/1.0" as sent.
  std::string_view request_version() const;
  /// The request line without its CRLF.
  std::string_view requestline() const;
  /// The header fields.
  Headers headers() const;
  /// The trailer fields of a chunked body (usually none).
  Headers trailers() const;
  /// The whole request body (Python's rfile), de-chunked. Empty after reroute().
  std::string_view body() const;
  /// The client's address and port.
  const SocketAddress& client_address() const;
  /// The server that dispatched this request.
  HTTPServer& server() const;
  /// The server's options (Python's class variables).
  const ServerOptions& options() const;
  /// The parsed request, for what the accessors above do not say.
  const Request& request() const { return *request_; }

  /// Whether the connection closes after this response. Starts as the
  /// request asks (version and Connection field); a handler may change it,
  /// and sending a Connection header does too, as in Python.
  bool close_connection() const { return writer_.close_connection(); }
  void set_close_connection(bool close) { writer_.set_close_connection(close); }

  // ---- The response ----

  /// Logs the request, queues the status line and the Server and Date
  /// headers. `message` replaces the reason phrase when not empty.
  void send_response(int code, std::string_view message = {});
  /// Queues only the status line (for 1xx interim responses, as in Python).
  void send_response_only(int code, std::string_view message = {});
  /// Queues one header field. Control characters (CR, LF, NUL...; not
  /// HTAB) in either part become spaces, so a value never starts a new field.
  /// Content-Length and Transfer-Encoding are dropped from 1xx, 204 and
  /// 205 responses, which have no content to frame.
  void send_header(std::string_view keyword, std::string_view value);
  /// Queues fields formatted once in a HeaderLines, as send_header() would
  /// queue each of them, with one copy (for fields sent with many responses).
  void send_header_lines(const HeaderLines& lines);
  /// Ends the header section (adding the framing and Connection fields the
  /// response needs).
  void end_headers();
  /// Sends what is queued now instead of at the end of the read batch.
  void flush_headers();
  /// Python's wfile.write: queues body bytes (ends the headers first if needed).
  void write(std::string_view data);
  void write(const char* text) { write(std::string_view(text)); }
  /// Same, moving a large body into the output queue instead of copying it.
  void write(std::string&& data);
  /// Queues `length` bytes of `file` from `offset` as body, sent with
  /// sendfile: never read into memory. The file must not shrink meanwhile;
  /// if it does, the connection is closed when the bytes run out.
  void write_file(std::shared_ptr<const FileDescriptor> file, uint64_t offset, uint64_t length);
  /// Sends a complete error response with an HTML body built from
  /// options().error_message_format. Empty `message`/`explain` take the
  /// status table's text. Logs it with log_error(). A status without
  /// content (1xx, 204, 205, 304) gets no page, Content-Type or
  /// Content-Length; a 1xx is then the whole response, and the connection
  /// closes after it, as in Python. Once part of the response was queued
  /// (its status line included) it can only say the response failed: that
  /// response stops where it is and the connection closes, as after a throw.
  void send_error(int code, std::string_view message = {}, std::string_view explain = {});

  /// A whole response in one call: status line, Server, Date, Content-Type,
  /// Content-Length and `body`. The same bytes as send_response,
  /// send_header twice, end_headers and write, built in one piece; the
  /// cheapest way to answer. Only before anything else was sent (after,
  /// the response begun is cut short, as by send_error()). For a
  /// status without content (1xx, 204, 205, 304) neither `content_type`
  /// nor `body` is sent, and a 1xx closes the connection after it.
  void respond(int code, std::string_view content_type, std::string_view body);

  /// Finishes the response later: the handler returns, and the response is
  /// completed through the returned handle on the loop thread. Meanwhile
  /// this connection reads no further request.
  DeferredResponse defer();
  /// Sends the status line and headers queued so far (ending the header
  /// section if end_headers() was not called) and returns a stream for
  /// the body, written over time. Like defer(), the connection reads no
  /// further request until the stream is finished.
  ResponseStream stream();
  /// For a handler registered with HandlerTable::on_streaming(), which runs
  /// before the body has arrived: takes the body as it comes. `on_chunk`
  /// runs for each piece (de-chunked; the bytes are valid during the call
  /// only); once the whole body is in, `on_end` runs with this handler to
  /// answer, as a deferred completion would. Sends the interim 100
  /// Continue a client that asked for it waits for. A streaming handler
  /// that answers without calling this leaves the body unread, and the
  /// connection closes after its response.
  BodyReader read_body(BodyReader::Chunk on_chunk, DeferredResponse::Completion on_end);

  // ---- Logging and formatting (Python's helpers) ----

  /// Access-log line: "<requestline>" <code> <size>; 0 and -1 print "-".
  void log_request(int code = 0, int64_t size = -1);
  /// Error-log line, printf-style.
  void log_error(const char* format, ...) __attribute__((format(printf, 2, 3)));
  /// Log line: "<address> - - [<time>] <message>", printf-style, the
  /// message escaped (controls as \xNN, '\' as \\: http/log_escape.hpp);
  /// goes to options().log_sink unless it is empty, batched like the
  /// access lines (see LogSink).
  void log_message(const char* format, ...) __attribute__((format(printf, 2, 3)));
  /// The loop's wall-clock second, read once per iteration: the time the
  /// log lines and the Date header show. Works without an HTTPServer too.
  std::time_t wall_seconds() const;
  /// Queues a whole line (newline included) for `writer` in this loop's
  /// log batch, handed over at the end of the loop iteration: how a
  /// request_logger (AccessLog's combined format) writes without a lock
  /// or a system call per line.
  void queue_log_line(LogWriter& writer, std::string_view line) const;
  /// "basehttp/0.1" plus sys_version when set.
  std::string version_string() const;
  /// IMF-fixdate of now (the loop's clock).
  std::string date_time_string() const;
  /// IMF-fixdate of `timestamp`.
  std::string date_time_string(std::time_t timestamp) const;
  /// Local time for the log: "24/Nov/2026 19:34:47".
  std::string log_date_time_string() const;
  /// The client's host, as in the log.
  std::string address_string() const;

  /// The status code sent (0 before send_response).
  int status() const { return writer_.status(); }
  /// Body bytes written so far (for HEAD: the bytes that would have been).
  uint64_t body_bytes() const { return writer_.body_bytes(); }

  // ---- Advanced: for handlers that re-dispatch or write raw responses (CGI) ----
  // Ordinary handlers never need these: they bend the request/response
  // contract above (the request changes under the handler; the server stops
  // framing), which only a gateway that relays another program's response
  // has reason to do. They stay members, set apart here, rather than behind
  // a separate type: they change this handler's own state, and a wrapper
  // would add a type to learn without making them harder to misuse.

  /// Turns the request into a GET for `target` (origin-form, query
  /// included), for a handler that answers it as if it had been made
  /// there (a CGI script's local redirect, RFC 3875 §6.2.2): until the
  /// request ends, path() returns `target`, command() "GET" ("HEAD" for a
  /// HEAD, whose response keeps a HEAD's framing) and body() nothing;
  /// requestline(), headers() and the log keep what the client sent. The
  /// caller then answers the request again, typically by calling the
  /// handler meant for `target`. Only before any of the response was
  /// queued (ignored after). Costs ordinary requests one branch in the
  /// three accessors; `target` is copied.
  void reroute(std::string_view target);
  /// How many times reroute() was called for this request: 0 for the
  /// client's own target; a handler that reroutes cuts loops with it.
  unsigned reroutes() const { return reroutes_; }
  /// For a handler that writes the whole response itself, status line and
  /// header fields included (a CGI nph- script): from now on write(), and
  /// a stream's writes, queue their bytes as they are, without framing,
  /// for a HEAD too; finish() adds nothing, and the connection closes
  /// after the bytes (their end is the response's end). `code` is the
  /// status the bytes carry, for the log (written now, as by
  /// send_response) and the counters. Only before any of the response was
  /// queued; false, changing nothing, after.
  bool begin_raw_response(int code);

 protected:
  // The server's side (HandlerDriver makes these public to it alone).
  RequestHandler() = default;
  ~RequestHandler() = default;
  /// Lent to `session` for its requests (states are pooled by the server).
  void attach(Session& session);
  /// Starts a new request; `request` may be partial after a parse error
  /// (`parsed`: its request line was read). `head`: its method is HEAD.
  /// Inline, as finish(): on every request a call costs more than the stores.
  void begin(const Request* request, bool parsed, bool head) {
    request_ = request;
    parsed_ = parsed;
    deferred_ = false;
    reroutes_ = 0;
    // Python: keep-alive needs an HTTP/1.1 protocol_version and a client
    // that allows it (1.1 without "Connection: close", or 1.0 with keep-alive).
    bool close = !parsed || !request->keep_alive || !writer_.keep_alive_protocol();
    writer_.start(head, parsed && request->at_least_1_1(), close);
  }
  /// Completes framing after the handler returned (or its deferred
  /// completion ran): a missing response becomes a 500.
  void finish() {
    if (writer_.stage() == ResponseWriter::Stage::kBody) [[likely]] {
      writer_.finish();  // nothing left that needs the clock
      return;
    }
    finish_unusual();
  }
  /// The handler threw: answer 500 if nothing was queued, else cut the
  /// response short and close.
  void fail(const char* what);
  bool deferred() const { return deferred_; }
  void clear_deferred() { deferred_ = false; }
  /// See ResponseWriter::cut_short().
  bool response_cut_short() const { return writer_.cut_short(); }

 private:
  using Stage = ResponseWriter::Stage;

  const char* base() const;
  /// The writer, told what changed since the last call (the clock's
  /// second, a shutdown begun): every response call goes through here.
  ResponseWriter& writer();
  void finish_unusual();
  /// Logs what a write() the writer did not take whole means.
  void log_written(ResponseWriter::Written written, uint64_t size);
  void vlog(const char* format, va_list args);

  Session* session_ = nullptr;
  ServerContext* context_ = nullptr;  // the session's
  bool logging_ = false;              // log_request() writes: a log_sink and no request_logger
  const Request* request_ = nullptr;
  bool parsed_ = false;  // the request line was read
  bool deferred_ = false;
  uint8_t reroutes_ = 0;  // reroute() calls for this request (saturates)
  ResponseWriter writer_;
  std::string reroute_path_;  // path() after reroute(); its capacity is kept
};

/// Answers a method `handler` has no code for, as Python does for a
/// method with no do_X: send_error(501, "Unsupported method ('X')").
/// The one place that text is built, for the server and each handler
/// that serves only some methods.
void send_unsupported_method(RequestHandler& handler);

}  // namespace basehttp
