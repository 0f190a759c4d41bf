#include "state/proc_parsers.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using test::fixture;

TEST(ProcStatus, PrivilegedContainerProcess) {
  const auto status = parse_proc_status(fixture("proc/status_privileged.txt"));
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->name, "sleep");
  EXPECT_EQ(status->uid, 0U);
  EXPECT_EQ(status->caps.bounding.bits(), 0x3ffeffffffULL);
  EXPECT_EQ(status->caps.effective.bits(), 0x3ffeffffffULL);
  ASSERT_EQ(status->ns_pids.size(), 2U);
  EXPECT_EQ(status->ns_pids.back(), 1U);
}

TEST(ProcStatus, PlainContainerProcessHasDockerDefaults) {
  const auto status = parse_proc_status(fixture("proc/status_plain.txt"));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->caps.bounding.bits(), 0xa80425fbULL);
  EXPECT_EQ(status->caps.ambient.bits(), 0ULL);
}

TEST(ProcStatus, HostInitBoundingSetLacksSysResource) {
  const auto status = parse_proc_status(fixture("proc/status_host_init.txt"));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->caps.bounding.bits(), 0x1fffeffffffULL);
  EXPECT_EQ(status->ppid, 0U);
}

TEST(ProcStatus, RejectsMissingOrBadCapabilityLines) {
  EXPECT_FALSE(parse_proc_status("Name:\tx\nUid:\t0\t0\t0\t0\n"));
  EXPECT_FALSE(parse_proc_status("Uid:\t0\t0\t0\t0\nCapInh:\tzz\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"));
  EXPECT_FALSE(parse_proc_status("Uid:\tx\t0\t0\t0\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"));
  EXPECT_FALSE(parse_proc_status(""));
  // CapAmb is optional (kernels before 4.3).
  EXPECT_TRUE(parse_proc_status("Uid:\t5\t6\t0\t0\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t1\n"));
}

TEST(ProcCgroup, HybridDockerProcess) {
  const auto lines = parse_proc_cgroup(fixture("proc/cgroup_hybrid_docker.txt"));
  ASSERT_EQ(lines.size(), 10U);
  EXPECT_EQ(lines.back().hierarchy_id, 0U);
  EXPECT_TRUE(lines.back().controllers.empty());
  EXPECT_EQ(lines.back().path.rfind("/docker/", 0), 0U);
  bool saw_devices = false;
  for (const auto& line : lines) {
    saw_devices = saw_devices || (line.controllers == std::vector<std::string>{"devices"});
  }
  EXPECT_TRUE(saw_devices);
}

TEST(ProcCgroup, PathsWithColonsAndJunkLines) {
  const auto lines = parse_proc_cgroup("0::/a:b:c\nnot a line\nx:cpu:/\n5:cpu,cpuacct:/k\n");
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].path, "/a:b:c");
  EXPECT_EQ(lines[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
}

}  // namespace
}  // namespace privsentry
