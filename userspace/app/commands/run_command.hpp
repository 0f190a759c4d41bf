#pragma once

#include <cstddef>
#include <string>

#include "app/host_context.hpp"

namespace privsentry {

struct RunOptions {
  CommonOptions common;
  std::string cap_tier = "auto";
  std::size_t ringbuf_mib = 4;
  unsigned docker_grace_ms = 2000;
  unsigned device_recheck_s = 10;
  std::string raw_record_path;  // also write every ring buffer record here
};

// privsentry run: load the probes, stream NDJSON to stdout until SIGINT or
// SIGTERM. Returns the process exit code.
int run_command(const RunOptions& options);

}  // namespace privsentry
