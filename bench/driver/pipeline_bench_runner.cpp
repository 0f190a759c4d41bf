#include "pipeline_bench_runner.hpp"

#include <stdexcept>

#include "support/subprocess.hpp"

namespace privsentry::bench {

nlohmann::json PipelineBenchRunner::run() {
  // Pinned to one core, as the target says; repetitions for a median.
  const auto result = support::run_command({"taskset", "-c", "0", config_.pipeline_bench, "--benchmark_format=json",
                                            "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true"});
  if (result.exit_code != 0) {
    throw std::runtime_error("the pipeline benchmark failed: " + result.err);
  }
  const auto report = nlohmann::json::parse(result.out);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& b : report.at("benchmarks")) {
    if (b.value("aggregate_name", "") != "median") {
      continue;
    }
    out.push_back({{"name", b.value("run_name", b.value("name", ""))},
                   {"label", b.value("label", "")},
                   {"items_per_second", b.value("items_per_second", 0.0)},
                   {"ns_per_item", b.value("cpu_time", 0.0)}});
  }
  return out;
}

}  // namespace privsentry::bench
