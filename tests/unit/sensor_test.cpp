#include "pipeline/sensor.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "fakes/capturing_sink.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/raw_records.hpp"
#include "fakes/recording_metadata.hpp"
#include "fakes/recording_registry.hpp"
#include "fakes/scripted_device_inspector.hpp"

namespace privsentry {
namespace {

using namespace privsentry::test;
using namespace std::chrono_literals;

const std::string kId = std::string(63, 'c') + "1";
constexpr std::uint64_t kCgroup = 42;

HostFacts facts() {
  HostFacts f;
  f.hostname = "test-host";
  f.cap_last_cap = 40;
  f.bounding = CapabilitySet(kHostBounding);
  f.mntns = 4026531832;
  f.pidns = 4026531836;
  return f;
}

DockerContainerInfo docker_info(bool privileged, std::vector<std::string> cap_add = {}) {
  DockerContainerInfo info;
  info.id = kId;
  info.name = "web";
  info.image = "busybox";
  info.privileged = privileged;
  info.cap_add = std::move(cap_add);
  return info;
}

class SensorTest : public ::testing::Test {
 protected:
  void feed(const std::vector<std::byte>& record) { sensor.handle_record(record); }
  void start_container(std::uint64_t bounding) {
    feed(cgroup_record(PS_EVENT_CGROUP_MKDIR, kCgroup, "/docker/" + kId));
    TaskSpec spec;
    spec.cgroup_id = kCgroup;
    feed(exec_record(spec, bounding, bounding));
  }
  void answer(DockerUpdate::Kind kind, DockerContainerInfo info = {}, std::string message = {}) {
    sensor.handle(DockerUpdate{kind, kId, std::move(info), std::move(message)});
  }

  RecordingRegistry registry;
  RecordingMetadata metadata;
  ScriptedDeviceInspector devices;
  CapturingSink sink;
  FakeClock clock;
  Sensor sensor{facts(), 0, registry, &metadata, devices, sink, clock, SensorOptions{}};
};

TEST_F(SensorTest, PrivilegedContainerWaitsForDockerThenReportsEverything) {
  devices.verdict = unrestricted_v1();
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
  start_container(kPrivilegedBounding);
  EXPECT_EQ(metadata.requested, std::vector<std::string>{kId});
  EXPECT_TRUE(sink.of_kind("container-start").empty()) << "must wait for the engine's answer";

  answer(DockerUpdate::Kind::kInspected, docker_info(true));
  const auto starts = sink.of_kind("container-start");
  ASSERT_EQ(starts.size(), 1U);
  EXPECT_EQ(starts[0]["container"]["name"], "web");
  EXPECT_EQ(starts[0]["posture"]["verdict"], "privileged");
  EXPECT_EQ(starts[0]["observed_by"], "exec");
  EXPECT_EQ(sink.rules(),
            (std::vector<std::string>{"privileged-container", "full-capability-set", "unrestricted-devices"}));
  const auto finding = sink.of_kind("finding")[0];
  EXPECT_EQ(finding["severity"], "high");
  EXPECT_EQ(finding["container"]["id"], kId);
  EXPECT_EQ(finding["container"]["runtime"], "docker");
  EXPECT_EQ(finding["evidence"]["docker"]["privileged"], true);
  EXPECT_EQ(finding["evidence"]["capabilities"]["full"], true);
  EXPECT_EQ(finding["evidence"]["devices"]["state"], "unrestricted");
  EXPECT_EQ(finding["references"]["mitre_attack"][0], "T1611");
  EXPECT_EQ(finding["references"]["cis_docker_benchmark"], "5.4");

  // CAP_SYS_ADMIN used: once, however often.
  TaskSpec spec;
  spec.cgroup_id = kCgroup;
  feed(capability_record(spec, kCapSysAdmin, true));
  feed(capability_record(spec, kCapSysAdmin, true));
  feed(capability_record(spec, 0, true));  // CAP_CHOWN is a default
  const auto rules = sink.rules();
  EXPECT_EQ(std::count(rules.begin(), rules.end(), "privileged-capability-use"), 1);
  EXPECT_EQ(sink.of_kind("finding").back()["evidence"]["capability_use"]["capability"], "CAP_SYS_ADMIN");
}

TEST_F(SensorTest, PlainContainerIsClean) {
  devices.verdict = restricted_v1();
  start_container(kDockerDefault);
  answer(DockerUpdate::Kind::kInspected, docker_info(false));
  TaskSpec spec;
  spec.cgroup_id = kCgroup;
  feed(capability_record(spec, kCapSysAdmin, false));
  ASSERT_EQ(sink.of_kind("container-start").size(), 1U);
  EXPECT_EQ(sink.of_kind("container-start")[0]["posture"]["verdict"], "clean");
  EXPECT_TRUE(sink.of_kind("finding").empty());
}

TEST_F(SensorTest, CapAddAllIsUndeclaredPrivilege) {
  devices.verdict = restricted_v1();
  start_container(kPrivilegedBounding);
  answer(DockerUpdate::Kind::kInspected, docker_info(false, {"ALL"}));
  EXPECT_EQ(sink.rules(), (std::vector<std::string>{"full-capability-set", "undeclared-privilege"}));
  const auto undeclared = sink.of_kind("finding")[1];
  EXPECT_EQ(undeclared["severity"], "critical");
  EXPECT_EQ(undeclared["evidence"]["docker"]["cap_add"][0], "ALL");
  EXPECT_EQ(undeclared["evidence"]["kernel_sees"]["full_capability_set"], true);
}

TEST_F(SensorTest, UnrestrictedDevicesAloneAreUndeclaredToo) {
  devices.verdict = unrestricted_v1();
  start_container(kDockerDefault);
  answer(DockerUpdate::Kind::kInspected, docker_info(false));
  EXPECT_EQ(sink.rules(), (std::vector<std::string>{"unrestricted-devices", "undeclared-privilege"}));
}

TEST_F(SensorTest, ContainerDockerDoesNotKnowIsUndeclared) {
  devices.verdict = restricted_v1();
  start_container(kPrivilegedBounding);
  answer(DockerUpdate::Kind::kNotFound);
  EXPECT_EQ(sink.rules(), (std::vector<std::string>{"full-capability-set", "undeclared-privilege"}));
  EXPECT_NE(sink.of_kind("finding")[1]["summary"].get<std::string>().find("Docker does not know it"),
            std::string::npos);
}

TEST_F(SensorTest, DockerDownReportsKernelEvidenceAndCatchesUpLater) {
  devices.verdict = unrestricted_v1();
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kDisconnected, {}, {}, "connection refused"});
  ASSERT_EQ(sink.of_kind("docker-state").size(), 1U);
  EXPECT_EQ(sink.of_kind("docker-state")[0]["docker"]["state"], "unavailable");
  start_container(kPrivilegedBounding);
  // No waiting while the engine is known to be down.
  ASSERT_EQ(sink.of_kind("container-start").size(), 1U);
  EXPECT_EQ(sink.of_kind("container-start")[0]["posture"]["verdict"], "privileged-unconfirmed");
  EXPECT_EQ(sink.rules(), (std::vector<std::string>{"full-capability-set", "unrestricted-devices"}));
  EXPECT_EQ(sink.of_kind("finding")[0]["evidence"]["docker"]["status"], "unavailable");
  EXPECT_EQ(sink.of_kind("finding")[0]["evidence"]["docker"]["error"], "connection refused");
  EXPECT_TRUE(sink.of_kind("finding")[0]["container"]["name"].is_null());

  // The engine comes back and says what it declared.
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
  answer(DockerUpdate::Kind::kInspected, docker_info(false));
  EXPECT_EQ(sink.rules().back(), "undeclared-privilege");
  EXPECT_EQ(sink.of_kind("docker-state").size(), 2U);
}

TEST_F(SensorTest, SlowEngineGetsAGracePeriodThenKernelEvidenceGoesOut) {
  devices.verdict = unrestricted_v1();
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
  start_container(kPrivilegedBounding);
  sensor.tick();
  EXPECT_TRUE(sink.of_kind("container-start").empty());
  clock.advance(2100ms);
  sensor.tick();
  ASSERT_EQ(sink.of_kind("container-start").size(), 1U);
  EXPECT_EQ(sink.rules(), (std::vector<std::string>{"full-capability-set", "unrestricted-devices"}));
  EXPECT_NE(sink.of_kind("finding")[0]["evidence"]["docker"]["error"].get<std::string>().find("no answer"),
            std::string::npos);
}

TEST_F(SensorTest, FailedInspectIsAskedAgainWithBackoff) {
  devices.verdict = restricted_v1();
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
  start_container(kPrivilegedBounding);
  answer(DockerUpdate::Kind::kInspectFailed, {}, "inspect: HTTP 500");
  EXPECT_EQ(sink.rules(), std::vector<std::string>{"full-capability-set"});
  EXPECT_EQ(metadata.requested.size(), 1U);
  clock.advance(4s);
  sensor.tick();
  EXPECT_EQ(metadata.requested.size(), 1U) << "too soon";
  clock.advance(2s);
  sensor.tick();
  ASSERT_EQ(metadata.requested.size(), 2U);
  answer(DockerUpdate::Kind::kInspectFailed, {}, "inspect: HTTP 500");
  clock.advance(6s);
  sensor.tick();
  EXPECT_EQ(metadata.requested.size(), 2U) << "the wait doubles";
  clock.advance(5s);
  sensor.tick();
  ASSERT_EQ(metadata.requested.size(), 3U);
  answer(DockerUpdate::Kind::kInspected, docker_info(true));
  EXPECT_EQ(sink.rules().back(), "privileged-container");
  clock.advance(600s);
  sensor.tick();
  EXPECT_EQ(metadata.requested.size(), 3U) << "known containers are not asked again";
}

TEST_F(SensorTest, AnswerBeforeTheCgroupIsUsedWhenItAppears) {
  devices.verdict = restricted_v1();
  answer(DockerUpdate::Kind::kInspected, docker_info(true));
  start_container(kPrivilegedBounding);
  EXPECT_TRUE(metadata.requested.empty());
  EXPECT_EQ(sink.rules(), (std::vector<std::string>{"privileged-container", "full-capability-set"}));
}

TEST_F(SensorTest, ExitCarriesPostureUsedCapabilitiesAndFindings) {
  devices.verdict = unrestricted_v1();
  start_container(kPrivilegedBounding);
  answer(DockerUpdate::Kind::kInspected, docker_info(true));
  TaskSpec spec;
  spec.cgroup_id = kCgroup;
  feed(capability_record(spec, kCapSysAdmin, true));
  feed(cgroup_record(PS_EVENT_CGROUP_RMDIR, kCgroup, "/docker/" + kId));
  const auto exits = sink.of_kind("container-exit");
  ASSERT_EQ(exits.size(), 1U);
  EXPECT_EQ(exits[0]["capabilities_used"], nlohmann::json::array({"CAP_SYS_ADMIN"}));
  EXPECT_EQ(exits[0]["findings"].size(), 4U);
  EXPECT_EQ(exits[0]["posture"]["verdict"], "privileged");
  EXPECT_TRUE(registry.ids.empty());
}

TEST_F(SensorTest, ContainerGoneBeforeTheAnswerIsStillReported) {
  devices.verdict = unrestricted_v1();
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
  start_container(kPrivilegedBounding);
  feed(cgroup_record(PS_EVENT_CGROUP_RMDIR, kCgroup, "/docker/" + kId));
  EXPECT_EQ(sink.of_kind("container-start").size(), 1U);
  EXPECT_EQ(sink.of_kind("container-exit").size(), 1U);
  EXPECT_EQ(sink.rules(), (std::vector<std::string>{"full-capability-set", "unrestricted-devices"}));
}

TEST_F(SensorTest, RestartedContainerDoesNotRepeatFindings) {
  devices.verdict = unrestricted_v1();
  for (int run = 0; run < 2; ++run) {
    start_container(kPrivilegedBounding);
    answer(DockerUpdate::Kind::kInspected, docker_info(true));
    feed(cgroup_record(PS_EVENT_CGROUP_RMDIR, kCgroup, "/docker/" + kId));
  }
  EXPECT_EQ(sink.of_kind("container-start").size(), 2U);
  EXPECT_EQ(sink.of_kind("finding").size(), 3U);
}

// A sensor killed and started again rebuilds the same container and raises
// the same findings; those its ledger says went out stay home, a new one
// (CAP_SYS_ADMIN used since) goes out.
TEST(SensorRestart, DeliveredFindingsAreNotSentAgainNewOnesAre) {
  const auto dir = std::filesystem::temp_directory_path() / ("privsentry-sensor-ledger-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto run_sensor = [&](bool use_admin) {
    auto ledger = FindingLedger::open(dir);
    EXPECT_TRUE(ledger) << ledger.error().message;
    RecordingRegistry registry;
    RecordingMetadata metadata;
    ScriptedDeviceInspector devices;
    devices.verdict = unrestricted_v1();
    CapturingSink sink;
    FakeClock clock;
    Sensor sensor{facts(), 0, registry, &metadata, devices, sink, clock, SensorOptions{}};
    sensor.set_ledger(ledger->get());
    sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
    sensor.handle_record(cgroup_record(PS_EVENT_CGROUP_MKDIR, kCgroup, "/docker/" + kId));
    TaskSpec spec;
    spec.cgroup_id = kCgroup;
    sensor.handle_record(exec_record(spec, kPrivilegedBounding, kPrivilegedBounding));
    sensor.handle(DockerUpdate{DockerUpdate::Kind::kInspected, kId, docker_info(true), {}});
    if (use_admin) {
      sensor.handle_record(capability_record(spec, kCapSysAdmin, true));
    }
    return std::make_pair(sink.rules(), sensor.stats().findings_already_delivered);
  };
  const auto [first, first_held] = run_sensor(false);
  EXPECT_EQ(first, (std::vector<std::string>{"privileged-container", "full-capability-set", "unrestricted-devices"}));
  EXPECT_EQ(first_held, 0U);
  const auto [second, second_held] = run_sensor(true);
  EXPECT_EQ(second, std::vector<std::string>{"privileged-capability-use"});
  EXPECT_EQ(second_held, 3U);
  std::filesystem::remove_all(dir);
}

TEST_F(SensorTest, UnmanagedContainerIsJudgedWithoutAnEngine) {
  devices.verdict = unrestricted_v1();
  TaskSpec spec;
  spec.cgroup_id = 7;
  feed(exec_record(spec, kHostBounding, kHostBounding));
  ASSERT_EQ(sink.of_kind("container-start").size(), 1U);
  EXPECT_EQ(sink.of_kind("container-start")[0]["container"]["runtime"], "unmanaged");
  EXPECT_EQ(sink.rules(),
            (std::vector<std::string>{"full-capability-set", "unrestricted-devices", "undeclared-privilege"}));
  EXPECT_NE(sink.of_kind("finding")[2]["summary"].get<std::string>().find("no engine declares it"), std::string::npos);
  EXPECT_TRUE(metadata.requested.empty());
  ASSERT_EQ(devices.queries.size(), 1U);
  EXPECT_EQ(devices.queries[0].pid, spec.pid);
}

TEST_F(SensorTest, DeviceCgroupIsReadAgainAndAChangeIsReported) {
  devices.verdict = restricted_v1();
  start_container(kDockerDefault);
  answer(DockerUpdate::Kind::kInspected, docker_info(false));
  EXPECT_TRUE(sink.of_kind("finding").empty());
  devices.verdict = unrestricted_v1();  // someone wrote "a" to devices.allow
  clock.advance(11s);
  sensor.tick();
  EXPECT_EQ(sink.rules(), (std::vector<std::string>{"unrestricted-devices", "undeclared-privilege"}));
}

TEST_F(SensorTest, BadRecordsAreCountedAndSkipped) {
  std::vector<std::byte> junk(7, std::byte{0xff});
  feed(junk);
  EXPECT_EQ(sensor.stats().decode_errors, 1U);
  EXPECT_TRUE(sink.json.empty());
}

TEST(SensorWithoutDocker, SaysWhyTheEngineWasNotAsked) {
  RecordingRegistry registry;
  ScriptedDeviceInspector devices;
  devices.verdict = restricted_v1();
  CapturingSink sink;
  FakeClock clock;
  SensorOptions options;
  options.docker_disabled_reason = "off by request";
  Sensor sensor(facts(), 0, registry, nullptr, devices, sink, clock, options);
  sensor.handle_record(cgroup_record(PS_EVENT_CGROUP_MKDIR, kCgroup, "/docker/" + kId));
  TaskSpec spec;
  spec.cgroup_id = kCgroup;
  sensor.handle_record(exec_record(spec, kPrivilegedBounding, kPrivilegedBounding));
  EXPECT_EQ(sink.rules(), std::vector<std::string>{"full-capability-set"});
  EXPECT_EQ(sink.of_kind("finding")[0]["evidence"]["docker"]["error"], "off by request");
}

}  // namespace
}  // namespace privsentry
