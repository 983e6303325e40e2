#include "handlers/cgi/cgi_environment.hpp"

#include <cstdlib>
#include <utility>

namespace basehttp {
namespace {

constexpr std::string_view kNotPassed[] = {
    "Authorization", "Proxy-Authorization", "Proxy",
    "Content-Type",  "Content-Length",      "Transfer-Encoding",
};

// The names the request decides, set or left out on purpose (HTTPS on a
// plain connection, CONTENT_LENGTH without a body): never from the
// server's environment.
constexpr std::string_view kRequestVariables[] = {
    "AUTH_TYPE",   "CONTENT_LENGTH", "CONTENT_TYPE",    "GATEWAY_INTERFACE", "HTTPS",
    "PATH",        "PATH_INFO",      "PATH_TRANSLATED", "QUERY_STRING",      "REMOTE_ADDR",
    "REMOTE_HOST", "REMOTE_USER",    "REQUEST_METHOD",  "REQUEST_SCHEME",    "SCRIPT_NAME",
    "SERVER_NAME", "SERVER_PORT",    "SERVER_PROTOCOL", "SERVER_SOFTWARE",
};

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// RFC 7617: "Basic <base64 of user:password>"; the user-id has no ':'.
std::optional<std::string> basic_user(std::string_view credentials) {
  auto decoded = decode_base64(credentials);
  if (!decoded) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos || decoded->find('\0') != std::string::npos) return std::nullopt;
  return decoded->substr(0, colon);
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int values[4];
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + static_cast<size_t>(j)];
      bool last_group = i + 4 == text.size();
      if (c == '=' && last_group && j >= 2) {
        values[j] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after '='
      values[j] = base64_value(c);
      if (values[j] < 0) return std::nullopt;
    }
    uint32_t group =
        static_cast<uint32_t>(values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3]);
    out += static_cast<char>(group >> 16);
    if (padding < 2) out += static_cast<char>((group >> 8) & 0xff);
    if (padding < 1) out += static_cast<char>(group & 0xff);
  }
  return out;
}

std::optional<std::string> cgi_header_variable(std::string_view field_name) {
  for (std::string_view excluded : kNotPassed)
    if (iequals(field_name, excluded)) return std::nullopt;
  if (field_name.empty()) return std::nullopt;
  std::string name = "HTTP_";
  for (char c : field_name) {
    if (c >= 'a' && c <= 'z') {
      name += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      name += c;
    } else if (c == '-') {
      name += '_';
    } else {
      return std::nullopt;
    }
  }
  return name;
}

std::vector<std::string> cgi_environment(const CgiRequestInfo& info,
                                         const std::vector<std::string>& pass_through) {
  std::vector<std::pair<std::string, std::string>> variables;
  auto set = [&variables](std::string name, std::string_view value) {
    variables.emplace_back(std::move(name), std::string(value));
  };
  set("GATEWAY_INTERFACE", "CGI/1.1");
  set("SERVER_SOFTWARE", info.server_software);
  set("SERVER_NAME", info.server_name);
  set("SERVER_PORT", std::to_string(info.server_port));
  set("SERVER_PROTOCOL", info.protocol);
  // Not in RFC 3875, but what scripts look at to build their own URLs.
  set("REQUEST_SCHEME", info.https ? "https" : "http");
  if (info.https) set("HTTPS", "on");
  set("REQUEST_METHOD", info.method);
  set("SCRIPT_NAME", info.script_name);
  set("PATH_INFO", info.path_info);
  if (!info.path_info.empty()) set("PATH_TRANSLATED", info.path_translated);
  set("QUERY_STRING", info.query);
  if (!info.remote_addr.empty()) {
    set("REMOTE_ADDR", info.remote_addr);
    // No reverse lookup: RFC 3875 §4.1.9 lets the address stand in.
    set("REMOTE_HOST", info.remote_addr);
  }
  if (info.content_length) set("CONTENT_LENGTH", std::to_string(*info.content_length));

  // Request headers: the first occurrence fixes the order, repeats are
  // joined as RFC 9110 §5.3 allows (Cookie with "; ", RFC 6265 §5.4).
  size_t first_header = variables.size();
  bool authorization_seen = false;
  for (const HeaderField& field : info.headers) {
    if (iequals(field.name, "Content-Type")) {
      bool seen = false;
      for (size_t i = first_header; i < variables.size(); ++i)
        seen = seen || variables[i].first == "CONTENT_TYPE";
      if (!seen) set("CONTENT_TYPE", field.value);
      continue;
    }
    if (iequals(field.name, "Authorization")) {
      if (std::exchange(authorization_seen, true)) continue;
      std::string_view value = field.value;
      size_t space = value.find_first_of(" \t");
      size_t start = value.find_first_not_of(" \t", space);
      if (space == std::string_view::npos || start == std::string_view::npos) continue;
      std::string_view scheme = value.substr(0, space);
      std::string_view credentials = value.substr(start);
      if (credentials.find_first_of(" \t") != std::string_view::npos) continue;
      set("AUTH_TYPE", scheme);
      if (iequals(scheme, "Basic")) {
        if (auto user = basic_user(credentials)) set("REMOTE_USER", *user);
      }
      continue;
    }
    auto name = cgi_header_variable(field.name);
    if (!name) continue;
    bool joined = false;
    for (size_t i = first_header; i < variables.size() && !joined; ++i) {
      if (variables[i].first != *name) continue;
      variables[i].second += *name == "HTTP_COOKIE" ? "; " : ", ";
      variables[i].second += field.value;
      joined = true;
    }
    if (!joined) set(std::move(*name), field.value);
  }

  const char* path = std::getenv("PATH");
  set("PATH", path != nullptr ? std::string_view(path) : kDefaultCgiPath);
  for (const std::string& name : pass_through) {
    bool taken = false;
    for (std::string_view reserved : kRequestVariables)
      taken = taken || name == reserved;
    for (const auto& variable : variables)
      taken = taken || variable.first == name;  // a request header's HTTP_*
    if (taken) continue;
    if (const char* value = std::getenv(name.c_str())) set(name, value);
  }

  std::vector<std::string> entries;
  entries.reserve(variables.size());
  for (auto& [name, value] : variables)
    entries.push_back(name + "=" + value);
  return entries;
}

}  // namespace basehttp
