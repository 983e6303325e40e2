#include "tests/support/test_certificates.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace basehttp::testing {
namespace {

// Runs `command` in the shell with its output in `log`; aborts with the
// output when it fails (the paths are mkdtemp's: no quoting needed).
void run(const std::string& command, const std::string& log) {
  std::string line = command + " >>" + log + " 2>&1";
  if (std::system(line.c_str()) != 0) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    std::fprintf(stderr, "test certificates: '%s' failed:\n%s\n", command.c_str(),
                 text.str().c_str());
    std::abort();
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

const TestCertificates& TestCertificates::get() {
  static const TestCertificates certificates;
  return certificates;
}

TestCertificates::TestCertificates() {
  const std::string log = folder_.file("openssl.log");
  // EC keys: made in milliseconds, where RSA keys take a second or more.
  const std::string new_key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2";
  ca_certificate = folder_.file("ca.pem");
  std::string ca_key = folder_.file("ca.key");
  run("openssl req -x509" + new_key + " -keyout " + ca_key + " -out " + ca_certificate +
          " -subj /CN=basehttp-test-CA",
      log);
  auto issue = [&](const std::string& name, const std::string& common_name) {
    // Quoted: a wildcard name must reach openssl as it is, not as a glob.
    run("openssl req -x509" + new_key + " -keyout " + folder_.file(name + ".key") + " -out " +
            folder_.file(name + ".pem") + " -subj '/CN=" + common_name + "' -addext " +
            "'subjectAltName=DNS:" + common_name + ",IP:127.0.0.1,IP:::1' -CA " + ca_certificate +
            " -CAkey " + ca_key,
        log);
  };
  issue("server", "localhost");
  issue("other", "reloaded.localhost");
  issue("wildcard", "*.wild.localhost");
  server_chain = folder_.file("server.pem");
  server_key = folder_.file("server.key");
  other_chain = folder_.file("other.pem");
  other_key = folder_.file("other.key");
  wildcard_chain = folder_.file("wildcard.pem");
  wildcard_key = folder_.file("wildcard.key");
  encrypted_key = folder_.file("encrypted.key");
  run("openssl pkey -in " + server_key + " -aes256 -passout pass:'" + password + "' -out " +
          encrypted_key,
      log);
  stray_key = folder_.file("stray.key");
  run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + stray_key, log);
  combined = folder_.file("combined.pem");
  write_file(combined, read_whole_file(server_chain) + read_whole_file(server_key));
  not_a_certificate = folder_.file("garbage.pem");
  write_file(not_a_certificate, "this is not a certificate\n");
}

}  // namespace basehttp::testing
