#include "app/command_line.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/config_file.hpp"
#include "output/output_spec.hpp"

namespace privsentry {
namespace {

void add_common(CLI::App& command, CommonOptions& common, std::string& config) {
  command
      .add_option(
          "--config", config,
          "YAML configuration; every flag has a key (default: " + std::string(kDefaultConfigPath) + " if it exists)")
      ->type_name("PATH");
  command
      .add_option("--docker-host", common.docker_host,
                  "Docker Engine API socket as unix:///path (default: $DOCKER_HOST, then /var/run/docker.sock)")
      ->type_name("URI");
  command.add_flag("--no-docker", common.no_docker, "Do not ask Docker; judge on kernel evidence alone");
  command.add_option("--hostname", common.hostname, "Host name to put in records (default: the kernel's node name)");
  command
      .add_option("--cgroup-hierarchy", common.cgroup_hierarchy,
                  "Hierarchy that names a task's cgroup: auto, unified, or a v1 controller such as devices")
      ->capture_default_str();
  command.add_option("--log-level", common.log_level, "trace, debug, info, warn, error, critical or off (stderr)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
}

void add_run(CLI::App& run_cmd, RunOptions& run) {
  run_cmd
      .add_option("--cap-tier", run.cap_tier,
                  "Capability-check probe: auto (tracepoint, then fentry, then kprobe), tracepoint, fentry or kprobe")
      ->check(CLI::IsMember({"auto", "tracepoint", "fentry", "kprobe"}))
      ->capture_default_str();
  run_cmd.add_option("--ringbuf-mib", run.ringbuf_mib, "Ring buffer size in MiB (a power of two)")
      ->check(CLI::IsMember({1, 2, 4, 8, 16, 32, 64, 128, 256}))
      ->capture_default_str();
  run_cmd
      .add_option("--docker-grace-ms", run.docker_grace_ms,
                  "How long a Docker container's report waits for the engine's answer")
      ->capture_default_str();
  run_cmd.add_option("--device-recheck-s", run.device_recheck_s, "How often device cgroups are read again")
      ->check(CLI::Range(1U, 3600U))
      ->capture_default_str();
  run_cmd
      .add_option("--raw-record", run.raw_record_path,
                  "Also write every kernel record, as the kernel wrote it, to this file (owner-only)")
      ->type_name("FILE");
  run_cmd
      .add_option("--output", run.outputs,
                  "Where records go, repeatable: stdout, file:/path, syslog+udp|tcp|tls://host:port, "
                  "hec+https://host:port, elastic+http(s)://host:port/index, webhook+http(s)://host:port/path; "
                  "each takes ?format=native|ocsf|cef (default: stdout)")
      ->type_name("URI");
  run_cmd.add_option("--spool-dir", run.spool_dir, "Where sinks that cannot deliver keep their backlog")
      ->capture_default_str();
  run_cmd.add_option("--spool-max-mib", run.spool_max_mib, "Largest backlog per sink; then the oldest records go")
      ->check(CLI::Range(1U, 1U << 20U))
      ->capture_default_str();
  run_cmd.add_option("--tls-ca", run.tls_ca, "CA file for TLS sinks (default: the system's trust store)");
  run_cmd.add_option("--tls-cert", run.tls_cert, "Client certificate for TLS sinks");
  run_cmd.add_option("--tls-key", run.tls_key, "Client key for TLS sinks");
  run_cmd
      .add_option("--metrics-listen", run.metrics_listen,
                  "Serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9464")
      ->type_name("HOST:PORT");
  run_cmd
      .add_option("--flush-timeout-s", run.flush_timeout_s,
                  "On SIGTERM/SIGINT, how long sinks may take to deliver or spool what is queued")
      ->check(CLI::Range(0U, 3600U))
      ->capture_default_str();
}

// --config PATH or --config=PATH anywhere on the line.
std::pair<std::string, bool> config_path(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      return {args[i + 1], true};
    }
    if (args[i].rfind("--config=", 0) == 0) {
      return {args[i].substr(9), true};
    }
  }
  return {kDefaultConfigPath, false};
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine result;
  ConfigValues config;
  const auto [path, explicit_path] = config_path(args);
  std::error_code ec;
  if (explicit_path || std::filesystem::exists(path, ec)) {
    auto loaded = load_config_file(path, config);
    if (!loaded) {
      std::cerr << "privsentry: " << loaded.error().message << "\n";
      result.exit_code = 2;
      return result;
    }
  }
  if (const char* token = std::getenv("PRIVSENTRY_HEC_TOKEN"); token != nullptr && *token != '\0') {
    config.run.hec_token = token;
  }

  result.run = config.run;
  result.audit.common = config.run.common;
  result.audit.format = config.audit_format;
  result.doctor.common = config.run.common;
  result.doctor.cap_tier = config.run.cap_tier;
  std::string ignored_config;

  CLI::App app{
      "privsentry: finds privileged containers from the kernel (eBPF) and cross-checks them against the "
      "Docker Engine (CIS Docker Benchmark 5.4)"};
  app.set_version_flag("--version", PRIVSENTRY_VERSION);
  app.require_subcommand(1);

  auto* run_cmd = app.add_subcommand(
      "run",
      "Load the BPF probes and stream records (one JSON object per line by default) to the configured sinks "
      "until SIGINT or SIGTERM; SIGHUP reopens files and reloads the configuration. Logs go to stderr. Needs "
      "root.");
  add_common(*run_cmd, result.run.common, ignored_config);
  add_run(*run_cmd, result.run);

  auto* audit_cmd = app.add_subcommand(
      "audit",
      "Scan the running containers once with kernel (/proc, cgroupfs) and Docker evidence. Exit 1 if any high or "
      "critical finding, 0 if clean, 2 on error or an incomplete audit. Needs root.");
  add_common(*audit_cmd, result.audit.common, ignored_config);
  audit_cmd->add_option("--format", result.audit.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  auto* doctor_cmd = app.add_subcommand(
      "doctor",
      "Print every feature probe, the cgroup layout, which capability tier loads, and whether Docker answers. "
      "Exit 0 if the sensor can run here.");
  add_common(*doctor_cmd, result.doctor.common, ignored_config);
  doctor_cmd->add_option("--cap-tier", result.doctor.cap_tier, "Probe only this tier (auto: all, in order)")
      ->check(CLI::IsMember({"auto", "tracepoint", "fentry", "kprobe"}))
      ->capture_default_str();

  std::vector<std::string> argv_storage{"privsentry"};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) {
    argv.push_back(arg.data());
  }
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, as documented.
    result.exit_code = app.exit(e) == 0 ? 0 : 2;
    return result;
  }
  for (const auto& uri : result.run.outputs) {
    if (auto spec = parse_output_uri(uri); !spec) {
      std::cerr << "privsentry: " << spec.error().message << "\n";
      result.exit_code = 2;
      return result;
    }
  }
  result.command = run_cmd->parsed()     ? CommandLine::Command::kRun
                   : audit_cmd->parsed() ? CommandLine::Command::kAudit
                                         : CommandLine::Command::kDoctor;
  return result;
}

}  // namespace privsentry
