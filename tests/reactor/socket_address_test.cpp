// Tests reactor/socket_address.
#include "reactor/socket_address.hpp"

#include <gtest/gtest.h>

namespace basehttp {
namespace {

TEST(SocketAddress, ParsesIpv4) {
  auto address = SocketAddress::parse("127.0.0.1", 8080);
  ASSERT_TRUE(address);
  EXPECT_EQ(address->family(), AF_INET);
  EXPECT_EQ(address->host(), "127.0.0.1");
  EXPECT_EQ(address->port(), 8080);
  EXPECT_EQ(address->to_string(), "127.0.0.1:8080");
}

TEST(SocketAddress, ParsesIpv6WithAndWithoutBrackets) {
  for (const char* text : {"::1", "[::1]"}) {
    auto address = SocketAddress::parse(text, 1);
    ASSERT_TRUE(address) << text;
    EXPECT_TRUE(address->is_ipv6());
    EXPECT_EQ(address->host(), "::1");
    EXPECT_EQ(address->to_string(), "[::1]:1");
  }
  auto any = SocketAddress::parse("::", 0);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host(), "::");
}

TEST(SocketAddress, EmptyHostMeansEveryIpv4Interface) {
  auto address = SocketAddress::parse("", 80);
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host(), "0.0.0.0");
}

TEST(SocketAddress, RejectsNonNumericHostsButResolvesThem) {
  EXPECT_FALSE(SocketAddress::parse("not an address", 80));
  EXPECT_FALSE(SocketAddress::parse("999.1.1.1", 80));
  auto local = SocketAddress::resolve("localhost", 81);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->port(), 81);
}

}  // namespace
}  // namespace basehttp
