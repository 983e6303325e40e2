// The environment a CGI script runs with: RFC 3875 meta-variables built
// from the request, each request header as HTTP_* (save those the RFC and
// the httpoxy fix keep out), and from the server's own environment only
// PATH and the names the caller lists. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/headers.hpp"

namespace basehttp {

/// What the environment is made of; every view must outlive the call.
struct CgiRequestInfo {
  std::string_view method;           ///< REQUEST_METHOD
  std::string_view protocol;         ///< SERVER_PROTOCOL: the request's, "HTTP/1.1"
  std::string_view script_name;      ///< SCRIPT_NAME, decoded: "/cgi-bin/env.sh"
  std::string_view path_info;        ///< PATH_INFO, decoded: "" or "/a/b"
  std::string_view path_translated;  ///< PATH_TRANSLATED, set only with a PATH_INFO
  std::string_view query;            ///< QUERY_STRING, as sent
  std::string_view remote_addr;      ///< REMOTE_ADDR (and REMOTE_HOST); empty: unknown
  std::string_view server_name;      ///< SERVER_NAME
  uint16_t server_port = 0;          ///< SERVER_PORT
  std::string_view server_software;  ///< SERVER_SOFTWARE
  /// The request came over TLS: HTTPS=on and REQUEST_SCHEME=https (else
  /// REQUEST_SCHEME=http and no HTTPS), the names Apache and nginx use.
  bool https = false;
  /// CONTENT_LENGTH: the body's size when the request has a body.
  std::optional<uint64_t> content_length;
  /// The request's header fields, in arrival order.
  std::vector<HeaderField> headers;
};

/// The default PATH when the server's environment has none.
inline constexpr std::string_view kDefaultCgiPath = "/usr/local/bin:/usr/bin:/bin";

/// "NAME=value" entries for `info`, then PATH and each variable of
/// `pass_through` that the server's environment has (read with getenv)
/// and is not the request's to decide: a server's HTTPS, SERVER_NAME or
/// HTTP_* never stands in for the request's.
std::vector<std::string> cgi_environment(const CgiRequestInfo& info,
                                         const std::vector<std::string>& pass_through);

/// The meta-variable a request header becomes ("User-Agent" ->
/// "HTTP_USER_AGENT"), or nothing for a header that is not passed:
/// Authorization and Proxy-Authorization (credentials), Proxy (httpoxy:
/// HTTP_PROXY would pose as a proxy setting), Content-Type and
/// Content-Length (they are CONTENT_*), Transfer-Encoding (the script gets
/// the body de-chunked), and any name with a byte other than a letter,
/// digit or '-' (a '_' would let "X_Forwarded_For" pass for "X-Forwarded-For").
std::optional<std::string> cgi_header_variable(std::string_view field_name);

/// Decodes standard base64 (with padding); nothing when malformed.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace basehttp
