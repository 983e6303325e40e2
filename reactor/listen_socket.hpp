// Listening sockets for an Acceptor, however a deployment provides them:
// bound here to a TCP address or to a unix-domain path (a stale socket file
// left by a dead process is replaced, a live one is not), or adopted
// already listening (inherited from a parent process, or passed by
// systemd's socket activation: see process/systemd_sockets.hpp for how a
// process finds those). Start-up calls that return the socket or the errno
// with the step that failed ("bind [::]:8000"; see reactor/result.hpp);
// any thread.
#pragma once

#include <sys/types.h>

#include <string>

#include "reactor/file_descriptor.hpp"
#include "reactor/listen_options.hpp"
#include "reactor/result.hpp"
#include "reactor/socket_address.hpp"

namespace basehttp {

/// A nonblocking, close-on-exec socket listening on `address` (port 0
/// picks a free port), or why not (EADDRINUSE from "bind <address>"...).
SysResult<FileDescriptor> listen_tcp(const SocketAddress& address,
                                     const ListenOptions& options = {});

/// Same on the unix-domain socket `path` (at most 107 bytes), with
/// permissions `mode` (e.g. 0660; 0 leaves what the umask gives). A socket
/// file nobody listens on any more is replaced; a path in use, or one
/// that is not a socket, is an error (a path too long is ENAMETOOLONG).
/// The caller removes the file when done.
SysResult<FileDescriptor> listen_unix(const std::string& path, mode_t mode = 0,
                                      const ListenOptions& options = {});

/// Takes ownership of `fd`, which must be a listening stream socket, and
/// makes it nonblocking and close-on-exec. On failure `fd` is closed too
/// (ENOTSOCK, EBADF; EINVAL for a socket that does not listen).
SysResult<FileDescriptor> adopt_listening_socket(int fd);

}  // namespace basehttp
