// cgroup v2 device programs on this kernel: the tests attach programs of
// runc's shape (privileged, Docker's default, custom rules, one the
// interpreter does not know) to cgroups of the unified hierarchy, check each
// verdict, check it against what the kernel really lets a process in that
// cgroup do, and run the real binary (run and audit) on a container made by
// hand in such a cgroup.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "e2e/support/e2e_support.hpp"
#include "enrich/cgroup_device_inspector.hpp"
#include "enrich/device_program_evaluator.hpp"
#include "kernel/kernel_device_program_source.hpp"
#include "state/cgroup_layout.hpp"
#include "support/runc_device_filter.hpp"
#include "util/file.hpp"

namespace privsentry::e2e {
namespace {

using namespace runc_filter;  // NOLINT(google-build-using-namespace)
using nlohmann::json;
using namespace std::chrono_literals;

std::vector<Rule> privileged_rules() { return {{std::nullopt, kRwm, std::nullopt, std::nullopt}}; }

std::vector<Rule> with(std::vector<Rule> rules, const Rule& extra) {
  rules.push_back(extra);
  return rules;
}

// A program the interpreter must refuse: a helper call, then allow.
std::vector<bpf_insn> with_helper_call() {
  return {insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid),
          insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
}

// A device program loaded and attached to one cgroup directory, detached
// and closed when it goes.
class AttachedProgram {
 public:
  AttachedProgram(const std::vector<bpf_insn>& program, const std::filesystem::path& dir) {
    prog_ = UniqueFd(
        bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, "ps_e2e_dev", "GPL", program.data(), program.size(), nullptr));
    cgroup_ = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    attached_ =
        prog_.valid() && cgroup_.valid() && bpf_prog_attach(prog_.get(), cgroup_.get(), BPF_CGROUP_DEVICE, 0) == 0;
    if (prog_.valid()) {
      bpf_prog_info info{};
      __u32 length = sizeof(info);
      if (bpf_obj_get_info_by_fd(prog_.get(), &info, &length) == 0) {
        id_ = info.id;
      }
    }
  }
  AttachedProgram(const AttachedProgram&) = delete;
  AttachedProgram& operator=(const AttachedProgram&) = delete;
  ~AttachedProgram() {
    if (attached_) {
      bpf_prog_detach2(prog_.get(), cgroup_.get(), BPF_CGROUP_DEVICE);
    }
  }
  [[nodiscard]] bool attached() const { return attached_; }
  [[nodiscard]] std::uint32_t id() const { return id_; }

 private:
  UniqueFd prog_;
  UniqueFd cgroup_;
  bool attached_ = false;
  std::uint32_t id_ = 0;
};

// A cgroup of this test in the unified hierarchy and, on a hybrid host, in
// the v1 devices hierarchy (where a new cgroup allows what its parent does).
class TestCgroups {
 public:
  TestCgroups(const CgroupLayout& layout, const std::string& name) {
    if (const auto* unified = layout.unified()) {
      unified_ = unified->mount_point / name;
      std::filesystem::create_directory(unified_);
    }
    if (const auto* devices = layout.v1_controller("devices")) {
      devices_ = devices->mount_point / name;
      std::filesystem::create_directory(devices_);
    }
  }
  TestCgroups(const TestCgroups&) = delete;
  TestCgroups& operator=(const TestCgroups&) = delete;
  ~TestCgroups() {
    for (const auto& dir : {unified_, devices_}) {
      if (dir.empty()) {
        continue;
      }
      // Its processes are gone by now, but the kernel frees a cgroup lazily.
      for (int i = 0; i < 50 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
        std::this_thread::sleep_for(100ms);
      }
    }
  }
  [[nodiscard]] const std::filesystem::path& unified() const { return unified_; }
  [[nodiscard]] const std::filesystem::path& devices() const { return devices_; }

 private:
  std::filesystem::path unified_;
  std::filesystem::path devices_;
};

// What the kernel answers when a process in `cgroup` (nullptr: this one's)
// tries the probe: 0 or the errno. Read and write open a node made outside;
// mknod makes one.
int kernel_answer(const std::filesystem::path* cgroup, const DeviceAccessProbe& probe,
                  const std::filesystem::path& nodes) {
  const mode_t kind = probe.type == BPF_DEVCG_DEV_BLOCK ? S_IFBLK : S_IFCHR;
  const auto node = nodes / ("n-" + std::to_string(probe.type) + "-" + std::to_string(probe.major) + "-" +
                             std::to_string(probe.minor));
  const auto made = nodes / "made";
  std::filesystem::remove(made);
  if (probe.access != BPF_DEVCG_ACC_MKNOD && !std::filesystem::exists(node)) {
    EXPECT_EQ(::mknod(node.c_str(), kind | 0600, makedev(probe.major, probe.minor)), 0) << node;
  }
  const pid_t child = ::fork();
  if (child == 0) {
    if (cgroup != nullptr) {
      const int procs = ::open((*cgroup / "cgroup.procs").c_str(), O_WRONLY);
      if (procs < 0 || ::write(procs, "0", 1) != 1) {
        ::_exit(250);
      }
      ::close(procs);
    }
    int result = 0;
    if (probe.access == BPF_DEVCG_ACC_MKNOD) {
      result = ::mknod(made.c_str(), kind | 0600, makedev(probe.major, probe.minor));
    } else {
      const int flags = (probe.access == BPF_DEVCG_ACC_READ ? O_RDONLY : O_WRONLY) | O_NONBLOCK | O_NOCTTY;
      const int fd = ::open(node.c_str(), flags);
      result = fd;
      if (fd >= 0) {
        ::close(fd);
      }
    }
    ::_exit(result < 0 ? std::min(errno, 249) : 0);
  }
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 250) << "could not join " << *cgroup;
  return WEXITSTATUS(status);
}

class DeviceProgramE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    auto layout = read_cgroup_layout("/proc");
    ASSERT_TRUE(layout) << layout.error().message;
    ASSERT_NE(layout->unified(), nullptr) << "no cgroup2 mount on this host: nothing to attach device programs to";
    layout_ = *layout;
    name_ = unique_name("devprog");
    cgroups_.emplace(layout_, name_);
    nodes_ = std::filesystem::temp_directory_path() / (name_ + "-nodes");
    std::filesystem::create_directories(nodes_);
  }
  void TearDown() override {
    cgroups_.reset();
    std::filesystem::remove_all(nodes_);
  }

  // The inspector as the sensor runs it on a pure cgroup v2 host: only the
  // unified hierarchy.
  DeviceVerdict inspect_v2() {
    CgroupLayout only_v2;
    only_v2.mode = CgroupMode::kV2;
    only_v2.mounts.push_back(*layout_.unified());
    CgroupDeviceInspector inspector(only_v2, "/proc", &programs_);
    return inspector.inspect(DeviceQuery{0, "/" + name_});
  }

  // Every probe's verdict agrees with the kernel: allowed where a process in
  // the cgroup is not refused with EPERM, unless this process (outside the
  // cgroup) is refused the same way, which is then not the device cgroup.
  void expect_kernel_agrees(const std::vector<bpf_insn>& program) {
    const auto& dir = cgroups_->unified();
    std::size_t compared = 0;
    for (const auto& probe : device_access_probes()) {
      auto evaluated = device_programs_allow({program}, probe);
      ASSERT_TRUE(evaluated) << evaluated.error().message;
      const int inside = kernel_answer(&dir, probe, nodes_);
      const int outside = kernel_answer(nullptr, probe, nodes_);
      if (outside == EPERM) {
        std::cout << "  " << probe.name << ": refused outside the cgroup too, not compared\n";
        continue;
      }
      ++compared;
      EXPECT_EQ(*evaluated, inside != EPERM) << probe.name << ": the kernel answered " << errno_text(inside);
    }
    // Only what the host itself refuses may be left out.
    EXPECT_GE(compared, device_access_probes().size() - 4);
  }

  CgroupLayout layout_;
  std::string name_;
  std::optional<TestCgroups> cgroups_;
  std::filesystem::path nodes_;
  KernelDeviceProgramSource programs_;
};

TEST_F(DeviceProgramE2E, NoProgramAllowsEverything) {
  const auto verdict = inspect_v2();
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnrestricted) << verdict.detail;
  EXPECT_EQ(verdict.source, "cgroup-v2 device programs");
  EXPECT_TRUE(verdict.program_ids.empty());
}

TEST_F(DeviceProgramE2E, RuncShapedProgramsGetTheVerdictTheKernelEnforces) {
  struct Case {
    std::string what;
    std::vector<bpf_insn> program;
    DeviceVerdict::State state;
    std::vector<std::string> must_allow;
    std::vector<std::string> must_deny;
  };
  const std::vector<Case> cases{
      {"--privileged", runc_like(privileged_rules()), DeviceVerdict::State::kUnrestricted, {"/dev/mem read"}, {}},
      {"Docker's default",
       runc_like(docker_default()),
       DeviceVerdict::State::kRestricted,
       {"block 8:0 (sda) mknod"},
       {"/dev/mem read", "block 8:0 (sda) read"}},
      {"--device /dev/sda",
       runc_like(with(docker_default(), {kBlock, kRwm, 8, 0})),
       DeviceVerdict::State::kAllowsHostBlockDevices,
       {"block 8:0 (sda) write"},
       {"block 259:0 (nvme0n1) read"}},
      {"--device /dev/fuse and /dev/kvm",
       runc_like(with(with(docker_default(), {kChar, kRwm, 10, 229}), {kChar, kRwm, 10, 232})),
       DeviceVerdict::State::kAllowsSensitiveDevices,
       {"/dev/fuse read", "/dev/kvm write"},
       {"/dev/mem read"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const AttachedProgram attached(c.program, cgroups_->unified());
    ASSERT_TRUE(attached.attached()) << "attaching a device program: " << errno_text(errno);
    const auto verdict = inspect_v2();
    EXPECT_EQ(to_string(verdict.state), to_string(c.state)) << verdict.detail;
    EXPECT_EQ(verdict.program_ids, std::vector<std::uint32_t>{attached.id()});
    const std::set<std::string> allowed(verdict.allowed.begin(), verdict.allowed.end());
    for (const auto& name : c.must_allow) {
      EXPECT_EQ(allowed.count(name), 1U) << name;
    }
    for (const auto& name : c.must_deny) {
      EXPECT_EQ(allowed.count(name), 0U) << name;
    }
    // The instructions the kernel hands back (translated by the verifier)
    // answer like the kernel itself.
    auto fetched = programs_.effective_programs(
        UniqueFd(::open(cgroups_->unified().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)).get());
    ASSERT_TRUE(fetched) << fetched.error().message;
    ASSERT_EQ(fetched->size(), 1U);
    expect_kernel_agrees(fetched->front().insns);
  }
}

TEST_F(DeviceProgramE2E, AProgramOutsideTheSubsetIsUnknownWithTheReason) {
  const AttachedProgram attached(with_helper_call(), cgroups_->unified());
  ASSERT_TRUE(attached.attached()) << errno_text(errno);
  const auto verdict = inspect_v2();
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnknown);
  EXPECT_NE(verdict.detail.find("instruction 0"), std::string::npos) << verdict.detail;
  EXPECT_NE(verdict.detail.find("call"), std::string::npos) << verdict.detail;
  EXPECT_EQ(verdict.program_ids, std::vector<std::uint32_t>{attached.id()});
}

TEST_F(DeviceProgramE2E, EveryEffectiveProgramMustAllow) {
  // A parent's program is effective below it: the child cgroup's own
  // privileged program cannot give back what the parent's takes.
  const auto child = cgroups_->unified() / "child";
  std::filesystem::create_directory(child);
  {
    const AttachedProgram parent(runc_like(docker_default()), cgroups_->unified());
    ASSERT_TRUE(parent.attached());
    // BPF_F_ALLOW_MULTI on the parent is not needed for the child's own
    // program to run after it: without override the parent's stays effective.
    CgroupLayout only_v2;
    only_v2.mode = CgroupMode::kV2;
    only_v2.mounts.push_back(*layout_.unified());
    CgroupDeviceInspector inspector(only_v2, "/proc", &programs_);
    const auto verdict = inspector.inspect(DeviceQuery{0, "/" + name_ + "/child"});
    EXPECT_EQ(verdict.state, DeviceVerdict::State::kRestricted) << verdict.detail;
    EXPECT_EQ(verdict.program_ids, std::vector<std::uint32_t>{parent.id()});
  }
  std::filesystem::remove(child);
}

// The real binary on a container made by hand (new pid and mount
// namespaces, every capability) in this test's cgroups, with a device
// program attached before it starts.
class DeviceProgramSensorE2E : public DeviceProgramE2E {
 protected:
  std::unique_ptr<Subprocess> start_container() {
    std::string join = "echo $$ > " + (cgroups_->unified() / "cgroup.procs").string();
    if (!cgroups_->devices().empty()) {
      join += " && echo $$ > " + (cgroups_->devices() / "cgroup.procs").string();
    }
    return std::make_unique<Subprocess>(
        std::vector<std::string>{"sh", "-c",
                                 join + " && exec unshare --pid --mount --fork --kill-child --mount-proc sh -c "
                                        "'hostname >/dev/null; exec sleep 60'"});
  }
  // The rules `privsentry audit` gives the container with this id.
  static std::set<std::string> audit_rules(const std::string& id) {
    const auto audit = run_command({PRIVSENTRY_BINARY, "audit", "--format", "json", "--no-docker"});
    const auto doc = json::parse(audit.out, nullptr, false);
    EXPECT_TRUE(doc.is_object()) << audit.out << audit.err;
    std::set<std::string> rules;
    for (const auto& f : doc.value("findings", json::array())) {
      if (f["container"]["id"] == id) {
        rules.insert(f["rule"].get<std::string>());
      }
    }
    return rules;
  }
};

TEST_F(DeviceProgramSensorE2E, PrivilegedProgramGivesTheSameRulesAsDockersPrivilegedDevices) {
  const AttachedProgram attached(runc_like(privileged_rules()), cgroups_->unified());
  ASSERT_TRUE(attached.attached());
  SensorProcess sensor;
  ASSERT_TRUE(sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; })) << sensor.log();
  auto container = start_container();
  const auto unrestricted = sensor.wait_for([](const json& r) {
    return r["kind"] == "finding" && r["rule"] == "unrestricted-devices" && r["container"]["runtime"] == "unmanaged";
  });
  ASSERT_TRUE(unrestricted) << sensor.log();
  const auto& devices = (*unrestricted)["evidence"]["devices"];
  EXPECT_EQ(devices["state"], "unrestricted");
  EXPECT_EQ(devices["program_ids"], json::array({attached.id()}));
  EXPECT_NE(devices["source"].get<std::string>().find("cgroup-v2 device programs"), std::string::npos) << devices;
  const auto id = (*unrestricted)["container"]["id"].get<std::string>();
  const auto undeclared = sensor.wait_for_finding(id, "undeclared-privilege");
  ASSERT_TRUE(undeclared) << sensor.log();
  EXPECT_EQ((*undeclared)["evidence"]["kernel_sees"]["unrestricted_devices"], true);
  EXPECT_EQ((*undeclared)["evidence"]["kernel_sees"]["full_capability_set"], true);

  EXPECT_EQ(audit_rules(id),
            (std::set<std::string>{"full-capability-set", "unrestricted-devices", "undeclared-privilege"}));
  container->signal(SIGKILL);
  container->wait(5s);
}

TEST_F(DeviceProgramSensorE2E, HostBlockDeviceProgramIsSensitiveDevicesNotUnrestricted) {
  auto rules = with(docker_default(), {kBlock, kRwm, 8, 0});
  const AttachedProgram attached(runc_like(rules), cgroups_->unified());
  ASSERT_TRUE(attached.attached());
  SensorProcess sensor;
  ASSERT_TRUE(sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; })) << sensor.log();
  auto container = start_container();
  const auto sensitive = sensor.wait_for([](const json& r) {
    return r["kind"] == "finding" && r["rule"] == "sensitive-devices" && r["container"]["runtime"] == "unmanaged";
  });
  ASSERT_TRUE(sensitive) << sensor.log();
  EXPECT_EQ((*sensitive)["severity"], "high");
  EXPECT_EQ((*sensitive)["evidence"]["devices"]["state"], "allows-host-block-devices");
  EXPECT_NE((*sensitive)["summary"].get<std::string>().find("block 8:0 (sda) read"), std::string::npos);
  const auto id = (*sensitive)["container"]["id"].get<std::string>();
  const auto undeclared = sensor.wait_for_finding(id, "undeclared-privilege");
  ASSERT_TRUE(undeclared) << sensor.log();
  EXPECT_EQ((*undeclared)["evidence"]["kernel_sees"]["unrestricted_devices"], false);
  EXPECT_EQ(audit_rules(id),
            (std::set<std::string>{"full-capability-set", "sensitive-devices", "undeclared-privilege"}));
  container->signal(SIGKILL);
  container->wait(5s);
  EXPECT_EQ(sensor.stop(), 0);
  for (const auto& record : sensor.records()) {
    EXPECT_FALSE(record.value("rule", "") == "unrestricted-devices" && record["container"]["id"] == id) << record;
  }
}

}  // namespace
}  // namespace privsentry::e2e
