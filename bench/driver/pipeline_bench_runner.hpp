#pragma once

#include <nlohmann/json.hpp>

#include "bench_config.hpp"

namespace privsentry::bench {

// Runs the Google Benchmark binary and keeps what the table needs.
class PipelineBenchRunner {
 public:
  explicit PipelineBenchRunner(const BenchConfig& config) : config_(config) {}
  nlohmann::json run();

 private:
  const BenchConfig& config_;
};

}  // namespace privsentry::bench
