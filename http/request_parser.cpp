#include "http/request_parser.hpp"

#include "http/byte_scan.hpp"
#include "http/log_escape.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

namespace basehttp {
namespace {

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
constexpr bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  for (char symbol : std::string_view("!#$%&'*+-.^_`|~")) {
    if (c == static_cast<unsigned char>(symbol)) return true;
  }
  return false;
}

struct TcharTable {
  bool table[256];
  constexpr TcharTable() : table() {
    for (int c = 0; c < 256; ++c)
      table[c] = is_tchar(static_cast<unsigned char>(c));
  }
};
constexpr TcharTable kTchar;

// A request-target may hold any visible byte, and bytes of UTF-8 that
// clients send unencoded; never controls, spaces or DEL.
inline bool is_target_byte(unsigned char c) {
  return c > 0x20 && c != 0x7f;
}

// The request lines llhttp is given in place of the real one: the real
// method may be unknown to it, and it only needs the version.
constexpr std::string_view kLine10 = "GET / HTTP/1.0\r\n";
constexpr std::string_view kLine11 = "GET / HTTP/1.1\r\n";

// Client bytes quoted for a status line or a log: printable ASCII as is,
// anything else as \xNN, at most 128 bytes. Not the log's rule
// (http/log_escape.hpp): a reason phrase stays ASCII, so UTF-8 is shown by
// value too, and the quote and backslash as \xNN, as in a bytes repr.
std::string quoted(std::string_view text) {
  std::string result = "'";
  size_t shown = text.size() > 128 ? 128 : text.size();
  for (size_t i = 0; i < shown; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      result += static_cast<char>(c);
    } else {
      char escape[4];
      put_hex_escape(escape, c);
      result.append(escape, sizeof(escape));
    }
  }
  if (shown < text.size()) result += "...";
  result += "'";
  return result;
}

// The bytes a Host's name may hold as they are (RFC 3986 §3.2.2 reg-name:
// unreserved and sub-delims, IPv4 addresses included), less the comma: no
// name holds one, and it makes a value read as a list of hosts, which is
// what an intermediary makes of two Host fields.
struct HostNameTable {
  bool table[256];
  constexpr HostNameTable() : table() {
    for (int c = 0; c < 256; ++c) {
      table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    for (char symbol : std::string_view("-._~!$&'()*+;=")) {
      table[static_cast<unsigned char>(symbol)] = true;
    }
  }
};
constexpr HostNameTable kHostName;

inline bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

// An IP-literal without its brackets (RFC 3986 §3.2.2): an IPv6 address,
// or "v" HEXDIG "." and then name bytes or colons (IPvFuture).
bool is_ip_literal(std::string_view inside) {
  if (inside.empty()) return false;
  if ((inside[0] | 0x20) == 'v') {
    size_t dot = inside.find('.');
    if (dot == std::string_view::npos || dot == 1 || dot + 1 == inside.size()) return false;
    for (size_t i = 1; i < dot; ++i) {
      if (!is_hex_digit(inside[i])) return false;
    }
    for (size_t i = dot + 1; i < inside.size(); ++i) {
      if (!kHostName.table[static_cast<unsigned char>(inside[i])] && inside[i] != ':') return false;
    }
    return true;
  }
  char text[INET6_ADDRSTRLEN];
  if (inside.size() >= sizeof(text)) return false;
  std::memcpy(text, inside.data(), inside.size());
  text[inside.size()] = '\0';
  in6_addr address;
  return inet_pton(AF_INET6, text, &address) == 1;
}

// RFC 9112 §3.2: a Host value must be uri-host [ ":" port ] (RFC 9110
// §7.2); empty is allowed, for a target without an authority.
bool is_valid_host(std::string_view host) {
  size_t i = 0;
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos || !is_ip_literal(host.substr(1, close - 1))) return false;
    i = close + 1;
  } else {
    for (; i < host.size(); ++i) {
      if (kHostName.table[static_cast<unsigned char>(host[i])]) continue;
      // pct-encoded
      if (host[i] != '%' || host.size() - i < 3 || !is_hex_digit(host[i + 1]) ||
          !is_hex_digit(host[i + 2])) {
        break;
      }
      i += 2;
    }
  }
  if (i == host.size()) return true;
  if (host[i] != ':') return false;
  for (++i; i < host.size(); ++i) {
    if (host[i] < '0' || host[i] > '9') return false;
  }
  return true;
}

// The last Host value this thread found valid. A loop's requests nearly
// all name the same host, and comparing with it costs a tenth of checking
// it again (about 100 instructions for "127.0.0.1:8080"). One per thread,
// as loops share nothing; initial-exec, so that reaching it from the
// shared library is an offset from the thread pointer, not a call.
// No initializer: zero-initialized like any static, with no guard to test.
struct ValidHostCache {
  uint8_t length;
  char bytes[63];
};
thread_local ValidHostCache valid_host_cache __attribute__((tls_model("initial-exec")));

bool is_valid_host_cached(std::string_view host) {
  ValidHostCache& cache = valid_host_cache;
  if (host.size() == cache.length && byte_scan::same(host.data(), cache.bytes, host.size())) {
    return true;
  }
  if (!is_valid_host(host)) return false;
  if (host.size() <= sizeof(cache.bytes)) {
    std::memcpy(cache.bytes, host.data(), host.size());
    cache.length = static_cast<uint8_t>(host.size());
  }
  return true;
}

}  // namespace

const llhttp_settings_t RequestParser::kSettings = [] {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_header_field = &RequestParser::on_header_field;
  settings.on_header_value = &RequestParser::on_header_value;
  settings.on_header_value_complete = &RequestParser::on_header_value_complete;
  settings.on_headers_complete = &RequestParser::on_headers_complete;
  settings.on_body = &RequestParser::on_body;
  settings.on_message_complete = &RequestParser::on_message_complete;
  return settings;
}();

namespace {

// llhttp's state just after it parsed each stand-in request line. Copying
// one in (a plain C struct, with no pointer into itself or into the
// input) replaces parsing the line again for every message.
struct StandInStates {
  llhttp_t http10;
  llhttp_t http11;
};

}  // namespace

static const StandInStates& stand_in_states(const llhttp_settings_t* settings) {
  static const StandInStates states = [settings] {
    StandInStates built;
    for (auto [state, line] : {std::pair{&built.http10, kLine10}, {&built.http11, kLine11}}) {
      llhttp_init(state, HTTP_REQUEST, settings);
      // No request-line callback is registered, so none runs with data unset.
      llhttp_errno_t error = llhttp_execute(state, line.data(), line.size());
      if (error != HPE_OK) std::abort();
    }
    return built;
  }();
  return states;
}

RequestParser::RequestParser(const ParserLimits& limits) : limits_(limits) {
  // Spans are 32-bit offsets: a buffered message must stay below 4 GiB.
  constexpr uint64_t kMaxBufferedBody = (uint64_t{1} << 32) - (uint64_t{1} << 24);
  if (limits_.max_body_bytes > kMaxBufferedBody) limits_.max_body_bytes = kMaxBufferedBody;
  llhttp_init(&parser_, HTTP_REQUEST, &kSettings);
  parser_.data = this;
  body_limit_ = limits_.max_body_bytes;
}

void RequestParser::next_message_after_error() {
  error_status_ = 0;
  error_message_.clear();
}

void RequestParser::start_llhttp(int minor) {
  // llhttp takes the rest from the state a stand-in request line of the
  // same version leaves (HTTP/1.2 and later minor versions are answered
  // as HTTP/1.1, RFC 9110 §2.5), and the callbacks' notes start over.
  const StandInStates& states = stand_in_states(&kSettings);
  parser_ = minor == 0 ? states.http10 : states.http11;
  parser_.data = this;
  pause_ = Pause::kNone;
  body_limit_ = limits_.max_body_bytes;
  body_checked_ = false;
  name_open_ = value_open_ = false;
  field_count_ = 0;
  has_transfer_encoding_ = false;
  expect_field_ = -1;
}

RequestParser::Event RequestParser::fail(int status, std::string message) {
  phase_ = Phase::kError;
  error_status_ = status;
  error_message_ = std::move(message);
  return Event::kError;
}

int RequestParser::fail_in_callback(int status, std::string message) {
  error_status_ = status;
  error_message_ = std::move(message);
  return -1;
}

RequestParser::Event RequestParser::parse(Buffer& input, Request& request) {
  switch (phase_) {
    case Phase::kStart: {
      Event event = parse_request_line(input, request);
      if (phase_ == Phase::kStart || phase_ == Phase::kError) return event;
      if (read_usual_header_section(input, request, event)) return event;
      start_llhttp(request.version_minor);
      return run_llhttp(input, request);
    }
    case Phase::kHeaders:
      return run_llhttp(input, request);
    case Phase::kBody:
      // Checked here rather than with the headers, so that the caller may
      // raise the limit for a body it streams (set_body_limit).
      if (!body_checked_) {
        body_checked_ = true;
        if (!body_fits(request)) return fail(413, "Request body too large");
      }
      return run_llhttp(input, request);
    case Phase::kComplete:
      return Event::kMessageComplete;
    case Phase::kError:
      break;
  }
  return Event::kError;
}

// Where the parts of a whole, well-formed request line are, as offsets
// from its first byte.
struct RequestParser::LineParts {
  size_t method_end = 0;  // the space after the method
  size_t target_end = 0;  // the space after the target
  size_t line_end = 0;    // the LF
  int minor = 0;          // HTTP/1.<minor>
};

// The usual request line, "<token> <target> HTTP/1.<digit>\r\n", in one
// pass. It accepts only lines that read_request_line() accepts, with the
// same parts (the first LF is the one after the version: neither a token
// nor a target holds one); anything else (a partial line, an error,
// another version) is left to that function.
bool RequestParser::scan_usual_request_line(const char* data, size_t size, size_t max_request_line,
                                            LineParts& parts) {
  size_t method_end = 0;
  while (method_end < size && kTchar.table[static_cast<unsigned char>(data[method_end])]) {
    ++method_end;
  }
  if (method_end == 0 || method_end == size || data[method_end] != ' ') return false;
  size_t target_start = method_end + 1;
  size_t target_end =
      target_start + byte_scan::find_non_target_byte(data + target_start, size - target_start);
  // " HTTP/1.", a digit, CRLF.
  constexpr std::string_view kVersionStart = " HTTP/1.";
  static_assert(kVersionStart.size() == 8);
  if (target_end == target_start || size - target_end < kVersionStart.size() + 3) return false;
  const char* version = data + target_end;
  if (byte_scan::load8(version) != byte_scan::load8(kVersionStart.data())) return false;
  if (version[8] < '0' || version[8] > '9' || version[9] != '\r' || version[10] != '\n') {
    return false;
  }
  size_t line_end = target_end + 10;
  if (line_end >= max_request_line) return false;  // 414: the general path says so
  parts = LineParts{method_end, target_end, line_end, version[8] - '0'};
  return true;
}

RequestParser::Event RequestParser::parse_request_line(Buffer& input, Request& request) {
  // RFC 9112 §2.2: ignore empty lines received before a request line.
  // Lines end with CRLF only, here as everywhere in a request: a bare CR
  // or LF is where two parsers most often disagree on where a request ends.
  while (!input.empty()) {
    const char* data = input.peek();
    if (data[0] == '\n') return fail(400, "Bad request syntax (bare LF)");
    if (data[0] != '\r') break;
    if (input.readable_bytes() < 2) return Event::kNeedMore;
    if (data[1] != '\n') return fail(400, "Bad request syntax (bare CR)");
    input.retrieve(2);
  }
  const char* data = input.peek();
  size_t size = input.readable_bytes();
  if (size == 0) return Event::kNeedMore;

  LineParts parts;
  if (!scan_usual_request_line(data, size, limits_.max_request_line, parts)) {
    Event event = Event::kNeedMore;
    if (!read_request_line(data, size, parts, event)) return event;
  }

  request.clear();
  uint32_t target_start = static_cast<uint32_t>(parts.method_end + 1);
  request.method = Span{0, static_cast<uint32_t>(parts.method_end)};
  request.target = Span{target_start, static_cast<uint32_t>(parts.target_end) - target_start};
  request.version = Span{static_cast<uint32_t>(parts.target_end + 1), 8};
  request.request_line = Span{0, static_cast<uint32_t>(parts.line_end - 1)};  // without CRLF
  request.version_major = 1;
  request.version_minor = parts.minor;

  parsed_ = headers_start_ = parts.line_end + 1;
  last_parsed_byte_ = '\n';
  phase_ = Phase::kHeaders;
  return Event::kNeedMore;
}

bool RequestParser::read_request_line(const char* data, size_t size, LineParts& parts,
                                      Event& event) {
  event = Event::kNeedMore;
  size_t window = size < limits_.max_request_line ? size : limits_.max_request_line;
  const char* newline = static_cast<const char*>(std::memchr(data, '\n', window));
  if (newline == nullptr) {
    if (size >= limits_.max_request_line) event = fail(414, "Request line too long");
    return false;
  }
  size_t line_length = static_cast<size_t>(newline - data);  // without the LF
  if (line_length == 0 || data[line_length - 1] != '\r') {
    event = fail(400, "Bad request syntax (line not ended by CRLF)");
    return false;
  }
  std::string_view line(data, line_length - 1);

  size_t method_end = 0;
  while (method_end < line.size() && kTchar.table[static_cast<unsigned char>(line[method_end])]) {
    ++method_end;
  }
  if (method_end == 0 || method_end == line.size() || line[method_end] != ' ') {
    event = fail(400, "Bad request syntax (" + quoted(line) + ")");
    return false;
  }
  size_t target_start = method_end + 1;
  const char* space = static_cast<const char*>(
      std::memchr(line.data() + target_start, ' ', line.size() - target_start));
  size_t target_end = space ? static_cast<size_t>(space - line.data()) : line.size();
  if (target_end == target_start || target_end == line.size() ||
      byte_scan::has_non_target_bytes(line.data() + target_start, target_end - target_start)) {
    event = fail(400, "Bad request syntax (" + quoted(line) + ")");
    return false;
  }
  std::string_view version = line.substr(target_end + 1);
  bool well_formed = version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
                     version[5] <= '9' && version[6] == '.' && version[7] >= '0' &&
                     version[7] <= '9';
  if (!well_formed) {
    event = fail(400, "Bad request version (" + quoted(version) + ")");
    return false;
  }
  if (version[5] != '1') {
    event = fail(505, "Invalid HTTP version (" + std::string(version.substr(5)) + ")");
    return false;
  }
  parts = LineParts{method_end, target_end, line_length, version[7] - '0'};
  return true;
}

namespace {

// Fields whose name makes llhttp read the message differently (framing,
// keep-alive, upgrade) or that check_fields() looks at beyond Host.
bool leaves_to_llhttp(std::string_view name) {
  std::string_view special;
  switch (name.size()) {
    case 6:
      special = "expect";
      break;
    case 7:
      special = "upgrade";
      break;
    case 10:
      special = "connection";
      break;
    case 14:
      special = "content-length";
      break;
    case 16:
      special = "proxy-connection";
      break;
    case 17:
      special = "transfer-encoding";
      break;
    default:
      return false;
  }
  // The first letter rules out most names of the same length (User-Agent).
  return (name[0] | 0x20) == special[0] && iequals(name, special);
}

// Whether a field name is Host, in any case; a few instructions, as both
// parsing paths ask it of every field.
inline bool is_host(std::string_view name) {
  if (name.size() != 4) return false;
  // Every byte of "host" is a letter: OR-ing in 0x20 folds only case.
  uint32_t word;
  std::memcpy(&word, name.data(), 4);
  uint32_t host;
  std::memcpy(&host, "host", 4);
  return (word | 0x20202020u) == host;
}

}  // namespace

// Most requests have no body and a few plain fields; for them this does
// what llhttp and the callbacks below would, in one pass. It takes only a
// whole section (in the buffer, within the limits) of lines
// "<token>: <value>\r\n", the value non-empty printable ASCII, no name of
// leaves_to_llhttp(): llhttp accepts every such section, with the same
// spans, no body, and keep-alive from the version alone (only Connection
// fields change it). Anything else, an error included, is left to llhttp
// from the section's first byte, so what is refused and why stays its call.
bool RequestParser::read_usual_header_section(Buffer& input, Request& request, Event& event) {
  char* data = input.peek();
  size_t size = input.readable_bytes();
  std::vector<FieldSpan>& fields = request.fields;  // empty: cleared with the request line
  auto give_up = [&] {
    fields.clear();
    host_fields_ = 0;
    host_field_ = -1;
    return false;
  };
  size_t line = headers_start_;
  while (true) {
    if (size - line < 2) return give_up();
    if (data[line] == '\r') {
      if (data[line + 1] != '\n') return give_up();
      break;
    }
    size_t name_end = line;
    while (name_end < size && kTchar.table[static_cast<unsigned char>(data[name_end])]) {
      ++name_end;
    }
    if (name_end == line || name_end == size || data[name_end] != ':') return give_up();
    std::string_view name(data + line, name_end - line);
    if (leaves_to_llhttp(name)) return give_up();
    size_t value_start = name_end + 1;
    while (value_start < size && data[value_start] == ' ') {
      ++value_start;
    }
    size_t line_end =
        value_start + byte_scan::find_non_printable(data + value_start, size - value_start);
    if (line_end == value_start || size - line_end < 2 || data[line_end] != '\r' ||
        data[line_end + 1] != '\n') {
      return give_up();
    }
    size_t value_end = line_end;
    while (data[value_end - 1] == ' ') {  // stops at the value's first byte, not a space
      --value_end;
    }
    if (fields.size() == limits_.max_header_fields) return give_up();
    if (is_host(name)) {
      ++host_fields_;
      host_field_ = static_cast<int>(fields.size());
    }
    fields.push_back(FieldSpan{static_cast<uint32_t>(line), static_cast<uint32_t>(name.size()),
                               static_cast<uint32_t>(value_start),
                               static_cast<uint32_t>(value_end - value_start)});
    line = line_end + 2;
  }
  if (line - headers_start_ > limits_.max_header_bytes) return give_up();
  size_t end = line + 2;  // after the empty line
  base_ = data;
  request_ = &request;
  request.keep_alive = request.at_least_1_1();  // llhttp_should_keep_alive(), without Connection
  // No Transfer-Encoding or Expect field came this way: only Host is left to check.
  if (check_host() != 0) {
    phase_ = Phase::kError;
    event = Event::kError;
    return true;
  }
  parsed_ = end;
  request.header_end = request.message_size = end;
  request.body = Span{static_cast<uint32_t>(end), 0};
  phase_ = Phase::kComplete;
  event = Event::kMessageComplete;
  return true;
}

RequestParser::Event RequestParser::run_llhttp(Buffer& input, Request& request) {
  base_ = input.peek();
  request_ = &request;
  size_t size = input.readable_bytes();
  size_t start = parsed_;
  llhttp_errno_t error = llhttp_execute(&parser_, base_ + parsed_, size - parsed_);
  if (error == HPE_OK) {
    parsed_ = size;
    if (size > start) last_parsed_byte_ = base_[size - 1];
    // Two bytes of slack for the empty line that would end a full section.
    if (phase_ == Phase::kHeaders && size - headers_start_ > limits_.max_header_bytes + 2) {
      return fail(431, "Request header fields too large");
    }
    return Event::kNeedMore;
  }
  if (error == HPE_PAUSED) {
    parsed_ = static_cast<size_t>(llhttp_get_error_pos(&parser_) - base_);
    llhttp_resume(&parser_);
    Pause reason = pause_;
    pause_ = Pause::kNone;
    // Even strict, llhttp takes a lone LF for the empty line that ends a
    // header or trailer section; every other line end it checks itself.
    if (phase_ == Phase::kHeaders || request.chunked) {
      char before_lf = parsed_ - 2 >= start ? base_[parsed_ - 2] : last_parsed_byte_;
      if (before_lf != '\r') return fail(400, "Bad request (bare LF)");
    }
    if (phase_ == Phase::kHeaders) {  // a message without a body ends with its headers
      request.header_end = parsed_;
      request.body = Span{static_cast<uint32_t>(parsed_), 0};
      if (parsed_ - headers_start_ - 2 > limits_.max_header_bytes) {
        return fail(431, "Request header fields too large");
      }
      phase_ = Phase::kBody;
      if (reason == Pause::kHeaders) return Event::kHeadersComplete;
    }
    phase_ = Phase::kComplete;
    request.message_size = parsed_;
    return Event::kMessageComplete;
  }
  if (error_status_ != 0) {
    phase_ = Phase::kError;
    return Event::kError;
  }
  const char* reason = llhttp_get_error_reason(&parser_);
  return fail(400, std::string("Bad request (") + (reason ? reason : "malformed") + ")");
}

int RequestParser::on_header_field(llhttp_t* parser, const char* at, size_t length) {
  RequestParser& me = self(parser);
  std::vector<FieldSpan>& fields = me.current_fields();
  if (!me.name_open_) {
    if (++me.field_count_ > me.limits_.max_header_fields) {
      return me.fail_in_callback(431, "Too many header fields");
    }
    fields.push_back(FieldSpan{me.offset_of(at), static_cast<uint32_t>(length), 0, 0});
    me.name_open_ = true;
  } else {
    fields.back().name_length +=
        static_cast<uint32_t>(length);  // contiguous: input is only appended to
  }
  return 0;
}

int RequestParser::on_header_value(llhttp_t* parser, const char* at, size_t length) {
  RequestParser& me = self(parser);
  FieldSpan& field = me.current_fields().back();
  me.name_open_ = false;
  if (!me.value_open_) {
    field.value_offset = me.offset_of(at);
    field.value_length = static_cast<uint32_t>(length);
    me.value_open_ = true;
  } else {
    // A value continues in a later call only when its bytes arrived in two
    // reads, and then the pieces touch. A gap means llhttp skipped a CRLF
    // and whitespace: obsolete line folding, refused (RFC 9112 §5.2).
    if (me.offset_of(at) != field.value_offset + field.value_length) {
      return me.fail_in_callback(400, "Bad request (obsolete line folding)");
    }
    field.value_length += static_cast<uint32_t>(length);
  }
  return 0;
}

int RequestParser::on_header_value_complete(llhttp_t* parser) {
  RequestParser& me = self(parser);
  me.name_open_ = me.value_open_ = false;
  std::vector<FieldSpan>& fields = me.current_fields();
  FieldSpan& field = fields.back();
  // A field name is a token (RFC 9110 §5.1). llhttp refuses every other
  // byte but the space, and lets an empty name through: those two are ours.
  if (field.name_length == 0 ||
      byte_scan::contains(me.base_ + field.name_offset, field.name_length, ' ')) {
    return me.fail_in_callback(400, "Bad request (invalid header field name)");
  }
  // llhttp leaves out the whitespace before a value, not the one after it.
  field.value_length = static_cast<uint32_t>(
      trim_trailing_whitespace({me.base_ + field.value_offset, field.value_length}).size());
  if (me.phase_ != Phase::kHeaders) return 0;
  std::string_view name(me.base_ + field.name_offset, field.name_length);
  // Only the fields that change how the message is read are noted here.
  switch (name.size()) {
    case 4:
      if (is_host(name)) {
        ++me.host_fields_;
        me.host_field_ = static_cast<int>(fields.size() - 1);
      }
      break;
    case 6:
      if (iequals(name, "expect")) me.expect_field_ = static_cast<int>(fields.size() - 1);
      break;
    case 17:
      if (iequals(name, "transfer-encoding")) me.has_transfer_encoding_ = true;
      break;
    default:
      break;
  }
  return 0;
}

int RequestParser::check_transfer_coding() {
  Request& request = *request_;
  if (!request.at_least_1_1()) {
    return fail_in_callback(400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  // Collect the codings of every Transfer-Encoding field, in order.
  bool chunked_seen = false;
  bool chunked_last = false;
  bool unsupported = false;
  for (HeaderField field : request.headers(base_)) {
    if (!iequals(field.name, "transfer-encoding")) continue;
    std::string_view list = field.value;
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      size_t semicolon = item.find(';');
      item = item.substr(0, semicolon);
      item = trim_whitespace(item);
      if (item.empty()) continue;
      if (chunked_seen) chunked_last = false;
      if (iequals(item, "chunked")) {
        if (chunked_seen) return fail_in_callback(400, "Transfer-Encoding lists chunked twice");
        chunked_seen = chunked_last = true;
      } else {
        unsupported = true;
      }
    }
  }
  // RFC 9112 §6.3: without a final chunked, the body length is unknown: 400.
  if (!chunked_last) return fail_in_callback(400, "Transfer-Encoding does not end with chunked");
  // RFC 9112 §6.1: a coding the server does not implement: 501.
  if (unsupported) return fail_in_callback(501, "Unsupported transfer coding");
  return 0;
}

namespace {

/// The authority of an absolute-form target ("http://host:port/path"), or
/// nullopt for the other forms.
std::optional<std::string_view> absolute_form_authority(std::string_view target) {
  if (target.empty() || target[0] == '/') return std::nullopt;  // origin-form, the usual
  size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
  std::string_view rest = target.substr(scheme_end + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

}  // namespace

// RFC 9112 §3.2.2 lets an absolute-form target override Host; a proxy in
// front may have routed by the other one, so a disagreement is refused
// rather than resolved one way (a request smuggling vector otherwise).
bool RequestParser::absolute_form_agrees_with_host() const {
  const Request& request = *request_;
  std::optional<std::string_view> authority = absolute_form_authority(request.target.in(base_));
  if (!authority || host_field_ < 0) return true;
  const FieldSpan& host = request.fields[static_cast<size_t>(host_field_)];
  std::string_view host_value(base_ + host.value_offset, host.value_length);
  std::string_view userinfo_free = authority->substr(authority->find('@') + 1);
  return iequals(host_value, userinfo_free);
}

int RequestParser::check_headers(llhttp_t* parser) {
  Request& request = *request_;
  request.keep_alive = llhttp_should_keep_alive(parser) != 0;
  request.chunked = (parser->flags & F_CHUNKED) != 0;
  request.has_content_length = (parser->flags & F_CONTENT_LENGTH) != 0;
  request.content_length = request.has_content_length ? parser->content_length : 0;
  // Upgrade (and h2c) is not offered: the request is answered as plain HTTP/1.x.
  parser->upgrade = 0;
  return check_fields();
}

int RequestParser::check_fields() {
  Request& request = *request_;
  if (has_transfer_encoding_) {
    if (int status = check_transfer_coding()) return status;
  }
  if (check_host() != 0) return -1;
  if (expect_field_ >= 0) {
    const FieldSpan& span = request.fields[static_cast<size_t>(expect_field_)];
    std::string_view expectation(base_ + span.value_offset, span.value_length);
    if (!iequals(expectation, "100-continue")) {
      return fail_in_callback(417, "Expectation not supported");
    }
    // HTTP/1.0 clients cannot ask for it (RFC 9110 §10.1.1); without a body it means nothing.
    request.expect_continue =
        request.at_least_1_1() && (request.chunked || request.content_length > 0);
  }
  return 0;
}

int RequestParser::check_host() {
  const Request& request = *request_;
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1; never more than one.
  if (host_fields_ > 1) return fail_in_callback(400, "More than one Host header field");
  if (host_fields_ == 0 && request.at_least_1_1()) {
    return fail_in_callback(400, "Missing Host header field");
  }
  if (host_field_ >= 0) {
    const FieldSpan& host = request.fields[static_cast<size_t>(host_field_)];
    if (!is_valid_host_cached(std::string_view(base_ + host.value_offset, host.value_length))) {
      return fail_in_callback(400, "Invalid Host header field");
    }
  }
  bool origin_form = request.target.length > 0 && base_[request.target.offset] == '/';
  if (!origin_form && !absolute_form_agrees_with_host()) {
    return fail_in_callback(400, "Host header field differs from the request-target's authority");
  }
  return 0;
}

int RequestParser::on_headers_complete(llhttp_t* parser) {
  RequestParser& me = self(parser);
  if (me.check_headers(parser) != 0) return -1;
  const Request& request = *me.request_;
  // Without a body the message ends here: its end will mark the header end,
  // and one pause fewer is one llhttp round trip fewer per request.
  if (!request.chunked && request.content_length == 0 && me.expect_field_ < 0) return 0;
  me.pause_ = Pause::kHeaders;
  return HPE_PAUSED;
}

int RequestParser::on_body(llhttp_t* parser, const char* at, size_t length) {
  RequestParser& me = self(parser);
  Span& body = me.request_->body;
  if (me.body_discarded_ + body.length + length > me.body_limit_) {
    return me.fail_in_callback(413, "Request body too large");
  }
  // De-chunk in place: the framing before each chunk is overwritten by the
  // chunk's data. For Content-Length bodies source and target coincide.
  char* target = me.base_ + body.offset + body.length;
  if (target != at) std::memmove(target, at, length);
  body.length += static_cast<uint32_t>(length);
  return 0;
}

void RequestParser::discard_body(Buffer& input, Request& request) {
  Span& body = request.body;
  body_discarded_ += body.length;
  if (request.trailers.empty()) {
    // The framing parsed after the body's bytes is spent: it goes too.
    input.erase(body.offset, parsed_ - body.offset);
    parsed_ = body.offset;
  } else {
    // Trailer fields are offsets past the body: they move down with it.
    input.erase(body.offset, body.length);
    parsed_ -= body.length;
    for (FieldSpan& field : request.trailers) {
      field.name_offset -= body.length;
      field.value_offset -= body.length;
    }
  }
  body.length = 0;
  if (phase_ == Phase::kComplete) request.message_size = parsed_;
}

int RequestParser::on_message_complete(llhttp_t* parser) {
  self(parser).pause_ = Pause::kMessage;
  return HPE_PAUSED;
}

}  // namespace basehttp
