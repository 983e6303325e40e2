// Tests reactor/acceptor: binding (ephemeral ports, IPv6), accepting
// everything pending, pause/resume, and surviving EMFILE without spinning.
#include "reactor/acceptor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <vector>

namespace basehttp {
namespace {

using std::chrono::milliseconds;

FileDescriptor connect_to(const SocketAddress& address) {
  FileDescriptor fd(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(fd.get(), address.get(), address.length()), 0);
  return fd;
}

FileDescriptor unconnected_socket(int family) {
  return FileDescriptor(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

TEST(Acceptor, BindsAnEphemeralPortAndHandsOverConfiguredSockets) {
  EventLoop loop;
  std::vector<FileDescriptor> accepted;
  Acceptor acceptor(loop, *SocketAddress::parse("127.0.0.1", 0),
                    [&](FileDescriptor socket, const SocketAddress& peer) {
                      EXPECT_EQ(peer.host(), "127.0.0.1");
                      accepted.push_back(std::move(socket));
                      if (accepted.size() == 3) loop.stop();
                    });
  ASSERT_NE(acceptor.local_address().port(), 0);
  loop.run_after(milliseconds(5000), [&] { loop.stop(); });
  std::vector<FileDescriptor> clients;
  for (int i = 0; i < 3; ++i)
    clients.push_back(connect_to(acceptor.local_address()));
  loop.run();
  ASSERT_EQ(accepted.size(), 3u);
  for (const FileDescriptor& socket : accepted) {
    EXPECT_TRUE(fcntl(socket.get(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(fcntl(socket.get(), F_GETFD) & FD_CLOEXEC);
    int nodelay = 0;
    socklen_t length = sizeof(nodelay);
    getsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &length);
    EXPECT_EQ(nodelay, 1);
  }
}

TEST(Acceptor, ListensOnIpv6Loopback) {
  EventLoop loop;
  int accepted = 0;
  Acceptor acceptor(loop, *SocketAddress::parse("[::1]", 0),
                    [&](FileDescriptor, const SocketAddress& peer) {
                      EXPECT_EQ(peer.host(), "::1");
                      ++accepted;
                      loop.stop();
                    });
  loop.run_after(milliseconds(5000), [&] { loop.stop(); });
  FileDescriptor client = connect_to(acceptor.local_address());
  loop.run();
  EXPECT_EQ(accepted, 1);
}

TEST(Acceptor, ReportsABusyPort) {
  EventLoop loop;
  Acceptor first(loop, *SocketAddress::parse("127.0.0.1", 0),
                 [](FileDescriptor, const SocketAddress&) {});
  EXPECT_THROW(Acceptor(loop, first.local_address(), [](FileDescriptor, const SocketAddress&) {}),
               std::system_error);
}

TEST(Acceptor, PausedConnectionsWaitInTheBacklog) {
  EventLoop loop;
  int accepted = 0;
  Acceptor acceptor(loop, *SocketAddress::parse("127.0.0.1", 0),
                    [&](FileDescriptor, const SocketAddress&) {
                      if (++accepted == 2) loop.stop();
                    });
  acceptor.pause();
  FileDescriptor a = connect_to(acceptor.local_address());
  FileDescriptor b = connect_to(acceptor.local_address());
  loop.run_after(milliseconds(50), [&] {
    EXPECT_EQ(accepted, 0);
    acceptor.resume();
  });
  loop.run_after(milliseconds(5000), [&] { loop.stop(); });
  loop.run();
  EXPECT_EQ(accepted, 2);
}

// The lowest free descriptor number: with RLIMIT_NOFILE set to it, every
// new descriptor fails with EMFILE.
int lowest_free_descriptor() {
  int fd = ::dup(0);
  ::close(fd);
  return fd;
}

TEST(Acceptor, SurvivesRunningOutOfDescriptorsWithoutSpinning) {
  EventLoop loop;
  int accepted = 0;
  std::vector<FileDescriptor> kept;
  Acceptor acceptor(loop, *SocketAddress::parse("127.0.0.1", 0),
                    [&](FileDescriptor socket, const SocketAddress&) {
                      ++accepted;
                      kept.push_back(std::move(socket));
                    });
  constexpr int kClients = 5;
  std::vector<FileDescriptor> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(unconnected_socket(AF_INET));

  rlimit original{};
  getrlimit(RLIMIT_NOFILE, &original);
  rlimit starved = original;
  starved.rlim_cur = static_cast<rlim_t>(lowest_free_descriptor());
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &starved), 0);
  for (FileDescriptor& client : clients) {
    const SocketAddress& to = acceptor.local_address();
    ASSERT_EQ(::connect(client.get(), to.get(), to.length()), 0);  // completes in the backlog
  }
  uint64_t iterations_before = loop.iterations();
  loop.run_after(milliseconds(200), [&] {
    EXPECT_EQ(accepted, 0);
    // Backing off: a handful of retries, not a busy loop.
    EXPECT_LT(loop.iterations() - iterations_before, 40u);
    setrlimit(RLIMIT_NOFILE, &original);
    loop.run_every(milliseconds(5), [&] {
      if (accepted == kClients) loop.stop();
    });
  });
  loop.run_after(milliseconds(5000), [&] { loop.stop(); });
  loop.run();
  setrlimit(RLIMIT_NOFILE, &original);
  EXPECT_EQ(accepted, kClients);  // nothing lost
}

}  // namespace
}  // namespace basehttp
