#include "state/host_state.hpp"

#include "state/capability_verdict.hpp"
#include "state/cgroup_path_parser.hpp"

namespace privsentry {

std::string_view to_string(Observation observation) {
  switch (observation) {
    case Observation::kExec:
      return "exec";
    case Observation::kFork:
      return "fork";
    case Observation::kStartupScan:
      return "startup-scan";
  }
  return "exec";
}

std::string_view to_string(DockerStatus status) {
  switch (status) {
    case DockerStatus::kNotApplicable:
      return "not-applicable";
    case DockerStatus::kPending:
      return "pending";
    case DockerStatus::kKnown:
      return "known";
    case DockerStatus::kNotFound:
      return "not-found";
    case DockerStatus::kUnavailable:
      return "unavailable";
  }
  return "unavailable";
}

namespace {

std::string key_of(const ContainerRef& ref) { return std::string(to_string(ref.runtime)) + "/" + ref.id; }

}  // namespace

HostState::HostState(HostFacts facts, std::uint32_t tracked_hierarchy, ContainerCgroupRegistry& registry,
                     HostStateLimits limits)
    : facts_(std::move(facts)), tracked_hierarchy_(tracked_hierarchy), registry_(registry), limits_(limits) {}

Container* HostState::find(const std::string& key) {
  const auto it = containers_.find(key);
  return it == containers_.end() ? nullptr : it->second.get();
}

Container* HostState::find_docker(const std::string& id) {
  return find(std::string(to_string(engine_runtime_)) + "/" + id);
}

std::vector<Container*> HostState::containers() {
  std::vector<Container*> out;
  out.reserve(containers_.size());
  for (auto& [key, container] : containers_) {
    out.push_back(container.get());
  }
  return out;
}

Container* HostState::create(ContainerRef ref, std::uint64_t boot_ns) {
  if (containers_.size() >= limits_.max_containers) {
    ++containers_dropped_;
    return nullptr;
  }
  auto container = std::make_unique<Container>();
  container->key = key_of(ref);
  container->ref = std::move(ref);
  container->first_seen_boot_ns = boot_ns;
  container->docker_status =
      container->ref.runtime == engine_runtime_ ? DockerStatus::kPending : DockerStatus::kNotApplicable;
  auto* raw = container.get();
  containers_.emplace(raw->key, std::move(container));
  return raw;
}

void HostState::add_cgroup(Container& container, std::uint64_t cgroup_id) {
  if (cgroup_id == 0 || !container.cgroup_ids.insert(cgroup_id).second) {
    return;
  }
  by_cgroup_[cgroup_id] = &container;
  registry_.add(cgroup_id);
}

void HostState::learn_namespaces(Container& container, const TaskInfo& task) {
  if (task.mntns != 0 && task.mntns != facts_.mntns) {
    by_mntns_.try_emplace(task.mntns, &container);
    if (container.mntns == 0) {
      container.mntns = task.mntns;
    }
  }
  if (task.pidns != 0 && task.pidns != facts_.pidns) {
    by_pidns_.try_emplace(task.pidns, &container);
    if (container.pidns == 0) {
      container.pidns = task.pidns;
    }
  }
}

Container* HostState::resolve(const TaskInfo& task, std::uint64_t boot_ns) {
  if (const auto it = by_cgroup_.find(task.cgroup_id); it != by_cgroup_.end()) {
    return it->second;
  }
  if (task.mntns != facts_.mntns) {
    if (const auto it = by_mntns_.find(task.mntns); it != by_mntns_.end()) {
      return it->second;
    }
  }
  if (task.pidns != facts_.pidns) {
    if (const auto it = by_pidns_.find(task.pidns); it != by_pidns_.end()) {
      return it->second;
    }
  }
  // Own pid and mount namespaces but no runtime's cgroup: a container all the
  // same (runc run by hand, unshare, a runtime we do not know). Its cgroup is
  // not registered: it may be shared with host processes.
  if (task.pidns != facts_.pidns && task.mntns != facts_.mntns && task.mntns != 0) {
    ContainerRef ref;
    ref.runtime = ContainerRuntime::kUnmanaged;
    ref.id = "mntns-" + std::to_string(task.mntns);
    auto* container = create(std::move(ref), boot_ns);
    if (container != nullptr) {
      learn_namespaces(*container, task);
    }
    return container;
  }
  return nullptr;
}

std::unique_ptr<Container> HostState::remove(const std::string& key) {
  const auto it = containers_.find(key);
  if (it == containers_.end()) {
    return nullptr;
  }
  auto container = std::move(it->second);
  containers_.erase(it);
  for (const auto id : container->cgroup_ids) {
    by_cgroup_.erase(id);
    registry_.remove(id);
  }
  std::erase_if(by_mntns_, [&](const auto& entry) { return entry.second == container.get(); });
  std::erase_if(by_pidns_, [&](const auto& entry) { return entry.second == container.get(); });
  return container;
}

StateChange HostState::apply(const CgroupEvent& event) {
  StateChange change;
  if (event.hierarchy_id != tracked_hierarchy_) {
    return change;
  }
  if (event.action == CgroupAction::kRmdir) {
    const auto it = by_cgroup_.find(event.cgroup_id);
    if (it == by_cgroup_.end()) {
      return change;
    }
    Container* container = it->second;
    if (event.cgroup_id == container->primary_cgroup_id) {
      change.kind = StateChange::Kind::kContainerExited;
      change.exited = remove(container->key);
      return change;
    }
    container->cgroup_ids.erase(event.cgroup_id);
    by_cgroup_.erase(event.cgroup_id);
    registry_.remove(event.cgroup_id);
    return change;
  }

  auto ref = parse_container_cgroup(event.path);
  if (!ref) {
    return change;
  }
  Container* container = find(key_of(*ref));
  const bool created = container == nullptr;
  if (created) {
    container = create(*ref, event.timestamp_ns);
    if (container == nullptr) {
      return change;
    }
  }
  add_cgroup(*container, event.cgroup_id);
  if (event.path == container->ref.cgroup_path) {
    container->primary_cgroup_id = event.cgroup_id;
  }
  if (created) {
    change.kind = StateChange::Kind::kContainerSeen;
    change.container = container;
  }
  return change;
}

StateChange HostState::observe_process(Container& container, const TaskInfo& task, const CapabilitySets& caps,
                                       const std::string& filename, Observation observed_by, std::uint64_t boot_ns) {
  learn_namespaces(container, task);
  ProcessInfo info;
  info.pid = task.tgid;
  info.ppid = task.ppid;
  info.ns_pid = task.ns_pid;
  info.uid = task.uid;
  info.euid = task.euid;
  info.comm = task.comm;
  info.filename = filename;
  info.caps = caps;
  info.observed_by = observed_by;
  info.seen_boot_ns = boot_ns;

  if (container.processes.size() < limits_.max_processes_per_container || container.processes.contains(info.pid)) {
    container.processes[info.pid] = info;
  } else {
    ++container.processes_dropped;
  }
  container.bounding_union = container.bounding_union | caps.bounding;
  if (!container.first_process) {
    container.first_process = info;
  }
  if (!container.full_capability_process && evaluate_capabilities(caps.bounding, facts_.bounding).full) {
    container.full_capability_process = info;
  }

  StateChange change;
  change.kind = StateChange::Kind::kProcess;
  change.container = &container;
  if (!container.active) {
    container.active = true;
    container.activated_by = observed_by;
    change.became_active = true;
  }
  return change;
}

StateChange HostState::apply(const ExecEvent& event, Observation observed_by) {
  // The runtime's set-up (an image exec'd on the host, still running) is not
  // the container's doing.
  if (event.task.runtime_image) {
    return {};
  }
  Container* container = resolve(event.task, event.timestamp_ns);
  if (container == nullptr) {
    ++unattributed_;
    return {};
  }
  return observe_process(*container, event.task, event.caps, event.filename, observed_by, event.timestamp_ns);
}

StateChange HostState::apply(const ForkEvent& event) {
  if (event.task.runtime_image) {
    return {};
  }
  Container* container = resolve(event.task, event.timestamp_ns);
  if (container == nullptr) {
    ++unattributed_;
    return {};
  }
  std::string filename;
  if (const auto parent = container->processes.find(event.task.ppid); parent != container->processes.end()) {
    filename = parent->second.filename;
  }
  return observe_process(*container, event.task, event.caps, filename, Observation::kFork, event.timestamp_ns);
}

StateChange HostState::apply(const ExitEvent& event) {
  StateChange change;
  Container* container = nullptr;
  if (const auto it = by_cgroup_.find(event.task.cgroup_id); it != by_cgroup_.end()) {
    container = it->second;
  } else if (const auto it2 = by_mntns_.find(event.task.mntns); it2 != by_mntns_.end()) {
    container = it2->second;
  }
  if (container == nullptr) {
    return change;
  }
  container->processes.erase(event.task.tgid);
  // A runtime's container ends when its cgroup goes; one without a runtime
  // ends with its last process.
  if (container->ref.runtime == ContainerRuntime::kUnmanaged && container->processes.empty()) {
    change.kind = StateChange::Kind::kContainerExited;
    change.exited = remove(container->key);
  }
  return change;
}

StateChange HostState::apply(const CapabilityEvent& event) {
  StateChange change;
  if (event.task.runtime_image || event.capability < 0 || event.capability > kMaxCapabilityNumber) {
    return change;
  }
  Container* container = resolve(event.task, event.timestamp_ns);
  if (container == nullptr) {
    ++unattributed_;
    return change;
  }
  learn_namespaces(*container, event.task);
  if (!event.granted) {
    container->denied.add(event.capability);
    return change;
  }
  if (event.userns_level != 0) {
    container->used_in_user_namespace.add(event.capability);
    return change;
  }
  // A check of another task's credentials (has_capability()) is not a use.
  if (!event.cred_is_task || container->used.contains(event.capability)) {
    return change;
  }
  container->used.emplace(event.capability, CapabilityUse{event.capability, event.task.tgid, event.task.comm,
                                                          event.cred_effective, event.timestamp_ns});
  change.kind = StateChange::Kind::kCapabilityUse;
  change.container = container;
  change.capability = event.capability;
  if (!container->active) {
    container->active = true;
    container->activated_by = Observation::kExec;
    change.became_active = true;
  }
  return change;
}

}  // namespace privsentry
