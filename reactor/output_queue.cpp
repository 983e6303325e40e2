#include "reactor/output_queue.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace basehttp {
namespace {
constexpr int kMaxIovecs = 64;
}

OutputQueue::~OutputQueue() {
  if (scratch_ != nullptr && scratch_->owns(copied_)) scratch_->give_back();
}

void OutputQueue::borrow_scratch() {
  if (scratch_ == nullptr || copied_ != &own_) return;
  if (Buffer* lent = scratch_->borrow()) copied_ = lent;
}

void OutputQueue::return_scratch() {
  if (scratch_ == nullptr || copied_ == &own_) return;
  if (!copied_->empty()) own_.append(copied_->view());
  scratch_->give_back();
  copied_ = &own_;
}

void OutputQueue::seal() {
  if (unsealed_ == 0) return;
  if (head_ < segments_.size() && segments_.back().kind == Kind::kCopied) {
    segments_.back().remaining += unsealed_;
  } else {
    segments_.push_back(Segment{Kind::kCopied, unsealed_, 0, {}, {}});
  }
  unsealed_ = 0;
}

void OutputQueue::append(std::string&& bytes) {
  if (bytes.size() < kMoveThreshold) {
    append(std::string_view(bytes));
    return;
  }
  seal();
  queued_bytes_ += bytes.size();
  size_t n = bytes.size();
  segments_.push_back(Segment{Kind::kOwned, n, 0, std::move(bytes), {}});
}

void OutputQueue::append_file(std::shared_ptr<const FileDescriptor> file, uint64_t offset,
                              uint64_t length) {
  if (length == 0) return;
  seal();
  queued_bytes_ += length;
  segments_.push_back(Segment{Kind::kFile, length, offset, {}, std::move(file)});
}

void OutputQueue::consume(size_t n) {
  queued_bytes_ -= n;
  bytes_sent_ += n;
  while (n > 0) {
    Segment& segment = segments_[head_];
    size_t step = n < segment.remaining ? n : segment.remaining;
    segment.remaining -= step;
    n -= step;
    if (segment.kind == Kind::kCopied) {
      copied_->retrieve(step);
    } else {
      segment.offset += step;
    }
    if (segment.remaining == 0) {
      segment.text = std::string();
      segment.file.reset();
      ++head_;
    }
  }
  if (head_ == segments_.size()) {
    segments_.clear();
    head_ = 0;
  } else if (head_ > 64 && head_ * 2 > segments_.size()) {
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(head_));
    head_ = 0;
  }
}

bool OutputQueue::flush_memory(int fd, int* error, bool* would_block) {
  iovec vectors[kMaxIovecs];
  int count = 0;
  size_t copied_offset = 0;
  bool file_follows = false;
  for (size_t i = head_; i < segments_.size() && count < kMaxIovecs; ++i) {
    const Segment& segment = segments_[i];
    if (segment.kind == Kind::kFile) {
      file_follows = true;
      break;
    }
    if (segment.kind == Kind::kCopied) {
      vectors[count].iov_base = const_cast<char*>(copied_->peek()) + copied_offset;
      copied_offset += segment.remaining;
    } else {
      vectors[count].iov_base = const_cast<char*>(segment.text.data()) + segment.offset;
    }
    vectors[count].iov_len = segment.remaining;
    ++count;
  }
  ssize_t written;
  do {
    if (file_follows && !not_a_socket_) {
      // Headers before a file body: MSG_MORE lets the kernel send them in
      // the same packet as the first file bytes.
      msghdr message{};
      message.msg_iov = vectors;
      message.msg_iovlen = static_cast<size_t>(count);
      written = ::sendmsg(fd, &message, MSG_MORE | MSG_NOSIGNAL);
      if (written < 0 && errno == ENOTSOCK) {
        not_a_socket_ = true;
        continue;
      }
    } else {
      written = ::writev(fd, vectors, count);
    }
  } while (written < 0 && errno == EINTR);
  if (written < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      *would_block = true;
      return true;
    }
    if (error) *error = errno;
    return false;
  }
  size_t offered = 0;
  for (int i = 0; i < count; ++i)
    offered += vectors[i].iov_len;
  consume(static_cast<size_t>(written));
  if (static_cast<size_t>(written) < offered) *would_block = true;
  return true;
}

bool OutputQueue::flush_file(int fd, int* error, bool* would_block) {
  Segment& segment = segments_[head_];
  off_t offset = static_cast<off_t>(segment.offset);
  size_t chunk = segment.remaining > (1u << 30) ? (1u << 30) : segment.remaining;
  ssize_t sent;
  do {
    sent = ::sendfile(fd, segment.file->get(), &offset, chunk);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      *would_block = true;
      return true;
    }
    if (error) *error = errno;
    return false;
  }
  if (sent == 0) {  // the file is shorter than promised: the response cannot be completed
    if (error) *error = EIO;
    return false;
  }
  consume(static_cast<size_t>(sent));
  return true;
}

OutputQueue::FlushResult OutputQueue::flush_to(int fd, int* error) {
  seal();
  FlushResult result = FlushResult::kDrained;
  while (!empty()) {
    bool would_block = false;
    bool ok = segments_[head_].kind == Kind::kFile ? flush_file(fd, error, &would_block)
                                                   : flush_memory(fd, error, &would_block);
    if (!ok) {
      result = FlushResult::kFailed;
      break;
    }
    if (would_block) {
      result = FlushResult::kWouldBlock;
      break;
    }
  }
  return_scratch();
  return result;
}

void OutputQueue::clear() {
  segments_.clear();
  head_ = 0;
  unsealed_ = 0;
  copied_->retrieve_all();
  return_scratch();
  queued_bytes_ = 0;
}

void OutputQueue::release_if_empty() {
  if (!empty()) return;
  own_.release_if_empty();
  segments_ = std::vector<Segment>();
}

}  // namespace basehttp
