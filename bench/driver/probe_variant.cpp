#include "probe_variant.hpp"

#include <signal.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace privsentry::bench {
namespace {

using namespace std::chrono_literals;

// What a user would type: one map keyed by cgroup and capability.
constexpr const char* kBpftraceProgram = "tracepoint:capability:cap_capable { @[cgroup, args->cap] = count(); }";

}  // namespace

std::string to_string(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kNone:
      return "no probes";
    case ProbeKind::kFloor:
      return "floor (empty programs)";
    case ProbeKind::kPrivsentry:
      return "privsentry";
    case ProbeKind::kBpftrace:
      return "bpftrace one-liner";
  }
  return "?";
}

bool bpftrace_available(std::string& why_not) {
  if (support::run_command({"sh", "-c", "command -v bpftrace"}).exit_code != 0) {
    why_not = "bpftrace is not installed";
    return false;
  }
  // bpftrace finds classic tracepoints through tracefs.
  const std::filesystem::path events = "/sys/kernel/tracing/events/capability/cap_capable";
  if (!std::filesystem::exists(events) && ::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0 &&
      errno != EBUSY) {
    why_not = std::string("cannot mount tracefs: ") + std::strerror(errno);
    return false;
  }
  if (!std::filesystem::exists(events)) {
    why_not = "the kernel has no capability:cap_capable tracepoint (Linux 6.14+)";
    return false;
  }
  return true;
}

ProbeVariant::ProbeVariant(ProbeKind kind, const BenchConfig& config, const std::vector<std::string>& extra_args,
                           bool collect_stdout)
    : kind_(kind) {
  using support::Output;
  switch (kind) {
    case ProbeKind::kNone:
      return;
    case ProbeKind::kFloor:
      process_ = std::make_unique<support::Subprocess>(std::vector<std::string>{config.floor});
      wait_ready("ready", false);
      return;
    case ProbeKind::kPrivsentry: {
      std::vector<std::string> argv{config.privsentry,  "run",
                                    "--docker-host",    config.docker_host,
                                    "--metrics-listen", "127.0.0.1:" + std::to_string(config.metrics_port),
                                    "--log-level",      "info"};
      argv.insert(argv.end(), extra_args.begin(), extra_args.end());
      process_ = std::make_unique<support::Subprocess>(argv, std::vector<std::string>{},
                                                       collect_stdout ? Output::kCollect : Output::kDiscard);
      wait_ready("start-up scan", true);
      return;
    }
    case ProbeKind::kBpftrace:
      process_ = std::make_unique<support::Subprocess>(std::vector<std::string>{"bpftrace", "-e", kBpftraceProgram},
                                                       std::vector<std::string>{}, Output::kDiscard);
      // With stdout discarded, readiness shows as the probe in the kernel.
      for (int i = 0; i < 300; ++i) {
        const auto listed = support::run_command({"bpftool", "prog", "show"});
        if (listed.out.find("cap_capable") != std::string::npos) {
          std::this_thread::sleep_for(200ms);
          return;
        }
        std::this_thread::sleep_for(100ms);
      }
      throw std::runtime_error("bpftrace did not attach within 30 s: " + process_->err());
  }
}

void ProbeVariant::wait_ready(const std::string& marker, bool on_stderr) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (on_stderr) {
      if (process_->err().find(marker) != std::string::npos) {
        return;
      }
      std::this_thread::sleep_for(50ms);
    } else if (process_->wait_for_line([&](const std::string& line) { return line == marker; }, 100ms)) {
      return;
    }
    if (const int code = process_->wait(0ms); code != -1) {
      throw std::runtime_error(to_string(kind_) + " exited with " + std::to_string(code) + ": " + process_->err());
    }
  }
  throw std::runtime_error(to_string(kind_) + " was not ready within 30 s: " + process_->err());
}

int ProbeVariant::stop() {
  if (!process_) {
    return 0;
  }
  process_->signal(kind_ == ProbeKind::kBpftrace ? SIGINT : SIGTERM);
  const int code = process_->wait(20s);
  if (code == -1) {
    throw std::runtime_error(to_string(kind_) + " did not stop within 20 s");
  }
  process_.reset();
  return code;
}

ProbeVariant::~ProbeVariant() {
  try {
    stop();
  } catch (const std::exception&) {
    // The Subprocess kills it.
  }
}

}  // namespace privsentry::bench
