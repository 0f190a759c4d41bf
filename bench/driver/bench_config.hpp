#pragma once

#include <string>

namespace privsentry::bench {

// What the benchmarks run and how much of it.
struct BenchConfig {
  std::string privsentry;      // the sensor binary
  std::string workload;        // bench/workload (static)
  std::string floor;           // privsentry_bench_floor
  std::string pipeline_bench;  // privsentry_pipeline_bench (Google Benchmark)
  std::string docker_host = "unix:///run/privsentry-e2e/docker.sock";
  std::string image = "privsentry-test/busybox:latest";
  int metrics_port = 19464;

  int rounds = 7;                  // kernel overhead: interleaved rounds
  long ioprio_ops = 2'000'000;     // per measurement
  int ioprio_repeats = 3;          // measurements per variant, round and workload
  long exec_ops = 1000;            // fork+exec per measurement
  int latency_containers = 50;     // half privileged
  int footprint_containers = 200;  // running at once
  int footprint_window_s = 20;     // CPU measured over this
  int storm_containers = 4;
  int storm_seconds = 8;
};

}  // namespace privsentry::bench
