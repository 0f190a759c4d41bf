#include "event_storm_bench.hpp"

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "metrics_scraper.hpp"
#include "probe_variant.hpp"

namespace privsentry::bench {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::vector<std::string> kProcessProbes{"process_exec", "process_fork", "process_exit"};

json counters(const std::map<std::string, double>& before, const std::map<std::string, double>& after) {
  json out;
  for (const auto& probe : kProcessProbes) {
    for (const auto* outcome : {"seen", "emitted", "lost", "filtered_host", "runtime_setup"}) {
      out[probe][outcome] = kernel_counter(after, probe, outcome) - kernel_counter(before, probe, outcome);
    }
  }
  return out;
}

double total(const std::map<std::string, double>& before, const std::map<std::string, double>& after,
             const std::string& outcome) {
  double sum = 0;
  for (const auto* probe : {"cgroup_mkdir", "cgroup_rmdir", "cgroup_attach_task", "process_exec", "process_fork",
                            "process_exit", "cap_capable"}) {
    sum += kernel_counter(after, probe, outcome) - kernel_counter(before, probe, outcome);
  }
  return sum;
}

double metric(const std::map<std::string, double>& m, const std::string& name) {
  const auto it = m.find(name);
  return it == m.end() ? 0.0 : it->second;
}

}  // namespace

json EventStormBench::storm(bool stall_the_sensor) {
  std::vector<std::string> extra;
  if (stall_the_sensor) {
    extra = {"--ringbuf-mib", "1"};
  }
  ProbeVariant sensor(ProbeKind::kPrivsentry, config_, extra);
  const MetricsScraper metrics("http://127.0.0.1:" + std::to_string(config_.metrics_port) + "/metrics");

  std::vector<std::string> names;
  const auto remove_all = [&] {
    for (const auto& name : names) {
      docker_.run({"rm", "-f", name});
    }
  };
  json out;
  try {
    for (int i = 0; i < config_.storm_containers; ++i) {
      names.push_back("privsentry-bench-storm-" + std::to_string(::getpid()) + "-" + std::to_string(i));
      docker_.ok({"run", "-d", "--name", names.back(), "-v", config_.workload + ":/bench/workload:ro", config_.image,
                  "sleep", "1000000"});
    }
    std::this_thread::sleep_for(2s);  // their start-up records are in before the count
    const auto before = metrics.scrape();
    if (!before) {
      throw std::runtime_error("the sensor's /metrics does not answer");
    }
    if (stall_the_sensor) {
      sensor.process()->signal(SIGSTOP);
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<support::Subprocess>> storms;
    for (const auto& name : names) {
      storms.push_back(std::make_unique<support::Subprocess>(
          docker_.command({"exec", name, "/bench/workload", "storm", std::to_string(config_.storm_seconds)}),
          docker_.environment()));
    }
    double ops = 0;
    for (auto& s : storms) {
      if (s->wait(std::chrono::seconds(config_.storm_seconds + 60)) != 0 || s->lines().empty()) {
        throw std::runtime_error("a storm workload failed: " + s->err());
      }
      ops += std::stod(s->lines().front());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (stall_the_sensor) {
      sensor.process()->signal(SIGCONT);
    }
    std::this_thread::sleep_for(3s);  // drained, and the counters published
    const auto after = metrics.scrape();
    if (!after) {
      throw std::runtime_error("the sensor's /metrics does not answer");
    }
    const auto kernel = counters(*before, *after);
    // Each workload's own exec in its container, then one per operation.
    const double execs = ops + static_cast<double>(config_.storm_containers);
    const double exec_accounted =
        kernel["process_exec"]["emitted"].get<double>() + kernel["process_exec"]["lost"].get<double>();
    out = {{"containers", config_.storm_containers},
           {"seconds", seconds},
           {"operations", ops},
           {"container_execs_expected", execs},
           {"kernel", kernel},
           {"emitted_all_probes", total(*before, *after, "emitted")},
           {"lost_all_probes", total(*before, *after, "lost")},
           {"records_decoded",
            metric(*after, "privsentry_records_decoded_total") - metric(*before, "privsentry_records_decoded_total")},
           {"exec_emitted_plus_lost", exec_accounted},
           {"exec_accounting_exact", exec_accounted == execs},
           {"records_per_second", (total(*before, *after, "emitted") + total(*before, *after, "lost")) / seconds},
           {"ringbuf_mib", stall_the_sensor ? 1 : 4},
           {"sensor_stalled", stall_the_sensor}};
  } catch (...) {
    if (stall_the_sensor) {
      sensor.process()->signal(SIGCONT);
    }
    remove_all();
    throw;
  }
  remove_all();
  sensor.stop();
  return out;
}

json EventStormBench::run() {
  std::cerr << "event storm: the sensor running\n";
  json out;
  out["running"] = storm(false);
  std::cerr << "event storm: the sensor stopped, 1 MiB ring buffer\n";
  out["stalled"] = storm(true);
  return out;
}

}  // namespace privsentry::bench
