// route_path: gives one exact URL path (a /metrics, a /healthz) its own
// GET and HEAD handler in a HandlerTable that already answers GET and HEAD
// for everything else (static files, an application). Set-up time, before
// the server starts; the handlers then run on the loop threads.
#pragma once

#include <string>
#include <string_view>

#include "http/handler_table.hpp"

namespace basehttp {

/// True when `target` (a request-target as sent: "/metrics?x=1") names
/// exactly `path`; the query is ignored.
bool target_is(std::string_view target, std::string_view path);

/// Registers GET and HEAD entries that answer `path` with `handler` and
/// pass every other target to the GET (and HEAD) entries the table had
/// before; without one, other targets get 404. Call it after those
/// entries are registered; it wraps them as ordinary (buffered-body) entries.
void route_path(HandlerTable& table, std::string path, HandlerTable::Handler handler);

}  // namespace basehttp
