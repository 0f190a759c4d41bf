#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "output/output_spec.hpp"
#include "output/tcp_stream.hpp"
#include "output/transport.hpp"
#include "sinks/record_format.hpp"
#include "sinks/syslog_formatter.hpp"
#include "util/file.hpp"

namespace privsentry {

// RFC 5424 syslog: over UDP one message per datagram (RFC 5426, best effort:
// UDP says nothing of delivery); over TCP (RFC 6587) and TLS (RFC 5425) with
// octet-counting framing, "<length> <message>", so no byte of a record can
// end a frame early.
class SyslogTransport final : public Transport {
 public:
  SyslogTransport(const OutputSpec& spec, std::optional<TlsOptions> tls, RecordFormatter formatter, int pid);
  DeliveryResult deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) override;
  void reopen() override;

 private:
  DeliveryResult deliver_udp(const std::vector<std::string>& frames);
  DeliveryResult deliver_stream(const std::vector<std::string>& frames);

  OutputSpec spec_;
  std::optional<TlsOptions> tls_;
  RecordFormatter formatter_;
  SyslogFormatter syslog_;
  std::unique_ptr<TcpStream> stream_;
  UniqueFd udp_;
  std::chrono::milliseconds timeout_{5000};
};

}  // namespace privsentry
