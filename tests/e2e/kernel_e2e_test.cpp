// The kernel side on this kernel: every capability tier loads or fails
// cleanly, and a refused tier falls back (device programs:
// device_program_e2e_test.cpp).
#include <bpf/bpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <filesystem>

#include "e2e/support/e2e_support.hpp"
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

}  // namespace
}  // namespace privsentry::e2e
