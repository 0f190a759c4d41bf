#include "pipeline/sensor.hpp"

#include <spdlog/spdlog.h>

#include "rules/evidence.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

constexpr std::size_t kMaxDockerCache = 4096;
constexpr std::chrono::milliseconds kReinspectAfter{2500};
constexpr std::chrono::milliseconds kReinspectMax{300000};

std::uint64_t to_ns(std::chrono::milliseconds ms) { return static_cast<std::uint64_t>(ms.count()) * 1'000'000ULL; }

std::string short_id(const Container& container) { return escape_for_terminal(container.ref.id.substr(0, 12)); }

}  // namespace

Sensor::Sensor(HostFacts facts, std::uint32_t tracked_hierarchy, ContainerCgroupRegistry& registry,
               ContainerMetadataSource* metadata, DeviceInspector& devices, Sink& sink, const Clock& clock,
               SensorOptions options)
    : state_(std::move(facts), tracked_hierarchy, registry),
      rules_(state_.facts()),
      metadata_(metadata),
      devices_(devices),
      sink_(sink),
      clock_(clock),
      options_(std::move(options)) {
  state_.set_engine_runtime(options_.engine_runtime);
}

void Sensor::emit(OutputRecord record) {
  // Every record leaves with an id, so receivers can drop the duplicates
  // that at-least-once delivery may cause. Findings bring a stable one.
  std::visit(
      [this](auto& r) {
        if (r.id.empty()) {
          r.id = ids_.next();
        }
      },
      record);
  sink_.write(record);
}

bool Sensor::remember_finding(const std::string& id) {
  if (!emitted_.insert(id)) {
    return false;
  }
  if (ledger_ != nullptr && ledger_->contains(id)) {
    ++stats_.findings_already_delivered;
    spdlog::debug("finding {} was delivered before this sensor started; not sent again", id);
    return false;
  }
  return true;
}

void Sensor::handle_record(std::span<const std::byte> record) {
  ++stats_.records;
  auto event = decoder_.decode(record);
  if (!event) {
    // Say it, but a stream of bad records must not become a stream of logs.
    if (++stats_.decode_errors <= 10 || stats_.decode_errors % 10000 == 0) {
      spdlog::warn("kernel record skipped ({} so far): {}", stats_.decode_errors, event.error().message);
    }
    return;
  }
  handle(*event);
}

void Sensor::handle(const KernelEvent& event) {
  std::visit([this, &event](const auto& e) { on_change(state_.apply(e), &event); }, event);
}

void Sensor::handle_scanned(const std::vector<CgroupEvent>& cgroups, const ExecEvent& process) {
  for (const auto& cgroup : cgroups) {
    on_change(state_.apply(cgroup), nullptr);
  }
  on_change(state_.apply(process, Observation::kStartupScan), nullptr);
}

void Sensor::on_change(StateChange change, const KernelEvent* event) {
  switch (change.kind) {
    case StateChange::Kind::kNone:
      return;
    case StateChange::Kind::kContainerSeen:
      on_container_seen(*change.container);
      break;
    case StateChange::Kind::kProcess:
    case StateChange::Kind::kCapabilityUse:
      if (change.became_active) {
        // The runtime has finished: the device cgroup is now what the
        // container runs with, and its bundle is written.
        attach_bundle(*change.container);
        check_devices(*change.container);
      }
      try_report(*change.container, false);
      break;
    case StateChange::Kind::kContainerExited:
      report_exit(*change.exited);
      if (observer_ != nullptr) {
        observer_->on_container_exited(*change.exited);
      }
      return;
  }
  if (observer_ != nullptr) {
    if (event != nullptr) {
      observer_->on_activity(*event, *change.container);
    }
    observer_->on_container_changed(*change.container);
  }
}

void Sensor::on_container_seen(Container& container) {
  if (container.docker_status != DockerStatus::kPending) {
    return;
  }
  if (metadata_ == nullptr) {
    container.docker_status = DockerStatus::kUnavailable;
    container.docker_error = options_.docker_disabled_reason;
    return;
  }
  if (const auto cached = docker_cache_.find(container.ref.id); cached != docker_cache_.end()) {
    apply_docker(container, cached->second);
    return;
  }
  request_inspect(container);
  if (docker_state_reported_ && !docker_connected_) {
    // Asked all the same: the answer arrives once the engine is back.
    container.docker_status = DockerStatus::kUnavailable;
    container.docker_error = docker_error_;
  }
}

void Sensor::request_inspect(Container& container) {
  container.docker_requested_boot_ns = clock_.boot_now_ns();
  ++container.docker_attempts;
  metadata_->request_inspect(container.ref.id);
}

void Sensor::retry_inspect(Container& container, std::uint64_t now_ns) {
  // A failed inspect while the engine answers (a timeout, an error status, a
  // bad answer) is asked again, backing off from 5 s to 5 min. After an
  // outage the engine's resync asks anyway.
  if (metadata_ == nullptr || !docker_connected_ || container.ref.runtime != options_.engine_runtime ||
      container.docker_status != DockerStatus::kUnavailable) {
    return;
  }
  const auto shift = std::min(container.docker_attempts, 6U);
  const auto wait = std::min<std::uint64_t>(to_ns(kReinspectAfter) << shift, to_ns(kReinspectMax));
  if (now_ns - container.docker_requested_boot_ns >= wait) {
    request_inspect(container);
  }
}

void Sensor::apply_docker(Container& container, const DockerContainerInfo& info) {
  container.docker = info;
  container.docker_status = DockerStatus::kKnown;
  container.docker_error.clear();
}

void Sensor::check_devices(Container& container) {
  DeviceQuery query;
  query.cgroup_path = container.ref.cgroup_path;
  if (!container.processes.empty()) {
    query.pid = container.processes.begin()->first;
  }
  if (query.pid == 0 && query.cgroup_path.empty()) {
    return;
  }
  auto verdict = devices_.inspect(query);
  if (verdict.state == DeviceVerdict::State::kUnknown && container.devices.state != DeviceVerdict::State::kUnknown) {
    // A process gone between the event and the read: keep what was known.
    return;
  }
  if (verdict.state == DeviceVerdict::State::kUnknown) {
    spdlog::debug("container {}: device cgroup unknown: {}", short_id(container),
                  escape_for_terminal(verdict.detail, 300));
  }
  container.devices = std::move(verdict);
  container.devices_checked_boot_ns = clock_.boot_now_ns();
}

void Sensor::attach_bundle(Container& container) {
  if (bundles_ == nullptr || container.bundle_checked || container.ref.runtime == ContainerRuntime::kDocker) {
    return;
  }
  container.bundle_checked = true;
  const std::uint32_t pid = container.processes.empty() ? 0 : container.processes.begin()->first;
  auto found = bundles_->find(container.ref, pid);
  if (!found) {
    return;
  }
  if (!*found) {
    container.bundle_error = found->error().message;
    spdlog::warn("container {}: its bundle cannot be read: {}", short_id(container),
                 escape_for_terminal(container.bundle_error, 300));
    return;
  }
  auto& bundle = found->value();
  if (container.ref.runtime == ContainerRuntime::kUnmanaged) {
    // A runtime that names its cgroups its own way (ctr: /<namespace>/<id>)
    // was taken for a hand-made container until its bundle said otherwise.
    container.ref.runtime = bundle.engine == "containerd" ? ContainerRuntime::kContainerd
                            : bundle.engine == "cri-o"    ? ContainerRuntime::kCrio
                                                          : ContainerRuntime::kPodman;
    container.ref.id = bundle.id;
    if (!bundle.cgroups_path.empty() && bundle.cgroups_path.front() == '/') {
      container.ref.cgroup_path = bundle.cgroups_path;
    }
  }
  if (container.ref.pod_uid.empty()) {
    container.ref.pod_uid = bundle.kubernetes.pod_uid;
  }
  container.bundle = std::move(bundle);
}

void Sensor::try_report(Container& container, bool force) {
  if (!container.active) {
    return;
  }
  if (container.docker_status == DockerStatus::kPending) {
    const auto waited = clock_.boot_now_ns() - container.docker_requested_boot_ns;
    if (!force && waited < to_ns(options_.docker_grace)) {
      return;  // tick() comes back
    }
    container.docker_status = DockerStatus::kUnavailable;
    container.docker_error =
        "no answer from the engine within " + std::to_string(options_.docker_grace.count()) + " ms";
    spdlog::warn("container {}: {}", short_id(container), container.docker_error);
  }
  const auto now = clock_.now();
  if (!container.start_emitted) {
    container.start_emitted = true;
    ++stats_.containers_started;
    ContainerLifecycle start;
    start.kind = ContainerLifecycle::Kind::kStart;
    start.time = now;
    start.container = snapshot_of(container);
    start.observed_by = std::string(to_string(container.activated_by));
    start.posture = rules_.posture(container);
    emit(start);
  }
  for (auto& finding : rules_.evaluate(container, now)) {
    if (!remember_finding(finding.id)) {
      continue;
    }
    ++stats_.findings;
    ++stats_.findings_by_rule[finding.rule];
    spdlog::info("finding {} {} container {} ({})", finding.rule, to_string(finding.severity), short_id(container),
                 escape_for_terminal(finding.container.name.value_or(""), 64));
    const std::string id = finding.id;
    emit(std::move(finding));
    if (ledger_ != nullptr) {
      if (auto added = ledger_->add(id); !added) {
        spdlog::warn("finding {} sent but not remembered; a restart may send it again: {}", id, added.error().message);
      }
    }
  }
}

void Sensor::report_exit(Container& container) {
  if (container.active && !container.start_emitted) {
    // Gone before the engine answered: report what the kernel saw.
    try_report(container, true);
  }
  if (!container.start_emitted) {
    return;
  }
  ++stats_.containers_exited;
  ContainerLifecycle exit;
  exit.kind = ContainerLifecycle::Kind::kExit;
  exit.time = clock_.now();
  exit.container = snapshot_of(container);
  exit.posture = rules_.posture(container);
  for (const auto& [capability, use] : container.used) {
    exit.capabilities_used.push_back(capability_name(capability));
  }
  for (const auto& [id, rule] : container.findings) {
    exit.findings.push_back(rule);
  }
  emit(exit);
}

void Sensor::handle(const DockerUpdate& update) {
  switch (update.kind) {
    case DockerUpdate::Kind::kConnected: {
      const bool changed = !docker_connected_ || !docker_state_reported_;
      docker_connected_ = true;
      docker_state_reported_ = true;
      docker_error_.clear();
      if (changed) {
        spdlog::info("docker: connected, engine {}", escape_for_terminal(update.message, 80));
        emit(SensorStatus{SensorStatus::Kind::kDockerState,
                          clock_.now(),
                          {{"docker", {{"state", "connected"}, {"engine", update.message}}}},
                          {}});
      }
      return;
    }
    case DockerUpdate::Kind::kDisconnected: {
      const bool changed = docker_connected_ || !docker_state_reported_;
      docker_connected_ = false;
      docker_state_reported_ = true;
      docker_error_ = update.message;
      if (changed) {
        spdlog::warn("docker: unavailable, running on kernel evidence: {}", escape_for_terminal(update.message, 300));
        emit(SensorStatus{SensorStatus::Kind::kDockerState,
                          clock_.now(),
                          {{"docker", {{"state", "unavailable"}, {"error", update.message}}}},
                          {}});
      }
      for (auto* container : state_.containers()) {
        if (container->docker_status == DockerStatus::kPending) {
          container->docker_status = DockerStatus::kUnavailable;
          container->docker_error = update.message;
          try_report(*container, false);
        }
      }
      return;
    }
    case DockerUpdate::Kind::kInspected: {
      if (Container* container = state_.find_docker(update.id)) {
        apply_docker(*container, update.info);
        try_report(*container, false);
        if (observer_ != nullptr) {
          observer_->on_container_changed(*container);
        }
      } else {
        if (docker_cache_.size() >= kMaxDockerCache) {
          docker_cache_.erase(docker_cache_.begin());
        }
        docker_cache_[update.id] = update.info;
      }
      return;
    }
    case DockerUpdate::Kind::kNotFound: {
      if (Container* container = state_.find_docker(update.id)) {
        container->docker.reset();
        container->docker_status = DockerStatus::kNotFound;
        container->docker_error.clear();
        try_report(*container, false);
      }
      return;
    }
    case DockerUpdate::Kind::kInspectFailed: {
      spdlog::warn("docker: {}", escape_for_terminal(update.message, 300));
      if (Container* container = state_.find_docker(update.id)) {
        if (container->docker_status == DockerStatus::kPending) {
          container->docker_status = DockerStatus::kUnavailable;
          container->docker_error = update.message;
          try_report(*container, false);
        }
      }
      return;
    }
    case DockerUpdate::Kind::kDestroyed:
      docker_cache_.erase(update.id);
      return;
  }
}

void Sensor::tick() {
  const auto now_ns = clock_.boot_now_ns();
  for (auto* container : state_.containers()) {
    retry_inspect(*container, now_ns);
    if (!container->active) {
      continue;
    }
    if (now_ns - container->devices_checked_boot_ns >= to_ns(options_.device_recheck)) {
      const auto before = container->devices.state;
      check_devices(*container);
      if (before != container->devices.state) {
        spdlog::info("container {}: device cgroup now {}", short_id(*container), to_string(container->devices.state));
        if (observer_ != nullptr) {
          observer_->on_container_changed(*container);
        }
      }
    }
    try_report(*container, false);
  }
  if (observer_ != nullptr) {
    observer_->on_tick(stats_);
  }
}

void Sensor::flush_pending() {
  for (auto* container : state_.containers()) {
    try_report(*container, true);
  }
}

}  // namespace privsentry
