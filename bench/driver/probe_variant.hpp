#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench_config.hpp"
#include "support/subprocess.hpp"

namespace privsentry::bench {

// What is attached to the kernel while a workload runs.
enum class ProbeKind {
  kNone,        // nothing: the baseline
  kFloor,       // empty BPF programs on privsentry's hooks
  kPrivsentry,  // privsentry run, its output to /dev/null
  kBpftrace,    // a bpftrace one-liner counting cap_capable per cgroup and capability
};

std::string to_string(ProbeKind kind);

// Starts the kind's process and waits until its probes are attached; stops
// it on destruction (or stop()).
class ProbeVariant {
 public:
  // extra_args and collect_stdout apply to privsentry: more run options, and
  // its NDJSON read (see process()) instead of sent to /dev/null.
  ProbeVariant(ProbeKind kind, const BenchConfig& config, const std::vector<std::string>& extra_args = {},
               bool collect_stdout = false);
  ~ProbeVariant();
  ProbeVariant(const ProbeVariant&) = delete;
  ProbeVariant& operator=(const ProbeVariant&) = delete;

  // The exit code; throws if it does not end in time.
  int stop();
  [[nodiscard]] support::Subprocess* process() { return process_.get(); }

 private:
  void wait_ready(const std::string& marker, bool on_stderr);

  ProbeKind kind_;
  std::unique_ptr<support::Subprocess> process_;
};

// True when bpftrace can run here (installed, tracefs mounted or mountable).
bool bpftrace_available(std::string& why_not);

}  // namespace privsentry::bench
