// Tests http/request_parser: incremental parsing at every split, pipelining,
// chunked bodies, limits at their edges, and malformed input -> status.
#include "http/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/bad_requests.hpp"

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
  Outcome outcome = parse_whole("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(outcome.requests.size(), 1u) << outcome.error_message;
  // Only CRLF ends a line, an empty one too.
  EXPECT_EQ(parse_whole("\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").error_status, 400);
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

class RequestParserRejects : public ::testing::TestWithParam<testing::BadRequest> {};

TEST_P(RequestParserRejects, WithItsStatus) {
  const testing::BadRequest& bad = GetParam();
  Outcome outcome = parse_whole(bad.bytes + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(outcome.error_status, bad.status) << bad.name << ": " << outcome.error_message;
  // Nothing after the bad bytes is ever read as a request.
  EXPECT_TRUE(outcome.requests.empty()) << bad.name;
}

INSTANTIATE_TEST_SUITE_P(Cases, RequestParserRejects, ::testing::ValuesIn(testing::bad_requests()),
                         [](const ::testing::TestParamInfo<testing::BadRequest>& info) {
                           return info.param.name;
                         });
INSTANTIATE_TEST_SUITE_P(StrayLineEnds, RequestParserRejects,
                         ::testing::ValuesIn(testing::stray_line_end_requests()),
                         [](const ::testing::TestParamInfo<testing::BadRequest>& info) {
                           return info.param.name;
                         });

TEST(RequestParser, AbsoluteFormAgreeingWithHostIsAccepted) {
  Outcome outcome = parse_whole(
      "GET http://A.example/x?q HTTP/1.1\r\nHost: a.EXAMPLE\r\n\r\n"
      "GET http://user@b.example:81/ HTTP/1.1\r\nHost: b.example:81\r\n\r\n");
  EXPECT_EQ(outcome.error_status, 0) << outcome.error_message;
  EXPECT_EQ(outcome.requests.size(), 2u);
}

TEST(RequestParser, HostValuesOfEveryFormAreAccepted) {
  for (std::string host : {"", "a", "127.0.0.1:8080", "[::1]", "[::1]:80", "[2001:db8::1]:443",
                           "[v1.fe80::a+en1]", "xn--bcher-kva.example", "a%2Db.example",
                           "a:", "under_score.example", "sub-delims!$&'()*+;=.example"}) {
    Outcome outcome = parse_whole("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    EXPECT_EQ(outcome.error_status, 0) << host << ": " << outcome.error_message;
    EXPECT_EQ(outcome.requests.size(), 1u) << host;
  }
  // Through llhttp too (a Content-Length sends the section there).
  Outcome outcome = parse_whole(
      "POST / HTTP/1.1\r\nHost: [::1]:8000\r\nContent-Length: 2\r\n\r\nhi"
      "POST / HTTP/1.1\r\nHost: a/b\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(outcome.requests.size(), 1u);
  EXPECT_EQ(outcome.error_status, 400) << outcome.error_message;
}

TEST(RequestParser, ErrorMessagesQuoteClientBytesSafely) {
  Outcome outcome = parse_whole(std::string("GE\x7fT / HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(outcome.error_status, 400);
  EXPECT_NE(outcome.error_message.find("\\x7f"), std::string::npos) << outcome.error_message;
  for (char c : outcome.error_message)
    EXPECT_GE(static_cast<unsigned char>(c), 0x20);
  // UTF-8, the quote and the backslash are shown by value too, lowercase.
  outcome = parse_whole(std::string("GET / HTTP/\xc3\xa9'\\\x1b\r\n\r\n"));
  EXPECT_EQ(outcome.error_message, "Bad request version ('HTTP/\\xc3\\xa9\\x27\\x5c\\x1b')");
}

// A whole usual header section is read without llhttp; one that arrives
// after its request line goes through llhttp. Both ways must give the
// same requests, fields and keep-alive, and refuse the same bytes for the
// same reason, at the limits too.
TEST(RequestParser, UsualHeaderSectionsParseAsLlhttpDoes) {
  const std::vector<std::string> requests = {
      "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /a HTTP/1.0\r\n\r\n",
      "GET /a HTTP/1.0\r\nHost: h\r\nX-A:   spaced  value   \r\n\r\n",
      "GET /a?b=c HTTP/1.1\r\nhOsT: h\r\nUser-Agent: curl/8\r\nAccept: */*\r\n"
      "Referer: http://x/\r\nAccept-Language: en\r\n\r\n",
      "HEAD /b HTTP/1.2\r\nHost: h\r\nX-1: a\r\nx-1: b\r\nX!#$%&'*+.^_`|~: v\r\n\r\n",
      "SPAM * HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET http://h.example/x HTTP/1.1\r\nHost: h.example\r\n\r\n",
      "GET http://h.example/x HTTP/1.1\r\nHost: other\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Blank:   \r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Tab:\tv\t\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Utf8: caf\xc3\xa9\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Del: a\x7f\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Nul: a" + std::string(1, '\0') + "b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Bare: a\nX-B: c\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-CR: a\rb\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-End: a\r\n\n",
      "GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nBad\"Name: v\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
      "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: close\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nProxy-Connection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nExpect: nothing\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Long-Header-Name-1234567890: " + std::string(100, 'v') +
          "\r\n\r\n",
  };
  std::vector<ParserLimits> limits(4);
  limits[1].max_header_fields = 2;
  limits[2].max_header_bytes = 9;  // "Host: h\r\n" and no more
  limits[3].max_header_fields = 0;
  for (const ParserLimits& limit : limits) {
    for (const std::string& bytes : requests) {
      size_t section = bytes.find("\r\n") + 2;
      Outcome usual = parse_whole(bytes, limit);
      Outcome llhttp = parse_pieces({bytes.substr(0, section), bytes.substr(section)}, limit);
      EXPECT_EQ(usual.error_status, llhttp.error_status) << bytes;
      EXPECT_EQ(usual.error_message, llhttp.error_message) << bytes;
      EXPECT_EQ(usual.requests, llhttp.requests) << bytes;
    }
  }
}

}  // namespace
}  // namespace basehttp

namespace basehttp {
namespace {

// Parses `pieces` as a server streaming every body does: each run of body
// bytes is taken and discarded as soon as it is parsed.
Outcome parse_streamed(const std::vector<std::string>& pieces, ParserLimits limits = {}) {
  Outcome outcome;
  RequestParser parser(limits);
  Request request;
  Buffer input;
  std::string body;
  auto take_body = [&] {
    body += std::string(request.body.in(input.peek()));
    parser.discard_body(input, request);
  };
  for (const std::string& piece : pieces) {
    input.append(piece);
    for (;;) {
      RequestParser::Event event = parser.parse(input, request);
      if (event == RequestParser::Event::kNeedMore) {
        if (!parser.in_header_section()) take_body();
        break;
      }
      if (event == RequestParser::Event::kHeadersComplete) {
        ++outcome.headers_events;
        parser.set_body_limit(limits.max_body_bytes);
        continue;
      }
      if (event == RequestParser::Event::kError) {
        outcome.error_status = parser.error_status();
        return outcome;
      }
      take_body();
      EXPECT_EQ(parser.discarded_body_bytes(), body.size());
      Parsed parsed = copy_out(request, input.peek());
      parsed.body = body;
      body.clear();
      outcome.requests.push_back(parsed);
      input.retrieve(request.message_size);
      parser.next_message();
    }
  }
  return outcome;
}

// What the parser notes about one message (field count, Transfer-Encoding,
// Expect, a raised body limit) starts over for the next, whichever way
// each message is read: usual sections in one pass, the rest by llhttp.
TEST(RequestParser, NothingNotedOfOneMessageCarriesIntoTheNext) {
  auto with_fields = [](std::string head, int count) {
    for (int i = 0; i < count; ++i)
      head += "X-" + std::to_string(i) + ": v\r\n";
    return head;
  };
  std::string full_by_llhttp =
      with_fields("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n", 98) + "\r\nx";
  std::string full_usual = with_fields("GET /b HTTP/1.1\r\nHost: h\r\n", 99) + "\r\n";
  std::string expecting =
      "PUT /c HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab";
  std::string chunked =
      "PUT /d HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nz\r\n0\r\n\r\n";
  std::string plain_post =
      "POST /e HTTP/1.1\r\nHost: h\r\nX-Pad: 1\r\nContent-Length: 3\r\n\r\nabc";
  std::string usual = "GET /f HTTP/1.1\r\nHost: h\r\n\r\n";
  Outcome outcome =
      parse_whole(full_by_llhttp + full_by_llhttp + full_usual + full_by_llhttp + expecting +
                  usual + plain_post + chunked + plain_post + usual + expecting + plain_post);
  ASSERT_EQ(outcome.error_status, 0) << outcome.error_message;
  ASSERT_EQ(outcome.requests.size(), 12u);
  std::vector<bool> expect_continue;
  for (const Parsed& request : outcome.requests)
    expect_continue.push_back(request.expect_continue);
  EXPECT_EQ(expect_continue, (std::vector<bool>{false, false, false, false, true, false, false,
                                                false, false, false, true, false}));
  EXPECT_EQ(outcome.requests[7].body, "z");
  EXPECT_EQ(outcome.requests[8].body, "abc");

  // A limit raised for one streamed body is that body's only.
  ParserLimits limits;
  limits.max_body_bytes = 4;
  RequestParser parser(limits);
  Request request;
  Buffer input;
  input.append("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\n12345678");
  input.append("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\n12345678");
  ASSERT_EQ(parser.parse(input, request), RequestParser::Event::kHeadersComplete);
  parser.set_body_limit(8);
  ASSERT_EQ(parser.parse(input, request), RequestParser::Event::kMessageComplete);
  input.retrieve(request.message_size);
  parser.next_message();
  ASSERT_EQ(parser.parse(input, request), RequestParser::Event::kHeadersComplete);
  EXPECT_EQ(parser.parse(input, request), RequestParser::Event::kError);
  EXPECT_EQ(parser.error_status(), 413);
}

TEST(RequestParser, StreamedBodiesMatchBufferedOnesAtEverySplit) {
  std::string pipelined;
  for (const std::string& sample : kSamples)
    pipelined += sample;
  Outcome whole = parse_whole(pipelined);
  ASSERT_EQ(whole.requests.size(), kSamples.size());
  for (size_t split = 1; split < pipelined.size(); ++split) {
    Outcome streamed = parse_streamed({pipelined.substr(0, split), pipelined.substr(split)});
    ASSERT_EQ(streamed.error_status, 0) << "split at " << split;
    ASSERT_EQ(streamed.requests, whole.requests) << "split at " << split;
  }
  std::vector<std::string> bytes;
  for (char c : pipelined)
    bytes.emplace_back(1, c);
  EXPECT_EQ(parse_streamed(bytes).requests, whole.requests);
}

TEST(RequestParser, AStreamedBodyIsHeldToItsOwnLimit) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  std::string chunked = "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i)
    chunked += "4\r\nabcd\r\n";
  chunked += "0\r\n\r\n";
  // 12 bytes taken 4 at a time: the total counts, not what is buffered.
  std::vector<std::string> pieces;
  for (size_t at = 0; at < chunked.size(); at += 9)
    pieces.push_back(chunked.substr(at, 9));
  EXPECT_EQ(parse_streamed(pieces, limits).error_status, 413);
  limits.max_body_bytes = 12;
  EXPECT_EQ(parse_streamed(pieces, limits).requests.size(), 1u);
}

}  // namespace
}  // namespace basehttp
