#include "http/server.hpp"

#include <csignal>
#include <system_error>

#include "http/session.hpp"

namespace basehttp {
namespace {

SocketAddress bind_address(const ServerAddress& address) {
  auto resolved = SocketAddress::resolve(address.host, address.port);
  if (!resolved) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "cannot resolve host '" + address.host + "'");
  }
  return *resolved;
}

}  // namespace

HTTPServer::HTTPServer(ServerAddress address, HandlerTable& table, ServerOptions options)
    : owned_loop_(std::make_unique<EventLoop>()),
      loop_(*owned_loop_),
      table_(table),
      options_(std::move(options)),
      response_head_(options_) {
  start_listening(address);
}

HTTPServer::HTTPServer(EventLoop& loop, ServerAddress address, HandlerTable& table,
                       ServerOptions options)
    : loop_(loop), table_(table), options_(std::move(options)), response_head_(options_) {
  start_listening(address);
}

void HTTPServer::start_listening(const ServerAddress& address) {
  keep_alive_protocol_ = options_.protocol_version == "HTTP/1.1";
  logging_ = static_cast<bool>(options_.log_sink);
  AcceptorOptions acceptor_options;
  acceptor_options.backlog = options_.backlog;
  acceptor_options.reuse_port = options_.reuse_port;
  acceptor_ = std::make_unique<Acceptor>(
      loop_, bind_address(address),
      [this](FileDescriptor socket, const SocketAddress& peer) { accept(std::move(socket), peer); },
      acceptor_options);
  address_ = acceptor_->local_address();
  if (options_.handle_signals) {
    loop_.watch_signals({SIGINT, SIGTERM}, [this](int) {
      if (!shutting_down_) {
        begin_shutdown();
      } else {
        close_remaining();  // a second signal: stop waiting
      }
    });
  }
}

HTTPServer::~HTTPServer() {
  if (drain_timer_ != 0) loop_.cancel(drain_timer_);
  acceptor_.reset();
  slots_.clear();  // closes every connection without callbacks
}

void HTTPServer::accept(FileDescriptor socket, const SocketAddress& peer) {
  if (shutting_down_) return;  // closes the socket
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& entry = slots_[slot];
  entry.session = std::make_unique<Session>(*this, std::move(socket), peer, slot, entry.generation);
  ++live_sessions_;
  entry.session->start();
}

void HTTPServer::release(uint32_t slot) {
  // The session is still on the call stack that noticed the close: destroy
  // it once the current events are handled.
  loop_.run_soon([this, slot] {
    Slot& entry = slots_[slot];
    if (!entry.session) return;
    entry.session.reset();
    ++entry.generation;
    free_slots_.push_back(slot);
    --live_sessions_;
    if (shutting_down_) check_drained();
  });
}

Session* HTTPServer::find_session(uint32_t slot, uint32_t generation) const {
  if (slot >= slots_.size()) return nullptr;
  const Slot& entry = slots_[slot];
  if (entry.generation != generation || !entry.session || entry.session->closed()) return nullptr;
  return entry.session.get();
}

void HTTPServer::serve_forever() {
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (drained_) return;
    serving_ = true;
  }
  loop_.run();
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    serving_ = false;
  }
  state_changed_.notify_all();
}

void HTTPServer::shutdown() {
  if (loop_.running_in_this_thread()) {  // from a handler or timer: cannot wait here
    begin_shutdown();
    return;
  }
  loop_.post([this] { begin_shutdown(); });
  std::unique_lock<std::mutex> lock(state_mutex_);
  state_changed_.wait(lock, [this] { return drained_ && !serving_; });
}

void HTTPServer::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  acceptor_->close();
  for (Slot& entry : slots_) {
    if (entry.session) entry.session->begin_shutdown();
  }
  drain_timer_ = loop_.run_after(options_.drain_timeout, [this] {
    drain_timer_ = 0;
    close_remaining();
  });
  check_drained();
}

void HTTPServer::close_remaining() {
  for (Slot& entry : slots_) {
    if (entry.session) entry.session->abort();
  }
}

void HTTPServer::check_drained() {
  if (live_sessions_ != 0) return;
  if (drain_timer_ != 0) {
    loop_.cancel(drain_timer_);
    drain_timer_ = 0;
  }
  bool stop_loop;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    drained_ = true;
    stop_loop = serving_;
  }
  state_changed_.notify_all();
  if (stop_loop) loop_.stop();
}

}  // namespace basehttp
