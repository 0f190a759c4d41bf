#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace privsentry {

// What a container's device cgroup allows.
struct DeviceVerdict {
  // Recorded as numbers: append, never reorder.
  enum class State { kUnknown, kRestricted, kUnrestricted, kAllowsHostBlockDevices, kAllowsSensitiveDevices };
  State state = State::kUnknown;
  std::string source;                      // "cgroup-v1 devices.list", "cgroup-v2 device programs", or both
  std::string path;                        // the file or directory read
  std::vector<std::string> rules;          // v1: the devices.list lines
  std::vector<std::uint32_t> program_ids;  // v2: effective BPF_CGROUP_DEVICE programs
  std::vector<std::string> allowed;        // the sensitive accesses it allows ("/dev/mem read", ...)
  std::string detail;                      // why unknown, or what was not evaluated
};

std::string_view to_string(DeviceVerdict::State state);

}  // namespace privsentry
