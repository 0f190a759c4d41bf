#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"

namespace privsentry {

// One line of a cgroup v1 devices.list: "c 1:3 rwm", "a *:* rwm".
struct DeviceRule {
  char type = 'a';    // 'a' all, 'b' block, 'c' char
  std::string major;  // number or "*"
  std::string minor;
  std::string access;  // subset of "rwm"
};

Expected<std::vector<DeviceRule>> parse_devices_list(std::string_view text);

// "a *:* rwm": the cgroup allows every device, as for --privileged.
bool allows_every_device(const std::vector<DeviceRule>& rules);

// Whether the list lets a process have `access` ("r", "w", "m" or several)
// on one device of `type` ('b' or 'c'): a rule must match the type and both
// numbers and grant every access asked for, as the kernel's v1 check does.
bool devices_list_allows(const std::vector<DeviceRule>& rules, char type, std::uint32_t major, std::uint32_t minor,
                         std::string_view access);

}  // namespace privsentry
