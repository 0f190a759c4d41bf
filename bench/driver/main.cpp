// privsentry_bench: runs the benchmarks (kernel overhead, pipeline,
// detection latency, footprint, event storm) and prints one Markdown table.
// Needs root, the kernel's BPF, and the Docker engine of
// scripts/test-env.sh; bench/run.sh sets it all up.
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <fstream>
#include <iostream>
#include <set>

#include "bench_config.hpp"
#include "detection_latency_bench.hpp"
#include "docker_cli.hpp"
#include "event_storm_bench.hpp"
#include "footprint_bench.hpp"
#include "kernel_overhead_bench.hpp"
#include "pipeline_bench_runner.hpp"
#include "report_table.hpp"

namespace {

using nlohmann::json;

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  using privsentry::bench::BenchConfig;
  BenchConfig config;
  config.privsentry = PRIVSENTRY_BINARY;
  config.workload = PRIVSENTRY_BENCH_WORKLOAD;
  config.floor = PRIVSENTRY_BENCH_FLOOR;
  config.pipeline_bench = PRIVSENTRY_PIPELINE_BENCH;
  std::string only = "kernel,pipeline,latency,footprint,storm";
  std::string json_out;
  std::string command = "bench/run.sh";

  CLI::App app{"privsentry benchmarks: one table from one run"};
  app.add_option("--only", only, "Comma-separated: kernel, pipeline, latency, footprint, storm")->capture_default_str();
  app.add_option("--rounds", config.rounds, "Kernel overhead: interleaved rounds")->capture_default_str();
  app.add_option("--ioprio-ops", config.ioprio_ops, "Capability checks per measurement")->capture_default_str();
  app.add_option("--exec-ops", config.exec_ops, "fork+exec per measurement")->capture_default_str();
  app.add_option("--latency-containers", config.latency_containers)->capture_default_str();
  app.add_option("--footprint-containers", config.footprint_containers)->capture_default_str();
  app.add_option("--footprint-window-s", config.footprint_window_s)->capture_default_str();
  app.add_option("--storm-containers", config.storm_containers)->capture_default_str();
  app.add_option("--storm-seconds", config.storm_seconds)->capture_default_str();
  app.add_option("--docker-host", config.docker_host)->capture_default_str();
  app.add_option("--image", config.image)->capture_default_str();
  app.add_option("--json", json_out, "Also write every measurement here");
  app.add_option("--command", command, "How this run was started, for the table's header");
  std::string report_from;
  app.add_option("--report-from", report_from, "Print the table of an earlier run's --json file, measuring nothing");
  CLI11_PARSE(app, argc, argv);

  if (!report_from.empty()) {
    std::ifstream in(report_from);
    const auto earlier = json::parse(in, nullptr, false);
    if (earlier.is_discarded() || !earlier.contains("environment")) {
      std::cerr << "privsentry_bench: " << report_from << " is not a results file\n";
      return 2;
    }
    std::cout << privsentry::bench::ReportTable(earlier).markdown();
    return 0;
  }

  if (::geteuid() != 0) {
    std::cerr << "privsentry_bench: needs root (BPF, Docker)\n";
    return 2;
  }
  std::set<std::string> sections;
  for (std::size_t start = 0; start <= only.size();) {
    const auto comma = only.find(',', start);
    sections.insert(only.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }

  utsname uts{};
  ::uname(&uts);
  json results;
  results["environment"] = {
      {"date", utc_now()}, {"kernel", uts.release}, {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)}, {"command", command}};
  const privsentry::bench::DockerCli docker(config.docker_host);
  try {
    if (sections.contains("kernel")) {
      results["kernel"] = privsentry::bench::KernelOverheadBench(config, docker).run();
    }
    if (sections.contains("pipeline")) {
      std::cerr << "pipeline\n";
      results["pipeline"] = privsentry::bench::PipelineBenchRunner(config).run();
    }
    if (sections.contains("latency")) {
      std::cerr << "detection latency\n";
      results["latency"] = privsentry::bench::DetectionLatencyBench(config, docker).run();
    }
    if (sections.contains("footprint")) {
      results["footprint"] = privsentry::bench::FootprintBench(config, docker).run();
    }
    if (sections.contains("storm")) {
      results["storm"] = privsentry::bench::EventStormBench(config, docker).run();
    }
  } catch (const std::exception& e) {
    std::cerr << "privsentry_bench: " << e.what() << "\n";
    return 1;
  }
  if (!json_out.empty()) {
    std::ofstream(json_out) << results.dump(2) << "\n";
  }
  std::cout << privsentry::bench::ReportTable(results).markdown();
  return 0;
}
