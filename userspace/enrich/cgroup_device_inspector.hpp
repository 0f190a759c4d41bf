#pragma once

#include <filesystem>

#include "enrich/device_inspector.hpp"
#include "state/cgroup_layout.hpp"

namespace privsentry {

// cgroup v1: reads the container's devices.list. cgroup v2: asks the kernel
// for the effective BPF_CGROUP_DEVICE programs of the container's cgroup; none
// means nothing restricts devices. (What an attached program allows is not
// evaluated yet: such a cgroup reads as unknown, and the detail says so.)
class CgroupDeviceInspector final : public DeviceInspector {
 public:
  CgroupDeviceInspector(CgroupLayout layout, std::filesystem::path proc);
  DeviceVerdict inspect(const DeviceQuery& query) override;

 private:
  DeviceVerdict inspect_v1(const CgroupMount& mount, const DeviceQuery& query) const;
  DeviceVerdict inspect_v2(const CgroupMount& mount, const DeviceQuery& query) const;

  CgroupLayout layout_;
  std::filesystem::path proc_;
};

}  // namespace privsentry
