#pragma once

#include <string>

#include "app/host_context.hpp"

namespace privsentry {

struct DoctorOptions {
  CommonOptions common;
  std::string cap_tier = "auto";
};

// privsentry doctor: every feature probe, the cgroup layout, the host's
// bounding set, which capability tier loads, and whether Docker answers.
// Exit 0 if the sensor can run here, 1 if not.
int doctor_command(const DoctorOptions& options);

}  // namespace privsentry
