#include "http/server_context.hpp"

#include <utility>

#include "http/session.hpp"

namespace basehttp {

ServerContext::ServerContext(EventLoop& loop, const HandlerTable& handlers, ServerOptions options,
                             HTTPServer* server)
    : loop(loop),
      handlers(handlers),
      options(std::move(options)),
      server(server),
      keep_alive_protocol(this->options.protocol_version == "HTTP/1.1"),
      logging(static_cast<bool>(this->options.log_sink)),
      anchor(std::make_shared<ServerAnchor>(ServerAnchor{this, &loop})),
      response_head(this->options),
      request_log(this->options.log_sink, loop, stats.log_lines_dropped),
      states(this->options.limits),
      timeouts(loop, this->options,
               [this](DeadlineEntry& entry, Wait wait) { sessions.expired(entry, wait); }),
      sessions(loop, anchor) {}

ServerContext::~ServerContext() {
  anchor->context = nullptr;  // what is still queued on the loop finds it gone
  sessions.clear();
}

}  // namespace basehttp
