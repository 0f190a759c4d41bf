#pragma once

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

}  // namespace privsentry
