// ListenOptions: how a listening socket is set up (listen_tcp(),
// listen_unix(), Acceptor), declared with its defaults only here; a server
// holds one as ServerOptions::listen. Plain data, any thread.
#pragma once

namespace basehttp {

struct ListenOptions {
  /// listen() backlog; the kernel caps it at net.core.somaxconn.
  int backlog = 4096;
  /// SO_REUSEPORT, so several loops can each own a listener on one port.
  bool reuse_port = false;
  /// For "::": false serves IPv4 clients too (dual stack), as Python does.
  bool ipv6_only = false;
};

}  // namespace basehttp
