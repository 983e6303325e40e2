// systemd's socket activation, the receiving side: the listening sockets a
// service manager passed to this process when it started it. Process
// plumbing rather than a socket concept: what it reads is this process's
// environment and pid (the sd_listen_fds(3) protocol), and it edits the
// environment that children inherit. Each socket is then adopted with
// adopt_listening_socket() (reactor/listen_socket.hpp). Start-up only,
// before other threads read the environment.
#pragma once

#include <vector>

namespace basehttp {

/// The listening sockets systemd passed to this process (LISTEN_PID is us,
/// LISTEN_FDS of them from fd 3 on), or none. The variables are removed so
/// that children do not take them for theirs.
std::vector<int> systemd_listening_sockets();

}  // namespace basehttp
