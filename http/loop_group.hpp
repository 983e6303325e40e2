// LoopGroup: the event loops one HTTPServer serves on when
// ServerOptions::threads is more than one: the server itself on the loop
// that runs serve_forever(), and one more server per extra loop, each on a
// thread of its own, with the same handlers and options and a listener of
// its own on the same port (SO_REUSEPORT: the kernel spreads connections),
// or a copy of a shared one (a unix socket, an inherited listener).
// Draining and shutdown reach every loop. With one thread the group holds
// the server alone. Made by the first server; every server of the group
// reaches it through HTTPServer::loops(). size() and operator[] from any
// thread; each server is otherwise used on its own loop thread, so reach
// one from elsewhere with for_each_loop() or HTTPServer::post().
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace basehttp {

class HTTPServer;

class LoopGroup {
 public:
  /// `primary` is the server that made the group; the others are made
  /// here, listening on the same port, or on copies of its listening
  /// socket when `share_listener`.
  LoopGroup(HTTPServer& primary, bool share_listener);
  ~LoopGroup();
  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;

  /// How many loops serve (ServerOptions::threads).
  size_t size() const { return 1 + others_.size(); }
  /// The server of loop `index`; 0 is the one that runs serve_forever().
  HTTPServer& operator[](size_t index) const { return index == 0 ? primary_ : *others_[index - 1]; }
  /// Runs `fn` with each loop's server on that loop's thread (this
  /// thread's own loop included, later, like the others).
  void for_each_loop(const std::function<void(HTTPServer&)>& fn) const;

  // ---- For the primary HTTPServer ----
  /// Runs `fn` on every loop but the primary's, each on its own thread.
  void on_other_loops(const std::function<void(HTTPServer&)>& fn) const;
  /// Starts the other loops' threads (serve_forever() on each).
  void start();
  /// Waits for the other loops' threads to return.
  void join();

 private:
  HTTPServer& primary_;
  std::vector<std::unique_ptr<HTTPServer>> others_;
  std::vector<std::thread> threads_;
};

}  // namespace basehttp
