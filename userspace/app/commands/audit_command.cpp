#include "app/commands/audit_command.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <vector>

#include "enrich/cgroup_device_inspector.hpp"
#include "enrich/docker_client.hpp"
#include "kernel/kernel_device_program_source.hpp"
#include "kernel/proc_scanner.hpp"
#include "pipeline/sensor.hpp"
#include "sinks/audit_report.hpp"
#include "sinks/native_json_encoder.hpp"

namespace privsentry {
namespace {

// An audit loads no BPF: there is no kernel map to keep in step.
class NoKernelRegistry final : public ContainerCgroupRegistry {
 public:
  void add(std::uint64_t /*cgroup_id*/) override {}
  void remove(std::uint64_t /*cgroup_id*/) override {}
};

// Collects the ids to inspect; the audit asks the engine once the scan is done.
class DeferredInspections final : public ContainerMetadataSource {
 public:
  void request_inspect(const std::string& id) override { ids_.push_back(id); }
  std::vector<std::string> take() { return std::exchange(ids_, {}); }

 private:
  std::vector<std::string> ids_;
};

class ReportSink final : public Sink {
 public:
  explicit ReportSink(AuditReport& report) : report_(report) {}
  void write(const OutputRecord& record) override {
    if (const auto* finding = std::get_if<Finding>(&record)) {
      report_.findings.push_back(*finding);
    } else if (const auto* lifecycle = std::get_if<ContainerLifecycle>(&record)) {
      if (lifecycle->kind == ContainerLifecycle::Kind::kStart) {
        report_.containers.push_back(*lifecycle);
      }
    }
  }
  void flush() override {}

 private:
  AuditReport& report_;
};

void ask_docker(const std::string& socket, DeferredInspections& inspections, Sensor& sensor, AuditReport& report) {
  auto ids = inspections.take();
  if (ids.empty()) {
    return;  // no Docker container on the host: nothing to ask
  }
  const DockerClient client(socket, DockerClientOptions{});
  auto version = client.server_version();
  if (!version) {
    report.warnings.push_back("Docker could not be asked: " + version.error().message);
    sensor.handle(DockerUpdate{DockerUpdate::Kind::kDisconnected, {}, {}, version.error().message});
    return;
  }
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, *version});
  for (const auto& id : ids) {
    auto outcome = client.inspect(id);
    switch (outcome.kind) {
      case InspectOutcome::Kind::kFound:
        sensor.handle(DockerUpdate{DockerUpdate::Kind::kInspected, id, std::move(outcome.info), {}});
        break;
      case InspectOutcome::Kind::kNotFound:
        sensor.handle(DockerUpdate{DockerUpdate::Kind::kNotFound, id, {}, {}});
        break;
      case InspectOutcome::Kind::kFailed:
        report.warnings.push_back(outcome.error);
        sensor.handle(DockerUpdate{DockerUpdate::Kind::kInspectFailed, id, {}, outcome.error});
        break;
    }
  }
}

}  // namespace

int audit_command(const AuditOptions& options) {
  if (options.format != "table" && options.format != "json") {
    spdlog::critical("--format must be table or json");
    return 2;
  }
  auto context = load_host_context(options.common);
  if (!context) {
    spdlog::critical("{}", context.error().message);
    return 2;
  }
  try {
    SystemClock clock;
    AuditReport report;
    report.host = context->facts.hostname;
    report.time = clock.now();
    NoKernelRegistry registry;
    DeferredInspections inspections;
    // audit keeps its privileges: it asks the kernel for device programs itself.
    KernelDeviceProgramSource device_programs;
    CgroupDeviceInspector devices(context->layout, "/proc", &device_programs);
    ReportSink sink(report);
    SensorOptions sensor_options;
    sensor_options.docker_disabled_reason = "Docker enrichment is off (--no-docker)";
    sensor_options.engine_runtime = engine_runtime(options.common);
    Sensor sensor(context->facts, context->tracked.hierarchy_id, registry,
                  context->docker_socket.empty() ? nullptr : &inspections, devices, sink, clock, sensor_options);

    OciBundleLocator bundles(bundle_roots(options.common), context->facts.bounding, "/proc");
    sensor.set_bundle_source(&bundles);
    const ProcScanner scanner("/proc", context->facts, context->tracked);
    for (const auto& process : scanner.scan(clock.boot_now_ns())) {
      sensor.handle_scanned(process.cgroups, process.process);
    }
    if (!context->docker_socket.empty()) {
      ask_docker(context->docker_socket, inspections, sensor, report);
    }
    sensor.flush_pending();

    const NativeJsonEncoder encoder(context->facts.hostname);
    if (options.format == "json") {
      std::cout << dump_safe(audit_json(report, encoder)) << "\n";
    } else {
      std::cout << render_audit_table(report);
    }
    std::cout.flush();
    if (report.has_high_or_critical()) {
      return 1;
    }
    return report.warnings.empty() ? 0 : 2;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 2;
  }
}

}  // namespace privsentry
