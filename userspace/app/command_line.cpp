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
  command
      .add_option("--engine", common.engine,
                  "What answers at --docker-host: docker, or podman (podman system service; its containers are "
                  "the ones asked about)")
      ->check(CLI::IsMember({"docker", "podman"}))
      ->capture_default_str();
  command.add_option("--hostname", common.hostname, "Host name to put in records (default: the kernel's node name)");
  command
      .add_option("--cgroup-hierarchy", common.cgroup_hierarchy,
                  "Hierarchy that names a task's cgroup: auto, unified, or a v1 controller such as devices")
      ->capture_default_str();
  command
      .add_option("--containerd-state", common.containerd_state,
                  "containerd's task state directory, where its bundles are; repeatable (default: "
                  "/run/containerd/io.containerd.runtime.v2.task)")
      ->type_name("DIR");
  command
      .add_option("--containers-storage", common.containers_storage,
                  "CRI-O's and podman's overlay-containers directory; repeatable (default: "
                  "/run/containers/storage/overlay-containers)")
      ->type_name("DIR");
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
      .add_option("--socket", run.socket_path,
                  "Serve the live feed on this unix socket (owner-only), for privsentry live --socket")
      ->type_name("PATH");
  run_cmd
      .add_option("--record", run.record_path,
                  "Also record everything seen and decided (kernel events, Docker answers, findings) to FILE, "
                  "zlib-compressed blocks with a SHA-256 chain, for privsentry replay")
      ->type_name("FILE");
  run_cmd
      .add_option("--output", run.outputs,
                  "Where records go, repeatable: stdout, file:/path, syslog+udp|tcp|tls://host:port, "
                  "hec+https://host:port, elastic+http(s)://host:port/index, webhook+http(s)://host:port/path; "
                  "each takes ?format=native|ocsf|cef (default: stdout)")
      ->type_name("URI");
  run_cmd.add_option("--spool-dir", run.spool_dir, "Where sinks that cannot deliver keep their backlog")
      ->capture_default_str();
  run_cmd
      .add_option("--state-dir", run.state_dir,
                  "Where the ids of delivered findings are kept, so that a restart does not send them again "
                  "(\"\" for nowhere)")
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

  result.live.run = config.run;
  auto* live_cmd = app.add_subcommand(
      "live",
      "A full-screen view of which containers are privileged, what the kernel says they can do and what they do "
      "with it. Runs its own sensor (every run option applies; no --output means no sink), or with --socket "
      "attaches to a running privsentry run --socket. Needs a terminal; run needs root.");
  std::string live_socket;
  add_common(*live_cmd, result.live.run.common, ignored_config);
  add_run(*live_cmd, result.live.run);
  live_cmd->remove_option(live_cmd->get_option("--socket"));
  live_cmd->add_option("--socket", result.live.attach, "Attach to the sensor serving its live feed here")
      ->type_name("PATH");

  auto* replay_cmd = app.add_subcommand(
      "replay",
      "Replay a record file (run --record) through the same pipeline: NDJSON on stdout, or the live view with "
      "--live. Exit 0 for a whole file, 1 if it stopped at damage (or --verify found it altered), 2 on error.");
  replay_cmd->add_option("file", result.replay.file, "The record file")->required();
  replay_cmd->add_flag("--verify", result.replay.verify,
                       "Check the SHA-256 chain and the totals: is the file whole and untouched?");
  replay_cmd->add_flag("--as-recorded", result.replay.as_recorded,
                       "Print the decisions as they were made instead of judging the events again");
  replay_cmd->add_flag("--live", result.replay.live, "Show the replay in the live view");
  replay_cmd
      ->add_option("--speed", result.replay.speed,
                   "Pace by the recorded times, N times as fast (0: as fast as possible; the view: 1)")
      ->capture_default_str();
  replay_cmd->add_option("--from", result.replay.from, "Only records from this time on (RFC 3339, UTC)");
  replay_cmd->add_option(
      "--until", result.replay.until,
      "Only records up to this time (RFC 3339, UTC; inclusive to the precision given: ...:02Z keeps all of second 2)");
  replay_cmd->add_option("--log-level", result.replay.log_level, "Log level (stderr)")->capture_default_str();

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
  for (const auto& uri : result.live.run.outputs) {
    if (auto spec = parse_output_uri(uri); !spec) {
      std::cerr << "privsentry: " << spec.error().message << "\n";
      result.exit_code = 2;
      return result;
    }
  }
  result.command = run_cmd->parsed()      ? CommandLine::Command::kRun
                   : audit_cmd->parsed()  ? CommandLine::Command::kAudit
                   : live_cmd->parsed()   ? CommandLine::Command::kLive
                   : replay_cmd->parsed() ? CommandLine::Command::kReplay
                                          : CommandLine::Command::kDoctor;
  return result;
}

}  // namespace privsentry
