// SysResult<T>: what a call below the request path returns when it can fail
// for a reason the kernel gives (an errno value): either its T, or the
// errno with the step that failed ("bind [::]:8000", "posix_spawn"). A value
// type; any thread.
//
// The library's one error convention (CONTRIBUTING.md, "Errors"):
// - A call on the request path that yields a count or a descriptor returns
//   it as an int or ssize_t, or -errno: nothing to build, nothing to free.
// - A call that makes something (a listening socket, a process, a
//   handover), or that yields a value of another type, returns
//   SysResult<T> (SysResult<void> when there is nothing to yield). The
//   step's name is a string filled only on failure, so success allocates
//   nothing.
// - A parser returns std::optional: "not one" is its only failure.
// - Only constructors throw, and only std::system_error (as Python raises
//   OSError): an object that cannot be made (a loop without an epoll, a
//   server that cannot bind). throw_error() turns a SysResult into that.
// - Nothing throws through a loop callback; a call that fails synchronously
//   never fires its callback.
// - Impossible states (epoll_ctl refusing a live fd, value() of a failure)
//   abort loudly.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace basehttp {

/// The failure half of a SysResult: an errno value and the step that
/// failed. Made by the call that fails, read by whoever reports it.
class SysError {
 public:
  /// `error` is an errno value, positive or negated (-errno); `what` names
  /// the failed call and, where useful, its subject ("bind [::]:8000").
  SysError(int error, std::string what)
      : error_(error < 0 ? -error : error), what_(std::move(what)) {
    // A failure without a cause would read as success.
    if (error_ == 0) abort_without_cause();
  }
  /// Same with a fixed name: `SysError(errno, "pipe2")` reads errno before
  /// any string is built (an allocation may change errno).
  SysError(int error, const char* what) : SysError(error, std::string(what)) {}

  int error() const { return error_; }
  const std::string& what() const { return what_; }
  /// "what: strerror", the text std::system_error gives for the same pair.
  std::string message() const {
    std::string reason = std::strerror(error_);
    return what_.empty() ? reason : what_ + ": " + reason;
  }
  /// For constructors and start-up code: throws std::system_error with this
  /// errno and `what` (its what() is then message()).
  [[noreturn]] void throw_error() const {
    throw std::system_error(error_, std::generic_category(), what_);
  }

 private:
  [[noreturn]] void abort_without_cause() const {
    std::fprintf(stderr, "basehttp: SysError without an errno for '%s'\n", what_.c_str());
    std::abort();
  }

  int error_;
  std::string what_;
};

namespace result_detail {

[[noreturn]] inline void abort_with(const char* what, const std::string& detail) {
  std::fprintf(stderr, "basehttp: %s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

inline const std::string& no_text() {
  static const std::string none;
  return none;
}

}  // namespace result_detail

template <class T>
class [[nodiscard]] SysResult {
 public:
  /// Success.
  SysResult(T value) : value_(std::move(value)) {}
  /// Failure.
  SysResult(SysError error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  /// The errno value; 0 on success.
  int error() const { return ok() ? 0 : error_->error(); }
  /// The failed step; empty on success.
  const std::string& what() const { return ok() ? result_detail::no_text() : error_->what(); }
  /// "what: strerror" on failure; empty on success.
  std::string message() const { return ok() ? std::string() : error_->message(); }
  /// The failure; aborts on success (check ok() first).
  const SysError& failure() const {
    if (ok()) result_detail::abort_with("failure() of a success", {});
    return *error_;
  }

  /// The value; aborts on failure (check ok() first).
  T& value() & { return checked(); }
  const T& value() const& { return const_cast<SysResult*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  /// The value, or std::system_error for a constructor to let through.
  T value_or_throw() && {
    if (!ok()) error_->throw_error();
    return std::move(*value_);
  }

 private:
  T& checked() {
    if (!ok()) result_detail::abort_with("value() of a failed call", error_->message());
    return *value_;
  }

  std::optional<T> value_;
  std::optional<SysError> error_;
};

/// A call that yields nothing but may fail.
template <>
class [[nodiscard]] SysResult<void> {
 public:
  /// Success.
  SysResult() = default;
  /// Failure.
  SysResult(SysError error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  int error() const { return ok() ? 0 : error_->error(); }
  const std::string& what() const { return ok() ? result_detail::no_text() : error_->what(); }
  std::string message() const { return ok() ? std::string() : error_->message(); }
  const SysError& failure() const {
    if (ok()) result_detail::abort_with("failure() of a success", {});
    return *error_;
  }
  /// Throws std::system_error on failure (constructors and start-up code).
  void throw_if_failed() const {
    if (!ok()) error_->throw_error();
  }

 private:
  std::optional<SysError> error_;
};

}  // namespace basehttp
