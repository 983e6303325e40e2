// request_fuzzer: arbitrary bytes from a client through one server
// connection (socketpair, Connection, Session, RequestParser, the handlers
// of fuzz_handlers.cpp, StaticFiles over a small folder), then checks: the
// handlers' view of each request, the response stream's framing against
// the access log (response_checker.hpp), log lines free of control bytes,
// no stalled connection, and no byte from beside the served folder.
//
// Input: byte 0 chooses options (kFlag* below), byte 1 how the rest is cut
// into reads (below 128: two reads, cut at rest * byte / 128; from 128: reads
// of byte - 127 bytes, at most 64 of them), byte 2 how the client sends them
// (kClient* below), the rest is what the client sends.
// FUZZ_VERBOSE=1 in the environment shows each exchange on stderr.
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "basehttp.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/fuzz_handlers.hpp"
#include "tests/fuzz/paired_session.hpp"
#include "tests/fuzz/response_checker.hpp"

namespace basehttp::fuzzing {
namespace {

constexpr uint8_t kFlagSmallLimits = 1 << 0;       // tiny request and output limits
constexpr uint8_t kFlagHttp10 = 1 << 1;            // protocol_version HTTP/1.0
constexpr uint8_t kFlagEof = 1 << 2;               // the client closes its side at the end
constexpr uint8_t kFlagCompleteDeferred = 1 << 3;  // deferred responses complete after each read
constexpr uint8_t kFlagSmallSendBuffer = 1 << 4;   // the server's writes stop short
constexpr uint8_t kFlagShutdown = 1 << 5;          // graceful shutdown after the first read
constexpr uint8_t kFlagPlainStatic = 1 << 6;       // no listings, no open-file cache
constexpr uint8_t kFlagCustomFormat = 1 << 7;      // own error page format and versions

// The client sends each read after one round of events instead of waiting
// until the server has settled: bytes arrive while it is busy or paused.
constexpr uint8_t kClientEager = 1 << 0;

// Marks what lies beside the served folder. Hex text neither the fuzzer
// nor a handler can come up with; it is looked for without instrumented
// comparisons, so the fuzzer cannot learn it either.
constexpr std::string_view kSecret = "5f0c9e27d4b81a3366e2f9b07d1c4a58e93b26f1";
constexpr std::string_view kOutsideName = "beside-8e41c07bd29f5a6603e7";

struct Sandbox {
  std::string top;
  std::string root;
  std::shared_ptr<const FileDescriptor> file;
  uint64_t file_size = 0;
};

Sandbox* sandbox = nullptr;

void write_file(const std::string& path, std::string_view content) {
  FILE* out = std::fopen(path.c_str(), "wb");
  require(out != nullptr, "cannot create a sandbox file", path);
  std::fwrite(content.data(), 1, content.size(), out);
  std::fclose(out);
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}

void remove_sandbox() {
  if (sandbox != nullptr) ::nftw(sandbox->top.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

// A small served folder (files, a listing with awkward names, symlinks in
// and out, a FIFO) and, beside it, what must never be served. Times are
// fixed so that validators, and so what an input does, never change.
Sandbox* make_sandbox() {
  auto* box = new Sandbox;
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/basehttp-fuzz-XXXXXX";
  require(::mkdtemp(pattern.data()) != nullptr, "mkdtemp", pattern);
  box->top = pattern;
  box->root = box->top + "/root";
  std::string data;
  for (int i = 0; i < 3000; ++i)
    data += static_cast<char>('a' + i % 26);
  std::vector<std::string> folders = {"root",        "root/site",  "root/list",
                                      "root/list/d", "root/empty", std::string(kOutsideName)};
  for (const std::string& folder : folders)
    ::mkdir((box->top + "/" + folder).c_str(), 0755);
  write_file(box->top + "/secret.txt", kSecret);
  write_file(box->root + "/a.txt", "hello, fuzz\n");
  write_file(box->root + "/data.bin", data);
  write_file(box->root + "/empty.txt", "");
  write_file(box->root + "/site/index.html", "<p>index</p>\n");
  write_file(box->root + "/list/x.txt", "x\n");
  write_file(box->root + "/list/we<ird>&\"name.txt", "weird\n");
  write_file(box->root + "/list/sp ace.txt", "space\n");
  write_file(box->root + "/list/pct%41.txt", "percent\n");
  ::symlink("a.txt", (box->root + "/link-in").c_str());
  ::symlink("../secret.txt", (box->root + "/link-out").c_str());
  ::symlink("..", (box->root + "/up").c_str());
  ::mkfifo((box->root + "/fifo").c_str(), 0644);
  const timespec times[2] = {{1700000000, 0}, {1700000000, 0}};
  std::vector<std::string> entries = {"secret.txt", "root/a.txt", "root/data.bin", "root/empty.txt",
                                      "root/site",  "root/list",  "root/link-in",  "root/link-out",
                                      "root/up",    "root/fifo",  "root"};
  for (const std::string& entry : entries) {
    ::utimensat(AT_FDCWD, (box->top + "/" + entry).c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
  int fd = ::open((box->root + "/data.bin").c_str(), O_RDONLY | O_CLOEXEC);
  require(fd >= 0, "cannot open the body file");
  box->file = std::make_shared<const FileDescriptor>(fd);
  box->file_size = data.size();
  std::atexit(remove_sandbox);
  return box;
}

// Plain loops, kept out of the coverage and comparison instrumentation so
// the fuzzer is never shown the bytes it is looked for.
__attribute__((no_sanitize("coverage"))) bool contains_uninstrumented(std::string_view text,
                                                                      std::string_view needle) {
  if (needle.empty() || text.size() < needle.size()) return false;
  for (size_t i = 0; i + needle.size() <= text.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && text[i + j] == needle[j])
      ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

void check_log_line(std::string_view line) {
  require(!line.empty() && line.back() == '\n', "a log line without its newline");
  for (char c : line.substr(0, line.size() - 1)) {
    unsigned char byte = static_cast<unsigned char>(c);
    require(byte >= 0x20 && byte != 0x7f, "an unescaped control byte in a log line", line);
  }
}

ServerOptions make_options(uint8_t flags, std::vector<LoggedResponse>* logged) {
  ServerOptions options;
  if (flags & kFlagSmallLimits) {
    options.limits.max_request_line = 48;
    options.limits.max_header_fields = 4;
    options.limits.max_header_bytes = 160;
    options.limits.max_body_bytes = 40;
    options.output_high_water = 600;
    options.output_low_water = 200;
  }
  if (flags & kFlagHttp10) options.protocol_version = "HTTP/1.0";
  if (flags & kFlagCustomFormat) {
    options.error_message_format = "{code}|{message}|{explain}|{unknown}{";
    options.error_content_type = "text/plain";
    options.sys_version = "Fuzz/1";
  }
  options.log_sink = [logged](std::string_view line) {
    check_log_line(line);
    LoggedResponse entry;
    if (parse_access_log_line(line, &entry)) logged->push_back(std::move(entry));
  };
  return options;
}

StaticFilesOptions static_options(uint8_t flags) {
  StaticFilesOptions options;
  options.root = sandbox->root;
  options.mount = "/static";
  if (flags & kFlagPlainStatic) {
    options.list_directories = false;
    options.open_file_cache = 0;
  }
  return options;
}

// The reads the client's bytes arrive in.
std::vector<std::string_view> cut_into_reads(std::string_view stream, uint8_t how) {
  std::vector<std::string_view> reads;
  if (how < 128) {
    size_t cut = stream.size() * how / 128;
    reads = {stream.substr(0, cut), stream.substr(cut)};
  } else {
    size_t piece = std::max<size_t>(how - 127, (stream.size() + 63) / 64);
    for (size_t at = 0; at < stream.size(); at += piece)
      reads.push_back(stream.substr(at, piece));
  }
  std::erase_if(reads, [](std::string_view read) { return read.empty(); });
  return reads;
}

// For a person replaying one input (FUZZ_VERBOSE=1): what went each way.
void show_exchange(std::string_view sent, std::string_view received,
                   const std::vector<LoggedResponse>& logged) {
  std::fprintf(stderr, "---- sent (%zu bytes)\n%.*s\n---- received (%zu bytes)\n%.*s\n---- logged:",
               sent.size(), static_cast<int>(sent.size()), sent.data(), received.size(),
               static_cast<int>(received.size()), received.data());
  for (const LoggedResponse& entry : logged)
    std::fprintf(stderr, " %s %d,", entry.method.c_str(), entry.code);
  std::fprintf(stderr, "\n");
}

void complete_deferred_responses(PairedSession& paired) {
  while (paired.complete_deferred(finish_deferred)) {
  }
}

void run(uint8_t flags, uint8_t how, uint8_t client, std::string_view stream) {
  std::vector<LoggedResponse> logged;
  StaticFiles static_files(static_options(flags));
  HandlerContext context;
  context.static_files = &static_files;
  context.file = sandbox->file;
  context.file_size = sandbox->file_size;
  HandlerTable table = make_fuzz_handlers(context);
  ServerOptions options = make_options(flags, &logged);
  context.max_body_bytes = options.limits.max_body_bytes;
  HTTPServer server({"127.0.0.1", 0}, table, std::move(options));
  PairedSession paired(server, (flags & kFlagSmallSendBuffer) ? 4096 : 0);
  context.paired = &paired;

  bool first = true;
  for (std::string_view read : cut_into_reads(stream, how)) {
    paired.send(read);
    paired.pump((client & kClientEager) ? 1 : -1);
    if (flags & kFlagCompleteDeferred) complete_deferred_responses(paired);
    if (first && (flags & kFlagShutdown)) paired.begin_shutdown();
    first = false;
  }
  paired.pump();
  bool abort_possible = false;
  if (flags & kFlagEof) {
    // A client leaving while its response is deferred is dropped at once.
    abort_possible = paired.awaiting_deferred();
    paired.send_eof();
    paired.pump();
  }
  if (flags & kFlagCompleteDeferred) complete_deferred_responses(paired);

  Connection& connection = paired.connection();
  if (connection.open() && !paired.awaiting_deferred()) {
    require(paired.unread_by_server() == 0 && paired.unsent() == 0,
            "the connection stalled: the client's bytes wait unread, and no event will come");
  }
  if (std::getenv("FUZZ_VERBOSE") != nullptr) show_exchange(stream, paired.received(), logged);
  StreamFacts facts;
  facts.logged = std::move(logged);
  facts.connection_open = connection.open();
  facts.may_be_cut = context.cut_on_purpose || abort_possible;
  facts.must_end_cut = context.cut_by_throw && !abort_possible;
  std::string problem = check_response_stream(paired.received(), facts);
  require(problem.empty(), "bad response stream", problem);
  require(!contains_uninstrumented(paired.received(), kSecret) &&
              !contains_uninstrumented(paired.received(), kOutsideName),
          "a response shows what lies beside the served folder");
}

}  // namespace
}  // namespace basehttp::fuzzing

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  basehttp::fuzzing::sandbox = basehttp::fuzzing::make_sandbox();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  std::string_view stream(reinterpret_cast<const char*>(data) + 3, size - 3);
  basehttp::fuzzing::run(data[0], data[1], data[2], stream);
  return 0;
}
