// privsentry audit and doctor, the real binary, real engine, real kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "e2e/support/e2e_support.hpp"

namespace privsentry::e2e {
namespace {

using nlohmann::json;

class AuditE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    ASSERT_EQ(docker({"version"}).exit_code, 0) << "the test Docker engine does not answer at " << docker_host();
    // The audit judges every container on the host: start from none.
    const auto ids = docker({"ps", "-aq"});
    std::istringstream lines(ids.out);
    for (std::string id; std::getline(lines, id);) {
      docker({"rm", "-f", id});
    }
  }

  CommandResult audit(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{PRIVSENTRY_BINARY, "audit"};
    if (std::find(extra.begin(), extra.end(), "--docker-host") == extra.end()) {
      argv.insert(argv.end(), {"--docker-host", docker_host()});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
  }

  std::string run(const std::string& name, std::vector<std::string> options) {
    std::vector<std::string> args{"run", "-d", "--name", cleanup_.track(name)};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(test_image());
    args.insert(args.end(), {"sleep", "60"});
    return docker_ok(args);
  }

  ContainerCleanup cleanup_;
};

TEST_F(AuditE2E, CleanHostExitsZero) {
  const auto id = run(unique_name("audit-plain"), {});
  const auto result = audit({"--format", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto doc = json::parse(result.out);
  EXPECT_EQ(doc["kind"], "audit");
  EXPECT_EQ(doc["complete"], true);
  EXPECT_TRUE(doc["findings"].empty());
  bool listed = false;
  for (const auto& c : doc["containers"]) {
    listed = listed || (c["container"]["id"] == id && c["posture"]["verdict"] == "clean");
  }
  EXPECT_TRUE(listed) << result.out;
}

TEST_F(AuditE2E, PrivilegedContainerExitsOneAndTableNamesIt) {
  const auto name = unique_name("audit-priv");
  const auto id = run(name, {"--privileged"});
  const auto json_result = audit({"--format", "json"});
  EXPECT_EQ(json_result.exit_code, 1) << json_result.err;
  std::set<std::string> rules;
  const auto doc = json::parse(json_result.out);
  for (const auto& f : doc["findings"]) {
    if (f["container"]["id"] == id) {
      rules.insert(f["rule"].get<std::string>());
    }
  }
  EXPECT_EQ(rules, (std::set<std::string>{"privileged-container", "full-capability-set", "unrestricted-devices"}));

  const auto table = audit();
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.out.find(id.substr(0, 12)), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(name.substr(0, 19)), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("privileged-container"), std::string::npos);
}

TEST_F(AuditE2E, UnreachableEngineMakesTheAuditIncomplete) {
  run(unique_name("audit-nodocker"), {});
  const auto result = audit({"--docker-host", "unix:///run/privsentry-e2e/nothing-here.sock"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.out.find("warning: Docker could not be asked"), std::string::npos) << result.out;
}

TEST_F(AuditE2E, BadArgumentsExitTwo) {
  EXPECT_EQ(audit({"--format", "xml"}).exit_code, 2);
  EXPECT_EQ(audit({"--docker-host", "tcp://127.0.0.1:2375"}).exit_code, 2);
}

TEST(WithoutRootE2E, RunSaysWhatItNeedsAndExitsTwo) {
  PRIVSENTRY_E2E_REQUIRE();
  // The real binary as nobody: the BPF load must fail with a reason, not crash.
  const auto result = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                   "--bounding-set=-all", PRIVSENTRY_BINARY, "run", "--no-docker"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("needs root"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(DoctorE2E, ReportsProbesAndTheLiveTier) {
  PRIVSENTRY_E2E_REQUIRE();
  const auto result = run_command({PRIVSENTRY_BINARY, "doctor", "--docker-host", docker_host()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("live capability tier"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("kernel BTF"), std::string::npos);
  EXPECT_NE(result.out.find("cgroup, exec, fork and exit probes: load and attach"), std::string::npos);
  EXPECT_NE(result.out.find("[ok]   Docker Engine API"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace privsentry::e2e
