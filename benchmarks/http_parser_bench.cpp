// Benchmarks http/request_parser alone: typical requests, pipelining, and
// how the cost grows with the number of header fields.
#include <string>

#include "benchmarks/bench_support.hpp"
#include "http/request_parser.hpp"

namespace basehttp {
namespace {

const std::string kTechEmpowerGet = "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

const std::string kBrowserGet =
    "GET /static/app/main.css?v=3 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36\r\n"
    "Accept: text/css,*/*;q=0.1\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-GB,en;q=0.9\r\n"
    "Cache-Control: no-cache\r\n"
    "Pragma: no-cache\r\n"
    "Referer: https://www.example.com/\r\n"
    "Sec-Fetch-Dest: style\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Cookie: session=4f9a0c2e1b; theme=dark\r\n\r\n";

std::string with_fields(int count) {
  std::string request = "GET /item HTTP/1.1\r\nHost: example\r\n";
  for (int i = 1; i < count; ++i)
    request += "X-Field-" + std::to_string(i) + ": value\r\n";
  return request + "\r\n";
}

// Parses every message in `bytes`, as the server does; returns how many.
int parse_all(RequestParser& parser, Request& request, Buffer& input, const std::string& bytes) {
  input.append(bytes);
  int messages = 0;
  for (;;) {
    RequestParser::Event event = parser.parse(input, request);
    if (event == RequestParser::Event::kHeadersComplete) continue;
    if (event != RequestParser::Event::kMessageComplete) break;
    ++messages;
    input.retrieve(request.message_size);
    parser.next_message();
  }
  return messages;
}

void run(benchmark::State& state, const std::string& bytes, int messages_per_iteration) {
  RequestParser parser{ParserLimits{}};
  Request request;
  Buffer input;
  parse_all(parser, request, input, bytes);  // warm up: vectors and buffers sized
  bench::AllocationMeter meter;
  for (auto _ : state) {
    int parsed = parse_all(parser, request, input, bytes);
    if (parsed != messages_per_iteration) bench::fail(state, "parse failed");
    // After the check: GCC 12 with ASan reads a clobbered value back out
    // of DoNotOptimize's read-write operand.
    benchmark::DoNotOptimize(parsed);
  }
  meter.report(state, /*must_be_zero=*/true);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetItemsProcessed(state.iterations() * messages_per_iteration);
}

void BM_Parse_TechEmpowerGet(benchmark::State& state) {
  run(state, kTechEmpowerGet, 1);
}
BENCHMARK(BM_Parse_TechEmpowerGet);

void BM_Parse_BrowserGet(benchmark::State& state) {
  run(state, kBrowserGet, 1);
}
BENCHMARK(BM_Parse_BrowserGet);

void BM_Parse_Pipelined16(benchmark::State& state) {
  std::string batch;
  for (int i = 0; i < 16; ++i)
    batch += kTechEmpowerGet;
  run(state, batch, 16);
}
BENCHMARK(BM_Parse_Pipelined16);

void BM_Parse_BrowserPipelined16(benchmark::State& state) {
  std::string batch;
  for (int i = 0; i < 16; ++i)
    batch += kBrowserGet;
  run(state, batch, 16);
}
BENCHMARK(BM_Parse_BrowserPipelined16);

void BM_Parse_HeaderCount(benchmark::State& state) {
  run(state, with_fields(static_cast<int>(state.range(0))), 1);
}
BENCHMARK(BM_Parse_HeaderCount)->Arg(1)->Arg(10)->Arg(100);

}  // namespace
}  // namespace basehttp
