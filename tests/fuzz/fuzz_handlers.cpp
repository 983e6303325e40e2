#include "tests/fuzz/fuzz_handlers.hpp"

#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "handlers/common/url_path.hpp"
#include "http/server.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace basehttp::fuzzing {
namespace {

bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// What the fuzzer controls beyond the path: the query, decoded.
std::string query_of(std::string_view target) {
  size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  return percent_decode(query.substr(0, query.find('#')));
}

std::string_view first_segment(std::string_view target) {
  std::string_view path = target_path(target);
  while (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  return path.substr(0, path.find('/'));
}

// The leading decimal digits of `text`, at most `limit`.
uint64_t number_in(std::string_view text, uint64_t limit) {
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') break;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > limit) return limit;
  }
  return value;
}

// Any time at all, far past and far future included: "-" and digits.
std::time_t time_in(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  auto magnitude =
      static_cast<std::time_t>(number_in(text.substr(negative ? 1 : 0), INT64_MAX / 10));
  return negative ? -magnitude : magnitude;
}

// A status code from `text`'s digits: taken as is within [low, high],
// otherwise folded into it.
int code_in(std::string_view text, int low, int high) {
  uint64_t number = number_in(text, 1000000);
  if (number >= static_cast<uint64_t>(low) && number <= static_cast<uint64_t>(high)) {
    return static_cast<int>(number);
  }
  return low + static_cast<int>(number % static_cast<uint64_t>(high - low + 1));
}

// Field `index` of a comma-separated query.
std::string_view part(std::string_view text, int index) {
  for (; index > 0; --index) {
    size_t comma = text.find(',');
    if (comma == std::string_view::npos) return {};
    text.remove_prefix(comma + 1);
  }
  return text.substr(0, text.find(','));
}

// What any handler may rely on about the request it is given.
void check_request(const RequestHandler& h, const HandlerContext& context) {
  std::string_view command = h.command(), path = h.path(), version = h.request_version();
  require(is_token(command), "command() is not a token", command);
  require(!path.empty(), "path() is empty");
  for (char c : path) {
    unsigned char byte = static_cast<unsigned char>(c);
    require(byte > 0x20 && byte != 0x7f, "path() holds a space or control byte", path);
  }
  require(version.size() == 8 && version.substr(0, 7) == "HTTP/1.", "request_version()", version);
  std::string line = std::string(command) + " " + std::string(path) + " " + std::string(version);
  require(h.requestline() == line, "requestline() is not command, path and version",
          h.requestline());

  const Request& request = h.request();
  for (const Headers& fields : {h.headers(), h.trailers()}) {
    size_t seen = 0;
    for (HeaderField field : fields) {
      require(fields[seen].name == field.name, "operator[] and iteration disagree", field.name);
      ++seen;
      require(is_token(field.name), "field name is not a token", field.name);
      for (char c : field.value) {
        require(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in a field value", field.name);
      }
      if (!field.value.empty()) {
        require(field.value.front() != ' ' && field.value.front() != '\t' &&
                    field.value.back() != ' ' && field.value.back() != '\t',
                "field value keeps surrounding whitespace", field.name);
      }
      auto first = fields.get(field.name);
      require(first.has_value(), "get() misses a field that iteration shows", field.name);
      size_t count = fields.count(field.name);
      require(count >= 1 && fields.get_all(field.name).size() == count,
              "count() and get_all() disagree", field.name);
    }
    require(seen == fields.size(), "iteration and size() disagree");
  }
  if (request.at_least_1_1()) {
    require(h.headers().count("Host") == 1, "an HTTP/1.1 request without exactly one Host");
  }
  require(!(request.chunked && request.has_content_length),
          "a request framed by both chunked and Content-Length");
  if (request.has_content_length) {
    require(h.body().size() == request.content_length, "body() is not Content-Length long");
  }
  require(h.body().size() <= context.max_body_bytes, "body() over max_body_bytes");
  if (!request.chunked) require(h.trailers().empty(), "trailers without a chunked body");
  if (request.expect_continue) require(request.at_least_1_1(), "100-continue in HTTP/1.0");
}

void write_in_pieces(RequestHandler& h, std::string_view body) {
  h.write(std::string_view());  // an empty piece must not end a chunked body
  h.write(body.substr(0, body.size() / 3));
  h.write(std::string(body.substr(body.size() / 3)));
}

void send_headers(RequestHandler& h, int code, std::optional<uint64_t> length) {
  h.send_response(code);
  h.send_header("Content-Type", "text/plain");
  if (length) h.send_header("Content-Length", std::to_string(*length));
  h.end_headers();
}

void answer(RequestHandler& h, HandlerContext& context) {
  require(h.status() == 0 && h.body_bytes() == 0, "a handler starts with a used response");
  check_request(h, context);
  std::string_view target = h.path();
  std::string_view name = first_segment(target);
  std::string query = query_of(target);

  if (name == "static") {
    context.static_files->handle(h);
  } else if (name == "echo") {
    std::string body(h.body());
    for (HeaderField field : h.trailers()) {
      body.append(field.name).append(": ").append(field.value).append("\n");
    }
    if (query.empty()) {
      h.respond(200, "application/octet-stream", body);
    } else {
      send_headers(h, 200, std::nullopt);
      write_in_pieces(h, body);
    }
  } else if (name == "respond") {
    h.respond(code_in(part(query, 0), 200, 599), part(query, 1), part(query, 2));
  } else if (name == "chunked") {
    send_headers(h, 200, std::nullopt);  // chunked for 1.1, close-delimited for 1.0
    write_in_pieces(h, query);
  } else if (name == "length") {
    send_headers(h, 200, query.size());
    write_in_pieces(h, query);
  } else if (name == "short") {
    send_headers(h, 200, query.size() + 1);
    h.write(query);
    context.cut_on_purpose = true;
  } else if (name == "long") {
    send_headers(h, 200, query.size() / 2);
    write_in_pieces(h, query);
  } else if (name == "error") {
    h.send_error(code_in(part(query, 0), 100, 599), part(query, 1), part(query, 2));
  } else if (name == "reason") {
    h.send_response(code_in(part(query, 0), 200, 599), part(query, 1));
    h.send_header("Content-Length", "0");
    h.end_headers();
  } else if (name == "header") {
    std::string field = "X-";
    for (char c : part(query, 0)) {
      if (is_tchar(static_cast<unsigned char>(c))) field += c;
    }
    h.send_response(200);
    h.send_header(field, part(query, 1));
    h.send_header("Content-Length", "0");
    h.end_headers();
  } else if (name == "interim") {
    h.send_response_only(code_in(query, 100, 199));
    h.send_header("Link", "</a.css>; rel=preload");
    h.end_headers();
    h.respond(200, "text/plain", "after interim");
  } else if (name == "flush") {
    send_headers(h, 200, query.size());
    h.flush_headers();
    h.write(query);
  } else if (name == "throw") {
    uint64_t stage = number_in(query, 9);
    // Once the status line is queued, the throw must leave the response
    // visibly unfinished: a head without its end, or a body short of its
    // Content-Length (a HEAD's response is whole after its head).
    if (stage >= 1) {
      h.send_response(200);
      context.cut_by_throw = true;
    }
    if (stage >= 2) {
      h.send_header("Content-Length", "10");
      h.end_headers();
      h.write("12345");
      context.cut_by_throw = h.command() != "HEAD";
    }
    if (stage == 9) throw 9;
    throw std::runtime_error("thrown by /throw");
  } else if (name == "none") {
    // No response: the server answers 500.
  } else if (name == "defer") {
    DeferredResponse later = h.defer();
    require(static_cast<bool>(later), "defer() gave an empty handle");
    // Not in the server's slot table (see PairedSession): the handle finds nothing.
    require(!later.pending() && !later.complete(finish_deferred), "a handle to a lost session");
    if (query == "now") {
      require(context.paired->complete_deferred_now(finish_deferred),
              "a deferred response could not be completed from its handler");
    }
  } else if (name == "close" || name == "keepalive") {
    h.send_response(200);
    h.send_header("Connection", name == "close" ? "close" : "keep-alive");
    h.send_header("Content-Length", "2");
    h.end_headers();
    h.write("ok");
  } else if (name == "closeflag") {
    h.set_close_connection(true);
    h.respond(200, "text/plain", "closing");
  } else if (name == "big") {
    std::string body(number_in(query, 100000), 'b');
    send_headers(
        h, 200,
        query.find('c') == std::string::npos ? std::optional<uint64_t>(body.size()) : std::nullopt);
    h.write(std::move(body));
  } else if (name == "file") {
    uint64_t offset = number_in(part(query, 0), context.file_size);
    uint64_t length = number_in(part(query, 1), context.file_size - offset);
    send_headers(h, 200, length);
    h.write_file(context.file, offset, length);
  } else if (name == "nobody") {
    int code = number_in(query, 1) == 0 ? 204 : 304;
    h.send_response(code);
    h.end_headers();
    h.write("never sent");
  } else if (name == "misuse") {
    h.send_header("X-Too-Early", "1");  // ignored: no status line yet
    h.write("too early");               // dropped
    send_headers(h, 200, 2);
    h.send_header("X-Too-Late", "1");  // ignored: the body has begun
    h.write("ok");
    h.respond(200, "text/plain", "twice");  // refused: the connection closes
    h.send_error(500);                      // too late: the connection closes
  } else if (name == "headers") {
    std::string body;
    for (HeaderField field : h.headers()) {
      body.append(field.name).append(": ").append(h.headers().get(field.name, "")).append("\n");
    }
    h.respond(200, "text/plain", body);
  } else if (name == "log") {
    h.log_message("%.*s", static_cast<int>(query.size()), query.data());
    h.log_error("%s %d", "error", 7);
    h.respond(299, "text/plain", "logged");
  } else if (name == "strings") {
    std::string body = h.version_string() + "\n" + h.date_time_string() + "\n" +
                       h.date_time_string(time_in(query)) + "\n" + h.log_date_time_string() + "\n" +
                       h.address_string() + "\n" + h.client_address().to_string() + "\n" +
                       h.server().server_name() + "\n" + h.options().server_version + "\n";
    h.respond(200, "text/plain", body);
  } else if (name == "allow" || h.command() == "OPTIONS") {
    std::string allow;
    for (const std::string& method : h.server().handlers().methods()) {
      allow += allow.empty() ? method : ", " + method;
    }
    h.send_response(200);
    h.send_header("Allow", allow);
    h.send_header("Content-Length", "0");
    h.end_headers();
  } else {
    h.respond(200, "text/plain", "ok");
  }
}

}  // namespace

void finish_deferred(RequestHandler& h) {
  // The request's views must still be whole after the handler returned.
  require(!h.command().empty() && !h.path().empty(), "a deferred request lost its views");
  h.respond(200, "text/plain", std::string("deferred ") + std::string(h.path()));
}

HandlerTable make_fuzz_handlers(HandlerContext& context) {
  HandlerTable table;
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "SPAM"}) {
    table.on(method, [&context](RequestHandler& h) { answer(h, context); });
  }
  return table;
}

}  // namespace basehttp::fuzzing
