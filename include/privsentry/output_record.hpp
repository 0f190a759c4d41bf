#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "privsentry/finding.hpp"

namespace privsentry {

// A container's privilege at a glance, for container-start and -exit.
struct ContainerLifecycle {
  enum class Kind { kStart, kExit };
  Kind kind = Kind::kStart;
  std::string id;  // unique, assigned when emitted
  WallTime time;
  ContainerSnapshot container;
  std::string observed_by;  // start: "exec", "fork" or "startup-scan"
  nlohmann::json posture;
  std::vector<std::string> capabilities_used;  // exit
  std::vector<std::string> findings;           // exit: rule ids raised
};

// The sensor's own state: start, stop, the live tier, Docker's reachability.
struct SensorStatus {
  enum class Kind { kStart, kStop, kDockerState, kEventLoss, kDeliveryLoss };
  Kind kind = Kind::kStart;
  WallTime time;
  nlohmann::json details;
  std::string id;  // unique, assigned when emitted
};

using OutputRecord = std::variant<Finding, ContainerLifecycle, SensorStatus>;

}  // namespace privsentry
