#include "process/spawn.hpp"

#include <fcntl.h>
#include <spawn.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "reactor/file_descriptor.hpp"

extern char** environ;

namespace basehttp {
namespace {

std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (const std::string& text : strings)
    result.push_back(const_cast<char*>(text.c_str()));
  result.push_back(nullptr);
  return result;
}

// Owns the posix_spawn attribute objects for the length of one spawn.
struct SpawnAttributes {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

}  // namespace

SysResult<pid_t> spawn_process(const std::string& program,
                               const std::vector<std::string>& arguments,
                               const std::vector<std::string>* environment,
                               const SpawnOptions& options) {
  if (options.fds.size() > SpawnOptions::kMaxChildFds) return SysError(EINVAL, "posix_spawn");
  int highest_target = -1;
  for (const ChildFd& fd : options.fds)
    highest_target = std::max(highest_target, fd.target);

  // The dup2s run one after another in the child: a source at or below
  // the highest target (a parent started with 0-2 closed hands out low
  // numbers) is copied above them all, and the copy is given instead.
  // The copies are close-on-exec and closed here once the child started.
  std::array<FileDescriptor, SpawnOptions::kMaxChildFds> lifted;
  SpawnAttributes setup;
  for (size_t i = 0; i < options.fds.size(); ++i) {
    int source = options.fds[i].source;
    if (source <= highest_target) {
      lifted[i].reset(::fcntl(source, F_DUPFD_CLOEXEC, highest_target + 1));
      if (!lifted[i]) return SysError(errno, "fcntl");
      source = lifted[i].get();
    }
    posix_spawn_file_actions_adddup2(&setup.actions, source, options.fds[i].target);
  }
  if (options.close_other_fds) {
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, highest_target + 1);
  }
  if (options.directory != nullptr) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, options.directory);
  }

  sigset_t empty, defaults;
  sigemptyset(&empty);
  if (options.default_signals != nullptr) {
    defaults = *options.default_signals;
  } else {
    sigfillset(&defaults);
  }
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&setup.attributes, 0);
  }
  posix_spawnattr_setflags(&setup.attributes, flags);
  posix_spawnattr_setsigmask(&setup.attributes, &empty);
  posix_spawnattr_setsigdefault(&setup.attributes, &defaults);

  std::vector<char*> argv = pointers(arguments);
  std::vector<char*> envp;
  if (environment != nullptr) envp = pointers(*environment);
  pid_t pid = -1;
  // posix_spawn returns its error rather than setting errno.
  int error = posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attributes, argv.data(),
                          environment != nullptr ? envp.data() : environ);
  if (error != 0) return SysError(error, "posix_spawn");
  return pid;
}

}  // namespace basehttp
