#pragma once

#include <filesystem>

#include "enrich/device_inspector.hpp"
#include "enrich/device_program_source.hpp"
#include "state/cgroup_layout.hpp"

namespace privsentry {

// Decides what a container's device cgroup allows, the way the kernel does:
// an access must pass the v1 devices.list (where a v1 devices hierarchy is
// mounted) and every effective cgroup v2 BPF_CGROUP_DEVICE program (where
// cgroup2 is mounted; on a hybrid host both apply). The programs are run in
// an interpreter over fixed probes; none effective allows everything.
class CgroupDeviceInspector final : public DeviceInspector {
 public:
  // `programs` answers for the v2 device programs; null when nothing can ask
  // (a v2 cgroup with programs then reads as unknown, with the reason).
  CgroupDeviceInspector(CgroupLayout layout, std::filesystem::path proc, DeviceProgramSource* programs);
  DeviceVerdict inspect(const DeviceQuery& query) override;

 private:
  CgroupLayout layout_;
  std::filesystem::path proc_;
  DeviceProgramSource* programs_;
};

}  // namespace privsentry
