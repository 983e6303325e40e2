#include "http/server.hpp"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <system_error>

#include "http/graceful_shutdown.hpp"
#include "http/server_context.hpp"
#include "http/session.hpp"
#include "reactor/acceptor.hpp"
#include "reactor/basehttp_config.hpp"
#include "reactor/listen_socket.hpp"
#if BASEHTTP_TLS
#include "reactor/tls_context.hpp"
#include "reactor/tls_transport.hpp"
#endif

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

bool shares_listener(const ServerAddress& address) {
  return address.listening_fd >= 0 || !address.unix_path.empty();
}

// The TLS configuration of options.tls, or nullptr for plain HTTP.
std::shared_ptr<TlsContext> make_tls_context(const ServerOptions& options) {
  if (!options.tls) return nullptr;
#if BASEHTTP_TLS
  return std::make_shared<TlsContext>(TlsContext::make(*options.tls).value_or_throw());
#else
  throw std::system_error(
      std::make_error_code(std::errc::not_supported),
      "HTTPS: this build of basehttp has no TLS (configure with -Dtls=enabled)");
#endif
}

ServerOptions for_other_loops(ServerOptions options) {
  options.threads = 1;
  options.handle_signals = false;  // the primary's loop takes them and tells the others
  return options;
}

}  // namespace

HTTPServer::HTTPServer(ServerAddress address, HandlerTable& table, ServerOptions options)
    : HTTPServer(nullptr, nullptr, address, table, std::move(options)) {}

HTTPServer::HTTPServer(EventLoop& loop, ServerAddress address, HandlerTable& table,
                       ServerOptions options)
    : HTTPServer(&loop, nullptr, address, table, std::move(options)) {}

HTTPServer::HTTPServer(LoopGroup& group, ServerAddress address)
    : HTTPServer(nullptr, &group, address, group[0].handlers(),
                 for_other_loops(group[0].options())) {}

HTTPServer::HTTPServer(EventLoop* loop, LoopGroup* group, const ServerAddress& address,
                       const HandlerTable& table, ServerOptions options)
    : owned_loop_(loop == nullptr ? std::make_unique<EventLoop>() : nullptr),
      loop_(loop == nullptr ? *owned_loop_ : *loop),
      group_(group) {
  // The loops of a group share the primary's context: one certificate
  // pair, one reload, and OpenSSL's session cache shared across them.
  tls_ = group != nullptr ? (*group)[0].tls_ : make_tls_context(options);
  // Each loop of a group listens on the port itself, unless the socket is
  // one to share.
  if (options.threads > 1 && !shares_listener(address)) options.listen.reuse_port = true;
  context_ = std::make_unique<ServerContext>(loop_, table, std::move(options), this);
  context_->sessions.on_released = [this] { on_sessions_released(); };
  shutdown_ = std::make_unique<GracefulShutdown>(
      *context_, GracefulShutdown::Hooks{[this] {
                                           acceptor_->take_backlog();
                                           acceptor_->close();
                                         },
                                         [this](GracefulShutdown::Step step) {
                                           if (owned_group_ == nullptr) return;  // not the primary
                                           owned_group_->on_other_loops([step](HTTPServer& other) {
                                             ((*other.shutdown_).*step)();
                                           });
                                         }});
  start_listening(address);
  if (group_ == nullptr) {
    owned_group_ = std::make_unique<LoopGroup>(*this, shares_listener(address));
    group_ = owned_group_.get();
  }
}

FileDescriptor HTTPServer::open_listener(const ServerAddress& address) {
  const ListenOptions& listen = context_->options.listen;
  if (address.listening_fd >= 0) {
    return adopt_listening_socket(address.listening_fd).value_or_throw();
  }
  if (!address.unix_path.empty()) {
    FileDescriptor listening =
        listen_unix(address.unix_path, static_cast<mode_t>(address.unix_mode), listen)
            .value_or_throw();
    unix_path_ = address.unix_path;
    return listening;
  }
  return listen_tcp(bind_address(address), listen).value_or_throw();
}

void HTTPServer::start_listening(const ServerAddress& address) {
  bool handle_signals = context_->options.handle_signals;
  // A client may connect, and a supervisor may signal, as soon as listen()
  // returns: the signals are held back from then on, for the signalfd to
  // collect, rather than killing a process whose handler is not set yet.
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (handle_signals) pthread_sigmask(SIG_BLOCK, &signals, &previous);
  FileDescriptor listening;
  try {
    listening = open_listener(address);
  } catch (...) {
    if (handle_signals) pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  acceptor_ = std::make_unique<Acceptor>(loop_, std::move(listening),
                                         [this](FileDescriptor socket, const SocketAddress& peer) {
                                           accept(std::move(socket), peer);
                                         });
  address_ = acceptor_->local_address();
  if (handle_signals) {
    // The loop may outlive the server (and keep the handler): a signal
    // that comes after it is gone finds no server.
    loop_.watch_signals({SIGINT, SIGTERM}, [anchor = context_->anchor](int) {
      if (anchor->context == nullptr) return;
      anchor->context->server->shutdown_->on_signal();
    });
  }
}

HTTPServer::~HTTPServer() {
  owned_group_.reset();  // stops and joins the other loops
  shutdown_.reset();
  acceptor_.reset();
  context_.reset();  // closes every connection without callbacks
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void HTTPServer::accept(FileDescriptor socket, const SocketAddress& peer) {
  ServerContext& context = *context_;
  if (context.shutting_down) return;  // closes the socket
  ++context.stats.connections_accepted;
  std::unique_ptr<Transport> transport;
#if BASEHTTP_TLS
  if (tls_ != nullptr) {
    transport = TlsTransport::make(*tls_, socket.get());
    if (transport == nullptr) return;  // out of memory: closes the socket
  }
#endif
  context.sessions.open(context, std::move(socket), peer, std::move(transport));
  size_t limit = context.options.max_connections;
  if (limit != 0 && context.sessions.size() >= limit) {
    acceptor_->pause();  // the rest wait in the kernel's backlog
  }
}

SysResult<void> HTTPServer::reload_certificates() {
#if BASEHTTP_TLS
  if (tls_ != nullptr) return tls_->reload(*context_->options.tls);
#endif
  return SysError(EINVAL, "reload_certificates: the server does not serve HTTPS");
}

SysResult<void> HTTPServer::check_tls(const TlsOptions& tls) {
#if BASEHTTP_TLS
  auto loaded = TlsContext::make(tls);
  if (!loaded) return loaded.failure();
  return {};
#else
  (void)tls;
  return SysError(ENOTSUP, "HTTPS: this build of basehttp has no TLS");
#endif
}

void HTTPServer::on_sessions_released() {
  if (context_->shutting_down) {
    shutdown_->check_drained();
  } else if (acceptor_->paused() && context_->sessions.size() < context_->options.max_connections) {
    acceptor_->resume();
  }
}

void HTTPServer::post(std::function<void(HTTPServer&)> fn) {
  loop_.post([anchor = context_->anchor, fn = std::move(fn)] {
    if (anchor->context != nullptr) fn(*anchor->context->server);
  });
}

bool HTTPServer::shutting_down() const {
  return context_->shutting_down;
}
bool HTTPServer::draining() const {
  return context_->draining;
}
int HTTPServer::listening_fd() const {
  return acceptor_ ? acceptor_->fd() : -1;
}
const ServerOptions& HTTPServer::options() const {
  return context_->options;
}
const HandlerTable& HTTPServer::handlers() const {
  return context_->handlers;
}
size_t HTTPServer::connection_count() const {
  return context_->sessions.size();
}

size_t HTTPServer::parked_connection_count() const {
  return context_->sessions.parked();
}

ServerStats HTTPServer::stats() const {
  ServerStats copy = context_->stats;
  copy.connections_open = context_->sessions.size();
  return copy;
}

size_t HTTPServer::queued_output_bytes() const {
  size_t total = 0;
  context_->sessions.for_each([&total](Session& session) {
    if (!session.closed()) total += session.connection().output().size();
  });
  return total;
}

void HTTPServer::serve_forever() {
  if (!shutdown_->enter_serving()) return;
  if (owned_group_ != nullptr) owned_group_->start();
  loop_.run();
  // Every loop drains before serve_forever() returns (shutdown() waits for it).
  if (owned_group_ != nullptr) owned_group_->join();
  shutdown_->leave_serving();
}

void HTTPServer::shutdown() {
  if (loop_.running_in_this_thread()) {  // from a handler or timer: cannot wait here
    shutdown_->begin_drain();
    return;
  }
  loop_.post([this] { shutdown_->begin_drain(); });
  shutdown_->wait_until_stopped();
}

}  // namespace basehttp
