#include "state/cgroup_path_parser.hpp"

#include <gtest/gtest.h>

namespace privsentry {
namespace {

const std::string kId = "3f2a9c1e6b7d4a5f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f";
const std::string kId2 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

struct Sample {
  std::string path;
  ContainerRuntime runtime;
  std::string cgroup;
  std::string pod_uid;
};

class RuntimeLayouts : public ::testing::TestWithParam<Sample> {};

TEST_P(RuntimeLayouts, NamesTheContainer) {
  const auto& sample = GetParam();
  const auto ref = parse_container_cgroup(sample.path);
  ASSERT_TRUE(ref) << sample.path;
  EXPECT_EQ(ref->runtime, sample.runtime) << sample.path;
  EXPECT_EQ(ref->id, kId) << sample.path;
  EXPECT_EQ(ref->cgroup_path, sample.cgroup) << sample.path;
  EXPECT_EQ(ref->pod_uid, sample.pod_uid) << sample.path;
}

INSTANTIATE_TEST_SUITE_P(
    RealWorld, RuntimeLayouts,
    ::testing::Values(
        // Docker, cgroupfs driver (v1 hierarchies and the unified one alike).
        Sample{"/docker/" + kId, ContainerRuntime::kDocker, "/docker/" + kId, ""},
        // Docker, systemd driver.
        Sample{"/system.slice/docker-" + kId + ".scope", ContainerRuntime::kDocker,
               "/system.slice/docker-" + kId + ".scope", ""},
        // containerd CRI under the kubelet's systemd slices.
        Sample{
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/"
            "cri-containerd-" +
                kId + ".scope",
            ContainerRuntime::kContainerd,
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/"
            "cri-containerd-" +
                kId + ".scope",
            "8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"},
        // Guaranteed QoS pods sit directly under kubepods.slice.
        Sample{
            "/kubepods.slice/kubepods-pod8a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/cri-containerd-" + kId + ".scope",
            ContainerRuntime::kContainerd,
            "/kubepods.slice/kubepods-pod8a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/cri-containerd-" + kId + ".scope",
            "8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"},
        // kubelet with cgroupfs: the runtime is not in the path.
        Sample{"/kubepods/besteffort/pod8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d/" + kId, ContainerRuntime::kCri,
               "/kubepods/besteffort/pod8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d/" + kId,
               "8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"},
        Sample{"/kubepods/pod8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d/" + kId, ContainerRuntime::kCri,
               "/kubepods/pod8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d/" + kId, "8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"},
        // CRI-O, systemd and cgroupfs.
        Sample{"/kubepods.slice/kubepods-besteffort.slice/"
               "kubepods-besteffort-pod8a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/"
               "crio-" +
                   kId + ".scope",
               ContainerRuntime::kCrio,
               "/kubepods.slice/kubepods-besteffort.slice/"
               "kubepods-besteffort-pod8a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/"
               "crio-" +
                   kId + ".scope",
               "8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"},
        Sample{"/kubepods/burstable/pod8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d/crio-" + kId, ContainerRuntime::kCrio,
               "/kubepods/burstable/pod8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d/crio-" + kId,
               "8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"},
        // podman, systemd (rootful) and cgroupfs.
        Sample{"/machine.slice/libpod-" + kId + ".scope", ContainerRuntime::kPodman,
               "/machine.slice/libpod-" + kId + ".scope", ""},
        Sample{"/libpod_parent/libpod-" + kId, ContainerRuntime::kPodman, "/libpod_parent/libpod-" + kId, ""},
        // A process in a cgroup nested below the container's own.
        Sample{"/docker/" + kId + "/init", ContainerRuntime::kDocker, "/docker/" + kId, ""},
        // Docker in Docker: the outer container is the one the host made.
        Sample{"/docker/" + kId + "/docker/" + kId2, ContainerRuntime::kDocker, "/docker/" + kId, ""},
        // A privileged container posing as another inside its own cgroup.
        Sample{"/system.slice/docker-" + kId + ".scope/docker-" + kId2 + ".scope", ContainerRuntime::kDocker,
               "/system.slice/docker-" + kId + ".scope", ""}));

TEST(CgroupPathParser, HostAndRuntimeHelperCgroupsAreNotContainers) {
  for (const std::string& path : std::vector<std::string>{
           "/", "", "/system.slice/docker.service", "/system.slice/containerd.service", "/user.slice/user-1000.slice",
           "/docker", "/kubepods/burstable", "/machine.slice/libpod-conmon-" + kId + ".scope",
           "/kubepods.slice/crio-conmon-" + kId + ".scope", "/system.slice/docker-" + kId.substr(0, 12) + ".scope",
           "/docker/" + kId.substr(0, 63), "/docker/" + kId + "0", "/docker/" + std::string(64, 'G'), "/other/" + kId,
           "/system.slice/docker-" + kId + ".service"}) {
    EXPECT_FALSE(parse_container_cgroup(path)) << path;
  }
}

TEST(CgroupPathParser, UppercaseIdsAreRejected) {
  std::string upper = kId;
  upper[0] = 'F';
  EXPECT_FALSE(parse_container_cgroup("/docker/" + upper));
}

TEST(CgroupPathParser, RuntimeNames) {
  EXPECT_EQ(to_string(ContainerRuntime::kDocker), "docker");
  EXPECT_EQ(to_string(ContainerRuntime::kCrio), "cri-o");
  EXPECT_EQ(to_string(ContainerRuntime::kUnmanaged), "unmanaged");
}

}  // namespace
}  // namespace privsentry
