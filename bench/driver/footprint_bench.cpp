#include "footprint_bench.hpp"

#include <unistd.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "metrics_scraper.hpp"
#include "probe_variant.hpp"

namespace privsentry::bench {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  // Fields after the command name, which may hold spaces and parentheses.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15; ++i) {
    rest >> field;
    if (i == 14 || i == 15) {
      ticks += std::stod(field);
    }
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A /proc/<pid>/status field in KiB (VmRSS, VmHWM).
double status_kib(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::stod(line.substr(key.size() + 1));
    }
  }
  throw std::runtime_error("no " + key + " for pid " + std::to_string(pid));
}

// The sensor and its children (the device helper): what it costs the host
// is both together.
std::vector<pid_t> with_children(pid_t pid) {
  std::vector<pid_t> out{pid};
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child = 0; in >> child;) {
    out.push_back(child);
  }
  return out;
}

double sum(const std::vector<pid_t>& pids, const std::function<double(pid_t)>& of) {
  double total = 0;
  for (const auto p : pids) {
    total += of(p);
  }
  return total;
}

json measure(pid_t pid, int window_s) {
  const auto pids = with_children(pid);
  const double cpu_before = sum(pids, cpu_seconds);
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(window_s));
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {{"cpu_percent_of_a_core", (sum(pids, cpu_seconds) - cpu_before) / elapsed * 100.0},
          {"rss_mib", sum(pids, [](pid_t p) { return status_kib(p, "VmRSS"); }) / 1024.0},
          {"peak_rss_mib", sum(pids, [](pid_t p) { return status_kib(p, "VmHWM"); }) / 1024.0},
          {"processes", pids.size()},
          {"window_s", window_s}};
}

}  // namespace

json FootprintBench::run() {
  ProbeVariant sensor(ProbeKind::kPrivsentry, config_);
  const pid_t pid = sensor.process()->pid();
  const MetricsScraper metrics("http://127.0.0.1:" + std::to_string(config_.metrics_port) + "/metrics");
  std::this_thread::sleep_for(5s);
  std::cerr << "footprint: idle, " << config_.footprint_window_s << " s\n";
  json out;
  out["idle"] = measure(pid, config_.footprint_window_s);

  std::vector<std::string> names;
  const auto remove_all = [&] {
    for (std::size_t i = 0; i < names.size(); i += 50) {
      std::vector<std::string> args{"rm", "-f"};
      for (std::size_t j = i; j < std::min(names.size(), i + 50); ++j) {
        args.push_back(names[j]);
      }
      docker_.run(args);
    }
  };
  try {
    for (int i = 0; i < config_.footprint_containers; ++i) {
      names.push_back("privsentry-bench-footprint-" + std::to_string(::getpid()) + "-" + std::to_string(i));
      docker_.ok({"run", "-d", "--name", names.back(), config_.image, "sleep", "1000000"});
      if ((i + 1) % 25 == 0) {
        std::cerr << "footprint: " << i + 1 << " containers running\n";
      }
    }
    // Until the sensor follows them all.
    double followed = 0;
    for (int i = 0; i < 120 && followed < config_.footprint_containers; ++i) {
      if (const auto m = metrics.scrape()) {
        followed = m->contains("privsentry_containers") ? m->at("privsentry_containers") : 0;
      }
      std::this_thread::sleep_for(500ms);
    }
    std::this_thread::sleep_for(5s);
    std::cerr << "footprint: " << config_.footprint_containers << " containers, " << config_.footprint_window_s
              << " s\n";
    out["containers"] = measure(pid, config_.footprint_window_s);
    out["containers"]["count"] = config_.footprint_containers;
    out["containers"]["followed_by_the_sensor"] = followed;
  } catch (...) {
    remove_all();
    throw;
  }
  std::cerr << "footprint: removing the containers\n";
  remove_all();
  sensor.stop();
  return out;
}

}  // namespace privsentry::bench
