#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "privsentry/kernel_event.hpp"
#include "state/container.hpp"
#include "state/container_cgroup_registry.hpp"
#include "state/host_facts.hpp"

namespace privsentry {

struct HostStateLimits {
  std::size_t max_containers = 16384;
  std::size_t max_processes_per_container = 4096;
};

// What applying one event changed.
struct StateChange {
  enum class Kind {
    kNone,
    kContainerSeen,    // a container cgroup was found (not yet active)
    kProcess,          // a container process appeared or changed
    kCapabilityUse,    // a new capability use or denial
    kContainerExited,  // the container ended; `exited` holds it
  };
  Kind kind = Kind::kNone;
  Container* container = nullptr;
  bool became_active = false;
  std::unique_ptr<Container> exited;
  int capability = -1;  // kCapabilityUse
};

// Containers and their processes, from kernel events and the start-up scan.
// Knows nothing of Docker's answers beyond storing them.
class HostState {
 public:
  HostState(HostFacts facts, std::uint32_t tracked_hierarchy, ContainerCgroupRegistry& registry,
            HostStateLimits limits = {});

  [[nodiscard]] const HostFacts& facts() const { return facts_; }

  // The runtime whose containers the engine API is asked about: Docker's,
  // or podman's when the socket is podman's Docker-compatible one.
  void set_engine_runtime(ContainerRuntime runtime) { engine_runtime_ = runtime; }
  [[nodiscard]] ContainerRuntime engine_runtime() const { return engine_runtime_; }

  StateChange apply(const CgroupEvent& event);
  StateChange apply(const ExecEvent& event, Observation observed_by = Observation::kExec);
  StateChange apply(const ForkEvent& event);
  StateChange apply(const ExitEvent& event);
  StateChange apply(const CapabilityEvent& event);

  Container* find(const std::string& key);
  Container* find_docker(const std::string& id);
  std::vector<Container*> containers();
  [[nodiscard]] std::size_t container_count() const { return containers_.size(); }

  // Events no container could be found for, and other oddities, for stats.
  [[nodiscard]] std::uint64_t unattributed() const { return unattributed_; }
  [[nodiscard]] std::uint64_t containers_dropped() const { return containers_dropped_; }

 private:
  Container* resolve(const TaskInfo& task, std::uint64_t boot_ns);
  Container* create(ContainerRef ref, std::uint64_t boot_ns);
  void add_cgroup(Container& container, std::uint64_t cgroup_id);
  void learn_namespaces(Container& container, const TaskInfo& task);
  StateChange observe_process(Container& container, const TaskInfo& task, const CapabilitySets& caps,
                              const std::string& filename, Observation observed_by, std::uint64_t boot_ns);
  std::unique_ptr<Container> remove(const std::string& key);

  HostFacts facts_;
  std::uint32_t tracked_hierarchy_;
  ContainerCgroupRegistry& registry_;
  HostStateLimits limits_;
  ContainerRuntime engine_runtime_ = ContainerRuntime::kDocker;

  std::map<std::string, std::unique_ptr<Container>> containers_;
  // Every event goes through these: they point at the container itself (its
  // address is stable), not at its key, to spare a string lookup per event.
  std::unordered_map<std::uint64_t, Container*> by_cgroup_;
  std::unordered_map<std::uint32_t, Container*> by_mntns_;
  std::unordered_map<std::uint32_t, Container*> by_pidns_;
  std::uint64_t unattributed_ = 0;
  std::uint64_t containers_dropped_ = 0;
};

}  // namespace privsentry
