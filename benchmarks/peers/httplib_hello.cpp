// httplib_hello: the hello server of benchmarks/compare.py written with
// cpp-httplib's Server as its README shows, on one worker thread. The
// library's model is a thread per connection: the listening thread accepts
// and queues each connection as a task; a pool thread then serves that
// connection with blocking reads until it closes (after
// keep_alive_max_count requests or keep_alive_timeout idle seconds). With
// one worker, one connection is served at a time and the others wait in the
// queue: that is what "one thread" means for this library. Usage:
//   httplib_hello PORT [--keep-alive-max N]
// (N: requests per connection, the library's default 5; compare.py --cost
// raises it, since one connection carries every request there.)
#include <httplib.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace {

httplib::Server* running = nullptr;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::strcmp(argv[2], "--keep-alive-max") == 0)) {
    std::fprintf(stderr, "usage: httplib_hello PORT [--keep-alive-max N]\n");
    return 2;
  }
  int port = std::atoi(argv[1]);
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(1); };
  // The header and the body go out in separate writes: without TCP_NODELAY
  // (off by default) every response waits on the client's delayed ACK.
  server.set_tcp_nodelay(true);
  if (argc == 4) server.set_keep_alive_max_count(std::strtoul(argv[3], nullptr, 10));
  server.Get("/plaintext", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("Hello, World!", "text/plain");
  });
  server.Get("/json", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"message":"Hello, World!"})", "application/json");
  });
  // listen() blocks in accept; a signal stops it from a thread of its own,
  // since Server::stop() is not async-signal-safe.
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  running = &server;
  std::thread stopper([&stops] {
    int received = 0;
    sigwait(&stops, &received);
    running->stop();
  });
  stopper.detach();
  return server.listen("127.0.0.1", port) ? 0 : 1;
}
