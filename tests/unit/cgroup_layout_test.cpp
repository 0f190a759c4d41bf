#include "state/cgroup_layout.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using test::fixture;

TEST(CgroupLayout, HybridHostTracksTheDevicesHierarchy) {
  const auto layout =
      parse_cgroup_layout(fixture("cgroup/mountinfo_hybrid.txt"), fixture("cgroup/proc_cgroups_hybrid.txt"));
  EXPECT_EQ(layout.mode, CgroupMode::kHybrid);
  ASSERT_NE(layout.unified(), nullptr);
  EXPECT_EQ(layout.unified()->mount_point, "/sys/fs/cgroup/unified");
  ASSERT_NE(layout.v1_controller("devices"), nullptr);
  EXPECT_EQ(layout.v1_controller("devices")->mount_point, "/sys/fs/cgroup/devices");
  EXPECT_NE(layout.v1_controller("name=systemd"), nullptr);
  EXPECT_EQ(layout.subsystems.at("devices").id, 5);
  EXPECT_EQ(layout.subsystems.at("devices").hierarchy, 5U);

  const auto tracked = choose_tracked_hierarchy(layout, "auto");
  ASSERT_TRUE(tracked);
  EXPECT_EQ(tracked->name, "devices");
  EXPECT_EQ(tracked->v1_subsystem, 5);
  EXPECT_EQ(tracked->hierarchy_id, 5U);
  EXPECT_EQ(tracked->mount_point, "/sys/fs/cgroup/devices");

  const auto unified = choose_tracked_hierarchy(layout, "unified");
  ASSERT_TRUE(unified);
  EXPECT_EQ(unified->v1_subsystem, -1);
  EXPECT_EQ(unified->hierarchy_id, 0U);
  EXPECT_EQ(unified->mount_point, "/sys/fs/cgroup/unified");

  EXPECT_EQ(choose_tracked_hierarchy(layout, "memory")->v1_subsystem, 4);
  EXPECT_FALSE(choose_tracked_hierarchy(layout, "nonesuch"));
  EXPECT_FALSE(choose_tracked_hierarchy(layout, "name=systemd"));
}

TEST(CgroupLayout, PureV2) {
  const std::string mountinfo =
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n";
  const auto layout = parse_cgroup_layout(mountinfo, "#subsys_name\thierarchy\tnum_cgroups\tenabled\n");
  EXPECT_EQ(layout.mode, CgroupMode::kV2);
  EXPECT_EQ(layout.v1_controller("devices"), nullptr);
  const auto tracked = choose_tracked_hierarchy(layout, "auto");
  ASSERT_TRUE(tracked);
  EXPECT_EQ(tracked->mount_point, "/sys/fs/cgroup");
}

TEST(CgroupLayout, PureV1FallsBackToTheDevicesHierarchy) {
  const std::string mountinfo =
      "25 24 0:22 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "26 24 0:23 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
      "27 24 0:24 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n";
  const std::string cgroups =
      "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t0\t1\t1\ncpu\t0\t1\t1\ncpuacct\t0\t1\t1\n"
      "blkio\t0\t1\t1\nmemory\t2\t40\t1\ndevices\t3\t40\t1\n";
  const auto layout = parse_cgroup_layout(mountinfo, cgroups);
  EXPECT_EQ(layout.mode, CgroupMode::kV1);
  const auto tracked = choose_tracked_hierarchy(layout, "auto");
  ASSERT_TRUE(tracked);
  EXPECT_EQ(tracked->name, "devices");
  EXPECT_EQ(tracked->v1_subsystem, 5);
  EXPECT_EQ(tracked->hierarchy_id, 3U);
  EXPECT_FALSE(choose_tracked_hierarchy(layout, "unified"));
}

TEST(CgroupLayout, EscapedMountPointsAndNoCgroups) {
  const std::string mountinfo = "40 31 0:38 / /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw\n";
  const auto layout = parse_cgroup_layout(mountinfo, "");
  ASSERT_NE(layout.unified(), nullptr);
  EXPECT_EQ(layout.unified()->mount_point, "/mnt/my cgroup");
  EXPECT_EQ(parse_cgroup_layout("", "").mode, CgroupMode::kNone);
  EXPECT_FALSE(choose_tracked_hierarchy(parse_cgroup_layout("", ""), "auto"));
}

}  // namespace
}  // namespace privsentry
