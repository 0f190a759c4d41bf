// The deployment files, run here: the sensor in a container of the test
// engine with what deploy/kubernetes/daemonset.yaml grants (its capabilities,
// host pid namespace, read-only root and host mounts, no_new_privs), from the
// image deploy/container/build-image.sh makes. No Kubernetes runs here; the
// engine is what a kubelet would drive on a Docker node.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "e2e/support/e2e_support.hpp"
#include "privsentry/capability_set.hpp"

namespace privsentry::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

YAML::Node daemonset() {
  for (const auto& doc :
       YAML::LoadAllFromFile(std::string(PRIVSENTRY_SOURCE_DIR) + "/deploy/kubernetes/daemonset.yaml")) {
    if (doc["kind"].as<std::string>() == "DaemonSet") {
      return doc;
    }
  }
  return {};
}

TEST(DeployE2E, TheDaemonSetsGrantsRunTheSensorInAContainer) {
  PRIVSENTRY_E2E_REQUIRE();
  ASSERT_EQ(docker({"version"}).exit_code, 0) << "the test Docker engine does not answer (scripts/test-env.sh start)";
  const auto ds = daemonset();
  ASSERT_TRUE(ds) << "no DaemonSet in deploy/kubernetes/daemonset.yaml";
  const auto pod = ds["spec"]["template"]["spec"];
  const auto container = pod["containers"][0];
  const auto security = container["securityContext"];

  // Build the image the manifest names, from this build.
  const auto image = "privsentry-e2e/sensor:" + unique_name("img").substr(7);
  const auto built =
      run_command({std::string(PRIVSENTRY_SOURCE_DIR) + "/deploy/container/build-image.sh", PRIVSENTRY_BINARY, image},
                  {"DOCKER_HOST=" + docker_host()});
  ASSERT_EQ(built.exit_code, 0) << built.err;

  std::vector<std::string> args{"run", "-d"};
  ContainerCleanup cleanup;
  args.insert(args.end(), {"--name", cleanup.track(unique_name("sensor"))});
  if (pod["hostPID"].as<bool>()) {
    args.emplace_back("--pid=host");
  }
  if (security["readOnlyRootFilesystem"].as<bool>()) {
    args.emplace_back("--read-only");
  }
  if (!security["allowPrivilegeEscalation"].as<bool>()) {
    args.emplace_back("--security-opt=no-new-privileges");
  }
  ASSERT_FALSE(security["privileged"].as<bool>());
  ASSERT_EQ(security["capabilities"]["drop"][0].as<std::string>(), "ALL");
  args.emplace_back("--cap-drop=ALL");
  const auto host_bounding = own_bounding_set();
  for (const auto& cap : security["capabilities"]["add"]) {
    auto name = cap.as<std::string>();
    // Docker 20.10 cannot grant CAP_BPF or CAP_PERFMON; the kernel accepts
    // CAP_SYS_ADMIN in their place. What the host lacks cannot be granted.
    if (name == "BPF" || name == "PERFMON") {
      name = "SYS_ADMIN";
    }
    const auto number = capability_from_name(name);
    ASSERT_TRUE(number) << name;
    if (host_bounding.has(*number)) {
      args.emplace_back("--cap-add=" + name);
    }
  }
  // The manifest's host mounts; Docker's socket is the test engine's, the
  // state a directory of this test's.
  const auto state = std::filesystem::temp_directory_path() / unique_name("deploy-state");
  std::filesystem::create_directories(state);
  std::map<std::string, std::string> host_paths;
  for (const auto& volume : pod["volumes"]) {
    host_paths[volume["name"].as<std::string>()] = volume["hostPath"]["path"].as<std::string>();
  }
  host_paths["docker-socket"] = docker_host().substr(std::string("unix://").size());
  host_paths["state"] = state.string();
  for (const auto& mount : container["volumeMounts"]) {
    const auto read_only = mount["readOnly"] && mount["readOnly"].as<bool>();
    args.emplace_back("-v");
    args.emplace_back(host_paths.at(mount["name"].as<std::string>()) + ":" + mount["mountPath"].as<std::string>() +
                      (read_only ? ":ro" : ""));
  }
  args.push_back(image);
  for (const auto& arg : container["args"]) {
    auto text = arg.as<std::string>();
    if (const auto at = text.find("$(NODE_NAME)"); at != std::string::npos) {
      text.replace(at, 12, "e2e-node");
    }
    args.push_back(text);
  }
  const auto sensor_id = docker_ok(args);
  ASSERT_EQ(sensor_id.size(), 64U);
  Subprocess logs({"/usr/bin/docker", "logs", "-f", sensor_id}, {"DOCKER_HOST=" + docker_host()});
  const auto wait_line = [&](const std::function<bool(const json&)>& match, std::chrono::seconds timeout) {
    std::optional<json> found;
    logs.wait_for_line(
        [&](const std::string& line) {
          const auto record = json::parse(line, nullptr, false);
          if (record.is_object() && match(record)) {
            found = record;
            return true;
          }
          return false;
        },
        timeout);
    return found;
  };
  const auto start = wait_line([](const json& r) { return r["kind"] == "sensor-start"; }, 30s);
  ASSERT_TRUE(start) << "the sensor did not start in its container:\n" << docker({"logs", sensor_id}).err;
  EXPECT_EQ((*start)["host"], "e2e-node");
  EXPECT_NE((*start)["capability_tier"], "none");
  EXPECT_EQ((*start)["privileges"]["capabilities"], json::array());
  EXPECT_EQ((*start)["privileges"]["device_helper"]["capabilities"], json::array({"CAP_NET_ADMIN", "CAP_SYS_ADMIN"}))
      << (*start)["privileges"].dump();
  EXPECT_TRUE((*start)["delivered_findings"].contains("path")) << (*start)["delivered_findings"].dump();

  const auto privileged = run_container(cleanup, unique_name("deploy-priv"), {"--privileged"}, {"sleep", "60"});
  const auto finding = wait_line(
      [&](const json& r) {
        return r["kind"] == "finding" && r["rule"] == "privileged-container" && r["container"]["id"] == privileged;
      },
      30s);
  ASSERT_TRUE(finding) << docker({"logs", sensor_id}).err;
  EXPECT_EQ((*finding)["evidence"]["devices"]["state"], "unrestricted");
  EXPECT_EQ((*finding)["evidence"]["capabilities"]["full"], true);
  // The sensor's own container is not privileged.
  EXPECT_EQ(docker_ok({"inspect", "--format", "{{.HostConfig.Privileged}}", sensor_id}), "false");
  EXPECT_TRUE(std::filesystem::exists(state / "delivered-findings"));
  docker({"rm", "-f", sensor_id});
  docker({"rmi", image});
  std::filesystem::remove_all(state);
}

}  // namespace
}  // namespace privsentry::e2e
