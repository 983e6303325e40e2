// Benchmarks of StaticFiles end to end without sockets: request bytes in
// -> parse -> map the path -> stat -> response head and file region out,
// through one server connection, for each kind of answer a file server
// gives over and over (a file, one in a subfolder, 304s, a range, a
// folder's redirect, a 404). Each fails the run if it allocates in steady
// state: a static request allocates nothing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "benchmarks/bench_support.hpp"
#include "handlers/static_files/static_files.hpp"
#include "tests/support/in_process_exchange.hpp"
#include "tests/support/temp_folder.hpp"

namespace basehttp {
namespace {

void write_file(const std::string& path, size_t size) {
  std::string bytes(size, 'x');
  FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
    std::perror(path.c_str());
    std::abort();
  }
  std::fclose(out);
}

// A served folder: /1k.bin, /sub/page.html, and /sub/ itself.
struct Site {
  testing::TempFolder folder{"static-bench"};
  Site() {
    write_file(folder.file("1k.bin"), 1024);
    ::mkdir(folder.file("sub").c_str(), 0755);
    write_file(folder.file("sub/page.html"), 300);
  }
};

// The value of `name` in a response's head, "" if absent.
std::string field(const std::string& response, const std::string& name) {
  size_t at = response.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return response.substr(at, response.find("\r\n", at) - at);
}

enum class Ask { kFile, kSubfolder, kIfNoneMatch, kIfModifiedSince, kRange, kRedirect, kNotFound };

void run_static(benchmark::State& state, Ask ask, int pipelined, const char* status) {
  Site site;
  StaticFilesOptions static_options;
  static_options.root = site.folder.path();
  StaticFiles files(static_options);
  HandlerTable table;
  files.install(table);
  ServerOptions options;
  options.log_sink = nullptr;
  testing::InProcessExchange exchange(table, options);

  const std::string host = "Host: 127.0.0.1:8080\r\n";
  std::string first = exchange.exchange("GET /1k.bin HTTP/1.1\r\n" + host + "\r\n");
  std::string request;
  switch (ask) {
    case Ask::kFile:
      request = "GET /1k.bin HTTP/1.1\r\n" + host;
      break;
    case Ask::kSubfolder:
      request = "GET /sub/page.html HTTP/1.1\r\n" + host;
      break;
    case Ask::kIfNoneMatch:
      request =
          "GET /1k.bin HTTP/1.1\r\n" + host + "If-None-Match: " + field(first, "ETag") + "\r\n";
      break;
    case Ask::kIfModifiedSince:
      request = "GET /1k.bin HTTP/1.1\r\n" + host +
                "If-Modified-Since: " + field(first, "Last-Modified") + "\r\n";
      break;
    case Ask::kRange:
      request = "GET /1k.bin HTTP/1.1\r\n" + host + "Range: bytes=100-199\r\n";
      break;
    case Ask::kRedirect:
      request = "GET /sub?x=1 HTTP/1.1\r\n" + host;
      break;
    case Ask::kNotFound:
      request = "GET /missing.txt HTTP/1.1\r\n" + host;
      break;
  }
  request += "\r\n";
  std::string batch;
  for (int i = 0; i < pipelined; ++i)
    batch += request;

  std::string response = exchange.exchange(request);
  if (response.compare(0, 12, std::string("HTTP/1.1 ") + status) != 0) {
    return bench::fail(state, "unexpected status");
  }
  size_t expected = exchange.feed(batch);
  for (int i = 0; i < 100; ++i)
    exchange.feed(batch);  // warm up
  bench::AllocationMeter meter;
  for (auto _ : state) {
    if (exchange.feed(batch) != expected) bench::fail(state, "wrong response size");
  }
  meter.report(state, /*must_be_zero=*/true);
  state.SetItemsProcessed(state.iterations() * pipelined);
}

void BM_Static_File1K(benchmark::State& state) {
  run_static(state, Ask::kFile, 1, "200");
}
BENCHMARK(BM_Static_File1K);

void BM_Static_File1K_Pipelined16(benchmark::State& state) {
  run_static(state, Ask::kFile, 16, "200");
}
BENCHMARK(BM_Static_File1K_Pipelined16);

void BM_Static_Subfolder(benchmark::State& state) {
  run_static(state, Ask::kSubfolder, 1, "200");
}
BENCHMARK(BM_Static_Subfolder);

void BM_Static_NotModifiedByETag(benchmark::State& state) {
  run_static(state, Ask::kIfNoneMatch, 1, "304");
}
BENCHMARK(BM_Static_NotModifiedByETag);

void BM_Static_NotModifiedByDate(benchmark::State& state) {
  run_static(state, Ask::kIfModifiedSince, 1, "304");
}
BENCHMARK(BM_Static_NotModifiedByDate);

void BM_Static_Range(benchmark::State& state) {
  run_static(state, Ask::kRange, 1, "206");
}
BENCHMARK(BM_Static_Range);

void BM_Static_FolderRedirect(benchmark::State& state) {
  run_static(state, Ask::kRedirect, 1, "301");
}
BENCHMARK(BM_Static_FolderRedirect);

void BM_Static_NotFound(benchmark::State& state) {
  run_static(state, Ask::kNotFound, 1, "404");
}
BENCHMARK(BM_Static_NotFound);

}  // namespace
}  // namespace basehttp
