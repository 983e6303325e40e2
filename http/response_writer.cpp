#include "http/response_writer.hpp"

#include <charconv>
#include <cstdio>

#include "http/byte_scan.hpp"
#include "http/headers.hpp"
#include "http/response_head.hpp"

namespace basehttp {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// "<size in hex>\r\n", the line before each chunk of a chunked body.
std::string_view chunk_header(uint64_t size) {
  thread_local char line[24];
  int length = std::snprintf(line, sizeof(line), "%llx\r\n", static_cast<unsigned long long>(size));
  return {line, static_cast<size_t>(length)};
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

}  // namespace

void ResponseWriter::queue_sanitized(std::string_view text) {
  if (!byte_scan::has_control_bytes(text.data(), text.size())) {
    queue(text);
    return;
  }
  std::string replaced(text);
  byte_scan::blank_control_bytes(replaced.data(), replaced.size());
  queue(replaced);
}

void ResponseWriter::queue_field(std::string_view name, std::string_view value) {
  size_t size = name.size() + value.size() + 4;
  char* start = out_->copy_block().reserve(size);
  char* cursor = start;
  byte_scan::copy(cursor, name.data(), name.size());
  cursor += name.size();
  *cursor++ = ':';
  *cursor++ = ' ';
  byte_scan::copy(cursor, value.data(), value.size());
  cursor += value.size();
  // Everything but the CRLF: the value's last bytes too.
  size_t text_size = size - 2;
  if (byte_scan::has_control_bytes(start, text_size))
    byte_scan::blank_control_bytes(start, text_size);
  *cursor++ = '\r';
  *cursor = '\n';
  out_->commit_copied(size);
}

void ResponseWriter::send_response(int code, std::string_view message) {
  if (code == 200 && message.empty()) {  // the common head, in one copy
    queue(heads_->ok_head(now_));
    status_ = code;
    stage_ = Stage::kHeaders;
    return;
  }
  send_response_only(code, message);
  queue(heads_->server_and_date(now_));
}

void ResponseWriter::send_response_only(int code, std::string_view message) {
  status_ = code;
  stage_ = Stage::kHeaders;
  std::string_view cached = heads_->status_line(code);
  if (message.empty() && !cached.empty()) {
    queue(cached);
    return;
  }
  if (message.empty()) message = responses_->reason(code);
  char digits[8];
  auto [end, error] = std::to_chars(digits, digits + sizeof(digits), code);
  (void)error;
  queue(protocol_version_);
  queue(" ");
  queue(std::string_view(digits, static_cast<size_t>(end - digits)));
  queue(" ");
  queue_sanitized(message);
  queue(kCrlf);
}

bool ResponseWriter::send_header(std::string_view name, std::string_view value) {
  if (stage_ != Stage::kHeaders) return false;
  // What the writer must know about the response it is framing.
  switch (name.size()) {
    case 10:
      if (iequals(name, "connection")) {
        connection_header_sent_ = true;
        if (iequals(value, "close")) {
          close_connection_ = true;
        } else if (iequals(value, "keep-alive")) {
          close_connection_ = false;
        }
      }
      break;
    case 14:
      if (name == "Content-Length" || iequals(name, "content-length")) {
        if (!frames_content(status_)) [[unlikely]]
          return true;
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
      if (iequals(name, "transfer-encoding")) {
        if (!frames_content(status_)) [[unlikely]]
          return true;
        framing_set_ = true;
      }
      break;
    default:
      break;
  }
  queue_field(name, value);
  return true;
}

void ResponseWriter::end_headers() {
  if (stage_ != Stage::kHeaders) return;
  if (is_interim(status_)) {  // interim: the final response follows
    queue(kCrlf);
    stage_ = Stage::kNone;
    return;
  }
  body_allowed_ = allows_body(status_);
  if (shutting_down_) close_connection_ = true;
  if (body_allowed_ && !framing_set_) {
    if (client_1_1_ && keep_alive_protocol_) {
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
    } else if (!client_1_1_) {
      queue("Connection: keep-alive\r\n");
    }
  }
  queue(kCrlf);
  stage_ = Stage::kBody;
}

void ResponseWriter::end_with_interim() {
  // An interim response given as the whole answer (Python's send_error(1xx)
  // does so): no final response follows, so the connection cannot go on.
  queue("Connection: close\r\n\r\n");
  close_connection_ = true;
  body_allowed_ = false;
  stage_ = Stage::kDone;
}

bool ResponseWriter::respond(int code, std::string_view content_type, std::string_view body) {
  if (stage_ != Stage::kNone) {
    abort();
    return false;
  }
  if (!allows_body(code)) [[unlikely]] {
    respond_without_content(code);
    return true;
  }
  if (shutting_down_) close_connection_ = true;
  bool send_body = !head_;
  size_t inline_body = send_body && body.size() <= OutputQueue::kMoveThreshold ? body.size() : 0;
  // The usual answer: the head the server keeps for it, in one copy.
  std::string_view head;
  if (code == 200 && client_1_1_ && !close_connection_) [[likely]] {
    head = heads_->content_head(now_, content_type, body.size());
  }
  if (!head.empty()) [[likely]] {
    char* start = out_->copy_block().reserve(head.size() + inline_body);
    byte_scan::copy(start, head.data(), head.size());
    byte_scan::copy(start + head.size(), body.data(), inline_body);
    out_->commit_copied(head.size() + inline_body);
  } else {
    queue_head(code, content_type, body.size(), inline_body == 0 ? std::string_view() : body);
  }
  if (send_body && inline_body == 0) out_->append(body);
  status_ = code;
  body_allowed_ = has_content_length_ = framing_set_ = connection_header_sent_ = true;
  content_length_ = body_bytes_ = body.size();
  stage_ = Stage::kBody;
  return true;
}

void ResponseWriter::queue_head(int code, std::string_view content_type, uint64_t length,
                                std::string_view inline_body) {
  char digits[24];
  char* digits_end = std::to_chars(digits, digits + sizeof(digits), length).ptr;
  std::string_view length_text(digits, static_cast<size_t>(digits_end - digits));
  std::string_view connection = close_connection_ ? "Connection: close\r\n"
                                : client_1_1_     ? std::string_view()
                                                  : "Connection: keep-alive\r\n";
  std::string_view head;
  if (code == 200) {
    head = heads_->ok_head(now_);
  } else {
    send_response_only(code);
    head = heads_->server_and_date(now_);
  }
  constexpr std::string_view kType = "Content-Type: ";
  constexpr std::string_view kLength = "\r\nContent-Length: ";
  size_t size = head.size() + kType.size() + content_type.size() + kLength.size() +
                length_text.size() + 2 + connection.size() + 2 + inline_body.size();
  char* start = out_->copy_block().reserve(size);
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
    byte_scan::blank_control_bytes(type_start, content_type.size());
  }
  put(kLength);
  put(length_text);
  put(kCrlf);
  put(connection);
  put(kCrlf);
  put(inline_body);
  out_->commit_copied(size);
}

void ResponseWriter::respond_without_content(int code) {
  // No Content-Type or Content-Length: they would describe content that a
  // 1xx, 204, 205 or 304 cannot have (a 304's would have to be the
  // selected representation's, which respond() does not know).
  send_response(code);
  if (is_interim(code)) {
    end_with_interim();
  } else {
    end_headers();
  }
}

uint64_t ResponseWriter::admit_body(uint64_t size, Written* result) {
  if (stage_ == Stage::kHeaders) end_headers();
  if (stage_ != Stage::kBody) {
    *result = Written::kRefused;
    return 0;
  }
  *result = Written::kQueued;
  if (head_ || !body_allowed_) {
    body_bytes_ += size;
    return 0;
  }
  if (has_content_length_ && size > content_length_ - body_bytes_) {
    *result = Written::kTruncated;
    size = content_length_ - body_bytes_;
    close_connection_ = true;
  }
  body_bytes_ += size;
  return size;  // an empty piece is dropped: as a chunk it would end the body
}

ResponseWriter::Written ResponseWriter::write(std::string_view data) {
  Written result;
  uint64_t size = admit_body(data.size(), &result);
  if (size == 0) return result;
  if (chunked_) queue(chunk_header(size));
  queue(data.substr(0, size));
  if (chunked_) queue(kCrlf);
  return result;
}

ResponseWriter::Written ResponseWriter::write(std::string&& data) {
  Written result;
  uint64_t size = admit_body(data.size(), &result);
  if (size == 0) return result;
  if (chunked_) queue(chunk_header(size));
  if (size == data.size()) {
    out_->append(std::move(data));
  } else {
    queue(std::string_view(data).substr(0, size));
  }
  if (chunked_) queue(kCrlf);
  return result;
}

ResponseWriter::Written ResponseWriter::write_file(std::shared_ptr<const FileDescriptor> file,
                                                   uint64_t offset, uint64_t length) {
  Written result;
  uint64_t size = admit_body(length, &result);
  if (size == 0) return result;
  if (chunked_) queue(chunk_header(size));
  out_->append_file(std::move(file), offset, size);
  if (chunked_) queue(kCrlf);
  return result;
}

void ResponseWriter::finish_unusual() {
  if (stage_ == Stage::kAborted) return;
  if (stage_ == Stage::kHeaders) end_headers();
  if (stage_ == Stage::kBody && body_allowed_ && !head_) {
    if (chunked_) queue("0\r\n\r\n");
    // A body shorter than its Content-Length leaves the client waiting for
    // bytes that will not come: only closing tells it.
    if (has_content_length_ && body_bytes_ < content_length_) close_connection_ = true;
  }
  stage_ = Stage::kDone;
}

void ResponseWriter::abort() {
  close_connection_ = true;
  stage_ = Stage::kAborted;
}

bool ResponseWriter::begin_raw(int code) {
  if (stage_ != Stage::kNone) return false;
  status_ = code;
  stage_ = Stage::kBody;
  // Every byte is the handler's, a HEAD's included; the writer frames
  // nothing, so only the end of the connection ends the response.
  head_ = false;
  body_allowed_ = true;
  chunked_ = has_content_length_ = false;
  framing_set_ = connection_header_sent_ = close_connection_ = true;
  return true;
}

}  // namespace basehttp
