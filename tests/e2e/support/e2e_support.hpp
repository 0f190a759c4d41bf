#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "privsentry/capability_set.hpp"
#include "support/subprocess.hpp"

namespace privsentry::e2e {

using support::CommandResult;
using support::run_command;
using support::Subprocess;

// Why these tests cannot run here (not root, no BPF), or nullopt.
std::optional<std::string> missing_root_or_bpf();
// PRIVSENTRY_REQUIRE_E2E=1 turns a skip into a failure (CI sets it).
bool e2e_required();

// The test engine scripts/test-env.sh starts.
std::string docker_host();
std::string test_image();
CommandResult docker(const std::vector<std::string>& args);
// Fails the test with the engine's stderr unless the command succeeds; returns stdout, trimmed.
std::string docker_ok(const std::vector<std::string>& args);
std::string unique_name(const std::string& prefix);

// Removes the containers a test made, whatever happens.
class ContainerCleanup {
 public:
  ~ContainerCleanup();
  const std::string& track(std::string name_or_id);

 private:
  std::vector<std::string> names_;
};

// docker run -d --name NAME OPTIONS <test image> COMMAND; the name is
// tracked for removal. Returns the full container id (the test fails if the
// engine refuses).
std::string run_container(ContainerCleanup& cleanup, const std::string& name, const std::vector<std::string>& options,
                          const std::vector<std::string>& command);

// The "Key:\tvalue" lines of a /proc status file (a process's or a
// thread's), values without the leading blanks.
std::map<std::string, std::string> proc_status(const std::filesystem::path& file);

// This test process's bounding set (CapBnd).
CapabilitySet own_bounding_set();

// The rules of a container's findings.
std::set<std::string> rules_of(const std::vector<nlohmann::json>& findings);

// The real privsentry binary, running `privsentry run`, its NDJSON parsed.
class SensorProcess {
 public:
  // wrapper: a command line the sensor runs under (setpriv ..., --).
  explicit SensorProcess(std::vector<std::string> extra_args = {}, std::vector<std::string> extra_env = {},
                         std::vector<std::string> wrapper = {});
  ~SensorProcess();

  // Waits for a record for which match is true; from: first line index to look at.
  std::optional<nlohmann::json> wait_for(const std::function<bool(const nlohmann::json&)>& match,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(15));
  std::optional<nlohmann::json> wait_for_finding(const std::string& container_id, const std::string& rule,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(15));
  [[nodiscard]] std::vector<nlohmann::json> records() const;
  [[nodiscard]] std::vector<nlohmann::json> findings_for(const std::string& container_id) const;
  [[nodiscard]] std::vector<std::string> raw_lines() const { return process_->lines(); }
  [[nodiscard]] std::string log() const { return process_->err(); }
  // SIGTERM, then the exit code.
  int stop();
  void signal(int signo) const { process_->signal(signo); }
  [[nodiscard]] pid_t pid() const { return process_->pid(); }

 private:
  std::unique_ptr<Subprocess> process_;
  std::filesystem::path own_state_dir_;
};

}  // namespace privsentry::e2e

// Skips, or fails under PRIVSENTRY_REQUIRE_E2E=1, where root or BPF is missing.
#define PRIVSENTRY_E2E_REQUIRE()                                                \
  do {                                                                          \
    if (const auto privsentry_why = ::privsentry::e2e::missing_root_or_bpf()) { \
      if (::privsentry::e2e::e2e_required()) {                                  \
        FAIL() << *privsentry_why << " and PRIVSENTRY_REQUIRE_E2E=1";           \
      }                                                                         \
      GTEST_SKIP() << *privsentry_why;                                          \
    }                                                                           \
  } while (0)
