#pragma once

#include <cstdint>
#include <set>

#include "state/container_cgroup_registry.hpp"

namespace privsentry::test {

// Remembers which cgroups would be in the BPF map.
class RecordingRegistry final : public ContainerCgroupRegistry {
 public:
  void add(std::uint64_t cgroup_id) override { ids.insert(cgroup_id); }
  void remove(std::uint64_t cgroup_id) override { ids.erase(cgroup_id); }
  std::set<std::uint64_t> ids;
};

}  // namespace privsentry::test
