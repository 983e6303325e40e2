#include "http/log_time.hpp"

#include "http/http_date.hpp"

namespace basehttp {

void LogTime::format(std::time_t now) {
  static_assert(sizeof(text_) >= kLogTimeSize);
  size_t length;
  if (format_ == Format::kPython) {
    length = format_log_time(now, text_);
  } else {
    std::tm tm{};
    localtime_r(&now, &tm);
    length = std::strftime(text_, sizeof(text_), "[%d/%b/%Y:%H:%M:%S %z]", &tm);
  }
  length_ = static_cast<uint8_t>(length);
  second_ = now;
}

}  // namespace basehttp
