// HTTPS on several loops (ServerOptions::threads with options.tls, what
// Python calls ThreadingHTTPSServer): the loops share one TlsContext, make
// sessions from it at once, and a reload from another thread replaces the
// pair under them. Built with TLS only; in multi_loop_tests, so that the
// ThreadSanitizer run (./dev test --tsan) checks the sharing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "basehttp.hpp"
#include "tests/support/test_certificates.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tls_client.hpp"

namespace basehttp {
namespace {

using testing::send_text;
using testing::TestCertificates;
using testing::TlsClient;

TEST(ThreadsTls, ClientsOverBothLoopsWhileAnotherThreadReloadsThePair) {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  HandlerTable table;
  table.on("GET", [&](RequestHandler& handler) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    send_text(handler, 200, handler.path());
  });
  ServerOptions options = testing::quiet_options();
  options.threads = 2;
  TlsOptions tls;
  tls.certificate.chain_file = TestCertificates::get().server_chain;
  tls.certificate.key_file = TestCertificates::get().server_key;
  options.tls = tls;
  testing::TestServer server(table, options);
  ASSERT_EQ(server.server().loops().size(), 2u);

  // Reloads race the handshakes of the clients below on both loops.
  std::atomic<bool> stop{false};
  std::atomic<int> reloads{0};
  std::thread reloader([&] {
    while (!stop.load()) {
      EXPECT_TRUE(server.server().reload_certificates());
      ++reloads;
      std::this_thread::yield();
    }
  });
  std::vector<std::unique_ptr<TlsClient>> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(std::make_unique<TlsClient>(server.port()));
    ASSERT_TRUE(clients.back()->connected()) << "client " << i;
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      std::string path = "/" + std::to_string(i) + "/" + std::to_string(round);
      ASSERT_TRUE(clients[i]->send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n"));
    }
    for (size_t i = 0; i < clients.size(); ++i) {
      auto response = clients[i]->read_response();
      ASSERT_TRUE(response) << "client " << i;
      EXPECT_EQ(response->body, "/" + std::to_string(i) + "/" + std::to_string(round));
    }
  }
  stop = true;
  reloader.join();
  EXPECT_GT(reloads.load(), 0);
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(threads.size(), 2u) << "the kernel gave every connection to one loop";
}

}  // namespace
}  // namespace basehttp
