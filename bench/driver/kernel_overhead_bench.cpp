#include "kernel_overhead_bench.hpp"

#include <unistd.h>

#include <functional>
#include <iostream>
#include <map>
#include <stdexcept>
#include <thread>

#include "metrics_scraper.hpp"
#include "probe_variant.hpp"
#include "stats.hpp"

namespace privsentry::bench {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* const kHostCheck = "capability check, host";
const char* const kContainerCheck = "capability check, container";
const char* const kContainerExec = "fork+exec, container";

double parse_ns(const support::CommandResult& result, const std::string& what) {
  if (result.exit_code != 0) {
    throw std::runtime_error(what + " failed (" + std::to_string(result.exit_code) + "): " + result.err);
  }
  try {
    return std::stod(result.out);
  } catch (const std::exception&) {
    throw std::runtime_error(what + " printed no number: " + result.out + result.err);
  }
}

// The workload's container, removed whatever happens.
class WorkloadContainer {
 public:
  WorkloadContainer(const DockerCli& docker, const BenchConfig& config)
      : docker_(docker), name_("privsentry-bench-workload-" + std::to_string(::getpid())) {
    docker_.run({"rm", "-f", name_});
    // CAP_SYS_ADMIN: ioprio_set then makes one check per call, as on the host.
    docker_.ok({"run", "-d", "--name", name_, "--cap-add", "SYS_ADMIN", "-v", config.workload + ":/bench/workload:ro",
                config.image, "sleep", "1000000"});
  }
  ~WorkloadContainer() { docker_.run({"rm", "-f", name_}); }
  WorkloadContainer(const WorkloadContainer&) = delete;
  WorkloadContainer& operator=(const WorkloadContainer&) = delete;

  [[nodiscard]] support::CommandResult exec(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"exec", name_, "/bench/workload"};
    argv.insert(argv.end(), args.begin(), args.end());
    return docker_.run(argv);
  }

 private:
  const DockerCli& docker_;
  std::string name_;
};

}  // namespace

json KernelOverheadBench::run() {
  std::vector<ProbeKind> kinds{ProbeKind::kNone, ProbeKind::kFloor, ProbeKind::kPrivsentry};
  json notes = json::array();
  std::string why_not;
  if (bpftrace_available(why_not)) {
    kinds.push_back(ProbeKind::kBpftrace);
  } else {
    notes.push_back("bpftrace not measured: " + why_not);
  }
  const WorkloadContainer container(docker_, config_);
  const auto ioprio = std::to_string(config_.ioprio_ops);
  const auto execs = std::to_string(config_.exec_ops);
  const MetricsScraper metrics("http://127.0.0.1:" + std::to_string(config_.metrics_port) + "/metrics");

  // samples[workload][variant]
  std::map<std::string, std::map<std::string, std::vector<double>>> samples;
  json checks_per_op = json::object();
  for (int round = 0; round < config_.rounds; ++round) {
    std::cerr << "kernel overhead: round " << round + 1 << " of " << config_.rounds << "\n";
    // Each round starts with another variant, so drift over the run (caches,
    // frequency, the engine's housekeeping) spreads over all of them.
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      const auto kind = kinds[(i + static_cast<std::size_t>(round)) % kinds.size()];
      const auto name = to_string(kind);
      ProbeVariant variant(kind, config_);
      std::this_thread::sleep_for(1s);  // start-up work (the scan, Docker) out of the way
      const bool count_checks = kind == ProbeKind::kPrivsentry && round == 0;

      // privsentry's own count of the checks a run made: the counters are
      // published once a second, so each scrape waits for a fresh one.
      const auto counted = [&](const std::function<double()>& measure, const char* where) {
        if (!count_checks) {
          return measure();
        }
        std::this_thread::sleep_for(1500ms);
        const auto before = metrics.scrape();
        const double ns = measure();
        std::this_thread::sleep_for(1500ms);
        const auto after = metrics.scrape();
        if (before && after) {
          checks_per_op[where] =
              (kernel_counter(*after, "cap_capable", "seen") - kernel_counter(*before, "cap_capable", "seen")) /
              static_cast<double>(config_.ioprio_ops);
        }
        return ns;
      };
      for (int r = 0; r < config_.ioprio_repeats; ++r) {
        const auto host = [&] {
          return parse_ns(support::run_command({config_.workload, "ioprio", ioprio}), "the host workload");
        };
        samples[kHostCheck][name].push_back(r == 0 ? counted(host, "host") : host());
      }
      for (int r = 0; r < config_.ioprio_repeats; ++r) {
        const auto in_container = [&] {
          return parse_ns(container.exec({"ioprio", ioprio}), "the container workload");
        };
        samples[kContainerCheck][name].push_back(r == 0 ? counted(in_container, "container") : in_container());
      }
      for (int r = 0; r < config_.ioprio_repeats; ++r) {
        samples[kContainerExec][name].push_back(parse_ns(container.exec({"exec", execs}), "the exec workload"));
      }
      if (kind == ProbeKind::kPrivsentry && !out_tier_.has_value()) {
        const auto log = variant.process()->err();
        const auto at = log.find("capability tier: ");
        out_tier_ = at == std::string::npos ? "?" : log.substr(at + 17, log.find('\n', at) - at - 17);
      }
      if (const int code = variant.stop(); code != 0) {
        throw std::runtime_error(name + " exited with " + std::to_string(code));
      }
    }
  }

  json out;
  out["variants"] = json::array();
  for (const auto kind : kinds) {
    out["variants"].push_back(to_string(kind));
  }
  out["rounds"] = config_.rounds;
  out["ioprio_ops"] = config_.ioprio_ops;
  out["ioprio_repeats"] = config_.ioprio_repeats;
  out["exec_ops"] = config_.exec_ops;
  out["checks_per_op"] = checks_per_op;
  out["privsentry_tier"] = out_tier_.value_or("?");
  out["notes"] = notes;
  for (const auto* workload : {kHostCheck, kContainerCheck, kContainerExec}) {
    json w;
    for (const auto& [variant, values] : samples[workload]) {
      w["median_ns"][variant] = median(values);
      w["samples_ns"][variant] = values;
    }
    const double none = w["median_ns"][to_string(ProbeKind::kNone)];
    const double floor = w["median_ns"][to_string(ProbeKind::kFloor)];
    for (const auto& [variant, value] : w["median_ns"].items()) {
      const double added = value.get<double>() - none;
      w["added_ns"][variant] = added;
      if (variant != to_string(ProbeKind::kNone)) {
        w["ratio_to_floor"][variant] = floor - none > 0 ? added / (floor - none) : 0.0;
      }
    }
    out["workloads"][workload] = w;
  }
  return out;
}

}  // namespace privsentry::bench
