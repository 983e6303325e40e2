// ScratchBuffer: a Buffer an EventLoop lends to one connection at a time,
// for one read and its parsing, or for the responses of one batch until
// they are flushed. Bytes still unconsumed when it is given back are
// copied to the connection's own buffer, so connections that are idle, or
// whose reads and writes complete, hold no buffer of their own. Loop
// thread only.
#pragma once

#include "reactor/buffer.hpp"

namespace basehttp {

class ScratchBuffer {
 public:
  /// The buffer, empty, or nullptr while another connection has it.
  Buffer* borrow() {
    if (lent_) return nullptr;
    lent_ = true;
    return &buffer_;
  }
  /// Takes it back, emptied (its storage is kept for the next borrower).
  void give_back() {
    buffer_.retrieve_all();
    lent_ = false;
  }
  bool owns(const Buffer* buffer) const { return buffer == &buffer_; }

 private:
  Buffer buffer_;
  bool lent_ = false;
};

}  // namespace basehttp
