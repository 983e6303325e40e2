#include "http/loop_group.hpp"

#include <fcntl.h>

#include <cerrno>
#include <system_error>

#include "http/server.hpp"

namespace basehttp {

LoopGroup::LoopGroup(HTTPServer& primary, bool share_listener) : primary_(primary) {
  for (unsigned i = 1; i < primary.options().threads; ++i) {
    // TCP: a listener of its own on the same port, the kernel balancing
    // between them; a unix or inherited socket has no such thing: shared.
    ServerAddress address{primary.server_address().host(), primary.server_address().port()};
    if (share_listener) {
      int copy = ::fcntl(primary.listening_fd(), F_DUPFD_CLOEXEC, 0);
      if (copy < 0) throw std::system_error(errno, std::generic_category(), "dup listener");
      address = ServerAddress::listening_socket(copy);
    }
    others_.push_back(std::make_unique<HTTPServer>(*this, address));
  }
}

LoopGroup::~LoopGroup() {
  for (auto& other : others_)
    other->loop().stop();
  join();
}

void LoopGroup::for_each_loop(const std::function<void(HTTPServer&)>& fn) const {
  primary_.post(fn);
  on_other_loops(fn);
}

void LoopGroup::on_other_loops(const std::function<void(HTTPServer&)>& fn) const {
  for (const auto& other : others_)
    other->post(fn);
}

void LoopGroup::start() {
  for (auto& other : others_) {
    HTTPServer* server = other.get();
    threads_.emplace_back([server] { server->serve_forever(); });
  }
}

void LoopGroup::join() {
  for (std::thread& thread : threads_)
    thread.join();
  threads_.clear();
}

}  // namespace basehttp
