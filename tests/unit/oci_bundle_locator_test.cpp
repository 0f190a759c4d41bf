#include "enrich/oci_bundle_locator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using test::fixture;

const CapabilitySet kHost = *parse_capability_hex("000001fffeffffff");
const std::string kCrioId = "8f14e45fceea167a5a36dedd4bea2543c9a3b1e0f7d2c4b6a8e0f1d3c5b7a9e1";

// A host in a temporary directory: containerd's task state, containers/
// storage and /proc, each holding what a test puts there.
class OciBundleLocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("privsentry-bundles-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "tasks");
    std::filesystem::create_directories(root_ / "storage");
    std::filesystem::create_directories(root_ / "proc");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void put(const std::filesystem::path& path, const std::string& text) const {
    std::filesystem::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text;
  }
  void process(std::uint32_t pid, const std::string& cgroup) const {
    put("proc/" + std::to_string(pid) + "/cgroup", "5:devices:" + cgroup + "\n0::" + cgroup + "\n");
  }
  OciBundleLocator locator() const {
    return OciBundleLocator({{root_ / "tasks"}, {root_ / "storage"}}, kHost, root_ / "proc");
  }

  std::filesystem::path root_;
};

TEST_F(OciBundleLocatorTest, CtrContainerIsFoundByItsCgroupAndTheBundleMustDescribeIt) {
  put("tasks/privsentry-ctr/ctrpriv/config.json", fixture("oci/ctr_privileged.json"));
  process(42, "/privsentry-ctr/ctrpriv");
  ContainerRef unmanaged;
  unmanaged.id = "mntns-4026532174";
  auto found = locator().find(unmanaged, 42);
  ASSERT_TRUE(found && *found) << (found ? found->error().message : "not found");
  EXPECT_EQ((*found)->engine, "containerd");
  EXPECT_EQ((*found)->namespace_, "privsentry-ctr");
  EXPECT_EQ((*found)->id, "ctrpriv");
  EXPECT_TRUE((*found)->privileged);

  // A process in another cgroup that happens to end in the same name does
  // not get that bundle.
  process(43, "/elsewhere/ctrpriv");
  EXPECT_FALSE(locator().find(unmanaged, 43));
  // Nor does a cgroup name that climbs out of the state directory.
  process(44, "/../../etc");
  EXPECT_FALSE(locator().find(unmanaged, 44));
  EXPECT_FALSE(locator().find(unmanaged, 0));
}

TEST_F(OciBundleLocatorTest, CrioAndPodmanBundlesAreInContainersStorage) {
  put("storage/" + kCrioId + "/userdata/config.json", fixture("oci/crio_default.json"));
  process(50,
          "/kubepods.slice/kubepods-besteffort.slice/"
          "kubepods-besteffort-pod4c1b6f9e_2a7d_4d3b_8e5f_9a0c1d2e3f40.slice/crio-" +
              kCrioId + ".scope");
  ContainerRef crio;
  crio.runtime = ContainerRuntime::kCrio;
  crio.id = kCrioId;
  auto found = locator().find(crio, 50);
  ASSERT_TRUE(found && *found) << (found ? found->error().message : "not found");
  EXPECT_EQ((*found)->engine, "cri-o");
  EXPECT_EQ((*found)->kubernetes.pod_namespace, "shop");

  const std::string podman_id = "334b6ba1732f2d259efe10659beca832557c04d11c721e7c7903e75785105a9f";
  put("storage/" + podman_id + "/userdata/config.json", fixture("oci/podman_privileged.json"));
  process(51, "/libpod_parent/libpod-" + podman_id);
  ContainerRef podman;
  podman.runtime = ContainerRuntime::kPodman;
  podman.id = podman_id;
  found = locator().find(podman, 51);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->engine, "podman");
  EXPECT_TRUE((*found)->privileged);
}

TEST_F(OciBundleLocatorTest, AnUnreadableBundleIsAnErrorNotAbsence) {
  put("tasks/k8s.io/broken/config.json", "{\"ociVersion\": ");
  process(60, "/k8s.io/broken");
  ContainerRef unmanaged;
  const auto found = locator().find(unmanaged, 60);
  ASSERT_TRUE(found);
  ASSERT_FALSE(*found);
  EXPECT_NE(found->error().message.find("config.json"), std::string::npos);
}

TEST(CgroupsPath, CgroupfsPathsAreEqualAndSystemdOnesNameTheScope) {
  EXPECT_TRUE(cgroups_path_matches("/default/web", "/default/web"));
  EXPECT_FALSE(cgroups_path_matches("/default/web", "/default/web2"));
  EXPECT_TRUE(cgroups_path_matches("kubepods-besteffort-podx.slice:cri-containerd:abc",
                                   "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/"
                                   "cri-containerd-abc.scope"));
  EXPECT_FALSE(cgroups_path_matches("system.slice:crio:abc", "/system.slice/crio-abd.scope"));
  EXPECT_FALSE(cgroups_path_matches("", "/x"));
  EXPECT_FALSE(cgroups_path_matches("no-colons", "/no-colons"));
}

}  // namespace
}  // namespace privsentry
