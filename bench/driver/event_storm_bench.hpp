#pragma once

#include <nlohmann/json.hpp>

#include "bench_config.hpp"
#include "docker_cli.hpp"

namespace privsentry::bench {

// Containers exec as fast as they can: first with the sensor running as
// usual (does it keep up?), then with the sensor stopped (SIGSTOP) over a
// small ring buffer, so that records are lost, and the loss counters are
// checked against the workload's own count.
class EventStormBench {
 public:
  EventStormBench(const BenchConfig& config, const DockerCli& docker) : config_(config), docker_(docker) {}
  nlohmann::json run();

 private:
  nlohmann::json storm(bool stall_the_sensor);

  const BenchConfig& config_;
  const DockerCli& docker_;
};

}  // namespace privsentry::bench
