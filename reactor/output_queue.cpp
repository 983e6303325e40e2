#include "reactor/output_queue.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "reactor/stream_io.hpp"

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
      if (segment.file.get() == chunk_file_) chunk_file_ = nullptr;
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

int OutputQueue::flush_memory(StreamIo io, bool* would_block) {
  iovec vectors[kMaxIovecs];
  int count = 0;
  size_t copied_offset = 0;
  size_t offered = 0;
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
    offered += segment.remaining;
    ++count;
  }
  // Headers before a file body: MSG_MORE lets the kernel send them in the
  // same packet as the first file bytes.
  ssize_t written = io.write(vectors, count, file_follows && !not_a_socket_);
  if (written == -ENOTSOCK && file_follows && !not_a_socket_) {
    not_a_socket_ = true;
    written = io.write(vectors, count, false);
  }
  return took(io, written, offered, would_block);
}

int OutputQueue::took(StreamIo io, ssize_t written, size_t offered, bool* would_block) {
  if (written < 0) {
    if (written != -EAGAIN) return static_cast<int>(written);
    *would_block = true;
    return 0;
  }
  consume(static_cast<size_t>(written));
  // A plain socket that takes less than offered is full; a transport may
  // stop short anyway (a TLS record at a time), so it is asked again until
  // it says -EAGAIN. Taking nothing counts as full: no busy loop. With
  // `offered` 0 a short count proves nothing.
  if (written == 0 || (static_cast<size_t>(written) < offered && io.transport == nullptr)) {
    *would_block = true;
  }
  return 0;
}

int OutputQueue::flush_file(StreamIo io, bool* would_block) {
  Segment& segment = segments_[head_];
  size_t chunk = segment.remaining > (1u << 30) ? (1u << 30) : segment.remaining;
  ssize_t sent = io.send_file(segment.file->get(), segment.offset, chunk);
  // The file is shorter than promised: the response cannot be completed.
  if (sent == 0) return -EIO;
  // A short count may be the end of the file as well as a full socket:
  // sendfile again, and -EIO or -EAGAIN will tell which.
  return took(io, sent, /*offered=*/0, would_block);
}

int OutputQueue::flush_file_by_copy(StreamIo io, bool* would_block) {
  Segment& segment = segments_[head_];
  // The piece read last time but not all written is written again from
  // memory: a transport expects the same bytes after -EAGAIN, and the file
  // is not read twice.
  bool held = chunk_file_ == segment.file.get() && segment.offset >= chunk_offset_ &&
              segment.offset < chunk_offset_ + chunk_size_;
  if (!held) {
    if (file_chunk_ == nullptr) file_chunk_ = std::make_unique_for_overwrite<char[]>(kFileChunk);
    size_t want = segment.remaining < kFileChunk ? segment.remaining : kFileChunk;
    ssize_t n;
    do {
      n = ::pread(segment.file->get(), file_chunk_.get(), want, static_cast<off_t>(segment.offset));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    if (n == 0) return -EIO;  // shorter than promised, as in flush_file
    chunk_file_ = segment.file.get();
    chunk_offset_ = segment.offset;
    chunk_size_ = static_cast<size_t>(n);
  }
  size_t skip = static_cast<size_t>(segment.offset - chunk_offset_);
  size_t length = chunk_size_ - skip;
  if (length > segment.remaining) length = segment.remaining;
  iovec vector{file_chunk_.get() + skip, length};
  return took(io, io.write(&vector, 1, false), length, would_block);
}

int OutputQueue::flush_to(int fd) {
  return flush_to(StreamIo{fd, nullptr});
}

int OutputQueue::flush_to(StreamIo io) {
  if (segments_.empty() && unsealed_ != 0) [[likely]] {
    // The usual batch: responses copied into the block and nothing else
    // queued. One write, and no segment made for bytes sent at once (nor
    // a segment array allocated again after an idle release).
    iovec vector{copied_->peek(), unsealed_};
    ssize_t written = io.write(&vector, 1, false);
    if (written == static_cast<ssize_t>(vector.iov_len)) [[likely]] {
      copied_->retrieve(vector.iov_len);
      bytes_sent_ += vector.iov_len;
      queued_bytes_ = 0;
      unsealed_ = 0;
      return_scratch();
      return 0;
    }
    seal();
    bool would_block = false;
    int status = took(io, written, vector.iov_len, &would_block);
    if (status < 0 || would_block) {
      return_scratch();
      return status < 0 ? status : -EAGAIN;
    }
  }
  seal();
  int result = 0;
  while (!empty()) {
    bool would_block = false;
    int status;
    if (segments_[head_].kind != Kind::kFile) {
      status = flush_memory(io, &would_block);
    } else if (io.can_send_file()) {
      status = flush_file(io, &would_block);
    } else {
      status = flush_file_by_copy(io, &would_block);
    }
    if (status < 0) {
      result = status;
      break;
    }
    if (would_block) {
      result = -EAGAIN;
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
  chunk_file_ = nullptr;
}

void OutputQueue::release_if_empty() {
  if (!empty()) return;
  own_.release_if_empty();
  segments_ = std::vector<Segment>();
  file_chunk_.reset();
  chunk_file_ = nullptr;
}

}  // namespace basehttp
