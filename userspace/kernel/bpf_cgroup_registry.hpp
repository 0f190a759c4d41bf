#pragma once

#include <cstdint>

#include "state/container_cgroup_registry.hpp"

namespace privsentry {

// The container_cgroups BPF map: cgroups whose tasks the kernel side reports
// even when they share the host's namespaces. The kernel side remembers
// cgroups that are not in it, per generation (gen_fd), so each addition
// moves to a new generation.
class BpfCgroupRegistry final : public ContainerCgroupRegistry {
 public:
  BpfCgroupRegistry(int map_fd, int gen_fd);
  void add(std::uint64_t cgroup_id) override;
  void remove(std::uint64_t cgroup_id) override;
  [[nodiscard]] std::uint64_t failures() const { return failures_; }

 private:
  int map_fd_;
  int gen_fd_;
  std::uint64_t generation_ = 0;
  std::uint64_t failures_ = 0;
};

}  // namespace privsentry
