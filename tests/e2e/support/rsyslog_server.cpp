#include "e2e/support/rsyslog_server.hpp"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace privsentry::e2e {

RsyslogServer::RsyslogServer(const std::filesystem::path& dir, const TestCertificates& certs)
    : dir_(dir), udp_port_(free_port(true)), tcp_port_(free_port()), tls_port_(free_port()) {
  const auto conf = dir_ / "rsyslog.conf";
  std::ofstream(conf) << R"(global(
  workDirectory=")" << dir_.string()
                      << R"("
  maxMessageSize="64k"
  DefaultNetstreamDriverCAFile=")"
                      << certs.ca.string() << R"("
  DefaultNetstreamDriverCertFile=")"
                      << certs.server_cert.string() << R"("
  DefaultNetstreamDriverKeyFile=")"
                      << certs.server_key.string() << R"("
)
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port=")"
                      << udp_port_ << R"(" name="udp")
input(type="imtcp" address="127.0.0.1" port=")"
                      << tcp_port_ << R"(" name="tcp")
input(type="imtcp" address="127.0.0.1" port=")"
                      << tls_port_ << R"(" name="tls"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
template(name="privsentry_json" type="list" option.jsonf="on") {
  property(outname="facility" name="syslogfacility" format="jsonf" datatype="number")
  property(outname="severity" name="syslogseverity" format="jsonf" datatype="number")
  property(outname="time" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="input" name="inputname" format="jsonf")
}
*.* action(type="omfile" file=")"
                      << (dir_ / "received.ndjson").string() << R"(" template="privsentry_json")
)";
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{"rsyslogd", "-n", "-f", conf.string(), "-i", (dir_ / "rsyslogd.pid").string()});
  // Ready when every input listens.
  for (int i = 0; i < 100; ++i) {
    const auto check = run_command({"sh", "-c",
                                    "ss -ltn | grep -q ':" + std::to_string(tcp_port_) +
                                        " ' && ss -ltn | grep -q ':" + std::to_string(tls_port_) +
                                        " ' && ss -lun | grep -q ':" + std::to_string(udp_port_) + " '"});
    if (check.exit_code == 0) {
      running_ = true;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  error_ = "rsyslogd did not listen: " + process_->err();
}

RsyslogServer::~RsyslogServer() {
  if (process_) {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
  }
}

std::vector<nlohmann::json> RsyslogServer::received() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir_ / "received.ndjson");
  std::string line;
  while (std::getline(in, line)) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) {
      out.push_back(std::move(parsed));
    }
  }
  return out;
}

}  // namespace privsentry::e2e
