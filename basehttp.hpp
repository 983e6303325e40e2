// basehttp: the one header an application includes. An HTTP/1.1 server
// library with Python BaseHTTPServer's vocabulary on an epoll reactor:
//
//   basehttp::HandlerTable table;
//   table.on("GET", [](basehttp::RequestHandler& h) { ... });
//   basehttp::HTTPServer server({"127.0.0.1", 8000}, table);
//   server.serve_forever();
//
// Threads: a server's connections, handlers and timers all run on its
// loop thread; HTTPServer::shutdown(), EventLoop::post() and
// EventLoop::stop() are the calls made from other threads. Each header
// says the same for its own type.
#pragma once

#include "handlers/cgi/cgi.hpp"
#include "handlers/operations/access_log.hpp"
#include "handlers/operations/health.hpp"
#include "handlers/operations/metrics.hpp"
#include "handlers/operations/path_route.hpp"
#include "handlers/static_files/static_files.hpp"
#include "http/body_reader.hpp"
#include "http/deferred_response.hpp"
#include "http/handler_table.hpp"
#include "http/headers.hpp"
#include "http/http_date.hpp"
#include "http/latency_histogram.hpp"
#include "http/log_writer.hpp"
#include "http/loop_group.hpp"
#include "http/request.hpp"
#include "http/request_handler.hpp"
#include "http/response_stream.hpp"
#include "http/server.hpp"
#include "http/server_options.hpp"
#include "http/server_stats.hpp"
#include "http/status_table.hpp"
#include "process/listener_handover.hpp"
#include "process/systemd_sockets.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/fd_watch.hpp"
#include "reactor/listen_socket.hpp"
#include "reactor/socket_address.hpp"
