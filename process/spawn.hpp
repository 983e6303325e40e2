// spawn_process: the library's one posix_spawn set-up, shared by
// ChildProcess (CGI scripts) and ListenerHandover (the restart), so that
// what a started program inherits is decided in one place: the
// descriptors it is given under fixed numbers, an empty signal mask,
// default signal actions (a loop blocks the signals it takes through its
// signalfd and ignores SIGPIPE; a new program must inherit neither), and
// optionally a folder, a process group of its own and no other
// descriptor. Internal (not installed); any thread.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "reactor/result.hpp"

namespace basehttp {

/// A descriptor of this process that the child gets as `target`.
struct ChildFd {
  int source;
  int target;
};

struct SpawnOptions {
  /// Given to the child in order (at most kMaxChildFds). A source that
  /// could be overwritten by an earlier target, or equals its own target
  /// (dup2 would then leave it close-on-exec), is copied above every
  /// target first.
  std::span<const ChildFd> fds;
  static constexpr size_t kMaxChildFds = 8;
  /// Closes every other descriptor in the child, also those an embedding
  /// application opened without close-on-exec; false leaves that to
  /// close-on-exec.
  bool close_other_fds = false;
  /// The child's working folder; null keeps the parent's.
  const char* directory = nullptr;
  /// The child leads a process group of its own (kill(-pid) reaches what
  /// it starts); false keeps it in the parent's.
  bool new_process_group = false;
  /// The signals whose action is reset to the default; null: every one.
  const sigset_t* default_signals = nullptr;
};

/// Starts `program` with `arguments` (argv, argv[0] included) and
/// `environment` ("NAME=value" each; null: this process's). Returns the
/// child's pid, or the errno of "posix_spawn" (ENOENT, EACCES...; EINVAL
/// for too many fds) or of "fcntl" (a source not open); nothing was started
/// then.
SysResult<pid_t> spawn_process(const std::string& program,
                               const std::vector<std::string>& arguments,
                               const std::vector<std::string>* environment,
                               const SpawnOptions& options);

}  // namespace basehttp
