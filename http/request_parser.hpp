// RequestParser: turns the bytes of a connection's input buffer into
// Request objects, one message at a time, with no copy of header or target
// bytes. It knows no sockets: it is fed a Buffer, so it is unit tested and
// fuzzed on its own. One per connection; not thread-safe.
//
// The request line is parsed here, so that any RFC 9110 method token can be
// dispatched and the 414/505 limits are exact; llhttp, which only knows a
// fixed set of methods, is then put in the state it reaches after a
// stand-in request line of the same version (saved once, copied in per
// message) and parses the header fields and the body (Content-Length or
// chunked, with extensions and trailers) strictly. The common case, a
// whole header section of plain fields and no body, is read here in one
// pass instead, and only when llhttp would read it the same way (see
// read_usual_header_section()); everything else goes to llhttp.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "http/parser_limits.hpp"
#include "http/request.hpp"
#include "reactor/buffer.hpp"

namespace basehttp {

class RequestParser {
 public:
  enum class Event {
    kNeedMore,         ///< every byte so far is parsed; feed more
    kHeadersComplete,  ///< the header section is done; call parse() again for the body
    kMessageComplete,  ///< a whole request is ready in the Request
    kError,            ///< malformed or over a limit: see error_status(); close after answering
  };

  /// Takes a copy of `limits` (a server's ServerOptions::limits): read on
  /// every request and field, they stay one load from `this` away.
  explicit RequestParser(const ParserLimits& limits);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  /// Parses the message at the start of `input`'s readable bytes into
  /// `request`. Empty lines before a request line are dropped from `input`;
  /// nothing else is consumed: once the message is complete the caller
  /// retrieves request.message_size bytes and calls next_message().
  /// Body bytes are de-chunked in place inside `input`.
  Event parse(Buffer& input, Request& request);

  /// Readies the parser for the message that follows a completed one.
  /// Inline, and only what the usual message changed: what llhttp's
  /// callbacks note starts over when llhttp is given a message.
  void next_message() {
    phase_ = Phase::kStart;
    parsed_ = headers_start_ = 0;
    body_discarded_ = 0;  // read by a streaming handler of any request
    host_fields_ = 0;
    host_field_ = -1;
    if (error_status_ != 0) [[unlikely]]
      next_message_after_error();
  }

  /// True until the first byte of the current message has been parsed.
  bool at_message_start() const { return phase_ == Phase::kStart; }
  /// The current message is (or is about to be) in its request line or
  /// header section: no byte of its body has been reached.
  bool in_header_section() const { return phase_ == Phase::kStart || phase_ == Phase::kHeaders; }
  /// The current message's request line was read into the Request.
  bool request_line_parsed() const { return phase_ != Phase::kStart && headers_start_ > 0; }
  /// Bytes of the current message parsed so far.
  size_t parsed_bytes() const { return parsed_; }

  /// After kHeadersComplete: the most body bytes the current message may
  /// have (limits().max_body_bytes unless changed; beyond: 413). A
  /// streamed body, which is never held whole, may be given more.
  void set_body_limit(uint64_t limit) { body_limit_ = limit; }
  /// After kHeadersComplete: false when the Content-Length is over the body
  /// limit (the next parse() answers 413 without reading the body).
  bool body_fits(const Request& request) const { return request.content_length <= body_limit_; }
  /// For a streamed body: drops the body bytes in request.body (already
  /// handed on) from `input`, with the chunk framing parsed since, so the
  /// buffer holds the head of the message and the bytes not yet parsed.
  /// request.body starts over empty at the same offset.
  void discard_body(Buffer& input, Request& request);
  /// Body bytes discarded so far in the current message.
  uint64_t discarded_body_bytes() const { return body_discarded_; }

  /// The status to answer with after kError (400, 413, 414, 417, 431, 501, 505).
  int error_status() const { return error_status_; }
  /// Why, in words fit for a status line and an error page.
  const std::string& error_message() const { return error_message_; }

  const ParserLimits& limits() const { return limits_; }

 private:
  enum class Phase { kStart, kHeaders, kBody, kComplete, kError };
  enum class Pause { kNone, kHeaders, kMessage };

  static const llhttp_settings_t kSettings;
  static RequestParser& self(llhttp_t* parser) {
    return *static_cast<RequestParser*>(parser->data);
  }
  static int on_header_field(llhttp_t* parser, const char* at, size_t length);
  static int on_header_value(llhttp_t* parser, const char* at, size_t length);
  static int on_header_value_complete(llhttp_t* parser);
  static int on_headers_complete(llhttp_t* parser);
  static int on_body(llhttp_t* parser, const char* at, size_t length);
  static int on_message_complete(llhttp_t* parser);

  Event parse_request_line(Buffer& input, Request& request);
  /// Where a whole, well-formed request line's parts are (request_parser.cpp).
  struct LineParts;
  /// The common request line, in one pass; false for any other (see .cpp).
  static bool scan_usual_request_line(const char* data, size_t size, size_t max_request_line,
                                      LineParts& parts);
  /// Any request line, every check: false with `event` kNeedMore for a
  /// partial line, kError for a bad one.
  bool read_request_line(const char* data, size_t size, LineParts& parts, Event& event);
  /// The usual header section of a bodiless request, without llhttp:
  /// false (nothing recorded) for any other, which llhttp then parses.
  bool read_usual_header_section(Buffer& input, Request& request, Event& event);
  void next_message_after_error();
  /// Puts llhttp where the request line of HTTP/1.`minor` leaves it, for
  /// the header section and body of the current message.
  void start_llhttp(int minor);
  Event run_llhttp(Buffer& input, Request& request);
  Event fail(int status, std::string message);
  /// Records an error from inside a callback; the callback then returns -1.
  int fail_in_callback(int status, std::string message);
  int check_headers(llhttp_t* parser);
  /// What check_headers() checks in the fields themselves (Host,
  /// Transfer-Encoding, Expect); 0, or -1 after fail_in_callback().
  int check_fields();
  /// The Host checks of check_fields() (one Host, valid, agreeing with an
  /// absolute-form target): all a usual header section needs.
  int check_host();
  bool absolute_form_agrees_with_host() const;
  int check_transfer_coding();
  uint32_t offset_of(const char* at) const { return static_cast<uint32_t>(at - base_); }
  std::vector<FieldSpan>& current_fields() {
    return phase_ == Phase::kBody ? request_->trailers : request_->fields;
  }

  ParserLimits limits_;  // max_body_bytes capped to what 32-bit spans can hold
  llhttp_t parser_;
  Phase phase_ = Phase::kStart;
  Pause pause_ = Pause::kNone;
  size_t parsed_ = 0;            // bytes of the message fed to the parser
  char last_parsed_byte_ = 0;    // the byte before parsed_, which discard_body() may have dropped
  uint64_t body_limit_ = 0;      // for the current message (set_body_limit)
  uint64_t body_discarded_ = 0;  // streamed body bytes dropped from the input
  bool body_checked_ = false;    // the Content-Length was held against body_limit_
  size_t headers_start_ = 0;     // offset of the first header field line
  char* base_ = nullptr;         // the message's first byte during parse()
  Request* request_ = nullptr;
  bool name_open_ = false;  // a field name may continue in the next call
  bool value_open_ = false;
  size_t field_count_ = 0;
  int host_fields_ = 0;
  int host_field_ = -1;  // index of the (last) Host field, if any
  bool has_transfer_encoding_ = false;
  int expect_field_ = -1;  // index of the Expect field, if any
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace basehttp
