#pragma once

#include <nlohmann/json.hpp>

#include "bench_config.hpp"
#include "docker_cli.hpp"

namespace privsentry::bench {

// From `docker run -d` returning to the record on privsentry's stdout: the
// privileged-container finding for a privileged container, container-start
// for a plain one.
class DetectionLatencyBench {
 public:
  DetectionLatencyBench(const BenchConfig& config, const DockerCli& docker) : config_(config), docker_(docker) {}
  nlohmann::json run();

 private:
  const BenchConfig& config_;
  const DockerCli& docker_;
};

}  // namespace privsentry::bench
