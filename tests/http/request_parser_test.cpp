// Tests http/request_parser: incremental parsing at every split, pipelining,
// chunked bodies, limits at their edges, and malformed input -> status.
#include "http/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace basehttp {
namespace {

// A parsed request copied out of the buffer, for comparisons.
struct Parsed {
  std::string method, target, version, request_line, body;
  std::vector<std::pair<std::string, std::string>> headers, trailers;
  bool keep_alive = false;
  bool expect_continue = false;
  bool operator==(const Parsed&) const = default;
};

struct Outcome {
  std::vector<Parsed> requests;
  int error_status = 0;
  std::string error_message;
  int headers_events = 0;
};

Parsed copy_out(const Request& request, const char* base) {
  Parsed parsed;
  parsed.method = std::string(request.method.in(base));
  parsed.target = std::string(request.target.in(base));
  parsed.version = std::string(request.version.in(base));
  parsed.request_line = std::string(request.request_line.in(base));
  parsed.body = std::string(request.body.in(base));
  for (HeaderField field : request.headers(base)) {
    parsed.headers.emplace_back(field.name, field.value);
  }
  for (HeaderField field : request.trailer_fields(base)) {
    parsed.trailers.emplace_back(field.name, field.value);
  }
  parsed.keep_alive = request.keep_alive;
  parsed.expect_continue = request.expect_continue;
  return parsed;
}

// Feeds `pieces` one after another, consuming complete messages as a server would.
Outcome parse_pieces(const std::vector<std::string>& pieces, ParserLimits limits = {}) {
  Outcome outcome;
  RequestParser parser(limits);
  Request request;
  Buffer input;
  for (const std::string& piece : pieces) {
    input.append(piece);
    for (;;) {
      RequestParser::Event event = parser.parse(input, request);
      if (event == RequestParser::Event::kNeedMore) break;
      if (event == RequestParser::Event::kHeadersComplete) {
        ++outcome.headers_events;
        continue;
      }
      if (event == RequestParser::Event::kError) {
        outcome.error_status = parser.error_status();
        outcome.error_message = parser.error_message();
        return outcome;
      }
      outcome.requests.push_back(copy_out(request, input.peek()));
      input.retrieve(request.message_size);
      parser.next_message();
    }
  }
  return outcome;
}

Outcome parse_whole(const std::string& bytes, ParserLimits limits = {}) {
  return parse_pieces({bytes}, limits);
}

const std::vector<std::string> kSamples = {
    "GET / HTTP/1.1\r\nHost: example\r\n\r\n",
    "GET /search?q=a%20b&x=1 HTTP/1.0\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n",
    "POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"
    "hello world",
    "PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n",
    "SPAM /eggs HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nX-Empty:\r\n\r\n",
    "\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
};

TEST(RequestParser, ParsesASimpleGet) {
  Outcome outcome = parse_whole(kSamples[0]);
  ASSERT_EQ(outcome.error_status, 0) << outcome.error_message;
  ASSERT_EQ(outcome.requests.size(), 1u);
  const Parsed& request = outcome.requests[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/");
  EXPECT_EQ(request.version, "HTTP/1.1");
  EXPECT_EQ(request.request_line, "GET / HTTP/1.1");
  EXPECT_TRUE(request.keep_alive);
  ASSERT_EQ(request.headers.size(), 1u);
  EXPECT_EQ(request.headers[0], std::make_pair(std::string("Host"), std::string("example")));
}

TEST(RequestParser, SplitsAtEveryByteBoundary) {
  for (const std::string& sample : kSamples) {
    Outcome whole = parse_whole(sample);
    ASSERT_EQ(whole.error_status, 0) << sample << whole.error_message;
    ASSERT_EQ(whole.requests.size(), 1u) << sample;
    for (size_t split = 1; split < sample.size(); ++split) {
      Outcome parts = parse_pieces({sample.substr(0, split), sample.substr(split)});
      ASSERT_EQ(parts.error_status, 0) << "split at " << split << ": " << parts.error_message;
      ASSERT_EQ(parts.requests.size(), 1u) << "split at " << split;
      EXPECT_EQ(parts.requests[0], whole.requests[0]) << "split at " << split << " of " << sample;
    }
  }
}

TEST(RequestParser, ParsesOneByteAtATime) {
  for (const std::string& sample : kSamples) {
    std::vector<std::string> bytes;
    for (char c : sample)
      bytes.emplace_back(1, c);
    Outcome outcome = parse_pieces(bytes);
    ASSERT_EQ(outcome.error_status, 0) << outcome.error_message;
    ASSERT_EQ(outcome.requests.size(), 1u);
    EXPECT_EQ(outcome.requests[0], parse_whole(sample).requests[0]);
  }
}

TEST(RequestParser, ParsesAHundredPipelinedRequestsInOrder) {
  std::string batch;
  for (int i = 0; i < 100; ++i) {
    if (i % 2 == 0) {
      batch += "GET /item/" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    } else {
      std::string body = "body-" + std::to_string(i);
      batch += "POST /item/" + std::to_string(i) +
               " HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n" + body;
    }
  }
  Outcome outcome = parse_whole(batch);
  ASSERT_EQ(outcome.error_status, 0) << outcome.error_message;
  ASSERT_EQ(outcome.requests.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(outcome.requests[i].target, "/item/" + std::to_string(i));
    EXPECT_EQ(outcome.requests[i].body, i % 2 ? "body-" + std::to_string(i) : "");
  }
}

TEST(RequestParser, DechunksBodiesWithExtensionsAndKeepsTrailers) {
  Outcome outcome = parse_whole(kSamples[3]);
  ASSERT_EQ(outcome.error_status, 0) << outcome.error_message;
  ASSERT_EQ(outcome.requests.size(), 1u);
  EXPECT_EQ(outcome.requests[0].body, "hello world");
  ASSERT_EQ(outcome.requests[0].trailers.size(), 2u);
  EXPECT_EQ(outcome.requests[0].trailers[0].first, "X-Checksum");
  EXPECT_EQ(outcome.requests[0].trailers[0].second, "abc");
  EXPECT_EQ(outcome.requests[0].headers.size(), 2u);  // trailers are kept apart
}

TEST(RequestParser, ChunkedBodyFollowedByAPipelinedRequest) {
  Outcome outcome = parse_whole(kSamples[3] + kSamples[0]);
  ASSERT_EQ(outcome.requests.size(), 2u) << outcome.error_message;
  EXPECT_EQ(outcome.requests[0].body, "hello world");
  EXPECT_EQ(outcome.requests[1].target, "/");
}

TEST(RequestParser, AnyMethodTokenIsParsed) {
  for (std::string method : {"SPAM", "DESCRIBE", "M-SEARCH", "PURGE", "x!#$%&'*+-.^_`|~9"}) {
    Outcome outcome = parse_whole(method + " / HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(outcome.requests.size(), 1u) << method << ": " << outcome.error_message;
    EXPECT_EQ(outcome.requests[0].method, method);
  }
}

TEST(RequestParser, ReportsHeadersCompleteBeforeTheBody) {
  Outcome outcome =
      parse_pieces({"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", "abc"});
  EXPECT_EQ(outcome.headers_events, 1);
  ASSERT_EQ(outcome.requests.size(), 1u);
  EXPECT_EQ(outcome.requests[0].body, "abc");
}

TEST(RequestParser, KeepAliveFollowsVersionAndConnection) {
  auto keep_alive = [](const std::string& head) {
    Outcome outcome = parse_whole(head + "\r\n");
    EXPECT_EQ(outcome.requests.size(), 1u) << outcome.error_message;
    return !outcome.requests.empty() && outcome.requests[0].keep_alive;
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.2\r\nHost: h\r\n"));  // a later 1.x is read as 1.1
}

TEST(RequestParser, ExpectContinueIsNotedOnlyWithABody) {
  Outcome with_body = parse_whole(
      "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
  ASSERT_EQ(with_body.requests.size(), 1u);
  EXPECT_TRUE(with_body.requests[0].expect_continue);
  Outcome without = parse_whole("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(without.requests.size(), 1u);
  EXPECT_FALSE(without.requests[0].expect_continue);
}

TEST(RequestParser, IgnoresEmptyLinesBeforeARequest) {
  Outcome outcome = parse_whole("\r\n\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(outcome.requests.size(), 1u) << outcome.error_message;
}

// ---- limits, each just below (accepted) and just above (refused) ----

std::string request_line_of_length(size_t total) {
  // "GET /aaa... HTTP/1.1\r\n" with `total` bytes in all.
  std::string fixed = "GET / HTTP/1.1\r\n";
  return "GET /" + std::string(total - fixed.size(), 'a') + " HTTP/1.1\r\n";
}

TEST(RequestParserLimits, RequestLine) {
  ParserLimits limits;
  limits.max_request_line = 1000;
  std::string at_limit = request_line_of_length(1000) + "Host: h\r\n\r\n";
  EXPECT_EQ(parse_whole(at_limit, limits).requests.size(), 1u);
  EXPECT_EQ(parse_whole(request_line_of_length(1001) + "Host: h\r\n\r\n", limits).error_status,
            414);
  // Refused as soon as the limit is passed, without waiting for the end of the line.
  EXPECT_EQ(parse_whole("GET /" + std::string(2000, 'a'), limits).error_status, 414);
}

TEST(RequestParserLimits, DefaultRequestLineIs65536) {
  EXPECT_EQ(parse_whole(request_line_of_length(65536) + "Host: h\r\n\r\n").requests.size(), 1u);
  EXPECT_EQ(parse_whole(request_line_of_length(65537) + "Host: h\r\n\r\n").error_status, 414);
}

TEST(RequestParserLimits, HeaderFieldCount) {
  auto with_fields = [](int count) {
    std::string request = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 1; i < count; ++i)
      request += "X-" + std::to_string(i) + ": v\r\n";
    return request + "\r\n";
  };
  EXPECT_EQ(parse_whole(with_fields(100)).requests.size(), 1u);
  EXPECT_EQ(parse_whole(with_fields(101)).error_status, 431);
}

// A header section whose field lines (CRLFs included) take exactly `bytes`.
std::string with_header_bytes(size_t bytes) {
  std::string host = "Host: h\r\n";
  std::string prefix = "X-Fill: ";
  std::string filler(bytes - host.size() - prefix.size() - 2, 'f');
  return "GET / HTTP/1.1\r\n" + host + prefix + filler + "\r\n\r\n";
}

TEST(RequestParserLimits, HeaderBytes) {
  EXPECT_EQ(parse_whole(with_header_bytes(64 * 1024)).requests.size(), 1u);
  EXPECT_EQ(parse_whole(with_header_bytes(64 * 1024 + 1)).error_status, 431);
  // Also when the section arrives in pieces and never ends.
  std::string endless = "GET / HTTP/1.1\r\nHost: h\r\nX-Fill: ";
  std::vector<std::string> pieces = {endless};
  for (int i = 0; i < 80; ++i)
    pieces.push_back(std::string(1024, 'f'));
  EXPECT_EQ(parse_pieces(pieces).error_status, 431);
}

TEST(RequestParserLimits, ContentLengthBody) {
  ParserLimits limits;
  limits.max_body_bytes = 1000;
  auto post = [](size_t size) {
    return "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" +
           std::string(size, 'b');
  };
  Outcome at_limit = parse_whole(post(1000), limits);
  ASSERT_EQ(at_limit.requests.size(), 1u);
  EXPECT_EQ(at_limit.requests[0].body.size(), 1000u);
  // Refused from the Content-Length alone, before any body byte.
  EXPECT_EQ(parse_whole(post(1001).substr(0, post(1001).find("\r\n\r\n") + 4), limits).error_status,
            413);
}

TEST(RequestParserLimits, ChunkedBody) {
  ParserLimits limits;
  limits.max_body_bytes = 1000;
  auto post = [](size_t size) {
    return "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
           std::string("1f4\r\n") + std::string(500, 'c') + "\r\n" +
           [&] {
             char line[16];
             std::snprintf(line, sizeof(line), "%zx\r\n", size - 500);
             return std::string(line);
           }() +
           std::string(size - 500, 'c') + "\r\n0\r\n\r\n";
  };
  EXPECT_EQ(parse_whole(post(1000), limits).requests.size(), 1u);
  EXPECT_EQ(parse_whole(post(1001), limits).error_status, 413);
}

// ---- malformed input maps to a status ----

struct BadCase {
  const char* name;
  std::string bytes;
  int status;
};

class RequestParserRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(RequestParserRejects, WithItsStatus) {
  const BadCase& bad = GetParam();
  Outcome outcome = parse_whole(bad.bytes + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(outcome.error_status, bad.status) << bad.name << ": " << outcome.error_message;
  // Nothing after the bad bytes is ever read as a request.
  EXPECT_TRUE(outcome.requests.empty()) << bad.name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RequestParserRejects,
    ::testing::Values(
        BadCase{"no_version", "GET /\r\n\r\n", 400},
        BadCase{"two_spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        BadCase{"bad_method_char", "G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        BadCase{"lowercase_version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400},
        BadCase{"garbage_version", "GET / HTTP/x.y\r\nHost: h\r\n\r\n", 400},
        BadCase{"http2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
        BadCase{"http0", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505},
        BadCase{"h2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
        BadCase{"bare_lf_request_line", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400},
        BadCase{"bare_lf_header", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400},
        BadCase{"control_in_target", std::string("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400},
        BadCase{"nul_in_header", std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 36),
                400},
        BadCase{"no_colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400},
        BadCase{"space_before_colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
        BadCase{"space_in_name", "GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n", 400},
        BadCase{"empty_name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400},
        BadCase{"host_lookalike_twice", "GET / HTTP/1.1\r\nHOST: a\r\nhoSt: b\r\n\r\n", 400},
        BadCase{"control_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400},
        BadCase{"bare_cr_in_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400},
        BadCase{"obs_fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n", 400},
        BadCase{"missing_host", "GET / HTTP/1.1\r\n\r\n", 400},
        BadCase{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        BadCase{"cl_and_te",
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: "
                "chunked\r\n\r\n0\r\n\r\n",
                400},
        BadCase{"two_content_lengths",
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                400},
        BadCase{"bad_content_length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n",
                400},
        BadCase{"te_not_chunked_last",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
        BadCase{"te_unknown_only", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo\r\n\r\n",
                400},
        BadCase{"te_chunked_twice",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
        BadCase{"te_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                400},
        BadCase{"te_unsupported_coding",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        BadCase{"bad_chunk_size",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        BadCase{"chunk_without_crlf",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
                400},
        BadCase{"absolute_form_other_host",
                "GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n", 400},
        BadCase{"absolute_form_other_port",
                "GET http://a.example:8080/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400},
        BadCase{"same_content_length_twice",
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab",
                400},
        BadCase{"negative_content_length",
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
        BadCase{"chunk_size_overflow",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                "1000000000000000000\r\n",
                400},
        BadCase{"chunk_size_with_space",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 "
                "\r\nabc\r\n0\r\n\r\n",
                400},
        BadCase{"chunk_extension_control_byte",
                std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3;a=\x01\r\nabc\r\n0\r\n\r\n"),
                400},
        BadCase{"chunk_extension_bare_lf",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                "3;a\nabc\r\n0\r\n\r\n",
                400},
        BadCase{"bare_cr_in_target", "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        BadCase{"tab_before_colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400},
        BadCase{"nul_in_target", std::string("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n", 30), 400},
        BadCase{"unknown_expectation", "GET / HTTP/1.1\r\nHost: h\r\nExpect: tea\r\n\r\n", 417}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(RequestParser, AbsoluteFormAgreeingWithHostIsAccepted) {
  Outcome outcome = parse_whole(
      "GET http://A.example/x?q HTTP/1.1\r\nHost: a.EXAMPLE\r\n\r\n"
      "GET http://user@b.example:81/ HTTP/1.1\r\nHost: b.example:81\r\n\r\n");
  EXPECT_EQ(outcome.error_status, 0) << outcome.error_message;
  EXPECT_EQ(outcome.requests.size(), 2u);
}

TEST(RequestParser, ErrorMessagesQuoteClientBytesSafely) {
  Outcome outcome = parse_whole(std::string("GE\x7fT / HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(outcome.error_status, 400);
  EXPECT_NE(outcome.error_message.find("\\x7f"), std::string::npos) << outcome.error_message;
  for (char c : outcome.error_message)
    EXPECT_GE(static_cast<unsigned char>(c), 0x20);
}

}  // namespace
}  // namespace basehttp
