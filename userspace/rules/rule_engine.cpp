#include "rules/rule_engine.hpp"

#include "rules/evidence.hpp"
#include "state/capability_verdict.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

// Capabilities that, once held, are a known road out of a container.
bool escape_grade(int capability) {
  switch (capability) {
    case 2:   // DAC_READ_SEARCH: open_by_handle_at on host files
    case 16:  // SYS_MODULE
    case 17:  // SYS_RAWIO
    case 19:  // SYS_PTRACE
    case 21:  // SYS_ADMIN
    case 22:  // SYS_BOOT
    case 33:  // MAC_ADMIN
    case 39:  // BPF
      return true;
    default:
      return false;
  }
}

std::string display_name(const Container& container) {
  if (container.docker && !container.docker->name.empty()) {
    return container.docker->name;
  }
  if (container.bundle && !container.bundle->kubernetes.container_name.empty()) {
    return container.bundle->kubernetes.container_name;
  }
  if (container.bundle) {
    return container.bundle->id.substr(0, 64);
  }
  return container.ref.id.substr(0, 12);
}

// Who answered for the container through the Docker API.
std::string api_engine(const Container& container) {
  return container.ref.runtime == ContainerRuntime::kPodman ? "podman" : "Docker";
}

bool declared_privileged(const Container& container) {
  return (container.docker_status == DockerStatus::kKnown && container.docker && container.docker->privileged) ||
         (container.bundle && container.bundle->privileged);
}

// Whether the engine's answer lets us say privilege is undeclared: it said
// "not privileged", it does not know the container, or no engine manages it.
bool engine_disowns(const Container& container) {
  if (container.bundle) {
    return !container.bundle->privileged;
  }
  switch (container.docker_status) {
    case DockerStatus::kKnown:
      return !declared_privileged(container);
    case DockerStatus::kNotFound:
    case DockerStatus::kNotApplicable:
      return true;
    case DockerStatus::kPending:
    case DockerStatus::kUnavailable:
      return false;
  }
  return false;
}

}  // namespace

RuleEngine::RuleEngine(const HostFacts& facts) : facts_(facts) {}

Finding RuleEngine::make(const Container& container, std::string_view rule, std::string_view qualifier,
                         Severity severity, std::string title, std::string summary, WallTime now) const {
  Finding finding;
  finding.id = finding_id(facts_.hostname, container, rule, qualifier);
  finding.rule = std::string(rule);
  finding.severity = severity;
  finding.title = std::move(title);
  finding.summary = std::move(summary);
  finding.time = now;
  finding.container = snapshot_of(container);
  finding.evidence = json::object();
  finding.evidence["docker"] = docker_evidence(container);
  finding.evidence["capabilities"] = container_capability_evidence(container, facts_);
  finding.evidence["devices"] = device_evidence(container.devices);
  if (container.bundle) {
    finding.evidence["oci"] = bundle_evidence(*container.bundle);
  } else if (!container.bundle_error.empty()) {
    finding.evidence["oci"] = {{"error", container.bundle_error}};
  }
  return finding;
}

std::vector<Finding> RuleEngine::evaluate(Container& container, WallTime now) {
  std::vector<Finding> out;
  // Each rule fires once per container: a bit says so before any evidence is
  // built, since this runs on every event.
  enum : std::uint32_t { kPrivileged = 1, kFull = 2, kUnrestricted = 4, kUndeclared = 8, kSensitive = 16 };
  const auto pending = [&](std::uint32_t rule) { return (container.raised_rules & rule) == 0; };
  auto raise = [&](Finding finding, std::uint32_t rule, std::string_view qualifier = {}) {
    container.raised_rules |= rule;
    std::string label = finding.rule;
    if (!qualifier.empty()) {
      label += ":";
      label += qualifier;
    }
    if (container.findings.emplace(finding.id, std::move(label)).second) {
      out.push_back(std::move(finding));
    }
  };
  const bool full = container.full_capability_process.has_value();
  const bool unrestricted = container.devices.state == DeviceVerdict::State::kUnrestricted;
  const bool host_block = container.devices.state == DeviceVerdict::State::kAllowsHostBlockDevices;
  const bool sensitive = host_block || container.devices.state == DeviceVerdict::State::kAllowsSensitiveDevices;
  const bool privileged = declared_privileged(container);
  const bool undeclared = (full || unrestricted) && engine_disowns(container);
  bool new_use = false;
  for (const auto& [capability, use] : container.used) {
    new_use =
        new_use || (!kDockerDefaultCapabilities.has(capability) && !container.raised_capability_use.has(capability));
  }
  if (!(privileged && pending(kPrivileged)) && !(full && pending(kFull)) && !(unrestricted && pending(kUnrestricted)) &&
      !(undeclared && pending(kUndeclared)) && !(sensitive && pending(kSensitive)) && !new_use) {
    return out;
  }
  const std::string name = display_name(container);

  if (privileged && pending(kPrivileged)) {
    const bool by_docker = container.docker && container.docker->privileged;
    raise(make(container, kRulePrivilegedContainer, "", Severity::kHigh, "Container runs in privileged mode",
               by_docker ? api_engine(container) + " declares container " + name +
                               " privileged (HostConfig.Privileged=true): every capability and every device (CIS "
                               "Docker 5.4)"
                         : container.bundle->engine + " declares container " + name +
                               " privileged (OCI spec: every capability, every device, no masked paths; CIS Docker "
                               "5.4)",
               now),
          kPrivileged);
  }
  if (full && pending(kFull)) {
    raise(make(container, kRuleFullCapabilitySet, "", Severity::kHigh,
               "Container processes hold every capability the host can grant",
               "The kernel sees a process of container " + name + " with the effectively full capability set", now),
          kFull);
  }
  if (unrestricted && pending(kUnrestricted)) {
    raise(
        make(container, kRuleUnrestrictedDevices, "", Severity::kHigh, "Container may use every device",
             "The device cgroup of container " + name + " allows every device (" + container.devices.source + ")", now),
        kUnrestricted);
  }
  if (sensitive && pending(kSensitive)) {
    // Read and write only: mknod alone gives nothing, and Docker allows it.
    std::string allowed;
    for (const auto& probe : container.devices.allowed) {
      if (probe.find("mknod") == std::string::npos && probe.find("511:511") == std::string::npos) {
        allowed += (allowed.empty() ? "" : ", ") + probe;
      }
    }
    raise(make(container, kRuleSensitiveDevices, "", host_block ? Severity::kHigh : Severity::kMedium,
               host_block ? "Container may use the host's block devices" : "Container may use sensitive devices",
               "The device cgroup of container " + name + " allows " + allowed + " (" + container.devices.source + ")",
               now),
          kSensitive);
  }
  if (undeclared && pending(kUndeclared)) {
    std::string what = full && unrestricted ? "a full capability set and unrestricted devices"
                       : full               ? "a full capability set"
                                            : "unrestricted devices";
    std::string engine =
        container.bundle                                  ? container.bundle->engine + " does not declare it privileged"
        : container.docker_status == DockerStatus::kKnown ? api_engine(container) + " says it is not privileged"
        : container.docker_status == DockerStatus::kNotFound ? api_engine(container) + " does not know it"
                                                             : "no engine declares it";
    auto finding = make(container, kRuleUndeclaredPrivilege, "", Severity::kCritical,
                        "Kernel sees privilege the container engine does not declare",
                        "Container " + name + " has " + what + ", but " + engine, now);
    finding.evidence["kernel_sees"] = {{"full_capability_set", full}, {"unrestricted_devices", unrestricted}};
    raise(std::move(finding), kUndeclared);
  }
  for (const auto& [capability, use] : container.used) {
    if (kDockerDefaultCapabilities.has(capability) || container.raised_capability_use.has(capability)) {
      continue;
    }
    container.raised_capability_use.add(capability);
    const auto cap_name = capability_name(capability);
    auto finding = make(container, kRulePrivilegedCapabilityUse, cap_name,
                        escape_grade(capability) ? Severity::kHigh : Severity::kMedium,
                        "Container used a capability outside Docker's default set",
                        "A process of container " + name + " was granted " + cap_name, now);
    finding.evidence["capability_use"] = {{"capability", cap_name},
                                          {"number", capability},
                                          {"pid", use.pid},
                                          {"comm", use.comm},
                                          {"cred_effective", use.cred_effective.hex()}};
    raise(std::move(finding), 0, cap_name);
  }
  return out;
}

json RuleEngine::posture(const Container& container) const {
  json out;
  const bool full = container.full_capability_process.has_value();
  const bool unrestricted = container.devices.state == DeviceVerdict::State::kUnrestricted;
  const auto verdict = evaluate_capabilities(container.bounding_union, facts_.bounding);
  bool uses_beyond_defaults = false;
  for (const auto& [capability, use] : container.used) {
    uses_beyond_defaults = uses_beyond_defaults || !kDockerDefaultCapabilities.has(capability);
  }
  std::string summary;
  if (declared_privileged(container)) {
    summary = "privileged";
  } else if ((full || unrestricted) && engine_disowns(container)) {
    summary = "undeclared-privilege";
  } else if (full || unrestricted) {
    summary = "privileged-unconfirmed";  // the engine could not be asked yet
  } else if (!verdict.beyond_defaults.empty() || uses_beyond_defaults ||
             container.devices.state == DeviceVerdict::State::kAllowsHostBlockDevices ||
             container.devices.state == DeviceVerdict::State::kAllowsSensitiveDevices) {
    summary = "elevated";
  } else {
    summary = "clean";
  }
  out["verdict"] = summary;
  out["docker"] = {{"status", to_string(container.docker_status)},
                   {"privileged", container.docker ? json(container.docker->privileged) : json(nullptr)}};
  out["capabilities"] = {{"full", full},
                         {"held", verdict.held.count()},
                         {"host", facts_.bounding.count()},
                         {"bounding", container.bounding_union.hex()},
                         {"beyond_docker_defaults", verdict.beyond_defaults.names()}};
  out["devices"] = {{"state", to_string(container.devices.state)}, {"source", container.devices.source}};
  if (container.bundle) {
    out["engine"] = {{"name", container.bundle->engine},
                     {"namespace", container.bundle->namespace_},
                     {"privileged", container.bundle->privileged}};
  }
  return out;
}

}  // namespace privsentry
