#include "http/log_writer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace basehttp {
namespace {

size_t count_lines(std::string_view text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

LogWriter::LogWriter(LogWriterOptions options) : options_(std::move(options)) {
  open_file();
  pending_.reserve(options_.buffer_bytes);
  writer_ = std::thread([this] { run_writer(); });
}

LogWriter::~LogWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void LogWriter::open_file() {
  if (options_.path.empty()) {
    fd_ = STDERR_FILENO;
    return;
  }
  FileDescriptor file(
      ::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!file) throw std::system_error(errno, std::generic_category(), "open " + options_.path);
  file_ = std::move(file);
  fd_ = file_.get();
}

size_t LogWriter::append(std::string_view lines) {
  size_t dropped = 0;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++appends_;
    size_t room = options_.buffer_bytes - std::min(options_.buffer_bytes, pending_.size());
    if (lines.size() > room) {
      // Whole lines only: keep those that fit, count the rest.
      size_t keep = lines.rfind('\n', room == 0 ? std::string_view::npos : room - 1);
      keep = (room == 0 || keep == std::string_view::npos) ? 0 : keep + 1;
      dropped = count_lines(lines.substr(keep));
      dropped_ += dropped;
      lines = lines.substr(0, keep);
    }
    if (lines.empty()) return dropped;
    // Woken when lines arrive, and again when half the buffer is taken
    // (it stops lingering then): not once per batch.
    size_t half = options_.buffer_bytes / 2;
    wake = pending_.empty() || (pending_.size() < half && pending_.size() + lines.size() >= half);
    pending_.append(lines);
  }
  if (wake) wake_.notify_one();  // otherwise the writer has been told already
  return dropped;
}

void LogWriter::reopen() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reopen_ = true;
  }
  wake_.notify_one();
}

uint64_t LogWriter::dropped_lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

uint64_t LogWriter::appends() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return appends_;
}

bool LogWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (pending_.empty() && written_batches_ == queued_batches_) return true;
  uint64_t target = queued_batches_ + (pending_.empty() ? 0 : 1);
  flush_ = true;
  wake_.notify_one();
  auto done = [&] { return written_batches_ >= target; };
  if (timeout == std::chrono::milliseconds::max()) {
    written_.wait(lock, done);
    return true;
  }
  return written_.wait_for(lock, timeout, done);
}

void LogWriter::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk: these lines are lost, the next batch tries again
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void LogWriter::run_writer() {
  // Signals are the loops' business (a signalfd blocks them in their
  // threads only): this thread must never be the one the kernel picks.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // Swapped with pending_ under the lock: both keep their capacity, so
  // neither side allocates once both have grown.
  std::string batch;
  batch.reserve(options_.buffer_bytes);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || reopen_ || flush_ || !pending_.empty(); });
    // Linger: lines arriving one batch at a time from a loop answering
    // one request per iteration then share one write.
    wake_.wait_for(lock, options_.linger, [this] {
      return stop_ || reopen_ || flush_ || pending_.size() >= options_.buffer_bytes / 2;
    });
    bool reopen = reopen_;
    reopen_ = false;
    flush_ = false;
    batch.swap(pending_);
    uint64_t dropped = dropped_ - dropped_reported_;
    dropped_reported_ = dropped_;
    bool stopping = stop_;
    ++queued_batches_;
    lock.unlock();

    if (reopen && !options_.path.empty()) {
      try {
        open_file();
      } catch (const std::system_error& error) {
        // Keep writing to the file open before rather than lose the log.
        std::fprintf(stderr, "log: %s\n", error.what());
      }
    }
    write_all(batch);
    batch.clear();
    if (dropped != 0) {
      char note[96];
      int n = std::snprintf(note, sizeof(note), "log: %llu lines dropped (buffer full)\n",
                            static_cast<unsigned long long>(dropped));
      write_all(std::string_view(note, static_cast<size_t>(n)));
    }

    lock.lock();
    written_batches_ = queued_batches_;
    written_.notify_all();
    if (stopping && pending_.empty()) return;
  }
}

LogWriter& stderr_log_writer() {
  static LogWriter* writer = [] {
    auto* made = new LogWriter();
    std::atexit([] { stderr_log_writer().flush(std::chrono::milliseconds(2000)); });
    return made;
  }();
  return *writer;
}

}  // namespace basehttp
