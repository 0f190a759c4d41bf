#include "enrich/cgroup_device_inspector.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "support/runc_device_filter.hpp"

namespace privsentry {
namespace {

using namespace runc_filter;  // NOLINT(google-build-using-namespace)

// The programs a test says are effective, by cgroup directory.
class ListedDevicePrograms final : public DeviceProgramSource {
 public:
  std::map<std::string, Expected<std::vector<DeviceProgram>>> by_dir;

  Expected<std::vector<DeviceProgram>> effective_programs(int cgroup_dir_fd) override {
    std::error_code error;
    const auto dir = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(cgroup_dir_fd), error);
    const auto it = by_dir.find(dir.string());
    return it == by_dir.end() ? Expected<std::vector<DeviceProgram>>(std::vector<DeviceProgram>{}) : it->second;
  }
};

// A hybrid host in a temporary directory: a v1 devices hierarchy and the
// unified one, a container at /docker/c1 in both, and its process in /proc.
class CgroupDeviceInspectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("privsentry-devices-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "devices/docker/c1");
    std::filesystem::create_directories(root_ / "unified/docker/c1");
    std::filesystem::create_directories(root_ / "proc/42");
    write("proc/42/cgroup", "12:devices:/docker/c1\n0::/docker/c1\n");
    layout_.mode = CgroupMode::kHybrid;
    layout_.mounts.push_back({root_ / "devices", "/", false, {"devices"}});
    layout_.mounts.push_back({root_ / "unified", "/", true, {}});
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void write(const std::string& path, const std::string& text) const { std::ofstream(root_ / path) << text; }
  [[nodiscard]] std::string unified_dir() const { return (root_ / "unified/docker/c1").string(); }

  DeviceVerdict inspect(const CgroupLayout& layout) {
    CgroupDeviceInspector inspector(layout, root_ / "proc", &programs_);
    return inspector.inspect(DeviceQuery{42, "/docker/c1"});
  }
  static bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  std::filesystem::path root_;
  CgroupLayout layout_;
  ListedDevicePrograms programs_;
};

TEST_F(CgroupDeviceInspectorTest, HybridWithoutProgramsIsTheDevicesList) {
  write("devices/docker/c1/devices.list", "a *:* rwm\n");
  auto verdict = inspect(layout_);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnrestricted) << verdict.detail;
  EXPECT_EQ(verdict.source, "cgroup-v1 devices.list");
  EXPECT_EQ(verdict.rules, std::vector<std::string>{"a *:* rwm"});

  write("devices/docker/c1/devices.list", "b *:* m\nc *:* m\nc 1:3 rwm\nc 136:* rwm\n");
  verdict = inspect(layout_);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kRestricted);
  EXPECT_TRUE(has(verdict.allowed, "block 8:0 (sda) mknod"));

  write("devices/docker/c1/devices.list", "c 1:3 rwm\nb 8:0 rw\n");  // docker run --device /dev/sda
  EXPECT_EQ(inspect(layout_).state, DeviceVerdict::State::kAllowsHostBlockDevices);
  write("devices/docker/c1/devices.list", "c 1:3 rwm\nc 10:229 rwm\n");  // --device /dev/fuse
  verdict = inspect(layout_);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kAllowsSensitiveDevices);
  EXPECT_TRUE(has(verdict.allowed, "/dev/fuse write"));
  EXPECT_FALSE(has(verdict.allowed, "/dev/mem read"));
}

TEST_F(CgroupDeviceInspectorTest, OnAHybridHostTheProgramsCanOnlyTakeAway) {
  // The kernel asks the v2 programs first and the v1 list after: both must allow.
  write("devices/docker/c1/devices.list", "a *:* rwm\n");
  programs_.by_dir.emplace(unified_dir(), std::vector<DeviceProgram>{{5, runc_like(docker_default()), ""}});
  auto verdict = inspect(layout_);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kRestricted) << verdict.detail;
  EXPECT_EQ(verdict.source, "cgroup-v1 devices.list and cgroup-v2 device programs");
  EXPECT_EQ(verdict.program_ids, std::vector<std::uint32_t>{5});

  write("devices/docker/c1/devices.list", "c 1:3 rwm\n");
  programs_.by_dir.clear();
  programs_.by_dir.emplace(unified_dir(), std::vector<DeviceProgram>{
                                              {6, runc_like({{std::nullopt, kRwm, std::nullopt, std::nullopt}}), ""}});
  EXPECT_EQ(inspect(layout_).state, DeviceVerdict::State::kRestricted);
}

TEST_F(CgroupDeviceInspectorTest, PureV2JudgesThePrograms) {
  CgroupLayout v2;
  v2.mode = CgroupMode::kV2;
  v2.mounts.push_back({root_ / "unified", "/", true, {}});
  auto verdict = inspect(v2);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnrestricted);
  EXPECT_EQ(verdict.source, "cgroup-v2 device programs");
  EXPECT_NE(verdict.detail.find("no BPF_CGROUP_DEVICE program"), std::string::npos);

  programs_.by_dir.emplace(unified_dir(), std::vector<DeviceProgram>{
                                              {6, runc_like({{std::nullopt, kRwm, std::nullopt, std::nullopt}}), ""}});
  verdict = inspect(v2);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnrestricted);  // runc's program for --privileged
  EXPECT_EQ(verdict.path, unified_dir());

  auto rules = docker_default();
  rules.push_back({kChar, kRwm, 1, 1});  // --device /dev/mem
  programs_.by_dir.insert_or_assign(unified_dir(), std::vector<DeviceProgram>{{7, runc_like(rules), ""}});
  verdict = inspect(v2);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kAllowsSensitiveDevices);
  EXPECT_TRUE(has(verdict.allowed, "/dev/mem read"));
}

TEST_F(CgroupDeviceInspectorTest, ProgramsThatCannotBeReadOrRunAreUnknownWithTheReason) {
  CgroupLayout v2;
  v2.mode = CgroupMode::kV2;
  v2.mounts.push_back({root_ / "unified", "/", true, {}});
  programs_.by_dir.emplace(unified_dir(), std::vector<DeviceProgram>{{8, {}, "BPF_PROG_GET_FD_BY_ID 8: denied"}});
  auto verdict = inspect(v2);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnknown);
  EXPECT_NE(verdict.detail.find("BPF_PROG_GET_FD_BY_ID 8: denied"), std::string::npos) << verdict.detail;
  EXPECT_EQ(verdict.program_ids, std::vector<std::uint32_t>{8});

  // A helper call is outside what the interpreter knows.
  programs_.by_dir.insert_or_assign(
      unified_dir(), std::vector<DeviceProgram>{
                         {9, {insn(BPF_JMP | BPF_CALL, 0, 0, 0, 14), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)}, ""}});
  verdict = inspect(v2);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnknown);
  EXPECT_NE(verdict.detail.find("program 1 of 1"), std::string::npos) << verdict.detail;

  // On a hybrid host a list that restricts on its own still decides.
  programs_.by_dir.insert_or_assign(unified_dir(),
                                    Expected<std::vector<DeviceProgram>>(Error{"the device helper has exited"}));
  write("devices/docker/c1/devices.list", "c 1:3 rwm\n");
  verdict = inspect(layout_);
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kRestricted);
  EXPECT_NE(verdict.detail.find("the device helper has exited"), std::string::npos);
  write("devices/docker/c1/devices.list", "a *:* rwm\n");
  EXPECT_EQ(inspect(layout_).state, DeviceVerdict::State::kUnknown);

  // Without any source of programs a v2 cgroup cannot be judged.
  CgroupDeviceInspector blind(v2, root_ / "proc", nullptr);
  EXPECT_EQ(blind.inspect(DeviceQuery{42, "/docker/c1"}).state, DeviceVerdict::State::kUnknown);
}

}  // namespace
}  // namespace privsentry
