#include "http/server_options.hpp"

#include "http/log_writer.hpp"

namespace basehttp {

LogSink stderr_log_sink() {
  return LogWriterSink{};
}

}  // namespace basehttp
