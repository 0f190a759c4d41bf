#include "output/syslog_transport.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace privsentry {

SyslogTransport::SyslogTransport(const OutputSpec& spec, std::optional<TlsOptions> tls, RecordFormatter formatter,
                                 int pid)
    : spec_(spec),
      tls_(std::move(tls)),
      formatter_(std::move(formatter)),
      syslog_(std::atoi(spec.option("facility", "16").c_str()), pid) {}

void SyslogTransport::reopen() {
  stream_.reset();
  udp_ = UniqueFd();
}

DeliveryResult SyslogTransport::deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) {
  std::vector<std::string> frames;
  frames.reserve(records.size());
  for (const auto& record : records) {
    frames.push_back(syslog_.frame(*record, formatter_.format_line(*record)));
  }
  return spec_.kind == OutputKind::kSyslogUdp ? deliver_udp(frames) : deliver_stream(frames);
}

DeliveryResult SyslogTransport::deliver_udp(const std::vector<std::string>& frames) {
  DeliveryResult result;
  if (!udp_.valid()) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    const int gai = ::getaddrinfo(spec_.host.c_str(), std::to_string(spec_.port).c_str(), &hints, &found);
    if (gai != 0) {
      result.error = "resolve " + spec_.host + ": " + gai_strerror(gai);
      return result;
    }
    UniqueFd fd(::socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    // A connected UDP socket hears ICMP port-unreachable as ECONNREFUSED.
    const bool connected = fd.valid() && ::connect(fd.get(), found->ai_addr, found->ai_addrlen) == 0;
    ::freeaddrinfo(found);
    if (!connected) {
      result.error = "udp socket to " + spec_.host + ": " + errno_text(errno);
      return result;
    }
    udp_ = std::move(fd);
  }
  for (const auto& frame : frames) {
    if (::send(udp_.get(), frame.data(), frame.size(), MSG_NOSIGNAL) < 0) {
      result.error = "udp send to " + spec_.host + ":" + std::to_string(spec_.port) + ": " + errno_text(errno);
      udp_ = UniqueFd();
      return result;
    }
  }
  result.ok = true;
  return result;
}

DeliveryResult SyslogTransport::deliver_stream(const std::vector<std::string>& frames) {
  DeliveryResult result;
  if (stream_ && stream_->peer_closed()) {
    stream_.reset();
  }
  if (!stream_) {
    auto connected = TcpStream::connect(spec_.host, spec_.port, timeout_, tls_ ? &*tls_ : nullptr);
    if (!connected) {
      result.error = connected.error().message;
      return result;
    }
    stream_ = std::move(*connected);
  }
  std::string buffer;
  for (const auto& frame : frames) {
    buffer += std::to_string(frame.size());
    buffer.push_back(' ');
    buffer += frame;
  }
  auto written = stream_->write_all(buffer, timeout_);
  if (!written) {
    result.error = spec_.host + ":" + std::to_string(spec_.port) + ": " + written.error().message;
    stream_.reset();
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace privsentry
