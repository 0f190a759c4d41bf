#include "rules/rule_engine.hpp"

#include <gtest/gtest.h>

#include "rules/evidence.hpp"

namespace privsentry {
namespace {

HostFacts facts() {
  HostFacts f;
  f.hostname = "h";
  f.cap_last_cap = 40;
  f.bounding = CapabilitySet(0x1fffeffffffULL);
  return f;
}

Container docker_container(bool privileged) {
  Container c;
  c.ref.runtime = ContainerRuntime::kDocker;
  c.ref.id = std::string(64, 'e');
  c.key = "docker/" + c.ref.id;
  c.active = true;
  c.docker_status = DockerStatus::kKnown;
  DockerContainerInfo info;
  info.id = c.ref.id;
  info.name = "db";
  info.privileged = privileged;
  c.docker = info;
  ProcessInfo process;
  process.pid = 10;
  process.caps.bounding = kDockerDefaultCapabilities;
  c.first_process = process;
  c.bounding_union = process.caps.bounding;
  c.devices.state = DeviceVerdict::State::kRestricted;
  return c;
}

std::vector<std::string> rules_of(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) {
    out.push_back(f.rule);
  }
  return out;
}

TEST(RuleEngine, DeclaredPrivilegedWithoutKernelEvidenceIsStillCisFinding) {
  const auto host = facts();
  RuleEngine rules(host);
  auto c = docker_container(true);
  const auto findings = rules.evaluate(c, WallTime{});
  EXPECT_EQ(rules_of(findings), std::vector<std::string>{"privileged-container"});
  EXPECT_EQ(findings[0].severity, Severity::kHigh);
  EXPECT_EQ(rules.posture(c)["verdict"], "privileged");
  // Asked again: nothing new.
  EXPECT_TRUE(rules.evaluate(c, WallTime{}).empty());
}

TEST(RuleEngine, PendingOrUnavailableEngineNeverYieldsUndeclared) {
  const auto host = facts();
  RuleEngine rules(host);
  for (const auto status : {DockerStatus::kPending, DockerStatus::kUnavailable}) {
    auto c = docker_container(false);
    c.docker_status = status;
    c.docker.reset();
    c.devices.state = DeviceVerdict::State::kUnrestricted;
    EXPECT_EQ(rules_of(rules.evaluate(c, WallTime{})), std::vector<std::string>{"unrestricted-devices"});
    EXPECT_EQ(rules.posture(c)["verdict"], "privileged-unconfirmed");
  }
}

TEST(RuleEngine, HostBlockAndSensitiveDevicesAreNamedNotPrivileged) {
  const auto host = facts();
  RuleEngine rules(host);
  auto c = docker_container(false);
  c.devices.state = DeviceVerdict::State::kAllowsHostBlockDevices;
  c.devices.source = "cgroup-v2 device programs";
  c.devices.allowed = {"block 8:0 (sda) read", "block 8:0 (sda) write", "block 8:0 (sda) mknod", "char 511:511 mknod"};
  auto findings = rules.evaluate(c, WallTime{});
  ASSERT_EQ(rules_of(findings), std::vector<std::string>{"sensitive-devices"});
  EXPECT_EQ(findings[0].severity, Severity::kHigh);
  EXPECT_NE(findings[0].summary.find("allows block 8:0 (sda) read, block 8:0 (sda) write (cgroup-v2"),
            std::string::npos)
      << findings[0].summary;
  EXPECT_EQ(findings[0].evidence["devices"]["allowed"].size(), 4U);
  EXPECT_EQ(rules.posture(c)["verdict"], "elevated");
  EXPECT_EQ(rules.posture(c)["devices"]["state"], "allows-host-block-devices");
  EXPECT_TRUE(rules.evaluate(c, WallTime{}).empty());

  auto fuse = docker_container(false);
  fuse.devices.state = DeviceVerdict::State::kAllowsSensitiveDevices;
  fuse.devices.allowed = {"/dev/fuse read", "/dev/fuse write"};
  findings = rules.evaluate(fuse, WallTime{});
  ASSERT_EQ(rules_of(findings), std::vector<std::string>{"sensitive-devices"});
  EXPECT_EQ(findings[0].severity, Severity::kMedium);
  EXPECT_EQ(findings[0].title, "Container may use sensitive devices");
}

TEST(RuleEngine, ABundleDeclaresForEnginesWithoutDockersFlag) {
  const auto host = facts();
  RuleEngine rules(host);
  auto c = docker_container(false);
  c.ref.runtime = ContainerRuntime::kContainerd;
  c.ref.id = "web";
  c.docker.reset();
  c.docker_status = DockerStatus::kNotApplicable;
  OciBundle bundle;
  bundle.engine = "containerd";
  bundle.namespace_ = "k8s.io";
  bundle.id = "web";
  bundle.privileged = true;
  bundle.kubernetes.pod_namespace = "payments";
  bundle.kubernetes.container_name = "api";
  c.bundle = bundle;
  c.full_capability_process = c.first_process;
  auto findings = rules.evaluate(c, WallTime{});
  EXPECT_EQ(rules_of(findings), (std::vector<std::string>{"privileged-container", "full-capability-set"}));
  EXPECT_EQ(findings[0].summary.rfind("containerd declares container api privileged (OCI spec", 0), 0U)
      << findings[0].summary;
  EXPECT_EQ(findings[0].evidence["oci"]["namespace"], "k8s.io");
  EXPECT_EQ(findings[0].container.kubernetes.pod_namespace, "payments");
  EXPECT_EQ(rules.posture(c)["verdict"], "privileged");
  EXPECT_EQ(rules.posture(c)["engine"]["name"], "containerd");

  // The same kernel evidence with a bundle that does not declare it.
  auto d = c;
  d.bundle->privileged = false;
  d.raised_rules = 0;
  d.findings.clear();
  findings = rules.evaluate(d, WallTime{});
  EXPECT_EQ(rules_of(findings), (std::vector<std::string>{"full-capability-set", "undeclared-privilege"}));
  EXPECT_NE(findings[1].summary.find("but containerd does not declare it privileged"), std::string::npos)
      << findings[1].summary;
}

TEST(RuleEngine, CapabilityUseSeverityFollowsTheCapability) {
  const auto host = facts();
  RuleEngine rules(host);
  auto c = docker_container(false);
  for (const int cap : {21, 12, 0}) {  // SYS_ADMIN, NET_ADMIN, CHOWN (default)
    c.used.emplace(cap, CapabilityUse{cap, 10, "x", CapabilitySet(), 0});
  }
  const auto findings = rules.evaluate(c, WallTime{});
  ASSERT_EQ(findings.size(), 2U);
  EXPECT_EQ(findings[0].evidence["capability_use"]["capability"], "CAP_NET_ADMIN");
  EXPECT_EQ(findings[0].severity, Severity::kMedium);
  EXPECT_EQ(findings[1].evidence["capability_use"]["capability"], "CAP_SYS_ADMIN");
  EXPECT_EQ(findings[1].severity, Severity::kHigh);
  EXPECT_NE(findings[0].id, findings[1].id);
  EXPECT_EQ(rules.posture(c)["verdict"], "elevated");
  EXPECT_EQ(c.findings.size(), 2U);
}

TEST(RuleEngine, ElevatedBoundingSetWithoutUse) {
  const auto host = facts();
  RuleEngine rules(host);
  auto c = docker_container(false);
  c.bounding_union.add(12);
  EXPECT_EQ(rules.posture(c)["verdict"], "elevated");
  EXPECT_EQ(rules.posture(c)["capabilities"]["beyond_docker_defaults"][0], "CAP_NET_ADMIN");
  EXPECT_TRUE(rules.evaluate(c, WallTime{}).empty());
}

TEST(FindingId, StableAndDistinct) {
  auto c = docker_container(true);
  const auto a = finding_id("h", c, "privileged-container", "");
  EXPECT_EQ(a, finding_id("h", c, "privileged-container", ""));
  EXPECT_EQ(a.size(), 32U);
  EXPECT_NE(a, finding_id("h2", c, "privileged-container", ""));
  EXPECT_NE(a, finding_id("h", c, "full-capability-set", ""));
  EXPECT_NE(finding_id("h", c, "privileged-capability-use", "CAP_SYS_ADMIN"),
            finding_id("h", c, "privileged-capability-use", "CAP_NET_ADMIN"));
  // Field boundaries matter: ("ab","c") is not ("a","bc").
  EXPECT_NE(finding_id("ab", c, "c", ""), finding_id("a", c, "bc", ""));
}

TEST(Evidence, CapabilitiesNameHeldMissingAndWaived) {
  const auto host = facts();
  ProcessInfo p;
  p.pid = 5;
  p.comm = "sh";
  p.caps.bounding = CapabilitySet(0x3ffeffffffULL);
  const auto evidence = capability_evidence(p, host);
  EXPECT_EQ(evidence["full"], true);
  EXPECT_EQ(evidence["bounding"], "0x0000003ffeffffff");
  EXPECT_EQ(evidence["host_bounding"], "0x000001fffeffffff");
  EXPECT_EQ(evidence["waived_by_sys_admin"].size(), 3U);
  EXPECT_TRUE(evidence["missing"].empty());
  EXPECT_EQ(evidence["held"].size(), 37U);
  EXPECT_EQ(evidence["process"]["comm"], "sh");
}

TEST(Evidence, SnapshotBoundsLabels) {
  auto c = docker_container(false);
  for (int i = 0; i < 100; ++i) {
    c.docker->labels["k" + std::to_string(i)] = std::string(5000, 'v');
  }
  const auto snapshot = snapshot_of(c);
  EXPECT_EQ(snapshot.labels.size(), 64U);
  EXPECT_TRUE(snapshot.labels_truncated);
  EXPECT_EQ(snapshot.labels.begin()->second.size(), 1024U);
  EXPECT_EQ(snapshot.name, "db");
}

}  // namespace
}  // namespace privsentry
