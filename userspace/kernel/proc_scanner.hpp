#pragma once

#include <filesystem>
#include <vector>

#include "privsentry/kernel_event.hpp"
#include "state/cgroup_layout.hpp"
#include "state/host_facts.hpp"

namespace privsentry {

// Finds processes already running when the sensor starts, so a container
// started before the sensor is judged exactly like a new one.
class ProcScanner {
 public:
  ProcScanner(std::filesystem::path proc, HostFacts facts, TrackedHierarchy tracked);

  // Every process outside the host's namespaces, or in a container cgroup;
  // unreadable processes (exited meanwhile) are skipped.
  [[nodiscard]] std::vector<ScannedProcess> scan(std::uint64_t boot_now_ns) const;

 private:
  std::filesystem::path proc_;
  HostFacts facts_;
  TrackedHierarchy tracked_;
};

}  // namespace privsentry
