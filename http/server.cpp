#include "http/server.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <system_error>

#include "http/session.hpp"

namespace basehttp {
namespace {

// How long a shutdown waits for the first request of a connection it has
// just accepted (see HTTPServer::begin_shutdown()).
constexpr std::chrono::milliseconds kUnheardGrace{1000};

SocketAddress bind_address(const ServerAddress& address) {
  auto resolved = SocketAddress::resolve(address.host, address.port);
  if (!resolved) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "cannot resolve host '" + address.host + "'");
  }
  return *resolved;
}

}  // namespace

HTTPServer::Deadlines::Deadlines(const ServerOptions& options)
    : header(options.header_timeout),
      body(options.body_timeout),
      send(options.send_timeout),
      idle(std::min(options.idle_release_after, options.keep_alive_timeout)),
      keep_alive(options.keep_alive_timeout -
                 std::min(options.idle_release_after, options.keep_alive_timeout)) {}

HTTPServer::HTTPServer(ServerAddress address, HandlerTable& table, ServerOptions options)
    : owned_loop_(std::make_unique<EventLoop>()),
      loop_(*owned_loop_),
      anchor_(std::make_shared<ServerAnchor>(ServerAnchor{this, &loop_})),
      table_(table),
      options_(std::move(options)),
      response_head_(options_),
      deadlines_(options_) {
  start_listening(address);
  make_workers();
}

HTTPServer::HTTPServer(EventLoop& loop, ServerAddress address, HandlerTable& table,
                       ServerOptions options)
    : loop_(loop),
      anchor_(std::make_shared<ServerAnchor>(ServerAnchor{this, &loop_})),
      table_(table),
      options_(std::move(options)),
      response_head_(options_),
      deadlines_(options_) {
  start_listening(address);
  make_workers();
}

void HTTPServer::make_workers() {
  ServerOptions worker_options = options_;
  worker_options.threads = 1;
  worker_options.handle_signals = false;  // this loop takes them and tells the others
  for (unsigned i = 1; i < options_.threads; ++i) {
    // TCP: a listener of its own on the same port, the kernel balancing
    // between them; a unix or inherited socket has no such thing: shared.
    ServerAddress address{address_.host(), address_.port()};
    if (share_listener_) {
      int copy = ::fcntl(acceptor_->fd(), F_DUPFD_CLOEXEC, 0);
      if (copy < 0) throw std::system_error(errno, std::generic_category(), "dup listener");
      address = ServerAddress::listening_socket(copy);
    }
    workers_.push_back(std::make_unique<HTTPServer>(address, table_, worker_options));
    workers_.back()->primary_ = this;
  }
}

void HTTPServer::on_other_loops(void (HTTPServer::*action)()) {
  for (auto& worker : workers_)
    worker->post([action](HTTPServer& other) { (other.*action)(); });
}

void HTTPServer::post(std::function<void(HTTPServer&)> fn) {
  loop_.post([anchor = anchor_, fn = std::move(fn)] {
    if (anchor->server != nullptr) fn(*anchor->server);
  });
}

FileDescriptor HTTPServer::open_listener(const ServerAddress& address) {
  share_listener_ = address.listening_fd >= 0 || !address.unix_path.empty();
  if (address.listening_fd >= 0) {
    return adopt_listening_socket(address.listening_fd).value_or_throw();
  }
  if (options_.threads > 1 && !share_listener_) {
    options_.listen.reuse_port = true;  // each loop listens on the port
  }
  if (!address.unix_path.empty()) {
    FileDescriptor listening =
        listen_unix(address.unix_path, static_cast<mode_t>(address.unix_mode), options_.listen)
            .value_or_throw();
    unix_path_ = address.unix_path;
    return listening;
  }
  return listen_tcp(bind_address(address), options_.listen).value_or_throw();
}

void HTTPServer::start_listening(const ServerAddress& address) {
  keep_alive_protocol_ = options_.protocol_version == "HTTP/1.1";
  logging_ = static_cast<bool>(options_.log_sink);
  // Deadlines are checked a few times per shortest wait: fine enough, and
  // the tick only runs while some connection waits.
  auto shortest = std::min({options_.header_timeout, options_.body_timeout, options_.send_timeout,
                            options_.keep_alive_timeout,
                            std::max(options_.idle_release_after, std::chrono::milliseconds(1))});
  tick_interval_ = std::clamp<EventLoop::Duration>(shortest / 4, std::chrono::milliseconds(5),
                                                   std::chrono::milliseconds(1000));
  // A client may connect, and a supervisor may signal, as soon as listen()
  // returns: the signals are held back from then on, for the signalfd to
  // collect, rather than killing a process whose handler is not set yet.
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (options_.handle_signals) pthread_sigmask(SIG_BLOCK, &signals, &previous);
  FileDescriptor listening;
  try {
    listening = open_listener(address);
  } catch (...) {
    if (options_.handle_signals) pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  acceptor_ = std::make_unique<Acceptor>(loop_, std::move(listening),
                                         [this](FileDescriptor socket, const SocketAddress& peer) {
                                           accept(std::move(socket), peer);
                                         });
  address_ = acceptor_->local_address();
  if (options_.handle_signals) {
    // The loop may outlive the server (and keep the handler): a signal
    // that comes after it is gone finds no server.
    loop_.watch_signals({SIGINT, SIGTERM}, [anchor = anchor_](int) {
      HTTPServer* server = anchor->server;
      if (server == nullptr) return;
      if (!server->draining_) {
        server->begin_drain();
      } else {
        server->begin_shutdown();  // a second signal: stop waiting
        server->close_remaining();
      }
    });
  }
}

HTTPServer::~HTTPServer() {
  anchor_->server = nullptr;  // what is still queued on the loop finds it gone
  for (auto& worker : workers_)
    worker->loop_.stop();
  for (std::thread& thread : worker_threads_)
    thread.join();
  workers_.clear();
  if (drain_timer_ != 0) loop_.cancel(drain_timer_);
  if (delay_timer_ != 0) loop_.cancel(delay_timer_);
  if (unheard_timer_ != 0) loop_.cancel(unheard_timer_);
  if (tick_timer_ != 0) loop_.cancel(tick_timer_);
  acceptor_.reset();
  slots_.clear();  // closes every connection without callbacks
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void HTTPServer::accept(FileDescriptor socket, const SocketAddress& peer) {
  if (shutting_down_) return;  // closes the socket
  ++stats_.connections_accepted;
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
  if (options_.max_connections != 0 && live_sessions_ >= options_.max_connections) {
    acceptor_->pause();  // the rest wait in the kernel's backlog
  }
}

std::unique_ptr<RequestState> HTTPServer::acquire_state(Session& session) {
  std::unique_ptr<RequestState> state;
  if (free_states_.empty()) {
    state = std::make_unique<RequestState>(options_.limits);
  } else {
    state = std::move(free_states_.back());
    free_states_.pop_back();
  }
  state->handler.attach(session);
  return state;
}

void HTTPServer::release_state(std::unique_ptr<RequestState> state) {
  // Enough spares for the connections busy at once in a burst; beyond that
  // a state is freed (it costs a few hundred bytes and one allocation).
  constexpr size_t kSpareStates = 256;
  if (free_states_.size() >= kSpareStates) return;
  state->parser.next_message();
  free_states_.push_back(std::move(state));
}

void HTTPServer::schedule(Session& session, DeadlineList& list) {
  list.schedule(session, loop_.now());
  if (tick_timer_ == 0) tick_timer_ = loop_.run_every(tick_interval_, [this] { tick(); });
}

void HTTPServer::tick() {
  EventLoop::Clock::time_point now = EventLoop::Clock::now();
  struct Kind {
    DeadlineList* list;
    Session::Wait wait;
  };
  const Kind kinds[] = {{&deadlines_.header, Session::Wait::kHeader},
                        {&deadlines_.body, Session::Wait::kBody},
                        {&deadlines_.send, Session::Wait::kSend},
                        {&deadlines_.idle, Session::Wait::kIdle},
                        {&deadlines_.keep_alive, Session::Wait::kKeepAlive}};
  bool waiting = false;
  for (const Kind& kind : kinds) {
    while (DeadlineEntry* due = kind.list->pop_expired(now)) {
      static_cast<Session*>(due)->on_deadline(kind.wait);
    }
    waiting |= !kind.list->empty();
  }
  if (!waiting) {
    loop_.cancel(tick_timer_);  // nobody waits: no wake-ups on an idle server
    tick_timer_ = 0;
  }
}

void HTTPServer::release(uint32_t slot) {
  closed_slots_.push_back(slot);
  if (closed_slots_.size() > 1) return;  // the first of this iteration queued the work
  // The anchor, not `this`: the server may be destroyed earlier in the
  // same end of iteration (another server's work on a shared loop).
  loop_.run_soon([anchor = anchor_] {
    if (anchor->server != nullptr) anchor->server->release_closed();
  });
}

void HTTPServer::release_closed() {
  while (!closed_slots_.empty()) {
    uint32_t slot = closed_slots_.back();
    closed_slots_.pop_back();
    Slot& entry = slots_[slot];
    if (!entry.session) continue;
    entry.session.reset();
    ++entry.generation;
    free_slots_.push_back(slot);
    --live_sessions_;
    if (shutting_down_) {
      check_drained();
    } else if (acceptor_->paused() && live_sessions_ < options_.max_connections) {
      acceptor_->resume();
    }
  }
}

size_t HTTPServer::queued_output_bytes() const {
  size_t total = 0;
  for (const Slot& entry : slots_) {
    if (entry.session && !entry.session->closed()) {
      total += entry.session->connection().output().size();
    }
  }
  return total;
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
  for (auto& worker : workers_) {
    HTTPServer* other = worker.get();
    worker_threads_.emplace_back([other] { other->serve_forever(); });
  }
  loop_.run();
  // Every loop drains before serve_forever() returns (shutdown() waits for it).
  for (std::thread& thread : worker_threads_)
    thread.join();
  worker_threads_.clear();
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    serving_ = false;
  }
  state_changed_.notify_all();
}

void HTTPServer::shutdown() {
  if (loop_.running_in_this_thread()) {  // from a handler or timer: cannot wait here
    begin_drain();
    return;
  }
  loop_.post([this] { begin_drain(); });
  std::unique_lock<std::mutex> lock(state_mutex_);
  state_changed_.wait(lock, [this] { return drained_ && !serving_; });
}

void HTTPServer::begin_drain() {
  if (draining_) return;
  draining_ = true;
  on_other_loops(&HTTPServer::mark_draining);
  if (options_.shutdown_delay.count() <= 0) {
    begin_shutdown();
    return;
  }
  delay_timer_ = loop_.run_after(options_.shutdown_delay, [this] {
    delay_timer_ = 0;
    begin_shutdown();
  });
}

void HTTPServer::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  draining_ = true;
  if (delay_timer_ != 0) {
    loop_.cancel(delay_timer_);
    delay_timer_ = 0;
  }
  on_other_loops(&HTTPServer::begin_shutdown);
  acceptor_->close();
  // Connections accepted but not heard from yet get a moment for their
  // first request (a client that connected has one on its way), answered
  // with Connection: close; then they are closed like the idle ones.
  for (Slot& entry : slots_) {
    if (entry.session) entry.session->begin_shutdown(/*close_unheard=*/false);
  }
  unheard_timer_ = loop_.run_after(std::min(kUnheardGrace, options_.drain_timeout), [this] {
    unheard_timer_ = 0;
    for (Slot& entry : slots_) {
      if (entry.session) entry.session->begin_shutdown();
    }
  });
  drain_timer_ = loop_.run_after(options_.drain_timeout, [this] {
    drain_timer_ = 0;
    close_remaining();
  });
  check_drained();
}

void HTTPServer::close_remaining() {
  on_other_loops(&HTTPServer::close_remaining);
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
  if (unheard_timer_ != 0) {
    loop_.cancel(unheard_timer_);
    unheard_timer_ = 0;
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
