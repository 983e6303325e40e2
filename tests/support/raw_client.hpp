// RawClient: a blocking TCP client for tests that writes exact bytes and
// reads HTTP responses back, every wait bounded by a deadline. The bytes
// go through three virtual calls so that TlsClient (tls_client.hpp) reads
// the same responses through TLS records. Test thread.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace basehttp::testing {

struct Response {
  std::string version;
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string trailer_block;

  /// The first value of `name` (any case), or "" .
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  size_t header_count(std::string_view name) const;
};

class RawClient {
 public:
  using Duration = std::chrono::milliseconds;

  /// Connects to host:port (127.0.0.1 or ::1); fails the test on error.
  /// `receive_buffer` > 0 sets SO_RCVBUF before connecting (a slow reader).
  explicit RawClient(uint16_t port, std::string host = "127.0.0.1",
                     Duration timeout = Duration(10000), int receive_buffer = 0);
  virtual ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  /// Connects to the unix-domain socket at `path` instead.
  struct UnixPath {
    std::string path;
  };
  explicit RawClient(const UnixPath& unix_path, Duration timeout = Duration(10000));

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  /// Writes all of `bytes`; false if the peer is gone.
  bool send(std::string_view bytes);
  /// Reads one response. `head_request`: the response to a HEAD has no body.
  /// Nothing on EOF, timeout or garbage.
  std::optional<Response> read_response(bool head_request = false);
  /// Reads a 1xx interim response's status line and headers only.
  std::optional<Response> read_interim();
  /// Reads and drops `size` body bytes (after read_interim() took the head);
  /// returns how many arrived before EOF or the deadline.
  size_t discard(size_t size);
  /// Reads exactly `size` body bytes (after read_interim() took the head);
  /// nothing on EOF or the deadline first.
  std::optional<std::string> read_body_bytes(size_t size);
  /// Everything until the server closes (or the deadline).
  std::string read_until_close();
  /// True when the server closes the connection before the deadline, after
  /// any bytes it still sends (returned through `rest` if given).
  bool closed_by_peer(std::string* rest = nullptr);
  /// True if no byte arrives within `wait` (and the connection is still open).
  bool silent_for(Duration wait);
  /// Bytes received but not consumed by read_response().
  const std::string& pending() const { return buffer_; }
  virtual void shutdown_write();
  void close();

 protected:
  /// Sends some of `bytes`: the count taken, or <= 0 when the peer is gone.
  virtual ssize_t send_some(std::string_view bytes);
  /// Reads what has arrived into `into` once the socket was readable: the
  /// count, 0 at the end of the stream, -1 with errno EAGAIN when nothing
  /// readable came (e.g. a TLS record that carried no data), else -1.
  virtual ssize_t receive_some(char* into, size_t size);
  /// Bytes already received below (decrypted, not yet taken): no poll()
  /// is needed before receive_some().
  virtual bool has_buffered() const { return false; }

 private:
  /// Reads more into buffer_; false on EOF, error or deadline.
  bool fill(std::chrono::steady_clock::time_point deadline);
  bool read_exact(size_t size, std::chrono::steady_clock::time_point deadline);
  bool read_line(std::string* line, std::chrono::steady_clock::time_point deadline);
  std::optional<Response> read_head(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  Duration timeout_;
  std::string buffer_;
  bool eof_ = false;
};

/// A plain blocking TCP socket connected to 127.0.0.1:port, TCP_NODELAY,
/// for tests that drive it themselves; `buffer_size` > 0 sets SO_RCVBUF and
/// SO_SNDBUF first (so our kernel's buffers hide little of the server's
/// behaviour). -1 on failure.
int connect_loopback(uint16_t port, int buffer_size = 0);

/// Sends `request` on a fresh connection and reads one response.
std::optional<Response> exchange(uint16_t port, std::string_view request,
                                 bool head_request = false);

}  // namespace basehttp::testing
