// Tests reactor/listen_socket and SocketAddress's syscall lookups: each
// failure comes back as a value, with the errno and the failed step named
// as a start-up error names it ("bind 127.0.0.1:N"), and leaves nothing
// behind (no descriptor kept, no socket file left by a failed unix
// listener); what succeeds listens, nonblocking and close-on-exec.
#include "reactor/listen_socket.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/support/temp_folder.hpp"

namespace basehttp {
namespace {

SocketAddress loopback(uint16_t port) {
  return *SocketAddress::parse("127.0.0.1", port);
}

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0;
}

bool listening(int fd) {
  int value = 0;
  socklen_t size = sizeof(value);
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &size) == 0 && value != 0;
}

void expect_nonblocking_and_cloexec(int fd) {
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
}

TEST(ListenTcp, ListensOnAFreePort) {
  auto listener = listen_tcp(loopback(0));
  ASSERT_TRUE(listener.ok()) << listener.message();
  EXPECT_TRUE(listening(listener.value().get()));
  expect_nonblocking_and_cloexec(listener.value().get());
  auto bound = SocketAddress::local_of(listener.value().get());
  ASSERT_TRUE(bound.ok()) << bound.message();
  EXPECT_NE(bound.value().port(), 0);
}

TEST(ListenTcp, APortInUseIsEaddrinuseAsAValue) {
  auto first = listen_tcp(loopback(0));
  ASSERT_TRUE(first.ok()) << first.message();
  SocketAddress taken = SocketAddress::local_of(first.value().get()).value();
  auto second = listen_tcp(taken);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), EADDRINUSE);
  EXPECT_EQ(second.what(), "bind " + taken.to_string());
}

TEST(ListenTcp, AnAddressNotOnThisHostIsEaddrnotavail) {
  // TEST-NET-1 (RFC 5737): never a local address.
  auto listener = listen_tcp(*SocketAddress::parse("192.0.2.1", 0));
  EXPECT_EQ(listener.error(), EADDRNOTAVAIL);
}

TEST(ListenUnix, ListensAndAppliesTheMode) {
  testing::TempFolder folder("listen");
  std::string path = folder.file("app.sock");
  auto listener = listen_unix(path, 0600);
  ASSERT_TRUE(listener.ok()) << listener.message();
  EXPECT_TRUE(listening(listener.value().get()));
  expect_nonblocking_and_cloexec(listener.value().get());
  struct stat status {};
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  ::unlink(path.c_str());
}

TEST(ListenUnix, APathTooLongIsEnametoolong) {
  std::string path = "/tmp/" + std::string(200, 'x');
  auto listener = listen_unix(path);
  EXPECT_EQ(listener.error(), ENAMETOOLONG);
  EXPECT_EQ(listener.what(), "unix socket path '" + path + "'");
  EXPECT_EQ(listen_unix("").error(), ENAMETOOLONG);
}

TEST(ListenUnix, AMissingFolderIsEnoent) {
  testing::TempFolder folder("listen");
  std::string path = folder.file("missing/app.sock");
  auto listener = listen_unix(path);
  EXPECT_EQ(listener.error(), ENOENT);
  EXPECT_EQ(listener.what(), "bind unix:" + path);
}

TEST(ListenUnix, APathInUseIsEaddrinuseAndLeftAlone) {
  testing::TempFolder folder("listen");
  std::string path = folder.file("app.sock");
  auto first = listen_unix(path);
  ASSERT_TRUE(first.ok()) << first.message();
  auto second = listen_unix(path);
  EXPECT_EQ(second.error(), EADDRINUSE);
  EXPECT_TRUE(listening(first.value().get()));
  EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  ::unlink(path.c_str());
}

TEST(ListenUnix, AFileThatIsNotASocketIsLeftAlone) {
  testing::TempFolder folder("listen");
  std::string path = folder.file("data.txt");
  FileDescriptor file(::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ASSERT_TRUE(file);
  EXPECT_EQ(listen_unix(path).error(), EADDRINUSE);
  struct stat status {};
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_TRUE(S_ISREG(status.st_mode));
}

TEST(AdoptListeningSocket, TakesAListeningSocketAndMakesItNonblocking) {
  auto listener = listen_tcp(loopback(0));
  ASSERT_TRUE(listener.ok()) << listener.message();
  int fd = listener.value().release();
  ::fcntl(fd, F_SETFL, 0);
  ::fcntl(fd, F_SETFD, 0);
  auto adopted = adopt_listening_socket(fd);
  ASSERT_TRUE(adopted.ok()) << adopted.message();
  EXPECT_EQ(adopted.value().get(), fd);
  expect_nonblocking_and_cloexec(fd);
}

TEST(AdoptListeningSocket, ANonSocketIsEnotsockAndIsClosed) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  FileDescriptor write_end(fds[1]);
  auto adopted = adopt_listening_socket(fds[0]);
  EXPECT_EQ(adopted.error(), ENOTSOCK);
  EXPECT_EQ(adopted.what(), "listening socket " + std::to_string(fds[0]));
  EXPECT_FALSE(is_open(fds[0]));  // owned from the call on, as documented
}

TEST(AdoptListeningSocket, ASocketThatDoesNotListenIsEinval) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  auto adopted = adopt_listening_socket(fd);
  EXPECT_EQ(adopted.error(), EINVAL);
  EXPECT_EQ(adopted.what(), "fd " + std::to_string(fd) + " is not listening");
  EXPECT_FALSE(is_open(fd));
}

TEST(SocketAddress, LookupsOfABadDescriptorAreErrorValues) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  FileDescriptor read_end(fds[0]), write_end(fds[1]);
  EXPECT_EQ(SocketAddress::local_of(read_end.get()).error(), ENOTSOCK);
  EXPECT_EQ(SocketAddress::local_of(read_end.get()).what(), "getsockname");
  FileDescriptor unconnected(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(SocketAddress::peer_of(unconnected.get()).error(), ENOTCONN);
  EXPECT_EQ(SocketAddress::peer_of(unconnected.get()).what(), "getpeername");
}

}  // namespace
}  // namespace basehttp
