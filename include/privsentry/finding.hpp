#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "privsentry/clock.hpp"
#include "privsentry/oci_bundle.hpp"

namespace privsentry {

enum class Severity { kInfo, kLow, kMedium, kHigh, kCritical };

std::string_view to_string(Severity severity);

// Who a record is about. Strings come from the engine and the container.
struct ContainerSnapshot {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> image;
  std::string runtime;
  std::string cgroup;
  std::string pod_uid;
  std::string oci_runtime;
  std::map<std::string, std::string> labels;
  bool labels_truncated = false;
  KubernetesMeta kubernetes;  // from a CRI bundle's annotations
};

// Rule ids, stable: consumers route and suppress by them.
inline constexpr std::string_view kRulePrivilegedContainer = "privileged-container";
inline constexpr std::string_view kRuleFullCapabilitySet = "full-capability-set";
inline constexpr std::string_view kRuleUnrestrictedDevices = "unrestricted-devices";
inline constexpr std::string_view kRuleSensitiveDevices = "sensitive-devices";
inline constexpr std::string_view kRuleUndeclaredPrivilege = "undeclared-privilege";
inline constexpr std::string_view kRulePrivilegedCapabilityUse = "privileged-capability-use";

struct Finding {
  std::string id;  // stable for (host, container, rule, qualifier)
  std::string rule;
  Severity severity = Severity::kInfo;
  std::string title;
  std::string summary;
  WallTime time;
  ContainerSnapshot container;
  nlohmann::json evidence;
};

}  // namespace privsentry
