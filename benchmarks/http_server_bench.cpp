// Benchmarks of the server's request path without sockets: handler table
// lookup, the response writer (one-call respond() against Python's calls),
// and end to end: request bytes in -> parse -> dispatch -> response bytes
// out, through one server connection, with the access log off and on (as
// basehttpd runs: Python's format through a batched LogWriter sink, or the
// combined format). The end-to-end ones fail the run if they allocate in
// steady state.
#include <optional>
#include <string>

#include "benchmarks/bench_support.hpp"
#include "handlers/operations/access_log.hpp"
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

enum class Log { kOff, kPython, kCombined };

void run_exchange(benchmark::State& state, testing::ResponseStyle style, const std::string& request,
                  int pipelined, Log logging = Log::kOff) {
  HandlerTable table = testing::hello_handlers(style);
  ServerOptions options;
  options.log_sink = nullptr;
  // The lines go through the same per-loop batch and writer thread as the
  // default stderr log's, to /dev/null so the run prints nothing.
  std::optional<AccessLog> log;
  if (logging != Log::kOff) log.emplace(AccessLogOptions{"/dev/null"});
  if (logging == Log::kPython) options.log_sink = log->sink();
  if (logging == Log::kCombined) options.request_logger = log->combined_logger();
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

void BM_EndToEnd_PlaintextLogged(benchmark::State& state) {
  run_exchange(state, ResponseStyle::kRespond, kPlaintext, 1, Log::kPython);
}
BENCHMARK(BM_EndToEnd_PlaintextLogged);

void BM_EndToEnd_Pipelined16Logged(benchmark::State& state) {
  run_exchange(state, ResponseStyle::kRespond, kPlaintext, 16, Log::kPython);
}
BENCHMARK(BM_EndToEnd_Pipelined16Logged);

void BM_EndToEnd_PlaintextCombinedLog(benchmark::State& state) {
  run_exchange(state, ResponseStyle::kRespond, kPlaintext, 1, Log::kCombined);
}
BENCHMARK(BM_EndToEnd_PlaintextCombinedLog);

void BM_EndToEnd_Pipelined16CombinedLog(benchmark::State& state) {
  run_exchange(state, ResponseStyle::kRespond, kPlaintext, 16, Log::kCombined);
}
BENCHMARK(BM_EndToEnd_Pipelined16CombinedLog);

}  // namespace
}  // namespace basehttp
