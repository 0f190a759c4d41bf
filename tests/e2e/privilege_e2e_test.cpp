// The sensor's own privileges: it starts with exactly what the systemd unit
// grants, drops to what it keeps, and every one of its threads shows it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "e2e/support/e2e_support.hpp"
#include "privsentry/capability_set.hpp"

namespace privsentry::e2e {
namespace {

using nlohmann::json;

// The capabilities in the unit's CapabilityBoundingSet= line.
CapabilitySet unit_bounding_set() {
  std::ifstream unit(std::string(PRIVSENTRY_SOURCE_DIR) + "/deploy/systemd/privsentry.service");
  std::string line;
  CapabilitySet set;
  while (std::getline(unit, line)) {
    if (line.rfind("CapabilityBoundingSet=", 0) != 0) {
      continue;
    }
    std::istringstream names(line.substr(line.find('=') + 1));
    std::string name;
    while (names >> name) {
      const auto cap = capability_from_name(name);
      EXPECT_TRUE(cap) << name;
      if (cap) {
        set.add(*cap);
      }
    }
  }
  return set;
}

// setpriv's spelling: -all,+bpf,+perfmon,...
std::string setpriv_list(CapabilitySet set) {
  std::string list = "-all";
  for (auto name : set.names()) {
    name = name.substr(4);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    list += ",+" + name;
  }
  return list;
}

class PrivilegeE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    ASSERT_EQ(docker({"version"}).exit_code, 0) << "the test Docker engine does not answer (scripts/test-env.sh start)";
  }

  // Every thread of the sensor holds exactly CAP_NET_ADMIN, in every set
  // that can give it more, and cannot gain anything by exec.
  static void expect_dropped(pid_t pid) {
    const CapabilitySet kept{1ULL << 12U};  // CAP_NET_ADMIN
    std::size_t threads = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
      auto status = proc_status(task.path() / "status");
      ++threads;
      const auto tid = task.path().filename().string();
      EXPECT_EQ(parse_capability_hex(status["CapEff"]), kept) << "thread " << tid << " CapEff " << status["CapEff"];
      EXPECT_EQ(parse_capability_hex(status["CapPrm"]), kept) << "thread " << tid << " CapPrm " << status["CapPrm"];
      EXPECT_EQ(parse_capability_hex(status["CapBnd"]), kept) << "thread " << tid << " CapBnd " << status["CapBnd"];
      EXPECT_EQ(parse_capability_hex(status["CapInh"]), CapabilitySet{}) << "thread " << tid;
      EXPECT_EQ(parse_capability_hex(status["CapAmb"]), CapabilitySet{}) << "thread " << tid;
      EXPECT_EQ(status["NoNewPrivs"], "1") << "thread " << tid;
    }
    // The event loop, Docker's two, a sink's: a drop that reached only the
    // main thread would show here.
    EXPECT_GE(threads, 4U);
  }

  ContainerCleanup cleanup_;
};

TEST_F(PrivilegeE2E, WithTheSystemdUnitsCapabilitiesItReportsAndKeepsOnlyNetAdmin) {
  const CapabilitySet granted = unit_bounding_set();
  ASSERT_GE(granted.count(), 5) << "no CapabilityBoundingSet= in deploy/systemd/privsentry.service";
  // What the host itself lacks (CAP_SYS_RESOURCE on these machines) cannot be granted.
  const CapabilitySet given = granted & own_bounding_set();
  SensorProcess sensor({}, {}, {"setpriv", "--bounding-set", setpriv_list(given), "--inh-caps", "-all", "--"});
  const auto start = sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; });
  ASSERT_TRUE(start) << sensor.log();
  EXPECT_EQ((*start)["privileges"]["capabilities"], json::array({"CAP_NET_ADMIN"}));
  EXPECT_EQ((*start)["privileges"]["bounding"], json::array({"CAP_NET_ADMIN"}));
  EXPECT_EQ((*start)["privileges"]["no_new_privs"], true);
  EXPECT_NE((*start)["capability_tier"], "none") << sensor.log();

  const auto privileged = docker_ok(
      {"run", "-d", "--name", cleanup_.track(unique_name("unitpriv")), "--privileged", test_image(), "sleep", "30"});
  const auto admin = docker_ok({"run", "-d", "--name", cleanup_.track(unique_name("unitadmin")), "--cap-add",
                                "SYS_ADMIN", test_image(), "sh", "-c", "mount -t tmpfs none /mnt && sleep 30"});
  const auto found = sensor.wait_for_finding(privileged, "privileged-container");
  ASSERT_TRUE(found) << sensor.log();
  EXPECT_EQ((*found)["evidence"]["devices"]["state"], "unrestricted");
  EXPECT_EQ((*found)["evidence"]["capabilities"]["full"], true);
  const auto use = sensor.wait_for_finding(admin, "privileged-capability-use");
  ASSERT_TRUE(use) << sensor.log();
  EXPECT_EQ((*use)["evidence"]["capability_use"]["capability"], "CAP_SYS_ADMIN");
  expect_dropped(sensor.pid());
  EXPECT_EQ(sensor.stop(), 0) << sensor.log();
}

TEST_F(PrivilegeE2E, StartedWithEveryCapabilityItStillKeepsOnlyNetAdmin) {
  SensorProcess sensor;
  ASSERT_TRUE(sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; })) << sensor.log();
  expect_dropped(sensor.pid());
}

TEST(DoctorPrivilegesE2E, ListsEachCapabilityWithWhyAndTriesTheDrop) {
  PRIVSENTRY_E2E_REQUIRE();
  const auto doctor = run_command({PRIVSENTRY_BINARY, "doctor", "--docker-host", docker_host()});
  EXPECT_NE(doctor.out.find("CAP_NET_ADMIN (kept): BPF_PROG_QUERY"), std::string::npos) << doctor.out;
  EXPECT_NE(doctor.out.find("CAP_BPF (start-up only)"), std::string::npos) << doctor.out;
  EXPECT_NE(doctor.out.find("[ok]   drop to CAP_NET_ADMIN with no_new_privs: works here"), std::string::npos)
      << doctor.out;
}

}  // namespace
}  // namespace privsentry::e2e
