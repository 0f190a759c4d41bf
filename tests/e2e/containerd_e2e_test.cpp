// containerd without Docker: containers made with `ctr` on the containerd
// that the test engine runs (its own namespace, so the engine never sees
// them), judged from their OCI bundles exactly as Docker's are from
// HostConfig, by `privsentry run` and `privsentry audit`.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <sstream>

#include "e2e/support/e2e_support.hpp"

namespace privsentry::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kRun = "/run/privsentry-e2e";
const std::string kAddress = kRun + "/exec/containerd/containerd.sock";
const std::string kState = kRun + "/exec/containerd/daemon/io.containerd.runtime.v2.task";
const std::string kNamespace = "privsentry-ctr";
const std::string kImage = "docker.io/" + test_image();

CommandResult ctr(std::vector<std::string> args) {
  args.insert(args.begin(), {"ctr", "--address", kAddress, "--namespace", kNamespace});
  return run_command(args);
}

// Removes the ctr containers a test made, task first.
class CtrCleanup {
 public:
  ~CtrCleanup() {
    for (const auto& id : ids_) {
      ctr({"task", "kill", "--signal", "SIGKILL", id});
      for (int i = 0; i < 20 && ctr({"task", "delete", id}).exit_code != 0; ++i) {
        std::this_thread::sleep_for(100ms);
      }
      ctr({"container", "delete", id});
    }
  }
  const std::string& track(const std::string& id) { return ids_.emplace_back(id); }

 private:
  std::vector<std::string> ids_;
};

class ContainerdE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    ASSERT_EQ(docker({"version"}).exit_code, 0) << "the test Docker engine does not answer (scripts/test-env.sh start)";
    ASSERT_TRUE(std::filesystem::exists(kAddress)) << "no containerd socket at " << kAddress;
    // The test image, from the engine into containerd's own image store.
    if (ctr({"images", "ls", "-q"}).out.find(kImage) == std::string::npos) {
      const auto tar = std::filesystem::temp_directory_path() / (unique_name("ctr-image") + ".tar");
      docker_ok({"save", "-o", tar.string(), test_image()});
      const auto imported = ctr({"images", "import", tar.string()});
      std::filesystem::remove(tar);
      ASSERT_EQ(imported.exit_code, 0) << imported.err;
    }
  }

  // ctr run -d: the runtime wrapper that scripts/test-env.sh installs takes
  // out the capabilities this host cannot grant, as for Docker.
  std::string run(const std::string& id, std::vector<std::string> options) {
    std::vector<std::string> args{"run", "-d", "--runc-binary", kRunWrapper};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {kImage, cleanup_.track(id), "sleep", "60"});
    const auto started = ctr(args);
    EXPECT_EQ(started.exit_code, 0) << started.err;
    return id;
  }

  static std::set<std::string> audit_rules(const std::string& id) {
    const auto audit =
        run_command({PRIVSENTRY_BINARY, "audit", "--format", "json", "--no-docker", "--containerd-state", kState});
    const auto doc = json::parse(audit.out, nullptr, false);
    EXPECT_TRUE(doc.is_object()) << audit.out << audit.err;
    std::set<std::string> rules;
    for (const auto& f : doc.value("findings", json::array())) {
      if (f["container"]["id"] == id) {
        EXPECT_EQ(f["container"]["runtime"], "containerd");
        rules.insert(f["rule"].get<std::string>());
      }
    }
    return rules;
  }

  static inline const std::string kRunWrapper = "/var/lib/privsentry-e2e/runc-bounded";
  CtrCleanup cleanup_;
};

TEST_F(ContainerdE2E, CtrPrivilegedIsDeclaredPrivilegedAndPlainIsClean) {
  SensorProcess sensor({"--containerd-state", kState});
  ASSERT_TRUE(sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; })) << sensor.log();
  const auto privileged = run(unique_name("ctrpriv"), {"--privileged"});
  const auto plain = run(unique_name("ctrplain"), {});

  const auto found = sensor.wait_for_finding(privileged, "privileged-container");
  ASSERT_TRUE(found) << sensor.log();
  EXPECT_EQ((*found)["container"]["runtime"], "containerd");
  EXPECT_EQ((*found)["container"]["cgroup"], "/" + kNamespace + "/" + privileged);
  EXPECT_NE((*found)["summary"].get<std::string>().find("containerd declares container " + privileged + " privileged"),
            std::string::npos);
  const auto& oci = (*found)["evidence"]["oci"];
  EXPECT_EQ(oci["engine"], "containerd");
  EXPECT_EQ(oci["namespace"], kNamespace);
  EXPECT_EQ(oci["privileged"], true);
  EXPECT_EQ(oci["all_devices_allowed"], true);
  EXPECT_TRUE(oci["masked_paths"].empty());
  EXPECT_EQ(oci["config"], kState + "/" + kNamespace + "/" + privileged + "/config.json");
  ASSERT_TRUE(sensor.wait_for_finding(privileged, "full-capability-set")) << sensor.log();
  ASSERT_TRUE(sensor.wait_for_finding(privileged, "unrestricted-devices")) << sensor.log();

  const auto start =
      sensor.wait_for([&](const json& r) { return r["kind"] == "container-start" && r["container"]["id"] == plain; });
  ASSERT_TRUE(start) << sensor.log();
  EXPECT_EQ((*start)["posture"]["verdict"], "clean");
  EXPECT_EQ((*start)["posture"]["engine"]["name"], "containerd");
  EXPECT_EQ((*start)["posture"]["engine"]["privileged"], false);
  EXPECT_EQ((*start)["posture"]["devices"]["state"], "restricted");

  EXPECT_EQ(audit_rules(privileged),
            (std::set<std::string>{"privileged-container", "full-capability-set", "unrestricted-devices"}));
  EXPECT_TRUE(audit_rules(plain).empty());
  EXPECT_EQ(sensor.stop(), 0);
  // Declared, so never undeclared; and the plain one raised nothing.
  for (const auto& record : sensor.records()) {
    if (record["kind"] != "finding") {
      continue;
    }
    EXPECT_NE(record["container"]["id"], plain) << record;
    EXPECT_FALSE(record["container"]["id"] == privileged && record["rule"] == "undeclared-privilege") << record;
  }
}

TEST_F(ContainerdE2E, EveryCapabilityWithoutPrivilegedIsUndeclaredAndCarriesKubernetesNames) {
  // What a CRI plugin writes: the pod's names as annotations.
  std::vector<std::string> options{"--annotation", "io.kubernetes.cri.sandbox-namespace=payments",
                                   "--annotation", "io.kubernetes.cri.sandbox-name=api-7d9f",
                                   "--annotation", "io.kubernetes.cri.sandbox-uid=0b7e5a1c-3f2d-4e8a-9c6b-2d1e0f4a5b6c",
                                   "--annotation", "io.kubernetes.cri.container-name=api"};
  for (const auto& name : own_bounding_set().names()) {
    options.insert(options.end(), {"--cap-add", name});
  }
  const auto record = std::filesystem::temp_directory_path() / (unique_name("ctr-record") + ".psr");
  SensorProcess sensor({"--containerd-state", kState, "--record", record.string()});
  ASSERT_TRUE(sensor.wait_for([](const json& r) { return r["kind"] == "sensor-start"; })) << sensor.log();
  const auto id = run(unique_name("ctrcaps"), options);
  const auto undeclared = sensor.wait_for_finding(id, "undeclared-privilege");
  ASSERT_TRUE(undeclared) << sensor.log();
  EXPECT_NE((*undeclared)["summary"].get<std::string>().find("containerd does not declare it privileged"),
            std::string::npos)
      << (*undeclared)["summary"];
  EXPECT_EQ((*undeclared)["evidence"]["oci"]["privileged"], false);
  EXPECT_FALSE((*undeclared)["evidence"]["oci"]["masked_paths"].empty());
  const auto& kubernetes = (*undeclared)["container"]["kubernetes"];
  EXPECT_EQ(kubernetes["namespace"], "payments");
  EXPECT_EQ(kubernetes["pod"], "api-7d9f");
  EXPECT_EQ(kubernetes["container"], "api");
  EXPECT_EQ(kubernetes["pod_uid"], "0b7e5a1c-3f2d-4e8a-9c6b-2d1e0f4a5b6c");
  EXPECT_EQ((*undeclared)["container"]["name"], "api");
  EXPECT_EQ((*undeclared)["container"]["pod_uid"], "0b7e5a1c-3f2d-4e8a-9c6b-2d1e0f4a5b6c");
  ASSERT_TRUE(sensor.wait_for_finding(id, "full-capability-set")) << sensor.log();
  EXPECT_EQ(audit_rules(id), (std::set<std::string>{"full-capability-set", "undeclared-privilege"}));

  // The recording keeps the bundle's answer: replayed without containerd,
  // the findings are the live ones, Kubernetes names and all.
  EXPECT_EQ(sensor.stop(), 0);
  std::vector<json> live;
  for (const auto& r : sensor.records()) {
    if (r["kind"] == "finding" && r["container"]["id"] == id) {
      live.push_back(r);
    }
  }
  const auto replay = run_command({PRIVSENTRY_BINARY, "replay", record.string()});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  std::vector<json> replayed;
  std::istringstream lines(replay.out);
  for (std::string line; std::getline(lines, line);) {
    const auto r = json::parse(line, nullptr, false);
    if (r.is_object() && r["kind"] == "finding" && r["container"]["id"] == id) {
      replayed.push_back(r);
    }
  }
  ASSERT_FALSE(live.empty());
  ASSERT_EQ(replayed.size(), live.size()) << replay.out;
  for (std::size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(replayed[i]["id"], live[i]["id"]);
    EXPECT_EQ(replayed[i]["container"], live[i]["container"]);
    EXPECT_EQ(replayed[i]["evidence"]["oci"], live[i]["evidence"]["oci"]);
  }
  std::filesystem::remove(record);
}

}  // namespace
}  // namespace privsentry::e2e
