#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bench_config.hpp"
#include "docker_cli.hpp"

namespace privsentry::bench {

// Kernel-path overhead: the workloads (a capability check on the host and in
// a container, fork+exec in a container) under each probe variant,
// interleaved in rounds, medians per variant.
class KernelOverheadBench {
 public:
  KernelOverheadBench(const BenchConfig& config, const DockerCli& docker) : config_(config), docker_(docker) {}
  nlohmann::json run();

 private:
  const BenchConfig& config_;
  const DockerCli& docker_;
  std::optional<std::string> out_tier_;
};

}  // namespace privsentry::bench
