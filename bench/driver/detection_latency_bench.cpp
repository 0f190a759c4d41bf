#include "detection_latency_bench.hpp"

#include <unistd.h>

#include <iostream>
#include <stdexcept>

#include "probe_variant.hpp"
#include "stats.hpp"

namespace privsentry::bench {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json summary(const std::vector<double>& ms) {
  return {{"count", ms.size()},
          {"p50_ms", percentile(ms, 0.50)},
          {"p99_ms", percentile(ms, 0.99)},
          {"max_ms", percentile(ms, 1.0)}};
}

}  // namespace

json DetectionLatencyBench::run() {
  ProbeVariant sensor(ProbeKind::kPrivsentry, config_, {}, true);
  auto& process = *sensor.process();
  std::vector<std::string> names;
  std::vector<double> privileged_ms;
  std::vector<double> plain_ms;
  std::size_t early = 0;
  try {
    for (int i = 0; i < config_.latency_containers; ++i) {
      const bool privileged = i % 2 == 0;
      const auto name = "privsentry-bench-latency-" + std::to_string(::getpid()) + "-" + std::to_string(i);
      names.push_back(name);
      std::vector<std::string> args{"run", "-d", "--name", name};
      if (privileged) {
        args.emplace_back("--privileged");
      }
      args.insert(args.end(), {config_.image, "sleep", "600"});
      const auto id = docker_.ok(args);
      const auto returned = std::chrono::steady_clock::now();
      const auto line = process.wait_for_line(
          [&](const std::string& text) {
            const auto record = json::parse(text, nullptr, false);
            if (!record.is_object() || record.value("container", json::object()).value("id", "") != id) {
              return false;
            }
            return privileged
                       ? record.value("kind", "") == "finding" && record.value("rule", "") == "privileged-container"
                       : record.value("kind", "") == "container-start";
          },
          10s);
      if (!line) {
        throw std::runtime_error("no record for " + name + " within 10 s: " + process.err());
      }
      // The sensor can be quicker than the docker command's own return.
      const auto latency = std::chrono::duration<double, std::milli>(process.arrival(*line) - returned).count();
      if (latency < 0) {
        ++early;
      }
      (privileged ? privileged_ms : plain_ms).push_back(std::max(0.0, latency));
    }
  } catch (...) {
    for (const auto& name : names) {
      docker_.run({"rm", "-f", name});
    }
    throw;
  }
  std::cerr << "detection latency: removing " << names.size() << " containers\n";
  for (const auto& name : names) {
    docker_.run({"rm", "-f", name});
  }
  sensor.stop();
  std::vector<double> all = privileged_ms;
  all.insert(all.end(), plain_ms.begin(), plain_ms.end());
  return {{"all", summary(all)},
          {"privileged", summary(privileged_ms)},
          {"plain", summary(plain_ms)},
          {"before_docker_returned", early}};
}

}  // namespace privsentry::bench
