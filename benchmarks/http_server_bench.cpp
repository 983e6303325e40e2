// Benchmarks of the server's request path without sockets: handler table
// lookup, the response writer (one-call respond() against Python's calls),
// and end to end: request bytes in -> parse -> dispatch -> response bytes
// out, through one server connection. The end-to-end ones fail the run if
// they allocate in steady state.
#include <string>

#include "benchmarks/bench_support.hpp"
#include "tests/support/hello_handlers.hpp"
#include "tests/support/in_process_exchange.hpp"

namespace basehttp {
namespace {

const std::string kPlaintext = "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
const std::string kJson = "GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

void BM_HandlerTable_Find(benchmark::State& state) {
  HandlerTable table;
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "SPAM"}) {
    table.on(method, [](RequestHandler&) {});
  }
  const char* wanted[] = {"GET", "SPAM", "EGGS"};  // first, last, missing
  std::string_view method = wanted[state.range(0)];
  bench::AllocationMeter meter;
  for (auto _ : state)
    benchmark::DoNotOptimize(table.find(method));
  meter.report(state, /*must_be_zero=*/true);
}
BENCHMARK(BM_HandlerTable_Find)->Arg(0)->Arg(1)->Arg(2);

void run_exchange(benchmark::State& state, testing::ResponseStyle style, const std::string& request,
                  int pipelined) {
  HandlerTable table = testing::hello_handlers(style);
  ServerOptions options;
  options.log_sink = nullptr;
  testing::InProcessExchange exchange(table, options);
  std::string batch;
  for (int i = 0; i < pipelined; ++i)
    batch += request;
  size_t expected = exchange.exchange(batch).size();
  for (int i = 0; i < 100; ++i)
    exchange.feed(batch);  // warm up
  bench::AllocationMeter meter;
  for (auto _ : state) {
    size_t produced = exchange.feed(batch);
    if (produced != expected) bench::fail(state, "wrong response size");
  }
  meter.report(state, /*must_be_zero=*/true);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
  state.SetItemsProcessed(state.iterations() * pipelined);
}

using testing::ResponseStyle;

// The response writer's cost shows as the difference between these two:
// the same request, answered with respond() or with Python's five calls.
void BM_EndToEnd_Plaintext(benchmark::State& state) {
  run_exchange(state, ResponseStyle::kRespond, kPlaintext, 1);
}
BENCHMARK(BM_EndToEnd_Plaintext);

void BM_Respond_PythonCallsPlaintext(benchmark::State& state) {
  run_exchange(state, ResponseStyle::kPythonCalls, kPlaintext, 1);
}
BENCHMARK(BM_Respond_PythonCallsPlaintext);

void BM_EndToEnd_Json(benchmark::State& state) {
  run_exchange(state, ResponseStyle::kRespond, kJson, 1);
}
BENCHMARK(BM_EndToEnd_Json);

void BM_EndToEnd_Pipelined16(benchmark::State& state) {
  run_exchange(state, ResponseStyle::kRespond, kPlaintext, 16);
}
BENCHMARK(BM_EndToEnd_Pipelined16);

}  // namespace
}  // namespace basehttp
