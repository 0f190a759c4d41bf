// podman, rootful, on this host: its Docker-compatible API socket (podman
// system service) answered like Docker's with --engine podman, and its
// bundles in containers/storage read with the API off. Its own storage and
// socket under the test environment's directories, so nothing of the host's
// podman is touched.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "e2e/support/e2e_support.hpp"

namespace privsentry::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kRoot = "/var/lib/privsentry-e2e/podman";
const std::string kRunRoot = "/run/privsentry-e2e/podman";
const std::string kSocket = "/run/privsentry-e2e/podman.sock";
const std::string kStorage = kRoot + "/overlay-containers";
const std::string kImage = "localhost/" + test_image();
const std::string kRunWrapper = "/var/lib/privsentry-e2e/runc-bounded";

// podman as these tests run it: cgroupfs and file events (no systemd here).
std::vector<std::string> podman_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"podman",   "--root",           kRoot, "--runroot", kRunRoot, "--cgroup-manager",
                                "cgroupfs", "--events-backend", "file"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

CommandResult podman(const std::vector<std::string>& args) { return run_command(podman_argv(args)); }

class PodmanE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (missing_root_or_bpf() || run_command({"podman", "--version"}).exit_code != 0) {
      return;  // SetUp says why
    }
    if (podman({"image", "exists", kImage}).exit_code != 0) {
      const auto tar = std::filesystem::temp_directory_path() / (unique_name("podman-image") + ".tar");
      docker_ok({"save", "-o", tar.string(), test_image()});
      podman({"load", "-i", tar.string()});
      std::filesystem::remove(tar);
    }
    std::filesystem::remove(kSocket);
    service_ = new Subprocess(podman_argv({"system", "service", "--time=0", "unix://" + kSocket}));
    for (int i = 0; i < 100 && !std::filesystem::exists(kSocket); ++i) {
      std::this_thread::sleep_for(100ms);
    }
  }
  static void TearDownTestSuite() {
    if (service_ != nullptr) {
      service_->signal(SIGTERM);
      service_->wait(10s);
      delete service_;
      service_ = nullptr;
    }
  }

  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    ASSERT_EQ(run_command({"podman", "--version"}).exit_code, 0) << "podman is not installed (scripts/setup.sh)";
    ASSERT_EQ(podman({"image", "exists", kImage}).exit_code, 0) << "the test image is not in podman's store";
    ASSERT_TRUE(std::filesystem::exists(kSocket)) << "podman system service did not start";
  }
  void TearDown() override {
    for (const auto& name : names_) {
      podman({"rm", "-f", "-t", "0", name});
    }
  }

  // podman run -d: limits within this host's own (podman asks for more than
  // a process without CAP_SYS_RESOURCE may set), and for --privileged the
  // runtime wrapper that drops what the host cannot grant.
  std::string run(const std::string& name, const std::vector<std::string>& options) {
    std::vector<std::string> args{"run",      "-d",
                                  "--name",   names_.emplace_back(name),
                                  "--ulimit", "nofile=1024:1024",
                                  "--ulimit", "nproc=1024:1024"};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {kImage, "sleep", "60"});
    if (std::find(options.begin(), options.end(), "--privileged") != options.end()) {
      args.insert(args.begin(), {"--runtime", kRunWrapper});
    }
    const auto started = podman(args);
    EXPECT_EQ(started.exit_code, 0) << started.err;
    auto id = started.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) {
      id.pop_back();
    }
    return id;
  }

  static inline Subprocess* service_ = nullptr;
  std::vector<std::string> names_;
};

TEST_F(PodmanE2E, ItsDockerCompatibleApiDeclaresPrivilegeLikeDockers) {
  SensorProcess sensor({"--docker-host", "unix://" + kSocket, "--engine", "podman", "--containers-storage", kStorage});
  const auto connected =
      sensor.wait_for([](const json& r) { return r["kind"] == "docker-state" && r["docker"]["state"] == "connected"; });
  ASSERT_TRUE(connected) << sensor.log();
  const auto privileged_name = unique_name("pmpriv");
  const auto privileged = run(privileged_name, {"--privileged"});
  std::vector<std::string> all_caps;
  for (const auto& name : own_bounding_set().names()) {
    all_caps.insert(all_caps.end(), {"--cap-add", name});
  }
  const auto capall = run(unique_name("pmcaps"), all_caps);
  const auto plain = run(unique_name("pmplain"), {});
  ASSERT_EQ(privileged.size(), 64U);

  const auto declared = sensor.wait_for_finding(privileged, "privileged-container");
  ASSERT_TRUE(declared) << sensor.log();
  EXPECT_EQ((*declared)["container"]["runtime"], "podman");
  EXPECT_EQ((*declared)["container"]["name"], privileged_name);
  EXPECT_EQ((*declared)["evidence"]["docker"]["privileged"], true);
  EXPECT_EQ((*declared)["evidence"]["oci"]["engine"], "podman");
  EXPECT_EQ((*declared)["evidence"]["oci"]["privileged"], true);
  EXPECT_NE((*declared)["summary"].get<std::string>().find("podman declares container " + privileged_name),
            std::string::npos)
      << (*declared)["summary"];
  ASSERT_TRUE(sensor.wait_for_finding(privileged, "full-capability-set")) << sensor.log();
  ASSERT_TRUE(sensor.wait_for_finding(privileged, "unrestricted-devices")) << sensor.log();

  const auto undeclared = sensor.wait_for_finding(capall, "undeclared-privilege");
  ASSERT_TRUE(undeclared) << sensor.log();
  EXPECT_NE((*undeclared)["summary"].get<std::string>().find("podman"), std::string::npos) << (*undeclared)["summary"];
  EXPECT_EQ((*undeclared)["evidence"]["docker"]["privileged"], false);

  const auto start =
      sensor.wait_for([&](const json& r) { return r["kind"] == "container-start" && r["container"]["id"] == plain; });
  ASSERT_TRUE(start) << sensor.log();
  EXPECT_EQ((*start)["posture"]["verdict"], "clean");
  EXPECT_EQ((*start)["posture"]["docker"]["status"], "known");
}

TEST_F(PodmanE2E, WithoutItsApiTheBundleDeclaresIt) {
  const auto privileged_name = unique_name("pmbundle");
  const auto privileged = run(privileged_name, {"--privileged"});
  const auto audit =
      run_command({PRIVSENTRY_BINARY, "audit", "--format", "json", "--no-docker", "--containers-storage", kStorage});
  const auto doc = json::parse(audit.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << audit.out << audit.err;
  std::set<std::string> rules;
  for (const auto& f : doc["findings"]) {
    if (f["container"]["id"] == privileged) {
      rules.insert(f["rule"].get<std::string>());
      EXPECT_EQ(f["container"]["runtime"], "podman");
      EXPECT_EQ(f["evidence"]["oci"]["config"], kStorage + "/" + privileged + "/userdata/config.json");
      if (f["rule"] == "privileged-container") {
        EXPECT_NE(f["summary"].get<std::string>().find("podman declares container"), std::string::npos);
      }
    }
  }
  EXPECT_EQ(rules, (std::set<std::string>{"privileged-container", "full-capability-set", "unrestricted-devices"}));
}

}  // namespace
}  // namespace privsentry::e2e
