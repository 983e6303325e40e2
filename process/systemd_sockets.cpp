#include "process/systemd_sockets.hpp"

#include <unistd.h>

#include <cstdlib>

namespace basehttp {

std::vector<int> systemd_listening_sockets() {
  constexpr int kFirstPassedFd = 3;  // sd_listen_fds(3)'s SD_LISTEN_FDS_START
  const char* pid_text = std::getenv("LISTEN_PID");
  const char* count_text = std::getenv("LISTEN_FDS");
  std::vector<int> fds;
  if (pid_text != nullptr && count_text != nullptr &&
      std::strtol(pid_text, nullptr, 10) == static_cast<long>(::getpid())) {
    long count = std::strtol(count_text, nullptr, 10);
    for (long i = 0; i < count && i < 1024; ++i)
      fds.push_back(kFirstPassedFd + static_cast<int>(i));
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return fds;
}

}  // namespace basehttp
