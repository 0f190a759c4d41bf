#pragma once

#include <cstdint>
#include <string>

#include "privsentry/device_verdict.hpp"

namespace privsentry {

struct DeviceQuery {
  std::uint32_t pid = 0;    // a live process of the container, 0 if none is known
  std::string cgroup_path;  // the container's cgroup in the tracked hierarchy
};

// Decides what a container's device cgroup allows.
class DeviceInspector {
 public:
  virtual ~DeviceInspector() = default;
  virtual DeviceVerdict inspect(const DeviceQuery& query) = 0;
};

}  // namespace privsentry
