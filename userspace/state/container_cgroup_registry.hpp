#pragma once

#include <cstdint>

namespace privsentry {

// Tells the kernel side which cgroups are containers', so a container task in
// the host's namespaces is still reported. Implemented over a BPF map.
class ContainerCgroupRegistry {
 public:
  virtual ~ContainerCgroupRegistry() = default;
  virtual void add(std::uint64_t cgroup_id) = 0;
  virtual void remove(std::uint64_t cgroup_id) = 0;
};

}  // namespace privsentry
