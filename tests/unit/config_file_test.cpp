#include "app/config_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace privsentry {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text, mode_t mode = 0600) {
    const auto path = std::filesystem::path(::testing::TempDir()) /
                      ("privsentry-" + std::to_string(::getpid()) + "-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml");
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const auto& p : paths_) {
      std::filesystem::remove(p);
    }
  }
  std::vector<std::filesystem::path> paths_;
};

TEST_F(ConfigFileTest, EveryFlagHasAKey) {
  const auto path = write(R"(# privsentry
docker-host: unix:///run/docker.sock
no-docker: false
hostname: node-7
engine: podman
containerd-state: /run/k3s/containerd/io.containerd.runtime.v2.task
containers-storage:
  - /run/containers/storage/overlay-containers
  - /var/lib/containers/storage/overlay-containers
cgroup-hierarchy: devices
log-level: warn
cap-tier: fentry
ringbuf-mib: 8
docker-grace-ms: 500
device-recheck-s: 30
raw-record: /var/lib/privsentry/raw.psraw
output:
  - stdout
  - syslog+tls://siem.example:6514?format=cef
spool-dir: /var/spool/privsentry
spool-max-mib: 128
hec-token: 00000000-0000-0000-0000-000000000000
tls-ca: /etc/ssl/siem-ca.pem
tls-cert: /etc/ssl/client.pem
tls-key: /etc/ssl/client.key
metrics-listen: 127.0.0.1:9464
flush-timeout-s: 5
format: json
)");
  ConfigValues values;
  const auto loaded = load_config_file(path, values);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const auto& run = values.run;
  EXPECT_EQ(run.common.docker_host, "unix:///run/docker.sock");
  EXPECT_EQ(run.common.hostname, "node-7");
  EXPECT_EQ(run.common.engine, "podman");
  EXPECT_EQ(run.common.containerd_state, std::vector<std::string>{"/run/k3s/containerd/io.containerd.runtime.v2.task"});
  EXPECT_EQ(run.common.containers_storage.size(), 2U);
  EXPECT_EQ(run.common.cgroup_hierarchy, "devices");
  EXPECT_EQ(run.common.log_level, "warn");
  EXPECT_EQ(run.cap_tier, "fentry");
  EXPECT_EQ(run.ringbuf_mib, 8U);
  EXPECT_EQ(run.docker_grace_ms, 500U);
  EXPECT_EQ(run.device_recheck_s, 30U);
  EXPECT_EQ(run.raw_record_path, "/var/lib/privsentry/raw.psraw");
  EXPECT_EQ(run.outputs, (std::vector<std::string>{"stdout", "syslog+tls://siem.example:6514?format=cef"}));
  EXPECT_EQ(run.spool_dir, "/var/spool/privsentry");
  EXPECT_EQ(run.spool_max_mib, 128U);
  EXPECT_EQ(run.hec_token, "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(run.tls_ca, "/etc/ssl/siem-ca.pem");
  EXPECT_EQ(run.metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(run.flush_timeout_s, 5U);
  EXPECT_EQ(values.audit_format, "json");
}

TEST_F(ConfigFileTest, OneOutputAsAString) {
  ConfigValues values;
  ASSERT_TRUE(load_config_file(write("output: file:/var/log/p.ndjson\n"), values));
  EXPECT_EQ(values.run.outputs, std::vector<std::string>{"file:/var/log/p.ndjson"});
}

TEST_F(ConfigFileTest, MistakesNameTheLineAndTheReason) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const auto& c : {
           Case{"log-level: info\nouptut: stdout\n", "line 2: unknown key \"ouptut\""},
           Case{"ringbuf-mib: 3\n", "line 1: ringbuf-mib: must be a power of two"},
           Case{"ringbuf-mib: lots\n", "line 1: ringbuf-mib: expected a whole number from 1 to 256"},
           Case{"device-recheck-s: -5\n", "device-recheck-s: expected a whole number"},
           Case{"cap-tier: lsm\n", "cap-tier: expected one of auto, fentry, kprobe, tracepoint"},
           Case{"no-docker: perhaps\n", "no-docker: expected true or false"},
           Case{"\n\noutput:\n  - stdout\n  - syslog://x\n", "line 5: output: --output \"syslog://x\": unknown form"},
           Case{"output: {a: b}\n", "output: expected a URI or a list of URIs"},
           Case{"hostname: [a, b]\n", "hostname: expected a single value"},
           Case{"log-level: [\n", "not valid YAML"},
           Case{"- a\n- b\n", "expected a mapping of settings"},
       }) {
    ConfigValues values;
    const auto loaded = load_config_file(write(c.text), values);
    ASSERT_FALSE(loaded) << c.text;
    EXPECT_NE(loaded.error().message.find(c.expected), std::string::npos) << loaded.error().message;
  }
}

TEST_F(ConfigFileTest, EmptyFileSetsNothing) {
  ConfigValues values;
  ASSERT_TRUE(load_config_file(write(""), values));
  EXPECT_TRUE(values.run.outputs.empty());
  EXPECT_EQ(values.run.ringbuf_mib, 4U);
}

TEST_F(ConfigFileTest, AFileOthersCanWriteIsRefused) {
  ConfigValues values;
  const auto loaded = load_config_file(write("log-level: info\n", 0666), values);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("group or others can write it"), std::string::npos);
  EXPECT_FALSE(load_config_file(write("log-level: info\n", 0620), values));
  EXPECT_FALSE(load_config_file("/nonexistent/privsentry.yaml", values));
}

}  // namespace
}  // namespace privsentry
