// The deployment files grant what the sensor's own table says it needs, no
// more and no less: the table is what doctor prints and what the sensor
// drops to, so a capability added to one must be added to the other.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>
#include <set>

#include <fstream>
#include <sstream>

#include "app/sensor_privileges.hpp"
#include "enrich/oci_bundle_locator.hpp"

namespace privsentry {
namespace {

std::string unit_text() {
  std::ifstream in(std::string(PRIVSENTRY_SOURCE_DIR) + "/deploy/systemd/privsentry.service");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Values of `key=` lines, in order.
std::vector<std::string> unit_values(const std::string& key) {
  std::istringstream in(unit_text());
  std::vector<std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) {
      values.push_back(line.substr(key.size() + 1));
    }
  }
  return values;
}

TEST(DeployFilesTest, SystemdBoundingSetIsExactlyWhatTheSensorNeedsToStart) {
  const auto lines = unit_values("CapabilityBoundingSet");
  ASSERT_EQ(lines.size(), 1U);
  std::istringstream names(lines[0]);
  CapabilitySet granted;
  std::string name;
  while (names >> name) {
    const auto cap = capability_from_name(name);
    ASSERT_TRUE(cap) << name;
    granted.add(*cap);
  }
  EXPECT_EQ(granted, sensor_start_capabilities())
      << "unit grants " << granted.hex() << ", the sensor needs " << sensor_start_capabilities().hex();
  // CAP_SYS_ADMIN is granted for the device-program helper alone.
  EXPECT_FALSE(sensor_kept_capabilities().has(kCapSysAdmin));
  EXPECT_TRUE(device_helper_capabilities().has(kCapSysAdmin));
}

TEST(DeployFilesTest, SystemdUnitSandboxesTheService) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{{"NoNewPrivileges", "yes"},
                                                                                   {"ProtectSystem", "strict"},
                                                                                   {"ProtectHome", "yes"},
                                                                                   {"PrivateTmp", "yes"},
                                                                                   {"UMask", "0077"},
                                                                                   {"StateDirectoryMode", "0700"},
                                                                                   {"ProtectKernelModules", "yes"},
                                                                                   {"ProtectControlGroups", "yes"},
                                                                                   {"AmbientCapabilities", ""}}) {
    EXPECT_EQ(unit_values(key), std::vector<std::string>{value}) << key;
  }
  // The state directory the unit makes writable is the one the sensor uses.
  const auto exec = unit_values("ExecStart");
  ASSERT_EQ(exec.size(), 1U);
  EXPECT_NE(exec[0].find("--state-dir /var/lib/privsentry"), std::string::npos);
  EXPECT_EQ(unit_values("StateDirectory"), std::vector<std::string>{"privsentry"});
}

TEST(DeployFilesTest, EveryNeedSaysWhyTheSensorKeepsNothingAndTheHelperTwo) {
  for (const auto& need : sensor_capability_needs()) {
    EXPECT_FALSE(need.why.empty()) << capability_name(need.capability);
  }
  EXPECT_TRUE(sensor_kept_capabilities().empty());
  EXPECT_EQ(device_helper_capabilities().names(), (std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_ADMIN"}));
}

YAML::Node daemonset_pod() {
  for (const auto& doc :
       YAML::LoadAllFromFile(std::string(PRIVSENTRY_SOURCE_DIR) + "/deploy/kubernetes/daemonset.yaml")) {
    if (doc["kind"].as<std::string>() == "DaemonSet") {
      return doc["spec"]["template"]["spec"];
    }
  }
  return {};
}

TEST(DeployFilesTest, DaemonSetGrantsTheSameCapabilitiesAndNoPrivilegedMode) {
  const auto pod = daemonset_pod();
  ASSERT_TRUE(pod);
  EXPECT_TRUE(pod["hostPID"].as<bool>());
  EXPECT_FALSE(pod["hostNetwork"] && pod["hostNetwork"].as<bool>());
  ASSERT_EQ(pod["containers"].size(), 1U);
  const auto security = pod["containers"][0]["securityContext"];
  EXPECT_FALSE(security["privileged"].as<bool>());
  EXPECT_FALSE(security["allowPrivilegeEscalation"].as<bool>());
  EXPECT_TRUE(security["readOnlyRootFilesystem"].as<bool>());
  EXPECT_EQ(security["capabilities"]["drop"].as<std::vector<std::string>>(), std::vector<std::string>{"ALL"});
  CapabilitySet added;
  for (const auto& name : security["capabilities"]["add"]) {
    const auto cap = capability_from_name(name.as<std::string>());
    ASSERT_TRUE(cap) << name.as<std::string>();
    added.add(*cap);
  }
  EXPECT_EQ(added, sensor_start_capabilities());
  EXPECT_EQ(security["seccompProfile"]["type"].as<std::string>(), "RuntimeDefault");
}

TEST(DeployFilesTest, DaemonSetMountsTheHostReadOnlyButItsState) {
  const auto pod = daemonset_pod();
  ASSERT_TRUE(pod);
  for (const auto& mount : pod["containers"][0]["volumeMounts"]) {
    const auto name = mount["name"].as<std::string>();
    const bool read_only = mount["readOnly"] && mount["readOnly"].as<bool>();
    EXPECT_EQ(read_only, name != "state") << name;
  }
  for (const auto& volume : pod["volumes"]) {
    const auto path = volume["hostPath"]["path"].as<std::string>();
    EXPECT_TRUE(path == "/sys/fs/cgroup" || path == "/run/docker.sock" || path == "/var/lib/privsentry" ||
                path == "/run/containerd/io.containerd.runtime.v2.task" ||
                path == "/run/containers/storage/overlay-containers")
        << path;
  }
  // The bundle directories are mounted where the sensor looks by default.
  const auto defaults = OciBundleLocator::default_roots();
  std::set<std::string> mounted;
  for (const auto& mount : pod["containers"][0]["volumeMounts"]) {
    mounted.insert(mount["mountPath"].as<std::string>());
  }
  EXPECT_TRUE(mounted.contains(defaults.containerd.front().string()));
  EXPECT_TRUE(mounted.contains(defaults.containers_storage.front().string()));
}

}  // namespace
}  // namespace privsentry
