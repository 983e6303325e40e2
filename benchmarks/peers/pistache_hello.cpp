// pistache_hello: the hello server of benchmarks/compare.py written with
// Pistache's Http::Endpoint and a Handler as its guide shows, with
// options().threads(1): one reactor thread serves every connection (the
// thread calling serve() only accepts). Usage:
//   pistache_hello PORT
#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

using namespace Pistache;

class Hello : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Hello)

  void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
    if (request.resource() == "/plaintext") {
      response.send(Http::Code::Ok, "Hello, World!", MIME(Text, Plain));
    } else if (request.resource() == "/json") {
      response.send(Http::Code::Ok, R"({"message":"Hello, World!"})", MIME(Application, Json));
    } else {
      response.send(Http::Code::Not_Found, "Not Found\n", MIME(Text, Plain));
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pistache_hello PORT\n");
    return 2;
  }
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);  // every thread Pistache starts inherits it
  Http::Endpoint server(Address(IP::loopback(), Port(static_cast<uint16_t>(std::atoi(argv[1])))));
  server.init(Http::Endpoint::options().threads(1).flags(Tcp::Options::ReuseAddr).backlog(4096));
  server.setHandler(Http::make_handler<Hello>());
  server.serveThreaded();
  int received = 0;
  sigwait(&stops, &received);
  server.shutdown();
  return 0;
}
