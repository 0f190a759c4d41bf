// privsentry run against a real Docker Engine (scripts/test-env.sh) on the
// real kernel: each test starts the real binary and real containers and reads
// the NDJSON it prints.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "e2e/support/e2e_support.hpp"

namespace privsentry::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The cgroup.procs file of a container, in the hierarchy the sensor tracks
// (from its sensor-start and the container's container-start records).
std::filesystem::path cgroup_procs(const json& sensor_start, const json& container_start) {
  const auto tracked = sensor_start["cgroup"]["tracked_hierarchy"].get<std::string>();
  const std::filesystem::path mount = tracked != "unified"                                ? "/sys/fs/cgroup/" + tracked
                                      : std::filesystem::exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
                                                                                          : "/sys/fs/cgroup";
  return mount / container_start["container"]["cgroup"].get<std::string>().substr(1) / "cgroup.procs";
}

class SensorE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    const auto version = docker({"version", "--format", "{{.Server.Version}}"});
    ASSERT_EQ(version.exit_code, 0) << "the test Docker engine does not answer at " << docker_host()
                                    << " (scripts/test-env.sh start): " << version.err;
  }

  // docker run -d; returns the full container id.
  std::string run(const std::string& name, const std::vector<std::string>& options,
                  const std::vector<std::string>& command) {
    return run_container(cleanup_, name, options, command);
  }

  ContainerCleanup cleanup_;
};

TEST_F(SensorE2E, PlainContainerGivesNoFinding) {
  SensorProcess sensor;
  // Writes make overlayfs act with the engine's credentials (override_creds):
  // those checks are not the container's.
  const auto id =
      run(unique_name("plain"), {},
          {"sh", "-c", "cat /proc/self/status >/dev/null; touch /etc/x; mkdir /tmp/d; echo > /bin/y; sleep 30"});
  const auto start =
      sensor.wait_for([&](const json& r) { return r["kind"] == "container-start" && r["container"]["id"] == id; });
  ASSERT_TRUE(start) << sensor.log();
  EXPECT_EQ((*start)["posture"]["verdict"], "clean");
  EXPECT_EQ((*start)["posture"]["docker"]["privileged"], false);
  EXPECT_EQ((*start)["posture"]["devices"]["state"], "restricted");
  // Give the rules time to (wrongly) fire: runc's set-up used every capability.
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(sensor.findings_for(id).empty()) << sensor.findings_for(id)[0].dump(2);
}

TEST_F(SensorE2E, PrivilegedContainerIsReportedWithKernelEvidence) {
  SensorProcess sensor;
  const auto name = unique_name("priv");
  const auto before = std::chrono::steady_clock::now();
  const auto id = run(name, {"--privileged"}, {"sleep", "30"});
  const auto returned = std::chrono::steady_clock::now();
  ASSERT_EQ(id.size(), 64U);

  const auto privileged = sensor.wait_for_finding(id, "privileged-container");
  ASSERT_TRUE(privileged) << sensor.log();
  const auto latency =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - returned);
  std::cout << "  privileged-container seen " << latency.count() << " ms after docker run returned ("
            << std::chrono::duration_cast<std::chrono::milliseconds>(returned - before).count()
            << " ms in docker run)\n";
  const auto& f = *privileged;
  EXPECT_EQ(f["container"]["name"], name);
  EXPECT_EQ(f["container"]["image"], test_image());
  EXPECT_EQ(f["container"]["runtime"], "docker");
  EXPECT_EQ(f["severity"], "high");
  EXPECT_EQ(f["references"]["cis_docker_benchmark"], "5.4");
  EXPECT_EQ(f["references"]["mitre_attack"][0], "T1611");
  EXPECT_EQ(f["host"].get<std::string>().empty(), false);
  EXPECT_EQ(f["evidence"]["docker"]["privileged"], true);
  EXPECT_EQ(f["evidence"]["capabilities"]["full"], true);
  EXPECT_TRUE(f["evidence"]["capabilities"]["missing"].empty());
  EXPECT_EQ(f["evidence"]["capabilities"]["process"]["comm"], "sleep");
  EXPECT_EQ(f["evidence"]["devices"]["state"], "unrestricted");

  ASSERT_TRUE(sensor.wait_for_finding(id, "full-capability-set")) << sensor.log();
  const auto devices = sensor.wait_for_finding(id, "unrestricted-devices");
  ASSERT_TRUE(devices);
  EXPECT_NE((*devices)["evidence"]["devices"]["path"].get<std::string>().find(id), std::string::npos);
  EXPECT_EQ(sensor.findings_for(id).size(), rules_of(sensor.findings_for(id)).size()) << "a rule fired twice";
  EXPECT_FALSE(rules_of(sensor.findings_for(id)).contains("undeclared-privilege"));
}

TEST_F(SensorE2E, CapAddAllWithoutPrivilegedIsUndeclaredPrivilege) {
  SensorProcess sensor;
  const auto id = run(unique_name("capall"), {"--cap-add", "ALL"}, {"sleep", "30"});
  ASSERT_TRUE(sensor.wait_for_finding(id, "full-capability-set")) << sensor.log();
  const auto undeclared = sensor.wait_for_finding(id, "undeclared-privilege");
  ASSERT_TRUE(undeclared) << sensor.log();
  EXPECT_EQ((*undeclared)["severity"], "critical");
  EXPECT_EQ((*undeclared)["evidence"]["docker"]["privileged"], false);
  EXPECT_EQ((*undeclared)["evidence"]["docker"]["cap_add"][0], "ALL");
  std::this_thread::sleep_for(1s);
  const auto rules = rules_of(sensor.findings_for(id));
  EXPECT_FALSE(rules.contains("privileged-container"));
  EXPECT_FALSE(rules.contains("unrestricted-devices"));
}

TEST_F(SensorE2E, UsedSysAdminIsPrivilegedCapabilityUse) {
  SensorProcess sensor;
  const auto id = run(unique_name("admin"), {"--cap-add", "SYS_ADMIN"},
                      {"sh", "-c", "hostname privsentry-e2e && mount -t tmpfs none /mnt && sleep 30"});
  const auto use = sensor.wait_for_finding(id, "privileged-capability-use");
  ASSERT_TRUE(use) << sensor.log();
  EXPECT_EQ((*use)["evidence"]["capability_use"]["capability"], "CAP_SYS_ADMIN");
  EXPECT_EQ((*use)["severity"], "high");
  std::this_thread::sleep_for(1s);
  const auto rules = rules_of(sensor.findings_for(id));
  EXPECT_EQ(rules, std::set<std::string>{"privileged-capability-use"});
  EXPECT_EQ(sensor.findings_for(id).size(), 1U) << "CAP_SYS_ADMIN was reported more than once";
}

TEST_F(SensorE2E, ContainerStartedBeforeTheSensorIsFoundAtStart) {
  const auto id = run(unique_name("early"), {"--privileged"}, {"sleep", "30"});
  SensorProcess sensor;
  const auto start =
      sensor.wait_for([&](const json& r) { return r["kind"] == "container-start" && r["container"]["id"] == id; });
  ASSERT_TRUE(start) << sensor.log();
  EXPECT_EQ((*start)["observed_by"], "startup-scan");
  ASSERT_TRUE(sensor.wait_for_finding(id, "privileged-container"));
  ASSERT_TRUE(sensor.wait_for_finding(id, "full-capability-set"));
  ASSERT_TRUE(sensor.wait_for_finding(id, "unrestricted-devices"));
}

TEST_F(SensorE2E, HostPidNamespaceContainerIsStillAContainer) {
  SensorProcess sensor;
  const auto id = run(unique_name("pidhost"), {"--pid=host", "--privileged"}, {"sleep", "30"});
  ASSERT_TRUE(sensor.wait_for_finding(id, "privileged-container")) << sensor.log();
  ASSERT_TRUE(sensor.wait_for_finding(id, "full-capability-set")) << sensor.log();
}

TEST_F(SensorE2E, EitherCgroupHierarchyNamesTheContainer) {
  // auto picks the devices hierarchy on a hybrid host; the unified one (and
  // bpf_get_current_cgroup_id) must give the same answers where it is used.
  for (const std::string hierarchy : {"unified", "devices"}) {
    SensorProcess sensor({"--cgroup-hierarchy", hierarchy});
    const auto start = sensor.records().front();
    if (start.value("kind", "") != "sensor-start") {
      FAIL() << sensor.log();
    }
    EXPECT_EQ(start["cgroup"]["tracked_hierarchy"], hierarchy);
    const auto id = run(unique_name("hier-" + hierarchy), {"--privileged"}, {"sleep", "30"});
    ASSERT_TRUE(sensor.wait_for_finding(id, "privileged-container")) << hierarchy << "\n" << sensor.log();
    ASSERT_TRUE(sensor.wait_for_finding(id, "full-capability-set")) << hierarchy;
    ASSERT_TRUE(sensor.wait_for_finding(id, "unrestricted-devices")) << hierarchy;
    ASSERT_TRUE(sensor.wait_for_finding(id, "privileged-capability-use")) << hierarchy;
  }
}

TEST_F(SensorE2E, ExitIsReportedWithPosture) {
  SensorProcess sensor;
  const auto id = run(unique_name("exit"), {"--privileged"}, {"sh", "-c", "sleep 1"});
  const auto exit =
      sensor.wait_for([&](const json& r) { return r["kind"] == "container-exit" && r["container"]["id"] == id; });
  // Docker keeps the cgroup until the container is removed.
  if (!exit) {
    docker({"rm", "-f", id});
  }
  const auto after_rm = exit ? exit : sensor.wait_for([&](const json& r) {
    return r["kind"] == "container-exit" && r["container"]["id"] == id;
  });
  ASSERT_TRUE(after_rm) << sensor.log();
  EXPECT_EQ((*after_rm)["posture"]["verdict"], "privileged");
  const auto findings = (*after_rm)["findings"];
  EXPECT_NE(std::find(findings.begin(), findings.end(), "privileged-container"), findings.end());
}

TEST_F(SensorE2E, HostileLabelsCannotBreakTheStream) {
  SensorProcess sensor;
  const std::string hostile = "x\n{\"kind\":\"finding\",\"rule\":\"forged\"}\r\x1b[2J\x1b]0;t\x07\"quoted\"\\";
  const auto id = run(unique_name("hostile"), {"--privileged", "--label", "evil=" + hostile}, {"sleep", "30"});
  const auto finding = sensor.wait_for_finding(id, "privileged-container");
  ASSERT_TRUE(finding) << sensor.log();
  EXPECT_EQ((*finding)["container"]["labels"]["evil"], hostile);
  for (const auto& line : sensor.raw_lines()) {
    for (const char c : line) {
      ASSERT_TRUE(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) << line;
    }
    EXPECT_FALSE(json::parse(line, nullptr, false).is_discarded()) << line;
  }
  for (const auto& record : sensor.records()) {
    EXPECT_NE(record.value("rule", ""), "forged");
  }
}

TEST_F(SensorE2E, ContainerOutsideDockerIsAnUnmanagedContainer) {
  SensorProcess sensor;
  // A container made by hand: new pid and mount namespaces, every capability.
  Subprocess unshared({"unshare", "--pid", "--mount", "--fork", "--kill-child", "--mount-proc", "sh", "-c",
                       "hostname >/dev/null; exec sleep 30"});
  const auto finding = sensor.wait_for([](const json& r) {
    return r["kind"] == "finding" && r["rule"] == "full-capability-set" && r["container"]["runtime"] == "unmanaged";
  });
  ASSERT_TRUE(finding) << sensor.log();
  const auto id = (*finding)["container"]["id"].get<std::string>();
  EXPECT_EQ(id.rfind("mntns-", 0), 0U);
  const auto undeclared = sensor.wait_for_finding(id, "undeclared-privilege");
  ASSERT_TRUE(undeclared);
  EXPECT_EQ((*undeclared)["evidence"]["docker"]["status"], "not-applicable");
  unshared.signal(SIGKILL);
  unshared.wait(5s);
  ASSERT_TRUE(sensor.wait_for([&](const json& r) {
    return r["kind"] == "container-exit" && r["container"]["id"] == id;
  })) << "an unmanaged container ends with its last process";
}

TEST_F(SensorE2E, DockerAbsentMeansKernelEvidenceAndUnknownVerdictThenCatchUp) {
  // The sensor talks to a socket path where nothing listens yet.
  const std::string dir = "/run/privsentry-e2e/" + unique_name("proxy");
  std::filesystem::create_directories(dir);
  const std::string link = dir + "/docker.sock";
  const std::string real = docker_host().substr(std::string("unix://").size());
  SensorProcess sensor({"--docker-host", "unix://" + link});
  ASSERT_TRUE(sensor.wait_for([](const json& r) {
    return r["kind"] == "docker-state" && r["docker"]["state"] == "unavailable";
  })) << sensor.log();

  const auto id = run(unique_name("nodocker"), {"--privileged"}, {"sleep", "60"});
  const auto full = sensor.wait_for_finding(id, "full-capability-set");
  ASSERT_TRUE(full) << sensor.log();
  EXPECT_EQ((*full)["evidence"]["docker"]["status"], "unavailable");
  EXPECT_TRUE((*full)["evidence"]["docker"]["privileged"].is_null());
  EXPECT_FALSE(rules_of(sensor.findings_for(id)).contains("privileged-container"));

  // The engine "comes back": the sensor reconnects, lists, inspects.
  std::filesystem::create_symlink(real, link);
  ASSERT_TRUE(sensor.wait_for(
      [](const json& r) { return r["kind"] == "docker-state" && r["docker"]["state"] == "connected"; }, 60s))
      << sensor.log();
  const auto privileged = sensor.wait_for_finding(id, "privileged-container", 20s);
  ASSERT_TRUE(privileged) << sensor.log();
  EXPECT_EQ((*privileged)["evidence"]["docker"]["status"], "known");
  std::filesystem::remove_all(dir);
}

TEST_F(SensorE2E, RepeatedCapabilityChecksCostOneRecord) {
  SensorProcess sensor;
  const auto id = run(unique_name("hotloop"), {"--cap-add", "SYS_ADMIN"},
                      {"sh", "-c", "for i in $(seq 1 300); do hostname loop$i; done; touch /tmp/done; sleep 30"});
  ASSERT_TRUE(sensor.wait_for_finding(id, "privileged-capability-use")) << sensor.log();
  // Wait for the loop to end inside the container.
  for (int i = 0; i < 100 && docker({"exec", id, "test", "-e", "/tmp/done"}).exit_code != 0; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(sensor.stop(), 0);
  const auto stop = sensor.records().back();
  ASSERT_EQ(stop["kind"], "sensor-stop");
  const auto& caps = stop["probes"]["cap_capable"];
  // 300 sethostname calls each check CAP_SYS_ADMIN (and every exec more).
  EXPECT_GE(caps["deduplicated"].get<std::uint64_t>(), 300U) << caps.dump();
  EXPECT_LE(caps["emitted"].get<std::uint64_t>(), 20U) << caps.dump();
  EXPECT_EQ(sensor.findings_for(id).size(), 1U) << "only CAP_SYS_ADMIN, once";
}

// The kernel side remembers the last host task per CPU and the cgroups that
// are not containers', to keep the host path cheap. A host process that
// moves into a container's cgroup must count for that container from its
// very next check: the memo is keyed by the task's css_set, and a
// registration retires the cgroup cache.
TEST_F(SensorE2E, AHostProcessThatJoinsAContainerCgroupCountsForItAtOnce) {
  SensorProcess sensor;
  const auto start = sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; });
  const auto id = run(unique_name("join"), {}, {"sleep", "60"});
  const auto started =
      sensor.wait_for([&](const json& r) { return r["kind"] == "container-start" && r["container"]["id"] == id; });
  ASSERT_TRUE(start && started) << sensor.log();
  const auto procs = cgroup_procs(*start, *started);
  ASSERT_TRUE(std::filesystem::exists(procs)) << procs;

  // 2000 CAP_SYS_ADMIN checks on the host (filtered, and remembered), then
  // the same task joins the container's cgroup, takes a mount namespace of
  // its own and execs there (one that execs again in the host's mount
  // namespace would be a runtime's set-up) and makes 2000 more.
  const auto joined = run_command({PRIVSENTRY_WORKLOAD, "ioprio-join", procs.string(), "2000"});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  const auto use = sensor.wait_for_finding(id, "privileged-capability-use");
  ASSERT_TRUE(use) << sensor.log();
  EXPECT_EQ((*use)["evidence"]["capability_use"]["capability"], "CAP_SYS_ADMIN");
  EXPECT_EQ((*use)["evidence"]["capability_use"]["comm"], "workload");
}

// runc's child is exec'd on the host, moved into the container's cgroup and
// re-execs itself there, still in the host's namespaces (a race with its
// parent that load makes common). That is the runtime, not the container:
// its full capability set and its checks are not the container's.
TEST_F(SensorE2E, ARuntimeTaskThatExecsInTheContainerCgroupIsNotTheContainer) {
  SensorProcess sensor;
  const auto start = sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; });
  const auto id = run(unique_name("runtime"), {}, {"sleep", "60"});
  const auto started =
      sensor.wait_for([&](const json& r) { return r["kind"] == "container-start" && r["container"]["id"] == id; });
  ASSERT_TRUE(start && started) << sensor.log();
  const auto procs = cgroup_procs(*start, *started);
  const auto joined = run_command({PRIVSENTRY_WORKLOAD, "ioprio-join-host", procs.string(), "2000"});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(sensor.findings_for(id).empty()) << sensor.findings_for(id).front().dump();
  ASSERT_EQ(sensor.stop(), 0);
  const auto stop = sensor.wait_for([](const json& r) { return r["kind"] == "sensor-stop"; }, 1s);
  ASSERT_TRUE(stop);
  EXPECT_GE((*stop)["probes"]["cap_capable"]["runtime_setup"].get<std::uint64_t>(), 2000U)
      << "the checks were seen and set aside as the runtime's";
}

TEST_F(SensorE2E, ClosedStdoutIsAnErrorNotACrash) {
  // The reader goes away after the first line; the next record cannot be
  // written, and the sensor must say so and exit 2 (the error leaves
  // libbpf's ring buffer callback without unwinding through C).
  Subprocess pipeline({"bash", "-c",
                       "set -o pipefail; '" + std::string(PRIVSENTRY_BINARY) + "' run --docker-host " + docker_host() +
                           " | head -n 1 >/dev/null"});
  std::this_thread::sleep_for(2s);
  run(unique_name("epipe"), {"--privileged"}, {"sleep", "30"});
  EXPECT_EQ(pipeline.wait(30s), 2) << pipeline.err();
  EXPECT_NE(pipeline.err().find("writing to stdout failed"), std::string::npos) << pipeline.err();
}

TEST_F(SensorE2E, StopsCleanlyOnSigtermWithCounters) {
  SensorProcess sensor;
  run(unique_name("counters"), {}, {"sleep", "30"});
  ASSERT_TRUE(sensor.wait_for([](const json& r) { return r["kind"] == "container-start"; }));
  EXPECT_EQ(sensor.stop(), 0) << sensor.log();
  const auto records = sensor.records();
  ASSERT_FALSE(records.empty());
  const auto& last = records.back();
  ASSERT_EQ(last["kind"], "sensor-stop");
  EXPECT_EQ(last["reason"], "SIGTERM");
  const auto& caps = last["probes"]["cap_capable"];
  EXPECT_GT(caps["seen"].get<std::uint64_t>(), 0U);
  EXPECT_GT(caps["filtered_host"].get<std::uint64_t>(), 0U);
  EXPECT_GT(caps["runtime_setup"].get<std::uint64_t>(), 0U) << "runc's set-up checks were not recognised";
  EXPECT_EQ(caps["lost"], 0);
  EXPECT_GT(last["probes"]["process_exec"]["emitted"].get<std::uint64_t>(), 0U);
  EXPECT_GT(last["probes"]["cgroup_mkdir"]["emitted"].get<std::uint64_t>(), 0U);
}

}  // namespace
}  // namespace privsentry::e2e
