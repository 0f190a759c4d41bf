// Findings to SIEMs: a real rsyslogd over UDP, TCP and TLS; HTTP receivers
// for Splunk HEC, Elasticsearch _bulk and a webhook, stopped and started
// under a running (and a restarted) sensor; a full spool; /metrics; SIGHUP.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "e2e/support/e2e_support.hpp"
#include "e2e/support/http_receiver.hpp"
#include "e2e/support/loopback.hpp"
#include "e2e/support/rsyslog_server.hpp"

namespace privsentry::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kHostileLabel = "x\n{\"kind\":\"finding\"}\r] = | \\ \x1b[2J \"quoted\"";

// The value of the first series whose line starts with prefix, -1 if none.
long long metric(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) {
      return std::stoll(line.substr(line.rfind(' ') + 1));
    }
  }
  return -1;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

class SiemE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    ASSERT_EQ(docker({"version"}).exit_code, 0) << "the test Docker engine does not answer at " << docker_host();
    dir_ = temp_dir("siem");
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }

  std::string run_privileged(const std::string& prefix, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "-d", "--name", cleanup_.track(unique_name(prefix)), "--privileged"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {test_image(), "sleep", "60"});
    return docker_ok(args);
  }

  // The ids of every record a sensor printed, in order, from sensor-start on.
  static std::vector<std::string> ids_of(const std::vector<json>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) {
      if (r.is_object() && r.contains("id")) {
        out.push_back(r["id"].get<std::string>());
      }
    }
    return out;
  }

  std::filesystem::path dir_;
  ContainerCleanup cleanup_;
};

TEST_F(SiemE2E, RsyslogReceivesEveryFieldOverUdpTcpAndTls) {
  const auto certs = make_certificates(dir_);
  ASSERT_TRUE(certs.error.empty()) << certs.error;
  RsyslogServer rsyslog(dir_, certs);
  ASSERT_TRUE(rsyslog.running()) << rsyslog.error();
  const std::string tls_options = "?format=ocsf&ca=" + certs.ca.string() + "&cert=" + certs.client_cert.string() +
                                  "&key=" + certs.client_key.string() + "&server_name=privsentry-test-siem";
  SensorProcess sensor({"--hostname", "e2e-host", "--spool-dir", (dir_ / "spool").string(), "--output", "stdout",
                        "--output", "syslog+udp://127.0.0.1:" + std::to_string(rsyslog.udp_port()), "--output",
                        "syslog+tcp://127.0.0.1:" + std::to_string(rsyslog.tcp_port()) + "?format=cef", "--output",
                        "syslog+tls://127.0.0.1:" + std::to_string(rsyslog.tls_port()) + tls_options});
  const auto id = run_privileged("syslog", {"--label", "evil=" + kHostileLabel});
  const auto finding = sensor.wait_for_finding(id, "privileged-container");
  ASSERT_TRUE(finding) << sensor.log();
  const auto finding_id = (*finding)["id"].get<std::string>();

  std::map<std::string, json> by_input;
  ASSERT_TRUE(eventually([&] {
    for (const auto& message : rsyslog.received()) {
      if (message.value("sd", "").find("id=\"" + finding_id + "\"") != std::string::npos) {
        by_input[message.value("input", "")] = message;
      }
    }
    return by_input.size() == 3;
  })) << "got "
      << by_input.size() << " of 3 inputs\n"
      << sensor.log();

  for (const auto& [input, message] : by_input) {
    SCOPED_TRACE(input);
    EXPECT_EQ(message["facility"], 16);  // local0
    EXPECT_EQ(message["severity"], 3);   // high -> err
    EXPECT_EQ(message["host"], "e2e-host");
    EXPECT_EQ(message["app"], "privsentry");
    EXPECT_FALSE(message["procid"].get<std::string>().empty());
    EXPECT_EQ(message["msgid"], "finding");
    EXPECT_EQ(message["time"].get<std::string>().substr(0, 19), (*finding)["time"].get<std::string>().substr(0, 19));
    const auto sd = message["sd"].get<std::string>();
    EXPECT_EQ(sd.rfind("[privsentry@32473 ", 0), 0U) << sd;
    EXPECT_NE(sd.find("rule=\"privileged-container\""), std::string::npos) << sd;
    EXPECT_NE(sd.find("container_id=\"" + id + "\""), std::string::npos) << sd;
    EXPECT_NE(sd.find("severity=\"high\""), std::string::npos) << sd;
  }
  // UDP carries the native record, exactly as stdout printed it.
  EXPECT_EQ(json::parse(by_input["udp"]["msg"].get<std::string>()), *finding);
  // TCP carries CEF.
  const auto cef = by_input["tcp"]["msg"].get<std::string>();
  EXPECT_EQ(cef.rfind("CEF:0|privsentry|privsentry|", 0), 0U) << cef;
  EXPECT_NE(cef.find("externalId=" + finding_id), std::string::npos) << cef;
  EXPECT_NE(cef.find("cs1=" + id), std::string::npos) << cef;
  // TLS carries OCSF, and the hostile label arrives intact as data.
  const auto ocsf = json::parse(by_input["tls"]["msg"].get<std::string>());
  EXPECT_EQ(ocsf["class_uid"], 2004);
  EXPECT_EQ(ocsf["finding_info"]["uid"], finding_id);
  EXPECT_EQ(ocsf["container"]["uid"], id);
  EXPECT_EQ(ocsf["container"]["labels"][0], "evil=" + kHostileLabel);
  // Nothing a label holds split a message or forged one.
  for (const auto& message : rsyslog.received()) {
    EXPECT_NE(message.value("msg", "").rfind("{\"kind\":\"finding\"}", 0), 0U) << message.dump();
  }
}

TEST_F(SiemE2E, TlsRefusesAWrongServerNameAndAMissingClientCertificate) {
  const auto certs = make_certificates(dir_);
  ASSERT_TRUE(certs.error.empty()) << certs.error;
  RsyslogServer rsyslog(dir_, certs);
  ASSERT_TRUE(rsyslog.running()) << rsyslog.error();
  const std::string base = "syslog+tls://127.0.0.1:" + std::to_string(rsyslog.tls_port()) + "?ca=" + certs.ca.string();
  SensorProcess sensor(
      {"--spool-dir", (dir_ / "spool").string(), "--output", "stdout", "--output",
       base + "&cert=" + certs.client_cert.string() + "&key=" + certs.client_key.string() + "&server_name=someone-else",
       "--output", base + "&server_name=privsentry-test-siem"});
  const auto id = run_privileged("tlsfail");
  ASSERT_TRUE(sensor.wait_for_finding(id, "privileged-container")) << sensor.log();
  ASSERT_TRUE(eventually([&] {
    const auto log = sensor.log();
    return log.find("certificate not accepted: hostname mismatch") != std::string::npos &&
           log.find("refused by the server") != std::string::npos;
  })) << sensor.log();
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(rsyslog.received().empty()) << rsyslog.received().front().dump();
  // What could not be sent waits on disk, for both sinks.
  std::size_t spooling = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "spool")) {
    std::uintmax_t bytes = 0;
    for (const auto& file : std::filesystem::directory_iterator(entry.path())) {
      bytes += file.path().filename().string().rfind("seg-", 0) == 0 ? file.file_size() : 0;
    }
    spooling += bytes > 0 ? 1U : 0U;
  }
  EXPECT_EQ(spooling, 2U);
}

// Every record each HTTP receiver stored, in arrival order, as ids.
std::vector<std::string> received_ids(const HttpReceiver& receiver, const std::string& kind) {
  std::vector<std::string> out;
  for (const auto& request : receiver.requests()) {
    if (kind == "hec") {
      std::istringstream lines(request.body);
      std::string line;
      while (std::getline(lines, line)) {
        if (!line.empty()) {
          out.push_back(json::parse(line)["event"]["id"].get<std::string>());
        }
      }
    } else if (kind == "elastic") {
      std::istringstream lines(request.body);
      std::string line;
      bool action = true;
      while (std::getline(lines, line)) {
        if (line.empty()) {
          continue;
        }
        if (action) {
          out.push_back(json::parse(line)["create"]["_id"].get<std::string>());
        }
        action = !action;
      }
    } else {
      for (const auto& record : json::parse(request.body)) {
        out.push_back(record["metadata"]["uid"].get<std::string>());
      }
    }
  }
  return out;
}

TEST_F(SiemE2E, HttpSinksGetEveryRecordOnceInOrderThroughOutagesAndARestart) {
  const auto certs = make_certificates(dir_);
  ASSERT_TRUE(certs.error.empty()) << certs.error;
  HttpReceiver hec(free_port(), certs.server_cert, certs.server_key);
  HttpReceiver elastic(free_port());
  HttpReceiver webhook(free_port());
  const std::uint16_t metrics_port = free_port();
  const std::vector<std::string> args = {
      "--spool-dir",      (dir_ / "spool").string(),
      "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port),
      "--output",         "stdout",
      "--output",         "hec+https://127.0.0.1:" + std::to_string(hec.port()) + "?ca=" + certs.ca.string(),
      "--output",         "elastic+http://127.0.0.1:" + std::to_string(elastic.port()) + "/privsentry",
      "--output",         "webhook+http://127.0.0.1:" + std::to_string(webhook.port()) + "/alerts?format=ocsf&batch=3"};
  const std::vector<std::string> env = {"PRIVSENTRY_HEC_TOKEN=test-token"};

  std::vector<std::string> printed;
  {
    SensorProcess sensor(args, env);
    // A: receivers up.
    const auto a = run_privileged("http-a", {"--label", "evil=" + kHostileLabel});
    ASSERT_TRUE(sensor.wait_for_finding(a, "privileged-container")) << sensor.log();
    ASSERT_TRUE(eventually([&] { return received_ids(webhook, "webhook").size() >= 3; })) << sensor.log();

    // B: receivers down; records spool; then up again.
    hec.stop();
    elastic.stop();
    webhook.stop();
    const auto b = run_privileged("http-b");
    ASSERT_TRUE(sensor.wait_for_finding(b, "unrestricted-devices")) << sensor.log();
    // The backlog waits on disk, and /metrics says so.
    ASSERT_TRUE(eventually([&] {
      return metric(http_get(metrics_port, "/metrics"), "privsentry_sink_spool_records{sink=\"webhook-") > 0;
    })) << http_get(metrics_port, "/metrics");
    EXPECT_EQ(metric(http_get(metrics_port, "/metrics"), "privsentry_sink_up{sink=\"webhook-"), 0);
    hec.start();
    elastic.start();
    webhook.start();
    ASSERT_TRUE(eventually([&] { return received_ids(webhook, "webhook").size() >= ids_of(sensor.records()).size(); }))
        << sensor.log();

    // C: receivers down, then the sensor stops: the backlog stays on disk.
    hec.stop();
    elastic.stop();
    webhook.stop();
    const auto c = run_privileged("http-c");
    ASSERT_TRUE(sensor.wait_for_finding(c, "privileged-container")) << sensor.log();
    EXPECT_EQ(sensor.stop(), 0) << sensor.log();
    printed = ids_of(sensor.records());
  }
  {
    SensorProcess restarted(args, env);
    hec.start();
    elastic.start();
    webhook.start();
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(restarted.stop(), 0) << restarted.log();
    const auto more = ids_of(restarted.records());
    printed.insert(printed.end(), more.begin(), more.end());
    ASSERT_TRUE(eventually([&] { return received_ids(webhook, "webhook").size() >= printed.size(); }))
        << restarted.log();
  }
  for (const auto& [name, receiver] : std::vector<std::pair<std::string, HttpReceiver*>>{
           {"hec", &hec}, {"elastic", &elastic}, {"webhook", &webhook}}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(received_ids(*receiver, name), printed) << "every record once, in order";
  }
  // The HEC requests carried the token; the records carried their kind.
  const auto hec_requests = hec.requests();
  ASSERT_FALSE(hec_requests.empty());
  EXPECT_EQ(hec_requests.front().headers.at("authorization"), "Splunk test-token");
  EXPECT_EQ(hec_requests.front().path, "/services/collector/event");
  EXPECT_NE(hec_requests.front().body.find("\"sourcetype\":\"privsentry:"), std::string::npos);
  // The hostile label reached every receiver as data: HEC and _bulk in the
  // native schema, the webhook in OCSF.
  auto native_label_seen = [&](const HttpReceiver& receiver) {
    for (const auto& request : receiver.requests()) {
      std::istringstream lines(request.body);
      for (std::string line; std::getline(lines, line);) {
        const auto parsed = json::parse(line);
        const auto& record = parsed.contains("event") ? parsed["event"] : parsed;
        if (record.contains("container") && record["container"].contains("labels") &&
            record["container"]["labels"].value("evil", "") == kHostileLabel) {
          return true;
        }
      }
    }
    return false;
  };
  EXPECT_TRUE(native_label_seen(hec));
  EXPECT_TRUE(native_label_seen(elastic));
  bool label_seen = false;
  for (const auto& request : webhook.requests()) {
    for (const auto& record : json::parse(request.body)) {
      if (record.contains("container") && record["container"].contains("labels")) {
        label_seen = label_seen || record["container"]["labels"][0] == "evil=" + kHostileLabel;
      }
    }
  }
  EXPECT_TRUE(label_seen);
}

// Every byte of a line is printable ASCII: no control character, nothing
// a terminal, a log pipeline or a line-based parser would act on.
bool printable_ascii(const std::string& line) {
  return std::all_of(line.begin(), line.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// A container with hostile strings wherever a container can put them:
// labels (keys and values) with newlines, escape sequences, quotes, CEF and
// syslog delimiters, invalid UTF-8 and 4 KiB of text; and a program whose
// file name (and so its comm) carries escapes and a newline, and which uses
// CAP_SYS_ADMIN, so that a finding about it carries its processes. Every sink and every format
// carries them as data: one record per line or frame, printable ASCII, valid
// JSON where the format is JSON, the labels intact after decoding.
TEST_F(SiemE2E, HostileStringsReachEverySinkAndFormatAsData) {
  const auto certs = make_certificates(dir_);
  ASSERT_TRUE(certs.error.empty()) << certs.error;
  RsyslogServer rsyslog(dir_, certs);
  ASSERT_TRUE(rsyslog.running()) << rsyslog.error();
  HttpReceiver webhook(free_port());
  const auto ocsf_file = dir_ / "ocsf.ndjson";
  const auto cef_file = dir_ / "cef.log";
  SensorProcess sensor({"--spool-dir", (dir_ / "spool").string(), "--output", "stdout", "--output",
                        "file:" + ocsf_file.string() + "?format=ocsf", "--output",
                        "file:" + cef_file.string() + "?format=cef", "--output",
                        "syslog+tcp://127.0.0.1:" + std::to_string(rsyslog.tcp_port()), "--output",
                        "syslog+udp://127.0.0.1:" + std::to_string(rsyslog.udp_port()) + "?format=cef", "--output",
                        "webhook+http://127.0.0.1:" + std::to_string(webhook.port()) + "/hook?format=ocsf"});
  // Docker refuses whitespace in a label's key, and splits at its first '='.
  const std::string kHostileKey = "\x1b]2;PWNED\x07|\"\\key";
  const std::string invalid_utf8 =
      "bad\xff\xfe\xc3(\xed\xa0\x80"
      "end";
  const std::string big = std::string(4000, 'A') + kHostileLabel;
  const std::string program = "\x1b]2;PWNED\x07\n'\"|=%s";
  std::vector<std::string> args{"run",
                                "-d",
                                "--name",
                                cleanup_.track(unique_name("everysink")),
                                "--cap-add",
                                "SYS_ADMIN",
                                "--label",
                                "evil=" + kHostileLabel,
                                "--label",
                                kHostileKey + "=key",
                                "--label",
                                "utf8=" + invalid_utf8,
                                "--label",
                                "big=" + big,
                                test_image(),
                                "sh",
                                "-c",
                                "f=\"/tmp/$1\"; printf '#!/bin/sh\\nmount -t tmpfs none /mnt\\nsleep 60\\n' > \"$f\"; "
                                "chmod +x \"$f\"; exec \"$f\"",
                                "sh",
                                program};
  const auto id = docker_ok(args);
  const auto use = sensor.wait_for_finding(id, "privileged-capability-use");
  ASSERT_TRUE(use) << sensor.log();
  const auto& labels = (*use)["container"]["labels"];
  EXPECT_EQ(labels["evil"], kHostileLabel);
  EXPECT_EQ(labels[kHostileKey], "key");
  // At most 1 KiB of a label is copied, and the record says it was cut.
  EXPECT_EQ(labels["big"], big.substr(0, 1024));
  EXPECT_EQ((*use)["container"]["labels_truncated"], true);
  // Invalid UTF-8 becomes U+FFFD, one per bad sequence; the rest stays.
  const auto utf8 = labels["utf8"].get<std::string>();
  EXPECT_EQ(utf8.rfind("bad\xef\xbf\xbd", 0), 0U) << utf8;
  EXPECT_EQ(utf8.substr(utf8.size() - 3), "end");

  const auto finding_id = (*use)["id"].get<std::string>();
  std::size_t findings = 0;
  for (const auto& line : sensor.raw_lines()) {
    EXPECT_TRUE(printable_ascii(line)) << line;
    const auto record = json::parse(line, nullptr, false);
    ASSERT_FALSE(record.is_discarded()) << line;
    findings += record["kind"] == "finding" ? 1U : 0U;
  }

  // Every sink has the finding; then each is checked whole.
  ASSERT_TRUE(eventually([&] {
    bool tcp = false;
    bool udp = false;
    for (const auto& message : rsyslog.received()) {
      if (message.value("sd", "").find(finding_id) != std::string::npos) {
        tcp = tcp || message["input"] == "tcp";
        udp = udp || message["input"] == "udp";
      }
    }
    const auto in_file = [&](const std::filesystem::path& file) {
      const auto lines = lines_of(file);
      return std::any_of(lines.begin(), lines.end(),
                         [&](const std::string& l) { return l.find(finding_id) != std::string::npos; });
    };
    const auto hooked = received_ids(webhook, "webhook");
    return tcp && udp && in_file(ocsf_file) && in_file(cef_file) &&
           std::find(hooked.begin(), hooked.end(), finding_id) != hooked.end();
  })) << sensor.log();

  std::size_t ocsf_findings = 0;
  for (const auto& line : lines_of(ocsf_file)) {
    EXPECT_TRUE(printable_ascii(line)) << line;
    const auto event = json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    if (event.value("class_uid", 0) == 2004 && event["container"]["uid"] == id) {
      ++ocsf_findings;
      const auto& ocsf_labels = event["container"]["labels"];
      EXPECT_NE(std::find(ocsf_labels.begin(), ocsf_labels.end(), "evil=" + kHostileLabel), ocsf_labels.end());
      EXPECT_NE(std::find(ocsf_labels.begin(), ocsf_labels.end(), "big=" + big.substr(0, 1024)), ocsf_labels.end());
    }
  }
  EXPECT_GE(ocsf_findings, 1U);
  for (const auto& line : lines_of(cef_file)) {
    EXPECT_TRUE(printable_ascii(line)) << line;
    EXPECT_EQ(line.rfind("CEF:0|privsentry|privsentry|", 0), 0U) << line;
    // Seven header fields: a pipe in a string is escaped, never a delimiter.
    std::size_t pipes = 0;
    for (std::size_t i = 0; i < line.size() && pipes < 7; ++i) {
      if (line[i] == '\\') {
        ++i;
      } else if (line[i] == '|') {
        ++pipes;
      }
    }
    EXPECT_EQ(pipes, 7U) << line;
  }
  std::size_t syslog_findings = 0;
  for (const auto& message : rsyslog.received()) {
    EXPECT_TRUE(printable_ascii(message.value("msg", ""))) << message.dump();
    EXPECT_TRUE(printable_ascii(message.value("sd", ""))) << message.dump();
    if (message["input"] == "tcp" && message["msgid"] == "finding") {
      ++syslog_findings;
      EXPECT_FALSE(json::parse(message["msg"].get<std::string>(), nullptr, false).is_discarded()) << message.dump();
    }
    if (message["input"] == "udp") {
      EXPECT_EQ(message["msg"].get<std::string>().rfind("CEF:0|", 0), 0U) << message.dump();
    }
  }
  EXPECT_EQ(syslog_findings, findings) << "one syslog frame per finding: nothing split or forged";
  for (const auto& request : webhook.requests()) {
    EXPECT_TRUE(printable_ascii(request.body)) << request.body.substr(0, 400);
    EXPECT_FALSE(json::parse(request.body, nullptr, false).is_discarded()) << request.body.substr(0, 400);
  }
}

TEST_F(SiemE2E, FullSpoolLosesTheOldestAndTheLossRecordCountsThem) {
  HttpReceiver webhook(free_port());
  webhook.stop();
  // Records of about 64 KiB each (64 labels of 1 KiB): a few containers
  // overflow a 1 MiB spool.
  std::vector<std::string> labels;
  for (int i = 0; i < 64; ++i) {
    labels.insert(labels.end(), {"--label", "l" + std::to_string(i) + "=" + std::string(1000, 'x')});
  }
  const std::string uri = "webhook+http://127.0.0.1:" + std::to_string(webhook.port()) + "/alerts";
  std::vector<json> records;
  {
    SensorProcess sensor(
        {"--spool-dir", (dir_ / "spool").string(), "--spool-max-mib", "1", "--output", "stdout", "--output", uri});
    for (int i = 0; i < 5; ++i) {
      const auto id = run_privileged("spoolfull", labels);
      ASSERT_TRUE(sensor.wait_for_finding(id, "unrestricted-devices")) << sensor.log();
    }
    ASSERT_TRUE(sensor.wait_for([](const json& r) { return r["kind"] == "delivery-loss"; })) << sensor.log();
    webhook.start();
    ASSERT_TRUE(eventually([&] { return !webhook.requests().empty(); })) << sensor.log();
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(sensor.stop(), 0) << sensor.log();
    records = sensor.records();
  }
  std::uint64_t lost = 0;
  for (const auto& r : records) {
    if (r.value("kind", "") == "delivery-loss") {
      EXPECT_EQ(r["uri"], uri);
      EXPECT_EQ(r["reason"], "spool full: oldest records dropped");
      EXPECT_TRUE(r.contains("oldest_lost"));
      lost += r["lost"].get<std::uint64_t>();
    }
  }
  std::size_t received = 0;
  for (const auto& request : webhook.requests()) {
    received += json::parse(request.body).size();
  }
  EXPECT_GT(lost, 0U);
  EXPECT_EQ(received + lost, ids_of(records).size()) << "received " << received << ", lost " << lost;
}

TEST_F(SiemE2E, MetricsMoveDuringARun) {
  const std::uint16_t port = free_port();
  SensorProcess sensor({"--metrics-listen", "127.0.0.1:" + std::to_string(port)});
  auto value = [&](const std::string& series) -> long long {
    const auto text = http_get(port, "/metrics");
    const auto at = text.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + series.size() + 2));
  };
  const std::string cap_seen = "privsentry_kernel_events_total{probe=\"cap_capable\",outcome=\"seen\"}";
  ASSERT_TRUE(eventually([&] { return value(cap_seen) >= 0; })) << http_get(port, "/metrics");
  const auto before = value(cap_seen);
  const auto id = run_privileged("metrics");
  ASSERT_TRUE(sensor.wait_for_finding(id, "privileged-container"));
  ASSERT_TRUE(eventually([&] { return value("privsentry_findings_total{rule=\"privileged-container\"}") >= 1; }))
      << http_get(port, "/metrics");
  EXPECT_GT(value(cap_seen), before);
  EXPECT_EQ(value("privsentry_docker_up"), 1);
  EXPECT_GE(value("privsentry_containers"), 1);
  const auto text = http_get(port, "/metrics");
  EXPECT_NE(text.find("privsentry_sink_delivered_total{sink=\"stdout-"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE privsentry_kernel_events_total counter"), std::string::npos);
  EXPECT_EQ(http_get(port, "/other").find("not found"), 0U);
}

TEST_F(SiemE2E, SighupReopensFilesAndReloadsTheConfiguration) {
  const auto first = dir_ / "first.ndjson";
  const auto second = dir_ / "second.cef";
  const auto config = dir_ / "privsentry.yaml";
  std::ofstream(config) << "output:\n  - stdout\n  - file:" << first.string() << "\n";
  ::chmod(config.c_str(), 0600);
  SensorProcess sensor({"--config", config.string()});
  auto lines_of = [](const std::filesystem::path& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  };
  const auto a = run_privileged("hup-a");
  ASSERT_TRUE(eventually([&] {
    for (const auto& line : lines_of(first)) {
      if (line.find("\"rule\":\"privileged-container\"") != std::string::npos && line.find(a) != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << sensor.log();
  EXPECT_EQ(std::filesystem::status(first).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // logrotate moves the file away; SIGHUP reopens the path; the config now
  // adds a CEF file too.
  std::filesystem::rename(first, dir_ / "first.ndjson.1");
  std::ofstream(config) << "output:\n  - stdout\n  - file:" << first.string() << "\n  - file:" << second.string()
                        << "?format=cef\n";
  sensor.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return sensor.log().find("configuration reloaded") != std::string::npos; }))
      << sensor.log();
  const auto b = run_privileged("hup-b");
  ASSERT_TRUE(eventually([&] {
    bool in_first = false;
    bool in_second = false;
    for (const auto& line : lines_of(first)) {
      in_first = in_first || line.find(b) != std::string::npos;
    }
    for (const auto& line : lines_of(second)) {
      in_second = in_second || (line.rfind("CEF:0|", 0) == 0 && line.find("cs1=" + b) != std::string::npos);
    }
    return in_first && in_second;
  })) << sensor.log();
  for (const auto& line : lines_of(dir_ / "first.ndjson.1")) {
    EXPECT_EQ(line.find(b), std::string::npos) << "records after SIGHUP go to the reopened path";
  }

  // A broken configuration is refused and the running one kept.
  std::ofstream(config) << "outptu: []\n";
  sensor.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return sensor.log().find("configuration not reloaded") != std::string::npos; }))
      << sensor.log();
  EXPECT_NE(sensor.log().find("unknown key \"outptu\""), std::string::npos) << sensor.log();
}

}  // namespace
}  // namespace privsentry::e2e
