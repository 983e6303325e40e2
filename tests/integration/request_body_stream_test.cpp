// Tests streamed request bodies (HandlerTable::on_streaming and
// RequestHandler::read_body): a body far larger than any buffer passes
// with bounded memory, a handler that pauses stops the server reading from
// its client, the handler learns when its client leaves, 100 Continue is
// sent only to a handler that reads, the connection goes on afterwards,
// and an answer that throws midway is cut.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "basehttp.hpp"
#include "tests/support/process_memory.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/temp_folder.hpp"
#include "tests/support/test_server.hpp"

namespace basehttp {
namespace {

using testing::RawClient;
using testing::send_text;

/// What a streaming handler saw of its body; loop thread.
struct Upload {
  uint64_t bytes = 0;
  uint64_t pieces = 0;
  uint32_t checksum = 2166136261u;  // FNV-1a over every byte, in order
  void take(std::string_view data) {
    bytes += data.size();
    ++pieces;
    for (unsigned char c : data)
      checksum = (checksum ^ c) * 16777619u;
  }
};

uint32_t fnv1a(std::string_view data, uint32_t hash = 2166136261u) {
  for (unsigned char c : data)
    hash = (hash ^ c) * 16777619u;
  return hash;
}

/// PUT: streams the body into an Upload and answers with its size.
HandlerTable counting_table(std::shared_ptr<Upload> upload) {
  HandlerTable table;
  table.on_streaming("PUT", [upload](RequestHandler& handler) {
    *upload = Upload{};
    handler.read_body(
        [upload](std::string_view data) { upload->take(data); },
        [upload](RequestHandler& done) { send_text(done, 200, std::to_string(upload->bytes)); });
  });
  table.on("GET", [](RequestHandler& handler) { send_text(handler, 200, "got"); });
  return table;
}

TEST(RequestBodyStream, ContentLengthAndChunkedBodiesArriveWhole) {
  auto upload = std::make_shared<Upload>();
  HandlerTable table = counting_table(upload);
  testing::TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("PUT /a HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world"));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "11");
  EXPECT_FALSE(first->has_header("Connection"));
  ASSERT_TRUE(
      client.send("PUT /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"
                  "GET /after HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto second = client.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "11");
  uint32_t checksum = 0;
  server.run_in_loop([&] { checksum = upload->checksum; });
  EXPECT_EQ(checksum, fnv1a("hello world"));
  auto after = client.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "got");
}

// The body's end callback answers as a deferred completion does: a throw
// after part of the answer was queued leaves it unterminated.
TEST(RequestBodyStream, AnEndCallbackThatThrowsMidBodyCutsTheResponse) {
  HandlerTable table;
  table.on_streaming("PUT", [](RequestHandler& handler) {
    handler.read_body([](std::string_view) {},
                      [](RequestHandler& done) {
                        done.send_response(200);
                        done.end_headers();
                        done.write("part");
                        throw std::runtime_error("end failed");
                      });
  });
  testing::TestServer server(table);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody"));
  std::string all;
  EXPECT_TRUE(client.closed_by_peer(&all));
  EXPECT_TRUE(all.ends_with("\r\n\r\n4\r\npart\r\n")) << all;
}

TEST(RequestBodyStream, AQuarterGigabyteUploadGoesToAFileWithBoundedMemory) {
  constexpr uint64_t kTotal = 256ull << 20;
  testing::TempFolder folder("upload");
  std::string path = folder.file("upload.bin");
  HandlerTable table;
  table.on_streaming("PUT", [&path](RequestHandler& handler) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    auto file = std::make_shared<FileDescriptor>(fd);
    handler.read_body(
        [file](std::string_view data) {
          if (::write(file->get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
            throw std::runtime_error("short write");
        },
        [file](RequestHandler& done) {
          struct stat info;
          ::fstat(file->get(), &info);
          send_text(done, 201, std::to_string(info.st_size));
        });
  });
  testing::TestServer server(table);
  ASSERT_TRUE(testing::reset_peak_resident());
  long peak_before = testing::peak_resident_kib();
  RawClient client(server.port(), "127.0.0.1", RawClient::Duration(120000));
  ASSERT_TRUE(client.send("PUT /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string piece = "10000\r\n" + std::string(0x10000, 'u') + "\r\n";
  for (uint64_t sent = 0; sent < kTotal; sent += 0x10000) {
    ASSERT_TRUE(client.send(piece));
  }
  ASSERT_TRUE(client.send("0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, std::to_string(kTotal));
  long growth_kib = testing::peak_resident_kib() - peak_before;
  EXPECT_LT(growth_kib, 32 * 1024) << "a 256 MiB body should not be held in memory";
  std::remove(path.c_str());
}

/// Writes to `fd` without blocking until the peer has taken nothing for
/// `quiet`; returns the bytes written, at most `limit`.
uint64_t write_until_stalled(int fd, uint64_t limit, std::chrono::milliseconds quiet) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  std::string block(64 * 1024, 'b');
  uint64_t written = 0;
  while (written < limit) {
    size_t size = std::min<uint64_t>(block.size(), limit - written);
    ssize_t n = ::send(fd, block.data(), size, MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
    pollfd poller{fd, POLLOUT, 0};
    if (::poll(&poller, 1, static_cast<int>(quiet.count())) <= 0) break;  // stalled
  }
  ::fcntl(fd, F_SETFL, flags);
  return written;
}

TEST(RequestBodyStream, APausedHandlerStopsTheServerReading) {
  constexpr uint64_t kTotal = 64ull << 20;
  auto upload = std::make_shared<Upload>();
  BodyReader reader;
  uint64_t at_pause = 0;
  HandlerTable table;
  table.on_streaming("PUT", [&, upload](RequestHandler& handler) {
    reader = handler.read_body(
        [&, upload](std::string_view data) {
          upload->take(data);
          if (at_pause == 0) {
            at_pause = upload->bytes;
            reader.pause();
          }
        },
        [upload](RequestHandler& done) { send_text(done, 200, std::to_string(upload->bytes)); });
  });
  testing::TestServer server(table);
  RawClient client(server.port(), "127.0.0.1", RawClient::Duration(60000));
  ASSERT_TRUE(client.send(
      "PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(kTotal) + "\r\n\r\n"));
  uint64_t written = write_until_stalled(client.fd(), kTotal, std::chrono::milliseconds(300));
  // Only the kernel's socket buffers hold what the paused server does not read.
  EXPECT_LT(written, kTotal / 2);
  uint64_t taken = 0;
  bool paused_open = false;
  server.run_in_loop([&] {
    taken = upload->bytes;
    paused_open = reader.open();
  });
  EXPECT_GT(at_pause, 0u);
  EXPECT_EQ(taken, at_pause) << "no piece may arrive while the handler is paused";
  EXPECT_TRUE(paused_open);
  server.run_in_loop([&] { EXPECT_TRUE(reader.resume()); });
  std::string rest(kTotal - written, 'b');
  ASSERT_TRUE(client.send(rest));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, std::to_string(kTotal));
  server.run_in_loop([&] { EXPECT_FALSE(reader.open()); });
}

TEST(RequestBodyStream, TheHandlerLearnsThatItsClientLeft) {
  std::atomic<bool> told{false};
  std::atomic<uint64_t> received{0};
  HandlerTable table;
  table.on_streaming("POST", [&](RequestHandler& handler) {
    BodyReader reader =
        handler.read_body([&](std::string_view data) { received += data.size(); },
                          [](RequestHandler& done) { send_text(done, 200, "never"); });
    reader.on_close([&] { told = true; });
  });
  testing::TestServer server(table);
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\npart"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (received < 4 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();  // awaiting the first piece, bounded
    }
  }  // the client leaves mid-body
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!told && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(received, 4u);
  EXPECT_TRUE(told);
}

TEST(RequestBodyStream, AStalledBodyGets408AndTheHandlerIsTold) {
  std::atomic<bool> told{false};
  HandlerTable table;
  table.on_streaming("PUT", [&](RequestHandler& handler) {
    BodyReader reader = handler.read_body([](std::string_view) {},
                                          [](RequestHandler& done) { send_text(done, 200, "no"); });
    reader.on_close([&] { told = true; });
  });
  ServerOptions options = testing::quiet_options();
  options.body_timeout = std::chrono::milliseconds(200);
  testing::TestServer server(table, options);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nsome"));
  auto response = client.read_response();  // bounded by the client's 10 s
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closed_by_peer());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!told && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();  // awaiting the callback, bounded
  }
  EXPECT_TRUE(told);
}

TEST(RequestBodyStream, ContinueIsSentOnlyToAHandlerThatReads) {
  auto upload = std::make_shared<Upload>();
  HandlerTable table;
  table.on_streaming("PUT", [upload](RequestHandler& handler) {
    if (handler.headers().get("X-Allowed") != "yes") return send_text(handler, 403, "no");
    handler.read_body(
        [upload](std::string_view data) { upload->take(data); },
        [upload](RequestHandler& done) { send_text(done, 200, std::to_string(upload->bytes)); });
  });
  testing::TestServer server(table);
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(
        "PUT /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
    auto refused = client.read_response();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
    EXPECT_EQ(refused->header("Connection"), "close");  // the body was never read
    EXPECT_TRUE(client.closed_by_peer());
  }
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("PUT /x HTTP/1.1\r\nHost: t\r\nX-Allowed: yes\r\nExpect: 100-continue\r\n"
                  "Content-Length: 5\r\n\r\n"));
  auto interim = client.read_interim();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("abcde"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "5");
}

TEST(RequestBodyStream, TheStreamedLimitHoldsForBothFramings) {
  auto upload = std::make_shared<Upload>();
  HandlerTable table = counting_table(upload);
  ServerOptions options = testing::quiet_options();
  options.max_streamed_body_bytes = 1000;
  options.limits.max_body_bytes = 10;  // the buffered limit does not apply to a streamed body
  testing::TestServer server(table, options);
  auto fits = testing::exchange(
      server.port(),
      "PUT /a HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x'));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->body, "1000");
  auto declared = testing::exchange(server.port(),
                                    "PUT /a HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n");
  ASSERT_TRUE(declared);
  EXPECT_EQ(declared->status, 413);
  auto chunked = testing::exchange(
      server.port(), "PUT /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n" +
                         std::string(1001, 'x') + "\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 413);
}

}  // namespace
}  // namespace basehttp
