#pragma once

#include <nlohmann/json.hpp>

#include "bench_config.hpp"
#include "docker_cli.hpp"

namespace privsentry::bench {

// The sensor's resident memory and CPU, idle and with many containers
// running.
class FootprintBench {
 public:
  FootprintBench(const BenchConfig& config, const DockerCli& docker) : config_(config), docker_(docker) {}
  nlohmann::json run();

 private:
  const BenchConfig& config_;
  const DockerCli& docker_;
};

}  // namespace privsentry::bench
