#include "e2e/support/e2e_support.hpp"

#include <bpf/libbpf.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace privsentry::e2e {

std::optional<std::string> missing_root_or_bpf() {
  if (::geteuid() != 0) {
    return "end-to-end tests need root";
  }
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) {
    return "end-to-end tests need kernel BTF (/sys/kernel/btf/vmlinux)";
  }
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, nullptr) != 1) {
    return "end-to-end tests need BPF (loading a tracepoint program failed)";
  }
  return std::nullopt;
}

bool e2e_required() {
  const char* value = std::getenv("PRIVSENTRY_REQUIRE_E2E");
  return value != nullptr && std::string(value) == "1";
}

std::string docker_host() {
  const char* value = std::getenv("PRIVSENTRY_E2E_DOCKER_HOST");
  return value != nullptr ? value : "unix:///run/privsentry-e2e/docker.sock";
}

std::string test_image() {
  const char* value = std::getenv("PRIVSENTRY_E2E_IMAGE");
  return value != nullptr ? value : "privsentry-test/busybox:latest";
}

CommandResult docker(const std::vector<std::string>& args) {
  // Debian's client matches the engine; another one may come first in PATH.
  std::vector<std::string> argv{std::filesystem::exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, {"DOCKER_HOST=" + docker_host()});
}

std::string docker_ok(const std::vector<std::string>& args) {
  auto result = docker(args);
  std::string joined;
  for (const auto& a : args) {
    joined += a + " ";
  }
  EXPECT_EQ(result.exit_code, 0) << "docker " << joined << "failed: " << result.err;
  while (!result.out.empty() && (result.out.back() == '\n' || result.out.back() == '\r')) {
    result.out.pop_back();
  }
  return result.out;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  return "ps-e2e-" + prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

ContainerCleanup::~ContainerCleanup() {
  for (const auto& name : names_) {
    docker({"rm", "-f", name});
  }
}

const std::string& ContainerCleanup::track(std::string name_or_id) {
  names_.push_back(std::move(name_or_id));
  return names_.back();
}

std::string run_container(ContainerCleanup& cleanup, const std::string& name, const std::vector<std::string>& options,
                          const std::vector<std::string>& command) {
  std::vector<std::string> args{"run", "-d", "--name", cleanup.track(name)};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back(test_image());
  args.insert(args.end(), command.begin(), command.end());
  return docker_ok(args);
}

std::map<std::string, std::string> proc_status(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::map<std::string, std::string> fields;
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    const auto value = line.find_first_not_of(" \t", colon + 1);
    if (colon != std::string::npos) {
      fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
    }
  }
  return fields;
}

CapabilitySet own_bounding_set() {
  const auto parsed = parse_capability_hex(proc_status("/proc/self/status")["CapBnd"]);
  return parsed ? *parsed : CapabilitySet{};
}

std::set<std::string> rules_of(const std::vector<nlohmann::json>& findings) {
  std::set<std::string> out;
  for (const auto& f : findings) {
    out.insert(f["rule"].get<std::string>());
  }
  return out;
}

SensorProcess::SensorProcess(std::vector<std::string> extra_args, std::vector<std::string> extra_env,
                             std::vector<std::string> wrapper) {
  std::vector<std::string> argv = std::move(wrapper);
  argv.insert(argv.end(), {PRIVSENTRY_BINARY, "run", "--log-level", "debug"});
  if (std::find(extra_args.begin(), extra_args.end(), "--docker-host") == extra_args.end()) {
    argv.insert(argv.end(), {"--docker-host", docker_host()});
  }
  // Each sensor its own state directory: findings one test delivered must
  // not be held back in the next (a test that restarts a sensor passes one).
  if (std::find(extra_args.begin(), extra_args.end(), "--state-dir") == extra_args.end()) {
    own_state_dir_ = std::filesystem::temp_directory_path() / unique_name("state");
    argv.insert(argv.end(), {"--state-dir", own_state_dir_.string()});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<Subprocess>(argv, extra_env);
  const auto started =
      wait_for([](const nlohmann::json& r) { return r.value("kind", "") == "sensor-start"; }, std::chrono::seconds(30));
  if (!started) {
    ADD_FAILURE() << "privsentry run did not start; its log:\n" << process_->err();
  }
}

SensorProcess::~SensorProcess() {
  if (process_) {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
  }
  if (!own_state_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(own_state_dir_, ignored);
  }
}

std::optional<nlohmann::json> SensorProcess::wait_for(const std::function<bool(const nlohmann::json&)>& match,
                                                      std::chrono::milliseconds timeout) {
  std::optional<nlohmann::json> found;
  process_->wait_for_line(
      [&](const std::string& line) {
        const auto record = nlohmann::json::parse(line, nullptr, false);
        if (record.is_discarded()) {
          ADD_FAILURE() << "privsentry printed a line that is not JSON: " << line;
          return false;
        }
        if (match(record)) {
          found = record;
          return true;
        }
        return false;
      },
      timeout);
  return found;
}

std::optional<nlohmann::json> SensorProcess::wait_for_finding(const std::string& container_id, const std::string& rule,
                                                              std::chrono::milliseconds timeout) {
  return wait_for(
      [&](const nlohmann::json& r) {
        return r.value("kind", "") == "finding" && r.value("rule", "") == rule &&
               r["container"].value("id", "") == container_id;
      },
      timeout);
}

std::vector<nlohmann::json> SensorProcess::records() const {
  std::vector<nlohmann::json> out;
  for (const auto& line : process_->lines()) {
    out.push_back(nlohmann::json::parse(line, nullptr, false));
  }
  return out;
}

std::vector<nlohmann::json> SensorProcess::findings_for(const std::string& container_id) const {
  std::vector<nlohmann::json> out;
  for (const auto& record : records()) {
    if (record.is_object() && record.value("kind", "") == "finding" &&
        record["container"].value("id", "") == container_id) {
      out.push_back(record);
    }
  }
  return out;
}

int SensorProcess::stop() {
  process_->signal(SIGTERM);
  return process_->wait(std::chrono::seconds(15));
}

}  // namespace privsentry::e2e
