#include "state/host_facts.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace privsentry {
namespace {

// A /proc with what read_host_facts reads; namespace files are plain files
// here, and their inode numbers stand for the namespaces'.
class FakeProc {
 public:
  FakeProc() : root_(std::filesystem::temp_directory_path() / ("privsentry-proc-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(root_);
    write("sys/kernel/cap_last_cap", "40\n");
    write("1/status",
          "Name:\tinit\nUid:\t0\t0\t0\t0\nCapInh:\t0\nCapPrm:\t1ffffffffff\nCapEff:\t1ffffffffff\n"
          "CapBnd:\t1ffffffffff\nCapAmb:\t0\n");
    write("self/ns/mnt", "");
    write("self/ns/pid", "");
  }
  ~FakeProc() { std::filesystem::remove_all(root_); }

  void write(const std::string& path, const std::string& text) const {
    std::filesystem::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text;
  }
  [[nodiscard]] std::uint32_t inode(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(::stat((root_ / path).c_str(), &st), 0) << path;
    return static_cast<std::uint32_t>(st.st_ino);
  }
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

TEST(HostFactsTest, PidOnesNamespacesWhenReadable) {
  FakeProc proc;
  proc.write("1/ns/mnt", "");
  proc.write("1/ns/pid", "");
  auto facts = read_host_facts(proc.root(), "node");
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->mntns, proc.inode("1/ns/mnt"));
  EXPECT_EQ(facts->namespaces_from, "pid 1");
}

// In a pod with the host's pid namespace and its own mount namespace, an
// unreadable pid 1 must not make the pod's mount namespace the "host's":
// every host process would then look like a container's.
TEST(HostFactsTest, KthreaddStandsInForAnUnreadablePidOneNotTheSensorItself) {
  FakeProc proc;
  proc.write("2/comm", "kthreadd\n");
  proc.write("2/ns/mnt", "");
  proc.write("2/ns/pid", "");
  auto facts = read_host_facts(proc.root(), "node");
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->mntns, proc.inode("2/ns/mnt"));
  EXPECT_EQ(facts->pidns, proc.inode("2/ns/pid"));
  EXPECT_NE(facts->mntns, proc.inode("self/ns/mnt"));
  EXPECT_EQ(facts->namespaces_from.rfind("kthreadd", 0), 0U) << facts->namespaces_from;
}

TEST(HostFactsTest, TheSensorsOwnOnlyWhenNeitherIsReadable) {
  FakeProc proc;
  proc.write("2/comm", "not-kthreadd\n");
  proc.write("2/ns/mnt", "");
  proc.write("2/ns/pid", "");
  auto facts = read_host_facts(proc.root(), "node");
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->mntns, proc.inode("self/ns/mnt"));
  EXPECT_EQ(facts->namespaces_from.rfind("the sensor's own", 0), 0U) << facts->namespaces_from;
}

}  // namespace
}  // namespace privsentry
