#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "app/host_context.hpp"

namespace privsentry {

struct RunOptions {
  CommonOptions common;
  std::string cap_tier = "auto";
  std::size_t ringbuf_mib = 4;
  unsigned docker_grace_ms = 2000;
  unsigned device_recheck_s = 10;
  std::string raw_record_path;       // also write every ring buffer record here
  std::vector<std::string> outputs;  // --output URIs; none: stdout
  std::string spool_dir = "/var/lib/privsentry/spool";
  // Delivered finding ids, kept across restarts; empty for nowhere.
  std::string state_dir = "/var/lib/privsentry";
  unsigned spool_max_mib = 64;
  std::string hec_token;  // config file or PRIVSENTRY_HEC_TOKEN, never a flag
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string metrics_listen;  // host:port; empty: no metrics endpoint
  unsigned flush_timeout_s = 10;
  std::string record_path;  // --record: everything seen and decided, for replay
  std::string socket_path;  // --socket: serve the live feed to privsentry live
};

// privsentry run: load the probes and stream records to the configured sinks
// until SIGINT or SIGTERM (SIGHUP reloads). reload gives the options anew
// from the configuration file and the same command line. Returns the exit
// code.
using ReloadOptions = std::function<Expected<RunOptions>()>;
int run_command(const RunOptions& options, const ReloadOptions& reload);

class LiveFeed;

// For privsentry live, which runs the same sensor with a view attached.
struct RunHooks {
  // Called once the live feed exists, on the sensor's thread, before any
  // event: subscribe here.
  std::function<void(LiveFeed&)> on_feed;
  // Polled a few times a second; true stops the sensor as a signal would.
  std::function<bool()> stop_requested;
  // No --output means stdout for run; for live, no sink at all.
  bool stdout_by_default = true;
  // For run, SIGHUP reloads; for live it means the terminal went away.
  bool hangup_stops = false;
};

int run_sensor(const RunOptions& options, const ReloadOptions& reload, const RunHooks& hooks);

}  // namespace privsentry
