#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "decode/event_decoder.hpp"
#include "enrich/bundle_source.hpp"
#include "enrich/container_metadata_source.hpp"
#include "enrich/device_inspector.hpp"
#include "pipeline/finding_ledger.hpp"
#include "pipeline/sensor_observer.hpp"
#include "privsentry/clock.hpp"
#include "privsentry/sink.hpp"
#include "rules/rule_engine.hpp"
#include "state/host_state.hpp"
#include "util/bounded_id_set.hpp"
#include "util/record_ids.hpp"

namespace privsentry {

struct SensorOptions {
  // How long a Docker container's report waits for the engine's answer.
  std::chrono::milliseconds docker_grace{2000};
  // How often a running container's device cgroup is read again.
  std::chrono::milliseconds device_recheck{10000};
  // Why Docker is not asked, when metadata is null ("--no-docker").
  std::string docker_disabled_reason = "Docker enrichment is off";
  // Whose containers the engine API knows (docker, or podman's socket).
  ContainerRuntime engine_runtime = ContainerRuntime::kDocker;
};

struct SensorStats {
  std::uint64_t records = 0;
  std::uint64_t decode_errors = 0;
  std::uint64_t findings = 0;
  // Raised again after a restart, but delivered before it (FindingLedger).
  std::uint64_t findings_already_delivered = 0;
  std::uint64_t containers_started = 0;
  std::uint64_t containers_exited = 0;
  std::map<std::string, std::uint64_t> findings_by_rule;
};

// Everything above the kernel source: decoded events update the host state,
// the engine's answers enrich it, the rules judge it, and records go to the
// sink. Single-threaded: the event loop calls every method.
class Sensor {
 public:
  Sensor(HostFacts facts, std::uint32_t tracked_hierarchy, ContainerCgroupRegistry& registry,
         ContainerMetadataSource* metadata, DeviceInspector& devices, Sink& sink, const Clock& clock,
         SensorOptions options);

  // One ring buffer record.
  void handle_record(std::span<const std::byte> record);
  void handle(const KernelEvent& event);
  // A process found by the start-up scan, and the cgroups it is in.
  void handle_scanned(const std::vector<CgroupEvent>& cgroups, const ExecEvent& process);
  void handle(const DockerUpdate& update);
  // Deadlines and periodic checks; call a few times a second.
  void tick();

  // Reports every container that is ready, and those still waiting on the
  // engine, without waiting (audit, shutdown).
  void flush_pending();

  void emit(OutputRecord record);

  // The live view's hook; null for none.
  void set_observer(SensorObserver* observer) { observer_ = observer; }
  // Where delivered finding ids outlive the process; null for none.
  void set_ledger(FindingLedger* ledger) { ledger_ = ledger; }
  // Where containers that Docker does not manage find their bundles.
  void set_bundle_source(BundleSource* bundles) { bundles_ = bundles; }
  [[nodiscard]] const Clock& clock() const { return clock_; }
  [[nodiscard]] const HostFacts& facts() const { return state_.facts(); }

  [[nodiscard]] HostState& state() { return state_; }
  [[nodiscard]] const HostState& state() const { return state_; }
  [[nodiscard]] const SensorStats& stats() const { return stats_; }
  [[nodiscard]] bool docker_connected() const { return docker_connected_; }
  [[nodiscard]] RuleEngine& rules() { return rules_; }

 private:
  void on_change(StateChange change, const KernelEvent* event);
  void on_container_seen(Container& container);
  void try_report(Container& container, bool force);
  void check_devices(Container& container);
  void attach_bundle(Container& container);
  void apply_docker(Container& container, const DockerContainerInfo& info);
  void request_inspect(Container& container);
  void retry_inspect(Container& container, std::uint64_t now_ns);
  void report_exit(Container& container);
  bool remember_finding(const std::string& id);

  EventDecoder decoder_;
  RecordIds ids_;
  HostState state_;
  RuleEngine rules_;
  ContainerMetadataSource* metadata_;
  DeviceInspector& devices_;
  Sink& sink_;
  const Clock& clock_;
  SensorOptions options_;
  SensorStats stats_;
  SensorObserver* observer_ = nullptr;
  FindingLedger* ledger_ = nullptr;
  BundleSource* bundles_ = nullptr;

  bool docker_connected_ = false;
  bool docker_state_reported_ = false;
  std::string docker_error_;
  // Answers for containers whose cgroup the kernel has not shown yet.
  std::map<std::string, DockerContainerInfo> docker_cache_;
  // Finding ids already sent, across container restarts (bounded, oldest out).
  static constexpr std::size_t kMaxRememberedFindings = 16384;
  BoundedIdSet emitted_{kMaxRememberedFindings};
};

}  // namespace privsentry
