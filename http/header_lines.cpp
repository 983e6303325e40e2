#include "http/header_lines.hpp"

#include "http/headers.hpp"

namespace basehttp {
namespace {

void append_blanked(std::string& out, std::string_view text) {
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 && c != '\t') || byte == 0x7f ? ' ' : c;
  }
}

}  // namespace

bool HeaderLines::add(std::string_view name, std::string_view value) {
  if (iequals(name, "connection") || iequals(name, "content-length") ||
      iequals(name, "transfer-encoding")) {
    return false;
  }
  append_blanked(text_, name);
  text_ += ": ";
  append_blanked(text_, value);
  text_ += "\r\n";
  return true;
}

}  // namespace basehttp
