// HandlerTable: which function answers which request method, the way
// Python's handler dispatches to do_GET, do_SPAM. Methods are exact,
// case-sensitive tokens; any RFC 9110 token may be registered. Fill it
// before the server starts; the server only reads it afterwards (from its
// loop thread), so filling it is the only thread-sensitive step.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace basehttp {

class RequestHandler;

class HandlerTable {
 public:
  /// Answers one request. Runs on the loop thread and must not block; a
  /// response that needs to wait calls RequestHandler::defer().
  using Handler = std::function<void(RequestHandler&)>;

  struct Entry {
    std::string method;
    Handler handler;
    /// Dispatched when the header section is in, the body still to come
    /// (on_streaming()); otherwise once the whole body is buffered.
    bool streams_body = false;
  };

  /// Registers `handler` for `method` ("GET", "SPAM"), replacing any earlier
  /// one. It runs once the whole request, body included, has arrived.
  HandlerTable& on(std::string_view method, Handler handler);
  /// Registers `handler` for `method` with its body streamed: it runs as
  /// soon as the header section is in, and takes the body piece by piece
  /// through RequestHandler::read_body(), so a body of any size passes
  /// with bounded memory (ServerOptions::max_streamed_body_bytes).
  HandlerTable& on_streaming(std::string_view method, Handler handler);
  /// The handler for `method`, or nullptr (the server answers 501).
  const Handler* find(std::string_view method) const;
  /// The whole entry for `method`, or nullptr. GET, the method of most
  /// requests, is found without a scan.
  const Entry* find_entry(std::string_view method) const {
    if (method.size() == 3 && method[0] == 'G' && method[1] == 'E' && method[2] == 'T') {
      return get_index_ >= 0 ? &entries_[static_cast<size_t>(get_index_)] : nullptr;
    }
    return scan(method);
  }
  /// The registered methods, in registration order (for an Allow header).
  std::vector<std::string> methods() const;

 private:
  // Few entries: a linear scan of short strings beats hashing here.
  HandlerTable& add(std::string_view method, Handler handler, bool streams_body);
  const Entry* scan(std::string_view method) const;

  std::vector<Entry> entries_;
  int get_index_ = -1;  // GET's entry, if any: an index, which copies stay right
};

}  // namespace basehttp
