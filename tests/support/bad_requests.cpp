#include "tests/support/bad_requests.hpp"

#include <string_view>

namespace basehttp::testing {

const std::vector<BadRequest>& bad_requests() {
  static const std::vector<BadRequest> table = {
      BadRequest{"no_version", "GET /\r\n\r\n", 400},
      BadRequest{"two_spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      BadRequest{"bad_method_char", "G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      BadRequest{"lowercase_version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400},
      BadRequest{"garbage_version", "GET / HTTP/x.y\r\nHost: h\r\n\r\n", 400},
      BadRequest{"http2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
      BadRequest{"http0", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505},
      BadRequest{"h2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
      BadRequest{"bare_lf_request_line", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400},
      BadRequest{"bare_lf_header", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400},
      BadRequest{"control_in_target", std::string("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
      BadRequest{"nul_in_header", std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 36),
                 400},
      BadRequest{"no_colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400},
      BadRequest{"space_before_colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
      BadRequest{"space_in_name", "GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n", 400},
      BadRequest{"empty_name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400},
      BadRequest{"host_lookalike_twice", "GET / HTTP/1.1\r\nHOST: a\r\nhoSt: b\r\n\r\n", 400},
      BadRequest{"control_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400},
      BadRequest{"bare_cr_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400},
      BadRequest{"obs_fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n", 400},
      BadRequest{"missing_host", "GET / HTTP/1.1\r\n\r\n", 400},
      BadRequest{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      BadRequest{"cl_and_te",
                 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: "
                 "chunked\r\n\r\n0\r\n\r\n",
                 400},
      BadRequest{"two_content_lengths",
                 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                 400},
      BadRequest{"bad_content_length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n",
                 400},
      BadRequest{"te_not_chunked_last",
                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
      BadRequest{"te_unknown_only", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo\r\n\r\n",
                 400},
      BadRequest{"te_chunked_twice",
                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
      BadRequest{"te_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 400},
      BadRequest{"te_unsupported_coding",
                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      BadRequest{"bad_chunk_size",
                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      BadRequest{"chunk_without_crlf",
                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
                 400},
      BadRequest{"absolute_form_other_host",
                 "GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n", 400},
      BadRequest{"absolute_form_other_port",
                 "GET http://a.example:8080/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400},
      BadRequest{"same_content_length_twice",
                 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab",
                 400},
      BadRequest{"negative_content_length",
                 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
      BadRequest{"chunk_size_overflow",
                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "1000000000000000000\r\n",
                 400},
      BadRequest{"chunk_size_with_space",
                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 "
                 "\r\nabc\r\n0\r\n\r\n",
                 400},
      BadRequest{"chunk_extension_control_byte",
                 std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "3;a=\x01\r\nabc\r\n0\r\n\r\n"),
                 400},
      BadRequest{"chunk_extension_bare_lf",
                 "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3;a\nabc\r\n0\r\n\r\n",
                 400},
      BadRequest{"bare_cr_in_target", "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      BadRequest{"tab_before_colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400},
      BadRequest{"nul_in_target", std::string("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n", 30), 400},
      BadRequest{"unknown_expectation", "GET / HTTP/1.1\r\nHost: h\r\nExpect: tea\r\n\r\n", 417},
      // RFC 9112 §3.2: a Host value that is not uri-host [":" port].
      BadRequest{"host_list", "GET / HTTP/1.1\r\nHost: x, y\r\n\r\n", 400},
      BadRequest{"host_comma", "GET / HTTP/1.1\r\nHost: x,y\r\n\r\n", 400},
      BadRequest{"host_path_and_userinfo", "GET / HTTP/1.1\r\nHost: x/y@z\r\n\r\n", 400},
      BadRequest{"host_userinfo", "GET / HTTP/1.1\r\nHost: user@x\r\n\r\n", 400},
      BadRequest{"host_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      BadRequest{"host_backslash", "GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n", 400},
      BadRequest{"host_bad_port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
      BadRequest{"host_two_ports", "GET / HTTP/1.1\r\nHost: a:80:81\r\n\r\n", 400},
      BadRequest{"host_bad_percent", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400},
      BadRequest{"host_unclosed_ipv6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400},
      BadRequest{"host_bad_ipv6", "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", 400},
      BadRequest{"host_empty_brackets", "GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400},
      BadRequest{"host_utf8",
                 "GET / HTTP/1.1\r\nHost: b\xc3\xbc"
                 "cher.example\r\n\r\n",
                 400},
  };
  return table;
}

namespace {

// Where a bare CR or LF is tried: "{}" marks the spot. Most spots stand for
// a line's CRLF, replaced; the rest sit inside a line. Each request is
// followed by another one in the tests, so that a request cut short by the
// bytes tried shows as a second answer.
struct Spot {
  const char* name;
  const char* request;
};

constexpr char kChunked[] = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

const Spot kSpots[] = {
    {"before_request_line", "{}GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
    {"in_method", "GE{}T / HTTP/1.1\r\nHost: h\r\n\r\n"},
    {"in_target", "GET /a{}b HTTP/1.1\r\nHost: h\r\n\r\n"},
    {"after_version", "GET / HTTP/1.1{}\r\nHost: h\r\n\r\n"},
    {"request_line_end", "GET / HTTP/1.1{}Host: h\r\n\r\n"},
    {"in_field_name", "GET / HTTP/1.1\r\nHost: h\r\nX-{}A: b\r\n\r\n"},
    {"before_colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A{}: b\r\n\r\n"},
    {"in_field_value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a{}b\r\n\r\n"},
    {"value_start", "GET / HTTP/1.1\r\nHost: h\r\nX-A: {}b\r\n\r\n"},
    {"after_value_whitespace", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b \t{}\r\n\r\n"},
    {"field_line_end", "GET / HTTP/1.1\r\nHost: h{}X-A: b\r\n\r\n"},
    {"last_field_line_end", "GET / HTTP/1.1\r\nHost: h{}\r\n"},
    {"empty_line", "GET / HTTP/1.1\r\nHost: h\r\n{}"},
    {"empty_line_with_body", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n{}hello"},
    {"chunk_size_line", "{chunked}5{}hello\r\n0\r\n\r\n"},
    {"chunk_extension", "{chunked}5;e=v{}hello\r\n0\r\n\r\n"},
    {"after_chunk_data", "{chunked}5\r\nhello{}0\r\n\r\n"},
    {"last_chunk_line", "{chunked}5\r\nhello\r\n0{}\r\n"},
    {"chunked_body_end", "{chunked}5\r\nhello\r\n0\r\n{}"},
    {"in_trailer_value", "{chunked}5\r\nhello\r\n0\r\nT: a{}b\r\n\r\n"},
    {"trailer_line_end", "{chunked}5\r\nhello\r\n0\r\nT: v{}U: w\r\n\r\n"},
    {"after_trailers", "{chunked}5\r\nhello\r\n0\r\nT: v\r\n{}"},
};

// The bytes tried at each spot.
struct Stray {
  const char* name;
  std::string bytes;
};

const Stray kStrays[] = {
    {"cr", "\r"},        {"lf", "\n"},         {"cr_sp", "\r "},
    {"cr_htab", "\r\t"}, {"cr_letter", "\rX"}, {"cr_nul", std::string("\r\0", 2)},
};

std::string fill(const Spot& spot, const std::string& stray) {
  std::string request = spot.request;
  constexpr std::string_view kChunkedMark = "{chunked}";
  if (request.compare(0, kChunkedMark.size(), kChunkedMark) == 0) {
    request.replace(0, kChunkedMark.size(), kChunked);
  }
  request.replace(request.find("{}"), 2, stray);
  return request;
}

}  // namespace

const std::vector<BadRequest>& stray_line_end_requests() {
  static const std::vector<BadRequest> table = [] {
    std::vector<BadRequest> rows;
    for (const Spot& spot : kSpots) {
      for (const Stray& stray : kStrays) {
        rows.push_back(
            BadRequest{std::string(spot.name) + "_" + stray.name, fill(spot, stray.bytes), 400});
      }
    }
    return rows;
  }();
  return table;
}

}  // namespace basehttp::testing
