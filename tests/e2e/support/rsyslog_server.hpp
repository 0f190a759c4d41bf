#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e/support/e2e_support.hpp"
#include "e2e/support/loopback.hpp"

namespace privsentry::e2e {

// A real rsyslogd on 127.0.0.1: one UDP input, one plain TCP input and one
// TLS input (OpenSSL driver, client certificates required), writing every
// message it parsed as JSON: facility, severity, time, host, app, procid,
// msgid, structured data, msg and the input that took it.
class RsyslogServer {
 public:
  RsyslogServer(const std::filesystem::path& dir, const TestCertificates& certs);
  ~RsyslogServer();

  [[nodiscard]] bool running() const { return running_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::uint16_t udp_port() const { return udp_port_; }
  [[nodiscard]] std::uint16_t tcp_port() const { return tcp_port_; }
  [[nodiscard]] std::uint16_t tls_port() const { return tls_port_; }
  // Every message written so far.
  [[nodiscard]] std::vector<nlohmann::json> received() const;

 private:
  std::filesystem::path dir_;
  std::uint16_t udp_port_;
  std::uint16_t tcp_port_;
  std::uint16_t tls_port_;
  std::unique_ptr<Subprocess> process_;
  bool running_ = false;
  std::string error_;
};

}  // namespace privsentry::e2e
