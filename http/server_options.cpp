#include "http/server_options.hpp"

#include <cstdio>

namespace basehttp {

LogSink stderr_log_sink() {
  return [](std::string_view line) { std::fwrite(line.data(), 1, line.size(), stderr); };
}

}  // namespace basehttp
