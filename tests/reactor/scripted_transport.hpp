// ScriptedTransport: a Transport for tests, over a real socket, that can
// refuse sendfile, cut reads and writes short, answer -EAGAIN when the
// socket would not, and, as TLS does, make a read wait until the socket is
// writable (sending "handshake" bytes first) or a write wait until it is
// readable. It records what it was offered, to check the write contract:
// after -EAGAIN or a short count, the untaken bytes come first next time.
#pragma once

#include <sys/uio.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "reactor/plain_transport.hpp"
#include "reactor/transport.hpp"

namespace basehttp::testing {

class ScriptedTransport final : public Transport {
 public:
  // The script, set before use.
  bool send_file_allowed = false;
  size_t max_read = SIZE_MAX;   // bytes one read returns at most
  size_t max_write = SIZE_MAX;  // bytes one write takes at most
  int eagain_every = 0;         // every n-th write says -EAGAIN (kWritable); 0: never
  // The first n reads take in what the socket holds (kept for later reads,
  // as TLS keeps records), send `handshake`, then wait for kWritable.
  int reads_wanting_write = 0;
  int writes_wanting_read = 0;  // the first n writes wait for kReadable
  int write_error = 0;          // a -errno every write returns; 0: none
  std::string handshake = "handshake";

  // What happened.
  int reads = 0;
  int writes = 0;
  int files_sent = 0;
  int shutdowns = 0;
  int releases = 0;
  size_t largest_write = 0;    // the most bytes offered to one write
  int moved_write_errors = 0;  // writes whose first bytes were not the untaken ones

  ssize_t read(int fd, char* data, size_t size) override {
    ++reads;
    if (reads_wanting_write > 0) {
      --reads_wanting_write;
      char chunk[4096];
      ssize_t got;
      while ((got = PlainTransport::read(fd, chunk, sizeof chunk)) > 0)
        held_.append(chunk, static_cast<size_t>(got));
      iovec hello{handshake.data(), handshake.size()};
      PlainTransport::write(fd, &hello, 1, false);
      wait_ = TransportWait::kWritable;
      return -EAGAIN;
    }
    if (!held_.empty()) {
      size_t n = std::min({size, max_read, held_.size()});
      held_.copy(data, n);
      held_.erase(0, n);
      return static_cast<ssize_t>(n);
    }
    ssize_t n = PlainTransport::read(fd, data, std::min(size, max_read));
    if (n == -EAGAIN) wait_ = TransportWait::kReadable;
    return n;
  }

  ssize_t write(int fd, const iovec* vectors, int count, bool) override {
    ++writes;
    std::string offered = gather(vectors, count);
    largest_write = std::max(largest_write, offered.size());
    if (!untaken_.empty() && offered.compare(0, untaken_.size(), untaken_) != 0) {
      ++moved_write_errors;
    }
    untaken_.clear();
    if (write_error != 0) return write_error;
    if (writes_wanting_read > 0) {
      --writes_wanting_read;
      return refuse(offered, TransportWait::kReadable);
    }
    if (eagain_every > 0 && writes % eagain_every == 0) {
      return refuse(offered, TransportWait::kWritable);
    }
    size_t length = std::min(offered.size(), max_write);
    iovec cut{offered.data(), length};
    ssize_t n = PlainTransport::write(fd, &cut, 1, false);
    if (n == -EAGAIN) return refuse(offered, TransportWait::kWritable);
    if (n >= 0) untaken_ = offered.substr(static_cast<size_t>(n), kRemembered);
    return n;
  }

  bool can_send_file() const override { return send_file_allowed; }
  ssize_t send_file(int fd, int file, uint64_t offset, size_t length) override {
    ++files_sent;
    return PlainTransport::send_file(fd, file, offset, length);
  }
  int shutdown_write(int fd) override {
    ++shutdowns;
    return PlainTransport::shutdown_write(fd);
  }
  TransportWait wants() const override { return wait_; }
  void release_buffers() override { ++releases; }

 private:
  static constexpr size_t kRemembered = 64;

  static std::string gather(const iovec* vectors, int count) {
    std::string bytes;
    for (int i = 0; i < count; ++i) {
      bytes.append(static_cast<const char*>(vectors[i].iov_base), vectors[i].iov_len);
    }
    return bytes;
  }
  ssize_t refuse(const std::string& offered, TransportWait wait) {
    untaken_ = offered.substr(0, kRemembered);
    wait_ = wait;
    return -EAGAIN;
  }

  TransportWait wait_ = TransportWait::kReadable;
  std::string untaken_;  // the first bytes not taken by the last write
  std::string held_;     // read from the socket, not yet returned
};

}  // namespace basehttp::testing
