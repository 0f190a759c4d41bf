// The sensor's own privileges: it starts with exactly what the systemd unit
// grants, drops to what it keeps, and every one of its threads shows it.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

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

  // Every thread of the sensor holds no capability, in every set that can
  // give it one, and cannot gain one by exec; its device-program helper
  // holds exactly CAP_NET_ADMIN and CAP_SYS_ADMIN, likewise locked.
  static void expect_dropped(pid_t pid, const json& start) {
    expect_threads(pid, CapabilitySet{}, 4);
    const CapabilitySet helper_keeps{(1ULL << 12U) | (1ULL << 21U)};  // CAP_NET_ADMIN, CAP_SYS_ADMIN
    ASSERT_TRUE(start["privileges"]["device_helper"].contains("pid")) << start["privileges"].dump();
    const auto helper = start["privileges"]["device_helper"]["pid"].get<pid_t>();
    EXPECT_EQ(proc_status("/proc/" + std::to_string(helper) + "/status")["PPid"], std::to_string(pid));
    EXPECT_EQ(start["privileges"]["device_helper"]["capabilities"], helper_keeps.names());
    expect_threads(helper, helper_keeps, 1);
  }

  static void expect_threads(pid_t pid, CapabilitySet kept, std::size_t at_least) {
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
    // The sensor's event loop, Docker's two, a sink's: a drop that reached
    // only the main thread would show here.
    EXPECT_GE(threads, at_least);
  }

  ContainerCleanup cleanup_;
};

TEST_F(PrivilegeE2E, WithTheSystemdUnitsCapabilitiesItReportsAndKeepsNothing) {
  const CapabilitySet granted = unit_bounding_set();
  ASSERT_GE(granted.count(), 5) << "no CapabilityBoundingSet= in deploy/systemd/privsentry.service";
  // What the host itself lacks (CAP_SYS_RESOURCE on these machines) cannot be granted.
  const CapabilitySet given = granted & own_bounding_set();
  SensorProcess sensor({}, {}, {"setpriv", "--bounding-set", setpriv_list(given), "--inh-caps", "-all", "--"});
  const auto start = sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; });
  ASSERT_TRUE(start) << sensor.log();
  EXPECT_EQ((*start)["privileges"]["capabilities"], json::array());
  EXPECT_EQ((*start)["privileges"]["bounding"], json::array());
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
  expect_dropped(sensor.pid(), *start);
  EXPECT_EQ(sensor.stop(), 0) << sensor.log();
}

TEST_F(PrivilegeE2E, StartedWithEveryCapabilityItStillKeepsNothing) {
  SensorProcess sensor;
  const auto start = sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; });
  ASSERT_TRUE(start) << sensor.log();
  expect_dropped(sensor.pid(), *start);
  // The helper goes with the sensor.
  const auto helper = (*start)["privileges"]["device_helper"]["pid"].get<pid_t>();
  EXPECT_EQ(sensor.stop(), 0) << sensor.log();
  for (int i = 0; i < 50 && ::kill(helper, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(::kill(helper, 0), 0) << "the device helper outlived the sensor";
}

TEST(DoctorPrivilegesE2E, ListsEachCapabilityWithWhyAndTriesTheDrop) {
  PRIVSENTRY_E2E_REQUIRE();
  const auto doctor = run_command({PRIVSENTRY_BINARY, "doctor", "--docker-host", docker_host()});
  EXPECT_NE(doctor.out.find("CAP_NET_ADMIN (device helper): BPF_PROG_QUERY"), std::string::npos) << doctor.out;
  EXPECT_NE(doctor.out.find("CAP_SYS_ADMIN (device helper): BPF_PROG_GET_FD_BY_ID"), std::string::npos) << doctor.out;
  EXPECT_NE(doctor.out.find("CAP_BPF (start-up only)"), std::string::npos) << doctor.out;
  EXPECT_NE(doctor.out.find("[ok]   sensor: drop to no capability with no_new_privs: works here"), std::string::npos)
      << doctor.out;
  EXPECT_NE(doctor.out.find("[ok]   device helper: drop to CAP_NET_ADMIN, CAP_SYS_ADMIN with no_new_privs: works here"),
            std::string::npos)
      << doctor.out;
  // The helper itself, started as run starts it, reads the unified root's programs.
  EXPECT_NE(doctor.out.find("[ok]   device helper reads cgroup v2 device programs: "), std::string::npos) << doctor.out;
}

}  // namespace
}  // namespace privsentry::e2e
