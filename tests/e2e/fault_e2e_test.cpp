// Faults, against the real kernel and the real Docker Engine: the engine
// killed and restarted, an engine socket that answers badly, the sensor
// killed and restarted, containers that live for milliseconds, 200 at once,
// and a ring buffer that overflows.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/support/e2e_support.hpp"
#include "e2e/support/hostile_docker_engine.hpp"

namespace privsentry::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A /proc/<pid>/status value in kB ("VmHWM"), -1 if absent.
long status_kib(pid_t pid, const std::string& key) {
  const auto fields = proc_status("/proc/" + std::to_string(pid) + "/status");
  const auto it = fields.find(key);
  return it == fields.end() || it->second.empty() ? -1 : std::stol(it->second);
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

// Peak RSS in kB, at most limit_kib. AddressSanitizer's shadow memory and
// quarantine make RSS meaningless, so a sanitized build checks the rest and
// says so; the plain build (the one CI runs first) checks the bound.
void expect_peak_rss_below(pid_t pid, long limit_kib, const std::string& what) {
  const long peak = status_kib(pid, "VmHWM");
  EXPECT_GT(peak, 0);
#ifdef PRIVSENTRY_SANITIZED
  std::cout << "  peak RSS " << peak << " kB " << what << " (not checked: sanitized build)\n";
  (void)limit_kib;
#else
  EXPECT_LT(peak, limit_kib) << "peak RSS " << peak << " kB " << what;
#endif
}

// A line of the sensor's log that holds both texts, within the timeout.
bool log_line_within(const SensorProcess& sensor, const std::string& first, const std::string& second,
                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::istringstream log(sensor.log());
    std::string line;
    while (std::getline(log, line)) {
      if (line.find(first) != std::string::npos && line.find(second) != std::string::npos) {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

std::string test_env() { return std::string(PRIVSENTRY_SOURCE_DIR) + "/scripts/test-env.sh"; }

class FaultE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIVSENTRY_E2E_REQUIRE();
    ASSERT_EQ(docker({"version"}).exit_code, 0) << "the test Docker engine does not answer (scripts/test-env.sh start)";
  }

  std::string run(const std::string& name, const std::vector<std::string>& options,
                  const std::vector<std::string>& command) {
    return run_container(cleanup_, name, options, command);
  }

  ContainerCleanup cleanup_;
};

// ---------------------------------------------------------------------------
// dockerd killed with SIGKILL and started again while the sensor runs.

class EngineRestarter {
 public:
  // Whatever the test does, the engine answers again for the next one.
  ~EngineRestarter() {
    if (docker({"version"}).exit_code != 0) {
      run_command({test_env(), "start"});
    }
  }
};

TEST_F(FaultE2E, DockerdKilledAndRestartedKernelFindingsGoOnAndCrossChecksResume) {
  EngineRestarter restarter;
  SensorProcess sensor;
  ASSERT_TRUE(sensor.wait_for([](const json& r) {
    return r["kind"] == "docker-state" && r["docker"]["state"] == "connected";
  })) << sensor.log();

  std::ifstream pid_file("/run/privsentry-e2e/dockerd.pid");
  pid_t dockerd = 0;
  pid_file >> dockerd;
  ASSERT_GT(dockerd, 0) << "no /run/privsentry-e2e/dockerd.pid";
  ASSERT_EQ(::kill(dockerd, SIGKILL), 0);
  ASSERT_TRUE(sensor.wait_for(
      [](const json& r) { return r["kind"] == "docker-state" && r["docker"]["state"] == "unavailable"; }, 20s))
      << sensor.log();

  // The engine is gone; the kernel is not. A container made by hand during
  // the outage is judged on kernel evidence.
  Subprocess unshared({"unshare", "--pid", "--mount", "--fork", "--kill-child", "--mount-proc", "sh", "-c",
                       "hostname >/dev/null; exec sleep 60"});
  const auto during = sensor.wait_for([](const json& r) {
    return r["kind"] == "finding" && r["rule"] == "full-capability-set" && r["container"]["runtime"] == "unmanaged";
  });
  ASSERT_TRUE(during) << "no kernel finding while Docker was down\n" << sensor.log();
  unshared.signal(SIGKILL);
  unshared.wait(5s);

  const auto restarted = run_command({test_env(), "start"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
  // Started at once, before the sensor's reconnection (its backoff is at
  // least a quarter of a second): cross-checked when it does reconnect.
  const auto id = run(unique_name("after-restart"), {"--privileged"}, {"sleep", "60"});
  const auto privileged = sensor.wait_for_finding(id, "privileged-container", 60s);
  ASSERT_TRUE(privileged) << sensor.log();
  EXPECT_EQ((*privileged)["evidence"]["docker"]["status"], "known");
  EXPECT_EQ((*privileged)["evidence"]["docker"]["privileged"], true);
  EXPECT_FALSE(rules_of(sensor.findings_for(id)).contains("undeclared-privilege"))
      << "a container Docker declares privileged is not undeclared, even if seen during the outage";
  ASSERT_TRUE(sensor.wait_for(
      [](const json& r) { return r["kind"] == "docker-state" && r["docker"]["state"] == "connected"; }, 1s));
  EXPECT_TRUE(alive(sensor.pid()));
}

// ---------------------------------------------------------------------------
// An engine socket that stalls, truncates, floods or nests.

TEST_F(FaultE2E, AnEngineThatAnswersBadlyCostsBoundedTimeAndMemoryAndALogLine) {
  HostileDockerEngine engine("/run/privsentry-e2e/" + unique_name("hostile") + ".sock");
  SensorProcess sensor({"--docker-host", engine.uri()});
  ASSERT_TRUE(sensor.wait_for([](const json& r) {
    return r["kind"] == "docker-state" && r["docker"]["state"] == "connected";
  })) << sensor.log();

  struct Case {
    HostileDockerEngine::Inspect mode;
    std::string name;
    std::string log_says;
  };
  const std::vector<Case> cases{
      {HostileDockerEngine::Inspect::kStall, "stall", "Timeout was reached"},
      {HostileDockerEngine::Inspect::kTruncated, "truncated", "Transferred a partial file"},
      {HostileDockerEngine::Inspect::kHuge, "huge", "answer larger than 16777216 bytes"},
      {HostileDockerEngine::Inspect::kDeep, "deep", "JSON nests deeper than"},
      {HostileDockerEngine::Inspect::kNotJson, "notjson", "not valid JSON"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    engine.set_inspect(c.mode);
    const auto started = std::chrono::steady_clock::now();
    const auto id = run(unique_name("hostile-" + c.name), {"--privileged"}, {"sleep", "60"});
    // Kernel evidence goes out once the engine has had its grace period and
    // a timeout, with the engine's status saying it could not be asked.
    const auto full = sensor.wait_for_finding(id, "full-capability-set", 20s);
    ASSERT_TRUE(full) << sensor.log();
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_LT(waited, 10s) << "bounded by the grace period and the request timeout";
    EXPECT_EQ((*full)["evidence"]["docker"]["status"], "unavailable");
    EXPECT_FALSE(rules_of(sensor.findings_for(id)).contains("undeclared-privilege"))
        << "an engine that cannot be understood does not make a container undeclared";
    // The request's own timeout (3 s) bounds the wait for the log line.
    EXPECT_TRUE(log_line_within(sensor, id.substr(0, 12), c.log_says, 8s)) << sensor.log();
    EXPECT_TRUE(alive(sensor.pid()));
  }
  // One inspect answer is cut at 16 MiB: the sensor's memory stays small.
  EXPECT_LT(engine.huge_bytes_sent(), 64ULL << 20U);
  expect_peak_rss_below(sensor.pid(), 96 * 1024, "after the hostile answers");
  // The log never carries the engine's escape sequences raw.
  EXPECT_EQ(sensor.log().find('\x1b'), std::string::npos);
  EXPECT_EQ(sensor.stop(), 0) << sensor.log();
}

// ---------------------------------------------------------------------------
// The sensor killed with SIGKILL and started again.

TEST_F(FaultE2E, AKilledSensorDoesNotResendItsFindingsButReportsWhatCameMeanwhile) {
  const auto state = std::filesystem::temp_directory_path() / unique_name("restart-state");
  std::set<std::string> delivered;
  std::string before_id;
  {
    SensorProcess first({"--state-dir", state.string()});
    before_id = run(unique_name("before-kill"), {"--privileged"}, {"sleep", "60"});
    ASSERT_TRUE(first.wait_for_finding(before_id, "privileged-container")) << first.log();
    ASSERT_TRUE(first.wait_for_finding(before_id, "unrestricted-devices")) << first.log();
    ASSERT_TRUE(first.wait_for_finding(before_id, "full-capability-set")) << first.log();
    for (const auto& f : first.findings_for(before_id)) {
      delivered.insert(f["id"].get<std::string>());
    }
    first.signal(SIGKILL);
  }
  // While no sensor runs.
  const auto during_id = run(unique_name("while-down"), {"--privileged"}, {"sleep", "60"});

  SensorProcess second({"--state-dir", state.string()});
  const auto start = second.wait_for([](const json& r) { return r["kind"] == "sensor-start"; });
  ASSERT_TRUE(start);
  EXPECT_GE((*start)["delivered_findings"]["remembered"].get<std::size_t>(), delivered.size());
  ASSERT_TRUE(second.wait_for_finding(during_id, "privileged-container")) << second.log();
  ASSERT_TRUE(second.wait_for_finding(during_id, "full-capability-set")) << second.log();
  // The first container was found again by the start-up scan...
  ASSERT_TRUE(second.wait_for([&](const json& r) {
    return r["kind"] == "container-start" && r["container"]["id"] == before_id;
  })) << second.log();
  std::this_thread::sleep_for(1s);
  // ...and its findings, delivered before the kill, are not sent again.
  for (const auto& f : second.findings_for(before_id)) {
    EXPECT_FALSE(delivered.contains(f["id"].get<std::string>())) << "sent again: " << f.dump();
  }
  EXPECT_EQ(second.stop(), 0);
  const auto stop = second.wait_for([](const json& r) { return r["kind"] == "sensor-stop"; }, 1s);
  ASSERT_TRUE(stop);
  // The three it raises again from what it sees at start (a capability
  // used before the kill is not used again, so not raised again).
  EXPECT_GE((*stop)["stats"]["findings_already_delivered"].get<std::size_t>(), 3U);
  std::filesystem::remove_all(state);
}

// ---------------------------------------------------------------------------
// A container that is gone within milliseconds.

TEST_F(FaultE2E, AContainerThatExitsAtOnceIsStillReportedWithItsEvidence) {
  SensorProcess sensor;
  const auto name = unique_name("blink");
  const auto id = docker_ok({"create", "--name", cleanup_.track(name), "--privileged", test_image(), "true"});
  ASSERT_EQ(docker({"start", "-a", id}).exit_code, 0);
  const auto full = sensor.wait_for_finding(id, "full-capability-set");
  ASSERT_TRUE(full) << sensor.log();
  EXPECT_EQ((*full)["evidence"]["capabilities"]["full"], true);
  EXPECT_EQ((*full)["evidence"]["capabilities"]["process"]["comm"], "true");
  const auto privileged = sensor.wait_for_finding(id, "privileged-container");
  ASSERT_TRUE(privileged) << "Docker still answers for a container that exited\n" << sensor.log();
  EXPECT_EQ((*privileged)["container"]["name"], name);
  ASSERT_TRUE(sensor.wait_for([&](const json& r) {
    return r["kind"] == "container-exit" && r["container"]["id"] == id;
  })) << sensor.log();
}

// ---------------------------------------------------------------------------
// 200 containers started at once.

TEST_F(FaultE2E, TwoHundredContainersAtOnceEveryPrivilegedOneIsReported) {
  SensorProcess sensor;
  constexpr int kContainers = 200;
  constexpr int kClients = 8;
  std::vector<std::string> names;
  for (int i = 0; i < kContainers; ++i) {
    names.push_back(cleanup_.track(unique_name(i % 10 == 0 ? "crowd-priv" : "crowd")));
  }
  std::vector<std::future<std::vector<std::pair<std::string, bool>>>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::vector<std::pair<std::string, bool>> ids;
      for (int i = c; i < kContainers; i += kClients) {
        const bool privileged = i % 10 == 0;
        std::vector<std::string> args{"run", "-d", "--name", names[static_cast<std::size_t>(i)]};
        if (privileged) {
          args.emplace_back("--privileged");
        }
        args.insert(args.end(), {test_image(), "sleep", "300"});
        auto result = docker(args);
        if (result.exit_code == 0) {
          ids.emplace_back(result.out.substr(0, 64), privileged);
        }
      }
      return ids;
    }));
  }
  std::vector<std::pair<std::string, bool>> ids;
  for (auto& client : clients) {
    auto part = client.get();
    ids.insert(ids.end(), part.begin(), part.end());
  }
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kContainers)) << "docker run failed for some";
  for (const auto& [id, privileged] : ids) {
    if (privileged) {
      EXPECT_TRUE(sensor.wait_for_finding(id, "privileged-container", 60s)) << id;
    }
  }
  std::this_thread::sleep_for(2s);
  for (const auto& [id, privileged] : ids) {
    if (!privileged) {
      EXPECT_TRUE(sensor.findings_for(id).empty()) << id << ": " << sensor.findings_for(id).front().dump();
    }
  }
  EXPECT_TRUE(alive(sensor.pid()));
  expect_peak_rss_below(sensor.pid(), 48 * 1024, "with " + std::to_string(kContainers) + " containers");
  for (const auto& r : sensor.records()) {
    EXPECT_NE(r["kind"], "event-loss") << r.dump();
  }
}

// ---------------------------------------------------------------------------
// The ring buffer overflows: the loss is a record, and exact.

TEST_F(FaultE2E, RingBufferOverflowIsReportedAsARecordAndCountedExactly) {
  SensorProcess sensor({"--ringbuf-mib", "1"});
  const auto name = unique_name("storm");
  run(name, {"-v", std::string(PRIVSENTRY_WORKLOAD) + ":/workload:ro"}, {"sleep", "120"});
  // The sensor stops reading; the container execs for three seconds.
  sensor.signal(SIGSTOP);
  const auto storm = docker({"exec", name, "/workload", "storm", "3"});
  sensor.signal(SIGCONT);
  ASSERT_EQ(storm.exit_code, 0) << storm.err;
  const auto loss = sensor.wait_for([](const json& r) { return r["kind"] == "event-loss"; }, 10s);
  ASSERT_TRUE(loss) << "a full ring buffer must not be silent\n" << sensor.log();
  std::this_thread::sleep_for(2s);
  std::map<std::string, std::uint64_t> reported;
  for (const auto& r : sensor.records()) {
    if (r["kind"] == "event-loss") {
      reported[r["probe"].get<std::string>()] += r["lost"].get<std::uint64_t>();
    }
  }
  ASSERT_EQ(sensor.stop(), 0);
  const auto stop = sensor.wait_for([](const json& r) { return r["kind"] == "sensor-stop"; }, 1s);
  ASSERT_TRUE(stop);
  std::uint64_t total = 0;
  for (const auto& [probe, counters] : (*stop)["probes"].items()) {
    const auto lost = counters["lost"].get<std::uint64_t>();
    total += lost;
    EXPECT_EQ(reported[probe], lost) << probe << ": the records reported " << reported[probe] << ", the kernel counted "
                                     << lost;
  }
  EXPECT_GT(total, 0U);
}

}  // namespace
}  // namespace privsentry::e2e
