// TestCertificates: a throwaway PKI for the TLS tests, made with the
// `openssl` command in a folder of its own (mkdtemp): a test CA, a server
// certificate for localhost / 127.0.0.1 / ::1 signed by it, the same key
// encrypted with a password, a second server certificate (for reloads), a
// third for the names of one wildcard (for SNI), a key that matches none,
// and a file holding a certificate and its key together. Made once per
// test binary (a few hundred milliseconds), then shared read-only; removed
// at exit. Any thread.
#pragma once

#include <string>

#include "tests/support/temp_folder.hpp"

namespace basehttp::testing {

class TestCertificates {
 public:
  /// The set, made on first use; aborts the binary (with openssl's output)
  /// if the command is missing or fails.
  static const TestCertificates& get();

  std::string ca_certificate;  // the CA's certificate: clients trust it
  std::string server_chain;    // CN=localhost, signed by the CA
  std::string server_key;      // its key, unencrypted
  std::string encrypted_key;   // the same key, encrypted with `password`
  std::string password = "correct horse";
  std::string combined;           // server_chain then server_key, in one file
  std::string other_chain;        // CN=reloaded.localhost, signed by the CA
  std::string other_key;          // its key
  std::string wildcard_chain;     // CN=*.wild.localhost, signed by the CA
  std::string wildcard_key;       // its key
  std::string stray_key;          // a key of no certificate here
  std::string not_a_certificate;  // a file of text that is no PEM

 private:
  TestCertificates();
  TempFolder folder_{"tls"};
};

}  // namespace basehttp::testing
