#include "state/host_state.hpp"

#include <gtest/gtest.h>

#include "decode/event_decoder.hpp"
#include "fakes/raw_records.hpp"
#include "fakes/recording_registry.hpp"

namespace privsentry {
namespace {

using namespace privsentry::test;

const std::string kId = std::string(60, 'a') + "0001";
constexpr std::uint32_t kHostMnt = 4026531832;
constexpr std::uint32_t kHostPid = 4026531836;

HostFacts facts() {
  HostFacts f;
  f.hostname = "h";
  f.cap_last_cap = 40;
  f.bounding = CapabilitySet(kHostBounding);
  f.mntns = kHostMnt;
  f.pidns = kHostPid;
  return f;
}

template <typename T>
T decoded(const std::vector<std::byte>& bytes) {
  return std::get<T>(*EventDecoder().decode(bytes));
}

class HostStateTest : public ::testing::Test {
 protected:
  RecordingRegistry registry;
  HostState state{facts(), 0, registry, HostStateLimits{8, 4}};
};

TEST_F(HostStateTest, DockerCgroupMakesAContainerAndRegistersIt) {
  auto change = state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 42, "/docker/" + kId)));
  ASSERT_EQ(change.kind, StateChange::Kind::kContainerSeen);
  EXPECT_EQ(change.container->ref.id, kId);
  EXPECT_EQ(change.container->primary_cgroup_id, 42U);
  EXPECT_EQ(change.container->docker_status, DockerStatus::kPending);
  EXPECT_FALSE(change.container->active);
  EXPECT_EQ(registry.ids, std::set<std::uint64_t>{42});
  // The same cgroup again changes nothing.
  EXPECT_EQ(state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_ATTACH, 42, "/docker/" + kId))).kind,
            StateChange::Kind::kNone);
}

TEST_F(HostStateTest, OtherHierarchiesAndHostCgroupsAreIgnored) {
  EXPECT_EQ(state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 1, "/docker/" + kId, 5))).kind,
            StateChange::Kind::kNone);
  EXPECT_EQ(state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 2, "/system.slice/x.service"))).kind,
            StateChange::Kind::kNone);
  EXPECT_TRUE(state.containers().empty());
  EXPECT_TRUE(registry.ids.empty());
}

TEST_F(HostStateTest, ExecActivatesAndFullSetIsRecorded) {
  state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 42, "/docker/" + kId)));
  TaskSpec spec;
  spec.cgroup_id = 42;
  auto change = state.apply(decoded<ExecEvent>(exec_record(spec, kPrivilegedBounding, kPrivilegedBounding)));
  ASSERT_EQ(change.kind, StateChange::Kind::kProcess);
  EXPECT_TRUE(change.became_active);
  ASSERT_TRUE(change.container->full_capability_process);
  EXPECT_EQ(change.container->full_capability_process->pid, 1000U);
  EXPECT_EQ(change.container->mntns, spec.mntns);
  EXPECT_EQ(change.container->pidns, spec.pidns);
}

TEST_F(HostStateTest, RuntimeSetupIsNotTheContainer) {
  state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 42, "/docker/" + kId)));
  TaskSpec runc;
  runc.cgroup_id = 42;
  runc.comm = "runc:[2:INIT]";
  runc.flags = PS_TASK_RUNTIME_IMAGE;
  EXPECT_EQ(state.apply(decoded<ExecEvent>(exec_record(runc, kHostBounding, kHostBounding))).kind,
            StateChange::Kind::kNone);
  EXPECT_EQ(state.apply(decoded<CapabilityEvent>(capability_record(runc, kCapSysAdmin, true))).kind,
            StateChange::Kind::kNone);
  EXPECT_FALSE(state.find("docker/" + kId)->active);
  EXPECT_TRUE(state.find("docker/" + kId)->used.empty());
}

TEST_F(HostStateTest, OwnNamespacesWithoutARuntimeCgroupIsAnUnmanagedContainer) {
  TaskSpec spec;
  spec.cgroup_id = 9;  // a host cgroup, not registered
  auto change = state.apply(decoded<ExecEvent>(exec_record(spec, kHostBounding, kHostBounding)));
  ASSERT_EQ(change.kind, StateChange::Kind::kProcess);
  EXPECT_EQ(change.container->ref.runtime, ContainerRuntime::kUnmanaged);
  EXPECT_EQ(change.container->ref.id, "mntns-" + std::to_string(spec.mntns));
  EXPECT_TRUE(registry.ids.empty());  // its cgroup may hold host processes

  // A second process in the same namespaces joins it; its exit ends it.
  TaskSpec second = spec;
  second.pid = 1001;
  state.apply(decoded<ExecEvent>(exec_record(second, kHostBounding, kHostBounding)));
  EXPECT_EQ(state.containers().size(), 1U);
  EXPECT_EQ(state.apply(decoded<ExitEvent>(exit_record(spec))).kind, StateChange::Kind::kNone);
  auto exited = state.apply(decoded<ExitEvent>(exit_record(second)));
  ASSERT_EQ(exited.kind, StateChange::Kind::kContainerExited);
  EXPECT_EQ(exited.exited->ref.runtime, ContainerRuntime::kUnmanaged);
  EXPECT_TRUE(state.containers().empty());
}

TEST_F(HostStateTest, SharingOnlyOneHostNamespaceIsNotAContainer) {
  TaskSpec own_mount_only;
  own_mount_only.pidns = kHostPid;  // a systemd service with PrivateTmp
  EXPECT_EQ(state.apply(decoded<ExecEvent>(exec_record(own_mount_only, kHostBounding, kHostBounding))).kind,
            StateChange::Kind::kNone);
  TaskSpec own_pid_only;
  own_pid_only.mntns = kHostMnt;
  EXPECT_EQ(state.apply(decoded<ExecEvent>(exec_record(own_pid_only, kHostBounding, kHostBounding))).kind,
            StateChange::Kind::kNone);
  EXPECT_EQ(state.unattributed(), 2U);
}

TEST_F(HostStateTest, HostPidNamespaceContainerIsFoundByItsCgroup) {
  state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 42, "/docker/" + kId)));
  TaskSpec spec;
  spec.cgroup_id = 42;
  spec.pidns = kHostPid;  // docker run --pid=host
  auto change = state.apply(decoded<ExecEvent>(exec_record(spec, kDockerDefault, kDockerDefault)));
  ASSERT_EQ(change.kind, StateChange::Kind::kProcess);
  EXPECT_EQ(change.container->ref.id, kId);
  EXPECT_EQ(change.container->pidns, 0U);  // the host's is never learned as the container's
}

TEST_F(HostStateTest, NestedCgroupBelongsToTheContainerAndRmdirOfThePrimaryEndsIt) {
  state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 42, "/docker/" + kId)));
  state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 43, "/docker/" + kId + "/sub")));
  EXPECT_EQ(registry.ids, (std::set<std::uint64_t>{42, 43}));
  TaskSpec spec;
  spec.cgroup_id = 43;
  EXPECT_EQ(state.apply(decoded<ExecEvent>(exec_record(spec, kDockerDefault, kDockerDefault))).container->ref.id, kId);
  EXPECT_EQ(state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_RMDIR, 43, "/docker/" + kId + "/sub"))).kind,
            StateChange::Kind::kNone);
  EXPECT_EQ(registry.ids, std::set<std::uint64_t>{42});
  auto exited = state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_RMDIR, 42, "/docker/" + kId)));
  ASSERT_EQ(exited.kind, StateChange::Kind::kContainerExited);
  EXPECT_EQ(exited.exited->ref.id, kId);
  EXPECT_TRUE(registry.ids.empty());
  // Its namespaces no longer resolve to it.
  spec.cgroup_id = 999;
  EXPECT_NE(state.apply(decoded<ExecEvent>(exec_record(spec, kDockerDefault, kDockerDefault))).container->ref.runtime,
            ContainerRuntime::kDocker);
}

TEST_F(HostStateTest, CapabilityUseIsRecordedOncePerCapability) {
  state.apply(decoded<CgroupEvent>(cgroup_record(PS_EVENT_CGROUP_MKDIR, 42, "/docker/" + kId)));
  TaskSpec spec;
  spec.cgroup_id = 42;
  auto first = state.apply(decoded<CapabilityEvent>(capability_record(spec, kCapSysAdmin, true)));
  EXPECT_EQ(first.kind, StateChange::Kind::kCapabilityUse);
  EXPECT_EQ(first.capability, kCapSysAdmin);
  EXPECT_EQ(state.apply(decoded<CapabilityEvent>(capability_record(spec, kCapSysAdmin, true))).kind,
            StateChange::Kind::kNone);
  // Denied, granted in a child user namespace, another task's creds, bogus numbers: no use.
  EXPECT_EQ(state.apply(decoded<CapabilityEvent>(capability_record(spec, 16, false))).kind, StateChange::Kind::kNone);
  EXPECT_EQ(state.apply(decoded<CapabilityEvent>(capability_record(spec, 12, true, 1))).kind, StateChange::Kind::kNone);
  EXPECT_EQ(state.apply(decoded<CapabilityEvent>(capability_record(spec, 19, true, 0, 0))).kind,
            StateChange::Kind::kNone);
  EXPECT_EQ(state.apply(decoded<CapabilityEvent>(capability_record(spec, 64, true))).kind, StateChange::Kind::kNone);
  EXPECT_EQ(state.apply(decoded<CapabilityEvent>(capability_record(spec, -1, true))).kind, StateChange::Kind::kNone);
  const auto* container = state.find("docker/" + kId);
  EXPECT_EQ(container->used.size(), 1U);
  EXPECT_TRUE(container->denied.has(16));
  EXPECT_TRUE(container->used_in_user_namespace.has(12));
}

TEST_F(HostStateTest, LimitsBoundMemory) {
  for (int i = 0; i < 10; ++i) {
    std::string id = std::string(60, 'b') + std::to_string(1000 + i);
    state.apply(decoded<CgroupEvent>(
        cgroup_record(PS_EVENT_CGROUP_MKDIR, 100 + static_cast<std::uint64_t>(i), "/docker/" + id)));
  }
  EXPECT_EQ(state.containers().size(), 8U);
  EXPECT_EQ(state.containers_dropped(), 2U);

  TaskSpec spec;
  spec.cgroup_id = 100;
  for (std::uint32_t pid = 1; pid <= 6; ++pid) {
    spec.pid = pid;
    state.apply(decoded<ExecEvent>(exec_record(spec, kDockerDefault, kDockerDefault)));
  }
  const auto* container = state.find("docker/" + std::string(60, 'b') + "1000");
  EXPECT_EQ(container->processes.size(), 4U);
  EXPECT_EQ(container->processes_dropped, 2U);
}

}  // namespace
}  // namespace privsentry
