#include "http/session.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <exception>
#include <string>

#include "http/byte_scan.hpp"
#include "http/server_context.hpp"
#include "reactor/basehttp_config.hpp"
#if BASEHTTP_TLS
#include "reactor/tls_transport.hpp"
#endif

namespace basehttp {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

const HandlerTable::Entry* find_handler(const HandlerTable& table, std::string_view method) {
  const HandlerTable::Entry* entry = table.find_entry(method);
  // A HEAD with no handler of its own is answered by GET's, without the body.
  if (entry == nullptr && method == "HEAD") entry = table.find_entry("GET");
  return entry;
}

bool is_head(const Request& request, const char* base) {
  return request.method.length == 4 && byte_scan::same(base + request.method.offset, "HEAD", 4);
}

}  // namespace

Session::Session(ServerContext& context, FileDescriptor socket, const SocketAddress& peer,
                 uint32_t slot, uint32_t generation, std::unique_ptr<Transport> transport,
                 bool resumed)
    : SessionEntry(false),
      context_(context),
      connection_(context.loop, std::move(socket), peer, *this, std::move(transport)),
      slot_(slot),
      generation_(generation),
      timing_(context.options.latency_histograms ? &context.stats : nullptr),
      handshaking_(connection_.transport() != nullptr && !resumed),
      resumed_(resumed) {}

void Session::start() {
  connection_.start();
  update_wait();
}

void Session::resume_parked(ParkedSession& parked, uint32_t events) {
  if (DeadlineList* list = parked.list()) {
    list->replace(parked, *this);
    wait_ = Wait::kKeepAlive;  // parked only under it, with its deadline kept
  }
  connection_.take_over(parked, events);
}

bool Session::parkable() const {
  // One not heard from yet is left a Session: shutdown gives it a grace
  // period for the request it may be sending.
  return heard() && wait_ == Wait::kKeepAlive && list() != nullptr && state_ == nullptr &&
         !handshaking_ && !dispatching_ && !awaiting_deferred_ && !over_high_water_ &&
         !reading_body_ && !shutting_down() && connection_.idle_and_empty();
}

void Session::park_into(ParkedSession& parked) {
  count_bytes();
  list()->replace(*this, parked);
  wait_ = Wait::kNone;
  std::unique_ptr<Transport> transport;
  FileDescriptor socket = connection_.hand_over(&transport);
  context_.loop.retarget(socket.get(), EPOLLIN | EPOLLRDHUP, &connection_, &parked);
  parked.adopt(std::move(socket), std::move(transport));
}

Session::~Session() {
  if (state_ != nullptr) context_.states.release(std::move(state_));
}

void Session::process_input() {
  if (state_ == nullptr) {
    if (connection_.input().empty()) return;
    state_ = context_.states.acquire();
    state_->handler.attach(*this);
  }
  RequestParser& parser = state_->parser;
  while (connection_.open() && !paused()) {
    timing_.begin(context_.loop, connection_.input());
    switch (parser.parse(connection_.input(), state_->request)) {
      case RequestParser::Event::kNeedMore:
        if (reading_body_) deliver_body();
        // The peer sent its last byte and no complete request is left.
        if (connection_.peer_closed()) connection_.close_after_flush();
        return;
      case RequestParser::Event::kHeadersComplete:
        timing_.headers_complete(context_.loop);
        if (!on_headers_complete()) return;
        break;
      case RequestParser::Event::kMessageComplete:
        if (reading_body_) {
          deliver_body();
          // A handler that paused on the last piece is not done with it.
          if (connection_.open() && !body_paused_) end_body();
        } else {
          dispatch(find_handler(context_.handlers,
                                state_->request.method.in(connection_.input().peek())));
        }
        break;
      case RequestParser::Event::kError:
        answer_parse_error();
        return;
    }
  }
}

bool Session::on_headers_complete() {
  const Request& request = state_->request;
  RequestParser& parser = state_->parser;
  const HandlerTable::Entry* entry =
      find_handler(context_.handlers, request.method.in(connection_.input().peek()));
  if (entry != nullptr && entry->streams_body) {
    parser.set_body_limit(context_.options.max_streamed_body_bytes);
    if (parser.body_fits(request)) dispatch(entry);  // else 413 on the next parse
    return true;
  }
  if (!request.expect_continue) return true;
  if (entry == nullptr) {
    // Nobody will read the body: answer now instead of inviting it.
    dispatch(nullptr);
    return false;
  }
  if (!parser.body_fits(request)) return true;  // refused unread: 413, no 100
  // The client waits for 100 before sending the body, unless it already has.
  if (connection_.input().readable_bytes() == parser.parsed_bytes()) {
    connection_.output().append(kContinue);
    connection_.flush();
  }
  return true;
}

void Session::dispatch(const HandlerTable::Entry* entry) {
  Request& request = state_->request;
  HandlerDriver& handler = state_->handler;
  timing_.dispatched(context_.loop);
  ++sequence_;
  ++context_.stats.requests;
  handler.begin(&request, true, is_head(request, connection_.input().peek()));
  // Dispatched before its body was read: unless the handler reads it, the
  // stream cannot go on after the answer.
  close_forced_ = request.message_size == 0 && !handler.close_connection();
  if (close_forced_) handler.set_close_connection(true);
  if (entry == nullptr) {
    send_unsupported_method(handler);
  } else {
    invoke(entry->handler);
  }
  after_handler();
}

void Session::invoke(const HandlerTable::Handler& function) {
  HandlerDriver& handler = state_->handler;
  bool was_dispatching = dispatching_;  // a completion may run inside its handler
  dispatching_ = true;
  try {
    function(handler);
  } catch (const std::exception& error) {
    handler.fail(error.what());
  } catch (...) {
    handler.fail("unknown exception");
  }
  dispatching_ = was_dispatching;
}

void Session::after_handler() {
  if (state_->handler.deferred()) {
    awaiting_deferred_ = true;
    if (!reading_body_) connection_.pause_reading();
    return;
  }
  awaiting_deferred_ = false;
  finish_request();
}

void Session::start_body(BodyReader::Chunk on_chunk, DeferredResponse::Completion on_end) {
  state_->body_chunk = std::move(on_chunk);
  state_->body_end = std::move(on_end);
  reading_body_ = true;
  body_paused_ = false;
  HandlerDriver& handler = state_->handler;
  if (close_forced_) handler.set_close_connection(false);  // the body will be read after all
  close_forced_ = false;
  const Request& request = state_->request;
  if (request.expect_continue &&
      connection_.input().readable_bytes() == state_->parser.parsed_bytes()) {
    connection_.output().append(kContinue);
    connection_.flush();
  }
}

void Session::deliver_body() {
  Request& request = state_->request;
  if (request.body.length == 0) return;
  std::string_view chunk = request.body.in(connection_.input().peek());
  delivering_body_ = true;
  try {
    state_->body_chunk(chunk);
  } catch (const std::exception& error) {
    state_->handler.log_error("request body handler failed: %s", error.what());
    connection_.abort();
  } catch (...) {
    state_->handler.log_error("request body handler failed");
    connection_.abort();
  }
  delivering_body_ = false;
  if (!connection_.closed()) state_->parser.discard_body(connection_.input(), request);
}

void Session::end_body() {
  reading_body_ = body_paused_ = false;
  DeferredResponse::Completion on_end = std::move(state_->body_end);
  state_->body_chunk = nullptr;
  state_->body_end = nullptr;
  state_->stream_closed = nullptr;  // the body's; a response stream may set its own
  state_->handler.clear_deferred();
  invoke(on_end);
  after_handler();
}

void Session::pause_body() {
  body_paused_ = true;
  connection_.pause_reading();
}

void Session::resume_body() {
  if (!body_paused_) return;
  body_paused_ = false;
  // From inside the chunk callback, the parse loop that called it goes on.
  if (delivering_body_) return;
  resume();
}

uint64_t Session::body_received() const {
  return state_->parser.discarded_body_bytes() + state_->request.body.length;
}

void Session::finish_request() {
  Request& request = state_->request;
  HandlerDriver& handler = state_->handler;
  handler.finish();
  count_response(handler.status());
  timing_.finished(context_.loop, connection_.output());
  Buffer& input = connection_.input();
  // A request answered before its body arrived (see on_headers_complete)
  // leaves the body unread: the connection cannot go on.
  bool complete = request.message_size > 0;
  bool close = !complete || handler.close_connection() || shutting_down_ ||
               request.method.in(input.peek()) == "CONNECT";  // no tunnels: the stream ends here
  if (complete) {
    input.retrieve(request.message_size);
    state_->parser.next_message();
  }
  if (close) {
    connection_.close_after_flush(/*linger=*/!input.empty() || !complete,
                                  /*whole=*/!handler.response_cut_short());
    return;
  }
  const ServerOptions& options = context_.options;
  if (connection_.output().size() > options.output_high_water) {
    over_high_water_ = true;
    connection_.pause_reading();
    connection_.watch_drain(options.output_low_water);
  }
}

void Session::answer_parse_error() {
  // The stream is out of step: answer, then close once the answer is out.
  HandlerDriver& handler = state_->handler;
  ++sequence_;
  bool parsed = state_->parser.request_line_parsed();
  handler.begin(&state_->request, parsed,
                parsed && is_head(state_->request, connection_.input().peek()));
  handler.set_close_connection(true);
  int status = state_->parser.error_status();
  handler.send_error(status, state_->parser.error_message());
  handler.finish();
  count_response(status);
  ++context_.stats.parse_errors[static_cast<size_t>(parse_error_kind(status))];
  connection_.close_after_flush(/*linger=*/true);
}

void Session::answer_timeout() {
  // Nothing of this request was answered yet: say why it ends (RFC 9110 §15.5.9).
  HandlerDriver& handler = state_->handler;
  ++sequence_;
  bool parsed = state_->parser.request_line_parsed();
  handler.begin(&state_->request, parsed,
                parsed && is_head(state_->request, connection_.input().peek()));
  handler.set_close_connection(true);
  handler.send_error(408);
  handler.finish();
  count_response(408);
  connection_.close_after_flush(/*linger=*/true);
}

void Session::on_peer_closed(Connection&) {
  // Requests already read are still answered; process_input() closes once
  // nothing complete is left.
  process_input();
  if (state_ == nullptr && connection_.open()) connection_.close_after_flush();
}

void Session::on_hangup_while_paused(Connection&) {
  // A client that leaves while its response is deferred has given up on it.
  // One that half-closed after its body, which a paused handler has not
  // taken yet, may still wait for the answer: the body is read on resume.
  if (awaiting_deferred_ && !reading_body_) connection_.abort();
}

void Session::on_output_drained(Connection&) {
  over_high_water_ = false;
  if (state_ != nullptr && state_->stream_drained) {
    auto drained = std::move(state_->stream_drained);
    state_->stream_drained = nullptr;
    run_producer(drained);  // may write, finish, or meet a closed connection
  }
  resume();
}

bool Session::stream_write(std::string_view data) {
  state_->handler.write(data);
  connection_.flush();
  update_wait();  // a client that stops reading meets the send timeout
  return !connection_.closed();
}

void Session::run_producer(const std::function<void()>& callback) {
  // Nothing may unwind through the loop. A producer that fails ends its
  // stream as ResponseStream::abort() does: a finished body would look whole.
  try {
    callback();
  } catch (const std::exception& error) {
    state_->handler.log_error("response stream callback failed: %s", error.what());
    connection_.abort();
  } catch (...) {
    state_->handler.log_error("response stream callback failed");
    connection_.abort();
  }
}

bool Session::stream_writable() const {
  return connection_.output().size() < context_.options.output_high_water;
}

void Session::stream_on_drain(std::function<void()> callback) {
  size_t low_water = context_.options.output_low_water;
  if (connection_.output().size() <= low_water) {
    // Already drained: no flush will report it, so the loop does, soon.
    DeferredResponse handle = defer();
    // The handle finds this session only while it exists and still streams.
    context_.loop.run_soon([this, handle, callback = std::move(callback)] {
      if (handle.awaiting() != nullptr) run_producer(callback);
    });
    return;
  }
  state_->stream_drained = std::move(callback);
  connection_.watch_drain(low_water);
}

void Session::on_stream_failed(Connection& connection) {
#if BASEHTTP_TLS
  auto* tls = dynamic_cast<TlsTransport*>(connection.transport());
  if (tls == nullptr || !tls->plain_http_request()) return;
  // A plain HTTP client on the HTTPS port: say so in plain HTTP rather
  // than leave it staring at a reset or at TLS alert bytes.
  static constexpr std::string_view kAnswer =
      "HTTP/1.1 400 Bad Request\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: 61\r\n"
      "Connection: close\r\n"
      "\r\n"
      "This port speaks HTTPS: a plain HTTP request was sent to it.\n";
  static_assert(kAnswer.size() - kAnswer.find("\r\n\r\n") - 4 == 61);
  int fd = connection.fd();
  ssize_t sent = ::send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent <= 0) return;
  ++context_.stats.responses_by_class[4];  // no request state to log it with
  ++context_.stats.parse_errors[static_cast<size_t>(parse_error_kind(400))];
  // The rest of the request is unread: closing over it would reset the
  // connection and could destroy the answer before the client reads it.
  ::shutdown(fd, SHUT_WR);
  char discard[4096];
  for (int round = 0; round < 16; ++round) {
    if (::recv(fd, discard, sizeof discard, MSG_DONTWAIT) <= 0) break;
  }
#else
  (void)connection;
#endif
}

void Session::on_closed(Connection&) {
  count_bytes();
  if (handshaking_ && !connection_.transport()->handshake_pending()) [[unlikely]]
    count_handshake();
  if (state_ != nullptr && awaiting_deferred_ && state_->stream_closed) {
    auto closed = std::move(state_->stream_closed);
    state_->stream_closed = nullptr;
    try {
      closed();  // the stream's client is gone
    } catch (const std::exception& error) {
      state_->handler.log_error("close callback failed: %s", error.what());
    } catch (...) {
      state_->handler.log_error("close callback failed");
    }
  }
  if (list() != nullptr) list()->remove(*this);
  wait_ = Wait::kNone;
  context_.sessions.release(slot_);
}

void Session::resume() {
  process_input();
  if (connection_.open() && !paused()) connection_.resume_reading();
  connection_.flush();
  update_wait();
}

bool Session::idle() const {
  return (state_ == nullptr || state_->parser.at_message_start()) && connection_.input().empty() &&
         !awaiting_deferred_ && !dispatching_;
}

void Session::wait_on(Wait wait) {
  context_.timeouts.wait_on(*this, wait);
  wait_ = wait;
}

void Session::count_response(int status) {
  auto code = static_cast<unsigned>(status);  // unsigned: a cheaper division
  if (code - 100 < 500) ++context_.stats.responses_by_class[code / 100];
  if (const RequestLogger& logger = context_.options.request_logger) logger(state_->handler);
}

void Session::count_bytes() {
  uint64_t read = connection_.bytes_read();
  uint64_t sent = connection_.output().bytes_sent();
  context_.stats.bytes_in += read - bytes_in_counted_;
  context_.stats.bytes_out += sent - bytes_out_counted_;
  bytes_in_counted_ = read;
  bytes_out_counted_ = sent;
  timing_.sent(context_.loop, sent);
}

void Session::count_handshake() {
  handshaking_ = false;
  ++context_.stats.tls_handshakes;
  // Known from the handshake's end on: the kernel encrypts, files are sent.
  if (connection_.transport()->can_send_file()) ++context_.stats.tls_ktls_send_connections;
}

void Session::update_wait() {
  count_bytes();
  // Before the open check: a handshake that completed in the event that
  // closed the connection counts too.
  if (handshaking_ && !connection_.transport()->handshake_pending()) [[unlikely]]
    count_handshake();
  if (!connection_.open()) return;
  // Whatever happened since the last look may have been a whole request
  // served: what counts is progress, not the state alone.
  uint64_t read = connection_.bytes_read();
  bool new_bytes = read != bytes_seen_;
  bool new_request = sequence_ != sequence_seen_;
  bytes_seen_ = read;
  sequence_seen_ = sequence_;
  if (handshaking_) [[unlikely]] {
    // Timed from the accept, never extended: a client that trickles its
    // ClientHello, or sends nothing, is closed all the same.
    if (wait_ != Wait::kHandshake) wait_on(Wait::kHandshake);
    return;
  }
  if (!connection_.output().empty()) {  // the client is not taking our bytes
    size_t queued = connection_.output().size();
    if (wait_ != Wait::kSend || queued < output_seen_) wait_on(Wait::kSend);
    output_seen_ = queued;
    return;
  }
  if (paused()) {  // the application's business, or the client's reading
    if (wait_ != Wait::kNone) wait_on(Wait::kNone);
    return;
  }
  if (idle()) {
    // The request state goes back to the server's pool at once: an idle
    // connection holds none, and the next request takes one without
    // allocating. Buffers are kept a little longer (kIdle), and so is the
    // Session of a connection heard from: it is parked after kIdle.
    if (state_ != nullptr) context_.states.release(std::move(state_));
    if (new_bytes || new_request || (wait_ != Wait::kIdle && wait_ != Wait::kKeepAlive)) {
      bool holds_buffers = connection_.input().capacity() != 0 || !connection_.output().released();
      wait_on(holds_buffers || heard() ? Wait::kIdle : Wait::kKeepAlive);
    }
    return;
  }
  if (state_ == nullptr || state_->parser.in_header_section()) {
    // Timed from the request's first byte, never extended by more bytes: a
    // client that trickles its headers is closed all the same.
    if (wait_ != Wait::kHeader || new_request) wait_on(Wait::kHeader);
    return;
  }
  if (wait_ != Wait::kBody || new_bytes) wait_on(Wait::kBody);  // between body bytes
}

void Session::on_deadline(Wait wait) {
  wait_ = Wait::kNone;
  TimeoutKind counted = kTimeoutRows[static_cast<size_t>(wait)].counted;
  if (counted != TimeoutKind::kCount) ++context_.stats.timeouts[static_cast<size_t>(counted)];
  switch (wait) {
    case Wait::kIdle:
      release_resources();
      wait_on(Wait::kKeepAlive);
      // Holding nothing now, it can be parked: the Session itself goes too.
      if (parkable()) context_.sessions.park_soon(*this);
      return;
    case Wait::kKeepAlive:
      connection_.close_after_flush();
      return;
    case Wait::kHeader:
    case Wait::kBody:
      // Unanswered: no handler yet, or a streaming one still waiting for its
      // body (its BodyReader then reports the close).
      if (state_ != nullptr && !dispatching_ &&
          (!awaiting_deferred_ || (reading_body_ && state_->handler.status() == 0))) {
        reading_body_ = false;
        answer_timeout();
      } else {
        connection_.close_after_flush(/*linger=*/true);
      }
      return;
    case Wait::kSend:
      connection_.abort();
      return;
    case Wait::kHandshake:
      connection_.close_after_flush();  // nothing to answer in: no TLS session yet
      return;
    case Wait::kNone:
      return;
  }
}

void Session::release_resources() {
  if (!idle()) return;
  connection_.release_idle_buffers();
}

DeferredResponse Session::defer() {
  return DeferredResponse(context_.anchor, slot_, generation_, sequence_);
}

bool Session::awaits(uint64_t sequence) const {
  return !connection_.closed() && state_ != nullptr && sequence == sequence_ &&
         state_->handler.deferred();
}

bool Session::complete(uint64_t sequence, const DeferredResponse::Completion& finish) {
  if (!awaits(sequence)) return false;
  state_->handler.clear_deferred();
  // The stream of the response being completed, if any, is over.
  state_->stream_drained = nullptr;
  state_->stream_closed = nullptr;
  invoke(finish);
  // Deferred anew (answered again after RequestHandler::reroute()): still
  // awaited, with the callbacks of the stream the completion opened.
  if (state_->handler.deferred()) return true;
  // Completed from inside the handler itself: dispatch() carries on.
  if (dispatching_) return true;
  awaiting_deferred_ = false;
  finish_request();
  resume();
  return true;
}

void Session::begin_shutdown(bool close_unheard) {
  shutting_down_ = true;
  if (idle() && (heard() || close_unheard)) connection_.close_after_flush();
}

}  // namespace basehttp
