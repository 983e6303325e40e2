// ResponseWriter: frames one HTTP/1.x response at a time into a
// connection's OutputQueue: the status line (from the server's ResponseHead
// cache), header fields under the framing rules, the end of the header
// section, the body (chunked, Content-Length or delimited by closing) and
// its end, or an abort that cuts the response where it is. It knows no
// session or server, only the few facts given to start() and refresh(), so
// it can be tested against a bare OutputQueue. It does not log: a call made
// at the wrong time says so in its result, and the caller (RequestHandler)
// logs. Loop thread only; one per connection, reused for every response.
//
// Framing: without a Content-Length or Transfer-Encoding field, the body is
// sent chunked to an HTTP/1.1 client of an HTTP/1.1 server and delimited by
// closing the connection otherwise. HEAD responses and 1xx, 204, 205 and
// 304 responses never carry body bytes (a 205 says so with
// Content-Length: 0).
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "http/header_lines.hpp"
#include "http/status_table.hpp"
#include "reactor/file_descriptor.hpp"
#include "reactor/output_queue.hpp"

namespace basehttp {

class ResponseHead;  // http/response_head.hpp: internal, reached only through a pointer

class ResponseWriter {
 public:
  /// Where the response is. kAborted: cut short by abort(); nothing more
  /// is queued for it.
  enum class Stage : uint8_t { kNone, kHeaders, kBody, kDone, kAborted };

  /// What the writer needs from the server, fixed while it serves one
  /// connection. The pointed-to objects outlive that.
  struct Setup {
    ResponseHead* heads = nullptr;           ///< cached status lines, Server, Date
    const StatusTable* responses = nullptr;  ///< reasons of codes not cached
    std::string_view protocol_version;       ///< of status lines built here
    bool keep_alive_protocol = true;         ///< protocol_version is HTTP/1.1
  };

  /// What happened to body bytes given to write().
  enum class Written : uint8_t {
    kQueued,     ///< queued, or counted only (HEAD, a status without content)
    kTruncated,  ///< beyond the Content-Length: cut there, and the connection closes
    kRefused,    ///< no status line yet, or the response is over: dropped
  };

  /// RFC 9110 §6.4.1 and §15.3.6: 1xx, 204, 205 and 304 responses have no
  /// content. A few compares; 200 passes the first two.
  static constexpr bool allows_body(int code) {
    return code >= 200 && code != 204 && code != 205 && code != 304;
  }
  static constexpr bool is_interim(int code) { return code >= 100 && code < 200; }

  ResponseWriter() = default;
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  /// Responses go to `out` from now on (a connection's queue, which
  /// outlives them), framed for a server described by `setup`. Once per
  /// connection, not per request: the request path stays as cheap as when
  /// the framing lived in RequestHandler.
  void attach(OutputQueue& out, const Setup& setup) {
    out_ = &out;
    heads_ = setup.heads;
    responses_ = setup.responses;
    protocol_version_ = setup.protocol_version;
    keep_alive_protocol_ = setup.keep_alive_protocol;
  }
  /// Starts a response to a request: a HEAD (`head`: no body bytes), of
  /// HTTP/1.1 or later (`client_1_1`), whose client asks to close after it
  /// (`close`). Inline, as finish(): a call would cost more than the stores.
  void start(bool head, bool client_1_1, bool close) {
    client_1_1_ = client_1_1;
    head_ = head;
    close_connection_ = close;
    stage_ = Stage::kNone;
    status_ = 0;
    chunked_ = framing_set_ = has_content_length_ = connection_header_sent_ = false;
    body_allowed_ = true;
    content_length_ = body_bytes_ = 0;
  }
  /// The facts that change while a response is built (a deferred one may
  /// complete seconds later): the wall clock's second, for the Date field,
  /// and whether the server is stopping, which makes end_headers() close.
  void refresh(std::time_t now, bool shutting_down) {
    now_ = now;
    shutting_down_ = shutting_down;
  }

  /// Status line, Server and Date. `message` replaces the reason when not empty.
  void send_response(int code, std::string_view message = {});
  /// Only the status line (a 1xx interim response, as in Python).
  void send_response_only(int code, std::string_view message = {});
  /// Queues one header field, control bytes (not HTAB) made spaces, and
  /// notes the framing fields: Connection, Content-Length and
  /// Transfer-Encoding (the last two dropped from a 1xx, 204 and 205).
  /// False, queuing nothing, outside a header section.
  bool send_header(std::string_view name, std::string_view value);
  /// Queues fields formatted in advance, with one copy. False, queuing
  /// nothing, outside a header section.
  bool send_header_lines(const HeaderLines& lines) {
    if (stage_ != Stage::kHeaders) return false;
    queue(lines.text());
    return true;
  }
  /// Ends the header section with the framing and Connection fields it
  /// needs. A 1xx's ends the interim response: a final one follows.
  void end_headers();
  /// Ends a 1xx head as the whole response: Connection: close, nothing after.
  void end_with_interim();
  /// A whole response in one piece: status line, Server, Date,
  /// Content-Type, Content-Length, Connection when needed, and `body`
  /// (not for a HEAD). A status without content gets neither field nor
  /// body, and a 1xx is then the whole response. Only before anything
  /// else; false after, and the response begun is aborted: a second
  /// answer means the first went wrong.
  bool respond(int code, std::string_view content_type, std::string_view body);

  /// Body bytes: end the header section if needed, then queued as a
  /// chunk, as they are, or cut at the Content-Length.
  Written write(std::string_view data);
  Written write(const char* text) { return write(std::string_view(text)); }
  /// Same, moving a large string into the queue instead of copying it.
  Written write(std::string&& data);
  /// Same, for `length` bytes of `file` from `offset`, sent with sendfile.
  Written write_file(std::shared_ptr<const FileDescriptor> file, uint64_t offset, uint64_t length);

  /// Completes the response: ends its header section, and its chunked
  /// body with the last chunk. A body shorter than its Content-Length
  /// closes the connection: only that tells the client the rest will not
  /// come. Nothing for an aborted response. Call it after a status line;
  /// before one the response is empty, and it is only marked done.
  void finish() {
    // The usual end: a body sent whole with its Content-Length, or one
    // that needs no last chunk and no check.
    if (stage_ == Stage::kBody && !chunked_ && body_bytes_ >= content_length_) [[likely]] {
      stage_ = Stage::kDone;
      return;
    }
    finish_unusual();
  }
  /// Cuts the response where it is: no end of header section, no last
  /// chunk, no padding, so that a client, cache or proxy cannot take it
  /// for whole. Further bytes are refused, and the connection must close
  /// after what is queued (earlier pipelined responses included).
  void abort();
  /// From now on body bytes are queued as they are, with no framing, for a
  /// HEAD too; finish() adds nothing and the connection closes after them
  /// (a response written whole by the handler: a CGI nph- script). `code`
  /// is the status those bytes carry. Only before anything was queued;
  /// false, changing nothing, after.
  bool begin_raw(int code);

  Stage stage() const { return stage_; }
  /// The status code sent (0 before a status line).
  int status() const { return status_; }
  /// Body bytes written so far (for HEAD: the bytes that would have been).
  uint64_t body_bytes() const { return body_bytes_; }
  /// The response ended short of what it began: abort(), or fewer body
  /// bytes than its Content-Length. The connection then closes without a
  /// clean end of stream (no TLS close_notify) that would vouch for it.
  bool cut_short() const {
    return stage_ == Stage::kAborted || (stage_ == Stage::kDone && has_content_length_ &&
                                         body_allowed_ && !head_ && body_bytes_ < content_length_);
  }
  /// The server's protocol_version is HTTP/1.1 (Setup::keep_alive_protocol).
  bool keep_alive_protocol() const { return keep_alive_protocol_; }
  /// Whether the connection must close after this response.
  bool close_connection() const { return close_connection_; }
  void set_close_connection(bool close) { close_connection_ = close; }

 private:
  void queue(std::string_view bytes) { out_->append(bytes); }
  /// Queues `text` with control bytes made spaces.
  void queue_sanitized(std::string_view text);
  /// Queues "<name>: <value>\r\n" in one piece, control bytes made spaces.
  void queue_field(std::string_view name, std::string_view value);
  void finish_unusual();
  /// respond()'s head, built here (any status, any Connection field),
  /// and `inline_body` after it.
  void queue_head(int code, std::string_view content_type, uint64_t length,
                  std::string_view inline_body);
  /// respond() for a status that has no content.
  void respond_without_content(int code);
  /// How many of `size` body bytes may be queued (0: drop them all), after
  /// ending the header section if needed; counts them as written.
  uint64_t admit_body(uint64_t size, Written* result);

  OutputQueue* out_ = nullptr;
  ResponseHead* heads_ = nullptr;
  const StatusTable* responses_ = nullptr;
  std::string_view protocol_version_;
  std::time_t now_ = 0;
  uint64_t content_length_ = 0;
  uint64_t body_bytes_ = 0;
  int status_ = 0;
  Stage stage_ = Stage::kNone;
  bool keep_alive_protocol_ = true;
  bool client_1_1_ = false;
  bool shutting_down_ = false;
  bool head_ = false;
  bool body_allowed_ = true;
  bool chunked_ = false;
  bool framing_set_ = false;  // a Content-Length or Transfer-Encoding field was sent
  bool has_content_length_ = false;
  bool connection_header_sent_ = false;
  bool close_connection_ = false;
};

}  // namespace basehttp
