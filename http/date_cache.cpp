#include "http/date_cache.hpp"

#include <cstring>

namespace basehttp {

void DateCache::refresh(std::time_t now) {
  second_ = now;
  std::memcpy(line_, "Date: ", kPrefixLength);
  format_imf_fixdate(now, line_ + kPrefixLength);
  line_[kLineLength - 2] = '\r';
  line_[kLineLength - 1] = '\n';
}

}  // namespace basehttp
