// The kernel side on this kernel: every capability tier loads or fails
// cleanly, a refused tier falls back, and the cgroup v2 device query works.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <filesystem>

#include "e2e/support/e2e_support.hpp"
#include "enrich/cgroup_device_inspector.hpp"
#include "kernel/bpf_loader.hpp"
#include "kernel/feature_probe.hpp"
#include "state/cgroup_layout.hpp"
#include "state/host_facts.hpp"

namespace privsentry::e2e {
namespace {

using nlohmann::json;

LoaderConfig config_for_host() {
  const auto facts = read_host_facts("/proc", "");
  EXPECT_TRUE(facts) << facts.error().message;
  LoaderConfig config;
  config.host_mntns = facts->mntns;
  config.host_pidns = facts->pidns;
  config.ringbuf_bytes = 1U << 16U;
  return config;
}

bool feature(const std::string& name) {
  for (const auto& check : probe_kernel_features()) {
    if (check.name == name) {
      return check.available;
    }
  }
  return false;
}

TEST(KernelTiers, EveryTierLoadsOrFailsWithAReason) {
  PRIVSENTRY_E2E_REQUIRE();
  const auto attempts = BpfLoader::probe_tiers(config_for_host());
  ASSERT_EQ(attempts.size(), 3U);
  EXPECT_EQ(attempts[0].tier, CapabilityTier::kTracepoint);
  EXPECT_EQ(attempts[1].tier, CapabilityTier::kFentry);
  EXPECT_EQ(attempts[2].tier, CapabilityTier::kKprobe);
  for (const auto& attempt : attempts) {
    std::cout << "  " << to_string(attempt.tier) << ": " << (attempt.loaded ? "loads" : attempt.error) << "\n";
    EXPECT_EQ(attempt.loaded, attempt.error.empty()) << to_string(attempt.tier);
  }
  // The tracepoint tier loads exactly where the kernel has the tracepoint.
  EXPECT_EQ(attempts[0].loaded, feature("cap_capable tracepoint (Linux 6.14+)"));
  // Without kprobes the kprobe tier cannot attach.
  if (!feature("kprobes")) {
    EXPECT_FALSE(attempts[2].loaded);
  }
}

TEST(KernelTiers, LoaderPicksTheFirstTierThatWorks) {
  PRIVSENTRY_E2E_REQUIRE();
  auto config = config_for_host();
  auto loaded = BpfLoader::load(config);
  ASSERT_TRUE(loaded) << loaded.error().message;
  CapabilityTier expected = CapabilityTier::kNone;
  for (const auto& attempt : (*loaded)->attempts()) {
    if (attempt.loaded) {
      expected = attempt.tier;
      break;
    }
  }
  EXPECT_EQ((*loaded)->tier(), expected);
  const auto counters = (*loaded)->read_counters();
  ASSERT_TRUE(counters) << counters.error().message;
}

TEST(KernelTiers, RefusedTierLeavesTheSensorRunningOnTheOtherProbes) {
  PRIVSENTRY_E2E_REQUIRE();
  std::string refused;
  for (const auto& attempt : BpfLoader::probe_tiers(config_for_host())) {
    if (!attempt.loaded) {
      refused = std::string(to_string(attempt.tier));
      break;
    }
  }
  if (refused.empty()) {
    GTEST_SKIP() << "this kernel accepts every tier; nothing to fall back from";
  }
  ContainerCleanup cleanup;
  SensorProcess sensor({"--cap-tier", refused});
  const auto start = sensor.records().front();
  EXPECT_EQ(start["capability_tier"], "none") << start.dump();
  EXPECT_FALSE(start["tier_attempts"][0]["error"].get<std::string>().empty());
  EXPECT_NE(sensor.log().find("capability use will not be seen"), std::string::npos);
  // Exec and cgroup probes still judge containers.
  const auto id = docker_ok(
      {"run", "-d", "--name", cleanup.track(unique_name("notier")), "--privileged", test_image(), "sleep", "30"});
  ASSERT_TRUE(sensor.wait_for_finding(id, "full-capability-set")) << sensor.log();
}

class CgroupV2Devices : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    auto layout = read_cgroup_layout("/proc");
    ASSERT_TRUE(layout);
    const auto* unified = layout->unified();
    if (unified == nullptr) {
      GTEST_SKIP() << "no cgroup2 mount on this host";
    }
    // Only the unified mount: the inspector must take the v2 path.
    only_v2_.mode = CgroupMode::kV2;
    only_v2_.mounts.push_back(*unified);
    name_ = "privsentry-e2e-" + std::to_string(::getpid());
    dir_ = unified->mount_point / name_;
    std::filesystem::create_directory(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove(dir_);
    }
  }

  CgroupLayout only_v2_;
  std::string name_;
  std::filesystem::path dir_;
};

TEST_F(CgroupV2Devices, NoProgramIsUnrestrictedAnAttachedOneIsUnknown) {
  CgroupDeviceInspector inspector(only_v2_, "/proc");
  auto verdict = inspector.inspect(DeviceQuery{0, "/" + name_});
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnrestricted) << verdict.detail;
  EXPECT_EQ(verdict.source, "cgroup-v2 device programs");

  // r0 = 0; exit: deny every device, as a restrictive runtime would.
  const bpf_insn deny_all[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int prog = bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, "ps_e2e_deny", "GPL", deny_all, 2, nullptr);
  ASSERT_GE(prog, 0) << "loading a device program failed";
  const int cgroup = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(cgroup, 0);
  ASSERT_EQ(bpf_prog_attach(prog, cgroup, BPF_CGROUP_DEVICE, 0), 0);
  verdict = inspector.inspect(DeviceQuery{0, "/" + name_});
  // Not evaluated yet: an attached program may allow everything (runc's for
  // --privileged does), so it is neither restricted nor unrestricted.
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnknown);
  EXPECT_EQ(verdict.program_ids.size(), 1U);
  EXPECT_NE(verdict.detail.find("1 device program(s) attached"), std::string::npos) << verdict.detail;
  EXPECT_EQ(bpf_prog_detach2(prog, cgroup, BPF_CGROUP_DEVICE), 0);
  ::close(cgroup);
  ::close(prog);

  EXPECT_EQ(inspector.inspect(DeviceQuery{0, "/../escape"}).state, DeviceVerdict::State::kUnknown);
}

}  // namespace
}  // namespace privsentry::e2e
