// privsentry: finds privileged containers from the kernel and cross-checks
// them against the container engine. Composition root: parse, wire, run.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/commands/audit_command.hpp"
#include "app/commands/doctor_command.hpp"
#include "app/commands/run_command.hpp"
#include "enrich/docker_client.hpp"
#include "kernel/libbpf_log.hpp"

namespace {

void add_common(CLI::App& command, privsentry::CommonOptions& common) {
  command
      .add_option("--docker-host", common.docker_host,
                  "Docker Engine API socket as unix:///path (default: $DOCKER_HOST, then /var/run/docker.sock)")
      ->type_name("URI");
  command.add_flag("--no-docker", common.no_docker, "Do not ask Docker; judge on kernel evidence alone");
  command.add_option("--hostname", common.hostname, "Host name to put in records (default: the kernel's node name)");
  command
      .add_option("--cgroup-hierarchy", common.cgroup_hierarchy,
                  "Hierarchy that names a task's cgroup: auto (unified where mounted), unified, or a v1 controller "
                  "such as devices")
      ->capture_default_str();
  command.add_option("--log-level", common.log_level, "trace, debug, info, warn, error, critical or off (stderr)")
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  // A consumer closing stdout must surface as a write error, not kill us.
  ::signal(SIGPIPE, SIG_IGN);

  CLI::App app{
      "privsentry: finds privileged containers from the kernel (eBPF) and cross-checks them against the "
      "Docker Engine (CIS Docker Benchmark 5.4)"};
  app.set_version_flag("--version", PRIVSENTRY_VERSION);
  app.require_subcommand(1);

  privsentry::RunOptions run;
  auto* run_cmd = app.add_subcommand(
      "run",
      "Load the BPF probes and stream findings as NDJSON (one JSON object per line) to stdout until SIGINT or "
      "SIGTERM; logs go to stderr. Needs root.");
  add_common(*run_cmd, run.common);
  run_cmd
      ->add_option("--cap-tier", run.cap_tier,
                   "Capability-check probe: auto (tracepoint, then fentry, then kprobe), tracepoint, fentry or kprobe")
      ->capture_default_str();
  run_cmd->add_option("--ringbuf-mib", run.ringbuf_mib, "Ring buffer size in MiB (a power of two)")
      ->check(CLI::IsMember({1, 2, 4, 8, 16, 32, 64, 128, 256}))
      ->capture_default_str();
  run_cmd
      ->add_option("--docker-grace-ms", run.docker_grace_ms,
                   "How long a Docker container's report waits for the engine's answer")
      ->capture_default_str();
  run_cmd
      ->add_option("--raw-record", run.raw_record_path,
                   "Also write every kernel record, as the kernel wrote it, to this file (owner-only), for tests "
                   "and bug reports")
      ->type_name("FILE");
  run_cmd->add_option("--device-recheck-s", run.device_recheck_s, "How often device cgroups are read again")
      ->check(CLI::Range(1U, 3600U))
      ->capture_default_str();

  privsentry::AuditOptions audit;
  auto* audit_cmd = app.add_subcommand(
      "audit",
      "Scan the running containers once with kernel (/proc, cgroupfs) and Docker evidence. Exit 1 if any high or "
      "critical finding, 0 if clean, 2 on error or an incomplete audit. Needs root.");
  add_common(*audit_cmd, audit.common);
  audit_cmd->add_option("--format", audit.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  privsentry::DoctorOptions doctor;
  auto* doctor_cmd = app.add_subcommand(
      "doctor",
      "Print every feature probe, the cgroup layout, which capability tier loads, and whether Docker "
      "answers. Exit 0 if the sensor can run here.");
  add_common(*doctor_cmd, doctor.common);
  doctor_cmd->add_option("--cap-tier", doctor.cap_tier, "Probe only this tier (auto: all, in order)")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, as documented.
    return app.exit(e) == 0 ? 0 : 2;
  }

  const std::string& level = run_cmd->parsed()     ? run.common.log_level
                             : audit_cmd->parsed() ? audit.common.log_level
                                                   : doctor.common.log_level;
  if (!privsentry::configure_logging(level)) {
    std::cerr << "--log-level: unknown level \"" << level << "\"\n";
    return 2;
  }
  privsentry::install_libbpf_logger();
  try {
    const privsentry::CurlGlobal curl;
    if (run_cmd->parsed()) {
      return privsentry::run_command(run);
    }
    if (audit_cmd->parsed()) {
      return privsentry::audit_command(audit);
    }
    return privsentry::doctor_command(doctor);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 2;
  }
}
