#include "http/html_escape.hpp"

namespace basehttp {

std::string html_escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  append_html_escaped(text, escaped);
  return escaped;
}

void append_html_escaped(std::string_view text, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace basehttp
