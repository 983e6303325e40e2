// event_stream: server-sent events from basehttp. GET /events streams one
// event a second ("data: <n> <time>") to every client that listens, for as
// long as it listens; GET / serves a page that shows them. Each stream is a
// ResponseStream: a client that reads slowly is skipped until it drains,
// one that leaves is dropped. Usage: event_stream [PORT] (default 8000).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <list>
#include <string>

#include "basehttp.hpp"

namespace {

constexpr const char* kPage = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>basehttp events</title></head>
<body><h1>Events</h1><pre id="log"></pre>
<script>
new EventSource("/events").onmessage = (e) => {
  document.getElementById("log").textContent += e.data + "\n";
};
</script></body></html>
)";

/// The open streams; loop thread only.
class Listeners {
 public:
  void add(basehttp::ResponseStream stream) {
    auto entry = streams_.insert(streams_.end(), stream);
    stream.on_close([this, entry] { streams_.erase(entry); });
  }
  /// Sends `event` to every listener that keeps up.
  void broadcast(const std::string& event) {
    // A failed write closes its stream, whose on_close erases it: step past first.
    for (auto it = streams_.begin(); it != streams_.end();) {
      const basehttp::ResponseStream& stream = *it++;
      if (stream.writable()) stream.write(event);  // a slow reader misses ticks, never grows memory
    }
  }
  size_t size() const { return streams_.size(); }

 private:
  std::list<basehttp::ResponseStream> streams_;
};

}  // namespace

int main(int argc, char** argv) {
  Listeners listeners;
  basehttp::HandlerTable table;
  table.on("GET", [&](basehttp::RequestHandler& h) {
    if (h.path() == "/") return h.respond(200, "text/html; charset=utf-8", kPage);
    if (h.path() != "/events") return h.send_error(404);
    h.send_response(200);
    h.send_header("Content-Type", "text/event-stream");
    h.send_header("Cache-Control", "no-store");
    listeners.add(h.stream());
  });
  basehttp::ServerOptions options;
  options.handle_signals = true;
  options.drain_timeout = std::chrono::seconds(1);  // streams never end by themselves
  auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8000);
  basehttp::HTTPServer server({"127.0.0.1", port}, table, options);

  unsigned long sequence = 0;
  server.loop().run_every(std::chrono::seconds(1), [&] {
    std::time_t now = std::time(nullptr);
    char when[32];
    std::strftime(when, sizeof when, "%H:%M:%S", std::gmtime(&now));
    listeners.broadcast("data: " + std::to_string(++sequence) + " " + when + "\n\n");
  });
  std::printf("Serving events on http://127.0.0.1:%u/ ...\n", server.server_port());
  std::fflush(stdout);
  server.serve_forever();
  return 0;
}
