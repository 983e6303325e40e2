// Tests http/response_writer alone: the bytes it queues into an
// OutputQueue, read back through a socketpair (no server, no port), for
// the whole framing table, body overruns and shortfalls, abort(), interim
// responses, respond() and raw responses.
#include "http/response_writer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "http/response_head.hpp"
#include "http/server_options.hpp"
#include "tests/support/unlinked_file.hpp"

namespace basehttp {
namespace {

constexpr std::time_t kNow = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::string_view kServerAndDate =
    "Server: basehttp/0.1\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

// A writer on a queue whose bytes are read back from a socketpair.
class Rig {
 public:
  explicit Rig(ServerOptions options = {}) : options_(std::move(options)), heads_(options_) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    sender_.reset(fds[0]);
    receiver_.reset(fds[1]);
  }

  ResponseWriter& start(bool head = false, bool client_1_1 = true, bool close = false) {
    ResponseWriter::Setup setup;
    setup.heads = &heads_;
    setup.responses = &options_.responses;
    setup.protocol_version = options_.protocol_version;
    setup.keep_alive_protocol = options_.protocol_version == "HTTP/1.1";
    writer.attach(queue, setup);
    writer.start(head, client_1_1, close || !setup.keep_alive_protocol);
    writer.refresh(kNow, false);
    return writer;
  }

  // Everything queued so far, flushed and read back. Bounded: the socket
  // is non-blocking and each wait for bytes has a timeout.
  std::string bytes() {
    std::string all;
    char chunk[65536];
    for (;;) {
      int result = queue.flush_to(sender_.get());  // 0, -EAGAIN or a failure
      EXPECT_TRUE(result == 0 || result == -EAGAIN) << result;
      if (result != 0 && result != -EAGAIN) return all;
      for (;;) {
        ssize_t n = ::read(receiver_.get(), chunk, sizeof(chunk));
        if (n <= 0) break;
        all.append(chunk, static_cast<size_t>(n));
      }
      if (queue.empty()) return all;
      pollfd ready{sender_.get(), POLLOUT, 0};
      if (::poll(&ready, 1, 5000) != 1) {
        ADD_FAILURE() << "the socket never took the rest";
        return all;
      }
    }
  }

  ServerOptions options_;
  ResponseHead heads_;
  OutputQueue queue;
  ResponseWriter writer;

 private:
  FileDescriptor sender_, receiver_;
};

enum class Framing { kContentLength, kTransferEncoding, kNone };

const char* name(Framing framing) {
  switch (framing) {
    case Framing::kContentLength:
      return "Content-Length";
    case Framing::kTransferEncoding:
      return "Transfer-Encoding";
    case Framing::kNone:
      return "none";
  }
  return "?";
}

std::string status_line(int code) {
  std::string reason(StatusTable::standard().reason(code));
  return "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\n";
}

// The framing table: for each status, method, client version, handler
// framing and client wish, the head, body and closing the rules
// (RFC 9110 §6.4.1, §8.6, §15.3.6; RFC 9112 §6, §9.3) call for, written
// out case by case rather than derived from the writer.
TEST(ResponseWriter, FramesEveryCombinationAsTheRulesSay) {
  constexpr std::string_view kBody = "hello";
  constexpr std::string_view kChunked = "5\r\nhello\r\n0\r\n\r\n";
  for (int code : {200, 404, 204, 205, 304}) {
    for (bool head : {false, true}) {
      for (bool client_1_1 : {false, true}) {
        for (Framing framing :
             {Framing::kContentLength, Framing::kTransferEncoding, Framing::kNone}) {
          for (bool client_close : {false, true}) {
            SCOPED_TRACE(::testing::Message()
                         << code << (head ? " HEAD" : " GET") << (client_1_1 ? " 1.1" : " 1.0")
                         << " framing " << name(framing)
                         << (client_close ? " close" : " keep-alive"));
            Rig rig;
            ResponseWriter& writer = rig.start(head, client_1_1, client_close);
            writer.send_response(code);
            if (framing == Framing::kContentLength) {
              EXPECT_TRUE(writer.send_header("Content-Length", "5"));
            }
            if (framing == Framing::kTransferEncoding) {
              EXPECT_TRUE(writer.send_header("Transfer-Encoding", "chunked"));
            }
            writer.end_headers();
            // With its own Transfer-Encoding the handler writes the chunks.
            EXPECT_EQ(writer.write(framing == Framing::kTransferEncoding ? kChunked : kBody),
                      ResponseWriter::Written::kQueued);
            writer.finish();

            bool has_content = code != 204 && code != 205 && code != 304;
            bool may_frame = code != 204 && code != 205;  // a 304 keeps its Content-Length
            std::string fields;
            bool close = client_close;
            std::string body;
            if (framing == Framing::kContentLength && may_frame) fields += "Content-Length: 5\r\n";
            if (framing == Framing::kTransferEncoding && may_frame) {
              fields += "Transfer-Encoding: chunked\r\n";
            }
            if (has_content && framing == Framing::kNone) {
              if (client_1_1) {
                fields += "Transfer-Encoding: chunked\r\n";
              } else {
                close = true;  // the body ends with the connection
              }
            }
            if (code == 205) fields += "Content-Length: 0\r\n";
            if (close) {
              fields += "Connection: close\r\n";
            } else if (!client_1_1) {
              fields += "Connection: keep-alive\r\n";
            }
            if (has_content && !head) {
              body = framing == Framing::kTransferEncoding     ? kChunked
                     : framing == Framing::kNone && client_1_1 ? kChunked
                                                               : kBody;
            }
            EXPECT_EQ(rig.bytes(),
                      status_line(code) + std::string(kServerAndDate) + fields + "\r\n" + body);
            EXPECT_EQ(writer.close_connection(), close);
            EXPECT_EQ(writer.status(), code);
            EXPECT_EQ(writer.stage(), ResponseWriter::Stage::kDone);
          }
        }
      }
    }
  }
}

TEST(ResponseWriter, AnHTTP10ServerNeverChunksAndCloses) {
  ServerOptions options;
  options.protocol_version = "HTTP/1.0";
  Rig rig(options);
  ResponseWriter& writer = rig.start(false, true, false);
  writer.send_response(200);
  writer.write("hi");
  writer.finish();
  EXPECT_EQ(rig.bytes(),
            "HTTP/1.0 200 OK\r\n" + std::string(kServerAndDate) + "Connection: close\r\n\r\nhi");
  EXPECT_TRUE(writer.close_connection());
}

TEST(ResponseWriter, AContentLengthOverrunIsCutAndCloses) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  writer.send_header("Content-Length", "5");
  EXPECT_EQ(writer.write("hel"), ResponseWriter::Written::kQueued);
  EXPECT_FALSE(writer.close_connection());
  EXPECT_EQ(writer.write(std::string("lo world")), ResponseWriter::Written::kTruncated);
  EXPECT_EQ(writer.write("more"), ResponseWriter::Written::kTruncated);
  writer.finish();
  EXPECT_EQ(rig.bytes(),
            status_line(200) + std::string(kServerAndDate) + "Content-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(writer.close_connection());
  EXPECT_EQ(writer.body_bytes(), 5u);
}

TEST(ResponseWriter, AShortBodyIsNotPaddedAndCloses) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  writer.send_header("Content-Length", "10");
  writer.write("hello");
  writer.finish();
  EXPECT_EQ(rig.bytes(),
            status_line(200) + std::string(kServerAndDate) + "Content-Length: 10\r\n\r\nhello");
  EXPECT_TRUE(writer.close_connection());
}

TEST(ResponseWriter, AnEmptyWriteDoesNotEndAChunkedBody) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  writer.write("");
  writer.write("ab");
  writer.finish();
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) +
                             "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
  EXPECT_FALSE(writer.close_connection());
}

TEST(ResponseWriter, MovedStringsAndFileRegionsAreChunkedInOrder) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  std::string large(OutputQueue::kMoveThreshold + 1, 'x');
  writer.write(std::string(large));
  writer.write_file(testing::unlinked_file("0123456789"), 2, 3);
  writer.finish();
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) +
                             "Transfer-Encoding: chunked\r\n\r\n1001\r\n" + large +
                             "\r\n3\r\n234\r\n0\r\n\r\n");
  EXPECT_EQ(writer.body_bytes(), large.size() + 3);
}

TEST(ResponseWriter, AFileRegionBeyondTheContentLengthIsCut) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  writer.send_header("Content-Length", "4");
  EXPECT_EQ(writer.write_file(testing::unlinked_file("0123456789"), 0, 10),
            ResponseWriter::Written::kTruncated);
  writer.finish();
  EXPECT_EQ(rig.bytes(),
            status_line(200) + std::string(kServerAndDate) + "Content-Length: 4\r\n\r\n0123");
  EXPECT_TRUE(writer.close_connection());
}

TEST(ResponseWriter, WritesBeforeAStatusLineAreRefused) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  EXPECT_EQ(writer.write("early"), ResponseWriter::Written::kRefused);
  EXPECT_FALSE(writer.send_header("X", "y"));
  EXPECT_EQ(rig.bytes(), "");
}

TEST(ResponseWriter, AbortBeforeAnythingQueuesNothingAndCloses) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.abort();
  EXPECT_EQ(writer.stage(), ResponseWriter::Stage::kAborted);
  EXPECT_FALSE(writer.respond(200, "text/plain", "late"));
  EXPECT_EQ(writer.write("late"), ResponseWriter::Written::kRefused);
  writer.finish();
  EXPECT_EQ(rig.bytes(), "");
  EXPECT_TRUE(writer.close_connection());
}

TEST(ResponseWriter, AbortInTheHeaderSectionLeavesItUnended) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  writer.send_header("X-Early", "1");
  writer.abort();
  EXPECT_FALSE(writer.send_header("X-Late", "1"));
  writer.end_headers();
  EXPECT_EQ(writer.write("body"), ResponseWriter::Written::kRefused);
  writer.finish();
  // No Connection field, no empty line: the client sees a head cut short.
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) + "X-Early: 1\r\n");
  EXPECT_TRUE(writer.close_connection());
}

TEST(ResponseWriter, AbortMidChunkedBodyHasNoLastChunk) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  writer.write("hello");
  writer.abort();
  EXPECT_EQ(writer.write("world"), ResponseWriter::Written::kRefused);
  writer.finish();
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) +
                             "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  EXPECT_TRUE(writer.close_connection());
  EXPECT_EQ(writer.body_bytes(), 5u);
}

TEST(ResponseWriter, AbortMidContentLengthBodyIsNotPadded) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  writer.send_header("Content-Length", "10");
  writer.write("hello");
  writer.abort();
  writer.finish();
  EXPECT_EQ(rig.bytes(),
            status_line(200) + std::string(kServerAndDate) + "Content-Length: 10\r\n\r\nhello");
  EXPECT_TRUE(writer.close_connection());
}

TEST(ResponseWriter, AnInterimResponseIsFollowedByTheFinalOne) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response_only(100);
  writer.end_headers();
  EXPECT_EQ(writer.stage(), ResponseWriter::Stage::kNone);
  writer.send_response_only(103);
  writer.send_header("Link", "</a.css>; rel=preload");
  writer.send_header("Content-Length", "3");  // no content to frame: dropped
  writer.end_headers();
  writer.send_response(200);
  writer.send_header("Content-Length", "2");
  writer.write("ok");
  writer.finish();
  EXPECT_EQ(rig.bytes(),
            "HTTP/1.1 100 Continue\r\n\r\n"
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
                status_line(200) + std::string(kServerAndDate) + "Content-Length: 2\r\n\r\nok");
  EXPECT_FALSE(writer.close_connection());
  EXPECT_EQ(writer.status(), 200);
}

TEST(ResponseWriter, AnInterimResponseAloneClosesTheConnection) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(100);
  writer.end_with_interim();
  EXPECT_EQ(writer.write("x"), ResponseWriter::Written::kRefused);
  writer.finish();
  EXPECT_EQ(rig.bytes(), "HTTP/1.1 100 Continue\r\n" + std::string(kServerAndDate) +
                             "Connection: close\r\n\r\n");
  EXPECT_TRUE(writer.close_connection());
}

TEST(ResponseWriter, RespondFramesTheWholeResponseInOnePiece) {
  for (bool head : {false, true}) {
    for (bool client_1_1 : {false, true}) {
      for (bool client_close : {false, true}) {
        SCOPED_TRACE(::testing::Message()
                     << (head ? "HEAD" : "GET") << (client_1_1 ? " 1.1" : " 1.0")
                     << (client_close ? " close" : " keep-alive"));
        Rig rig;
        ResponseWriter& writer = rig.start(head, client_1_1, client_close);
        EXPECT_TRUE(writer.respond(404, "text/plain", "nope"));
        writer.finish();
        std::string connection = client_close ? "Connection: close\r\n"
                                 : client_1_1 ? ""
                                              : "Connection: keep-alive\r\n";
        EXPECT_EQ(rig.bytes(), status_line(404) + std::string(kServerAndDate) +
                                   "Content-Type: text/plain\r\nContent-Length: 4\r\n" +
                                   connection + "\r\n" + (head ? "" : "nope"));
        EXPECT_EQ(writer.close_connection(), client_close);
        EXPECT_EQ(writer.body_bytes(), 4u);
      }
    }
  }
}

// A 200 from respond() copies the head kept from the one before when the
// Content-Type is the same: what it sends must not tell the two apart, as
// types, lengths, the second and the connection's wishes change in turn.
TEST(ResponseWriter, RespondGivesEveryTwoHundredItsOwnHead) {
  struct Answer {
    std::time_t now;
    std::string type;
    std::string body;
    bool head = false;
    bool client_1_1 = true;
    bool close = false;
  };
  const std::string long_type = "text/plain; x=" + std::string(200, 'y');
  const Answer answers[] = {
      {kNow, "text/plain", "Hello, World!"},
      {kNow, "text/plain", "Hello, World!"},
      {kNow, "text/plain", "longer body than before"},
      {kNow, "text/plain", ""},
      {kNow, "text/plain", "Hello, World!", /*head=*/true},
      {kNow, "text/plain", "Hello, World!", false, /*client_1_1=*/false},
      {kNow, "text/plain", "Hello, World!", false, true, /*close=*/true},
      {kNow, "text/plain", "Hello, World!"},
      {kNow, "text/plai", "Hello, World!"},
      {kNow, "text/plaiN", "Hello, World!"},
      {kNow, "text/\r\nplain", "Hello, World!"},
      {kNow, "text/plain", "Hello, World!"},
      {kNow, long_type, "Hello, World!"},
      {kNow, "application/json", "{}"},
      {kNow + 1, "application/json", "{}"},
      {kNow + 86400 * 365, "application/json", std::string(12345, 'j')},
      {kNow + 86400 * 365, "application/json", "{}"},
  };
  Rig rig;
  for (const Answer& answer : answers) {
    SCOPED_TRACE(::testing::Message()
                 << answer.now << " " << answer.type.substr(0, 20) << " " << answer.body.size()
                 << (answer.head ? " HEAD" : "") << (answer.client_1_1 ? " 1.1" : " 1.0")
                 << (answer.close ? " close" : ""));
    ResponseWriter& writer = rig.start(answer.head, answer.client_1_1, answer.close);
    writer.refresh(answer.now, false);
    EXPECT_TRUE(writer.respond(200, answer.type, answer.body));
    writer.finish();
    std::string type = answer.type;
    for (char& c : type) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    std::string connection = answer.close        ? "Connection: close\r\n"
                             : answer.client_1_1 ? ""
                                                 : "Connection: keep-alive\r\n";
    EXPECT_EQ(rig.bytes(), status_line(200) + "Server: basehttp/0.1\r\nDate: " +
                               format_imf_fixdate(answer.now) + "\r\nContent-Type: " + type +
                               "\r\nContent-Length: " + std::to_string(answer.body.size()) +
                               "\r\n" + connection + "\r\n" + (answer.head ? "" : answer.body));
    EXPECT_EQ(writer.body_bytes(), answer.body.size());
    EXPECT_EQ(writer.close_connection(), answer.close);
  }
}

TEST(ResponseWriter, RespondMovesALargeBodyAndSkipsItForHead) {
  std::string large(OutputQueue::kMoveThreshold + 1, 'b');
  for (bool head : {false, true}) {
    Rig rig;
    ResponseWriter& writer = rig.start(head);
    writer.respond(200, "application/octet-stream", large);
    writer.finish();
    EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) +
                               "Content-Type: application/octet-stream\r\nContent-Length: 4097"
                               "\r\n\r\n" +
                               (head ? "" : large));
  }
}

TEST(ResponseWriter, RespondWithoutContentSendsNoBodyOrFraming) {
  for (int code : {204, 205, 304}) {
    SCOPED_TRACE(code);
    Rig rig;
    ResponseWriter& writer = rig.start();
    EXPECT_TRUE(writer.respond(code, "text/plain", "ignored"));
    writer.finish();
    EXPECT_EQ(rig.bytes(), status_line(code) + std::string(kServerAndDate) +
                               (code == 205 ? "Content-Length: 0\r\n" : "") + "\r\n");
    EXPECT_FALSE(writer.close_connection());
  }
  Rig rig;
  ResponseWriter& writer = rig.start();
  EXPECT_TRUE(writer.respond(100, "text/plain", "ignored"));
  EXPECT_EQ(rig.bytes(), "HTTP/1.1 100 Continue\r\n" + std::string(kServerAndDate) +
                             "Connection: close\r\n\r\n");
  EXPECT_TRUE(writer.close_connection());
}

// A second answer to one request means the first went wrong: it is cut
// where it is (finish() would otherwise make it a whole, empty response).
TEST(ResponseWriter, RespondAfterTheResponseStartedCutsItShort) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  EXPECT_FALSE(writer.respond(200, "text/plain", "again"));
  writer.finish();
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate));
  EXPECT_TRUE(writer.close_connection());

  ResponseWriter& chunked = rig.start();
  chunked.send_response(200);
  chunked.write("part");
  EXPECT_FALSE(chunked.respond(200, "text/plain", "again"));
  chunked.finish();
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) +
                             "Transfer-Encoding: chunked\r\n\r\n4\r\npart\r\n");
  EXPECT_TRUE(chunked.close_connection());
}

TEST(ResponseWriter, ControlBytesInFieldsAndReasonsBecomeSpaces) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(299, "Odd\r\nReason");
  writer.send_header("X-Split\n", "a\r\nInjected: yes\x7f\tend");
  writer.send_header("Content-Length", "0");
  writer.finish();
  EXPECT_EQ(rig.bytes(), "HTTP/1.1 299 Odd  Reason\r\n" + std::string(kServerAndDate) +
                             "X-Split : a  Injected: yes \tend\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseWriter, ConnectionFieldsFromTheHandlerDecide) {
  Rig rig;
  ResponseWriter& writer = rig.start(false, true, false);
  writer.send_response(200);
  writer.send_header("connection", "CLOSE");
  writer.send_header("Content-Length", "0");
  writer.finish();
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) +
                             "connection: CLOSE\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(writer.close_connection());

  ResponseWriter& again = rig.start(false, false, true);
  again.send_response(200);
  again.send_header("Connection", "keep-alive");
  again.send_header("Content-Length", "0");
  again.finish();
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) +
                             "Connection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(again.close_connection());
}

TEST(ResponseWriter, AShutdownMakesTheResponseClose) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.refresh(kNow, true);
  writer.send_response(200);
  writer.send_header("Content-Length", "0");
  writer.finish();
  EXPECT_EQ(rig.bytes(), status_line(200) + std::string(kServerAndDate) +
                             "Content-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(writer.close_connection());

  ResponseWriter& again = rig.start();
  again.refresh(kNow, true);
  again.respond(200, "text/plain", "");
  EXPECT_NE(rig.bytes().find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(again.close_connection());
}

TEST(ResponseWriter, TheDateFollowsTheClock) {
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.refresh(kNow + 1, false);
  writer.respond(204, "", "");
  EXPECT_NE(rig.bytes().find("Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n"), std::string::npos);
}

TEST(ResponseWriter, ARawResponseIsQueuedAsItIsAndCloses) {
  for (bool head : {false, true}) {
    Rig rig;
    ResponseWriter& writer = rig.start(head);
    EXPECT_TRUE(writer.begin_raw(302));
    writer.write("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n");
    writer.finish();
    EXPECT_EQ(rig.bytes(), "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n");
    EXPECT_TRUE(writer.close_connection());
    EXPECT_EQ(writer.status(), 302);
  }
  Rig rig;
  ResponseWriter& writer = rig.start();
  writer.send_response(200);
  EXPECT_FALSE(writer.begin_raw(200));
}

}  // namespace
}  // namespace basehttp
