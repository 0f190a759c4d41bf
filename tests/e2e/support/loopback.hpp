#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace privsentry::e2e {

// A TCP (or UDP) port on 127.0.0.1 that nothing listens on right now.
std::uint16_t free_port(bool udp = false);

// GET http://127.0.0.1:port/path; the body, or empty on failure.
std::string http_get(std::uint16_t port, const std::string& path);

// A fresh directory for one test, removed by the caller.
std::filesystem::path temp_dir(const std::string& name);

// A CA, a server certificate for "privsentry-test-siem" and 127.0.0.1, and a
// client certificate, made with the openssl command in dir.
struct TestCertificates {
  std::filesystem::path ca;
  std::filesystem::path server_cert;
  std::filesystem::path server_key;
  std::filesystem::path client_cert;
  std::filesystem::path client_key;
  std::string error;  // non-empty if openssl failed
};
TestCertificates make_certificates(const std::filesystem::path& dir);

}  // namespace privsentry::e2e
