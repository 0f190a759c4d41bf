#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "privsentry/finding.hpp"
#include "state/container.hpp"
#include "state/host_facts.hpp"

namespace privsentry {

// The five rules. Each finding is raised once per container and rule (and, for
// privileged-capability-use, per capability): the engine records the ids it
// returned in the container.
class RuleEngine {
 public:
  explicit RuleEngine(const HostFacts& facts);

  // New findings for the container as it stands. The caller decides when a
  // container is ready to be judged (see Sensor).
  std::vector<Finding> evaluate(Container& container, WallTime now);

  // The container's privilege at a glance: verdict, Docker's flag, held
  // capabilities, devices.
  [[nodiscard]] nlohmann::json posture(const Container& container) const;

 private:
  Finding make(const Container& container, std::string_view rule, std::string_view qualifier, Severity severity,
               std::string title, std::string summary, WallTime now) const;

  const HostFacts& facts_;
};

}  // namespace privsentry
