#include "rules/evidence.hpp"

#include <cstdio>

#include "state/capability_verdict.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxLabels = 64;
constexpr std::size_t kMaxLabelBytes = 1024;
constexpr std::size_t kMaxDeviceRules = 64;

json names(CapabilitySet set) { return set.names(); }

}  // namespace

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

json docker_evidence(const Container& container) {
  json out = json::object();
  out["status"] = to_string(container.docker_status);
  if (!container.docker) {
    out["privileged"] = nullptr;
    if (!container.docker_error.empty()) {
      out["error"] = container.docker_error;
    }
    return out;
  }
  const auto& info = *container.docker;
  out["privileged"] = info.privileged;
  out["cap_add"] = info.cap_add;
  out["cap_drop"] = info.cap_drop;
  json devices = json::array();
  for (const auto& device : info.devices) {
    devices.push_back({{"path_on_host", device.path_on_host},
                       {"path_in_container", device.path_in_container},
                       {"cgroup_permissions", device.cgroup_permissions}});
  }
  out["devices"] = std::move(devices);
  out["device_cgroup_rules"] = info.device_cgroup_rules;
  out["security_opt"] = info.security_opt;
  out["pid_mode"] = info.pid_mode;
  out["userns_mode"] = info.userns_mode;
  out["oci_runtime"] = info.oci_runtime;
  return out;
}

json capability_evidence(const ProcessInfo& process, const HostFacts& facts) {
  const auto verdict = evaluate_capabilities(process.caps.bounding, facts.bounding);
  json out;
  out["process"] = {{"pid", process.pid},
                    {"ns_pid", process.ns_pid},
                    {"comm", process.comm},
                    {"filename", process.filename},
                    {"uid", process.uid},
                    {"euid", process.euid},
                    {"observed_by", to_string(process.observed_by)}};
  out["effective"] = process.caps.effective.hex();
  out["permitted"] = process.caps.permitted.hex();
  out["inheritable"] = process.caps.inheritable.hex();
  out["bounding"] = process.caps.bounding.hex();
  out["ambient"] = process.caps.ambient.hex();
  out["host_bounding"] = facts.bounding.hex();
  out["full"] = verdict.full;
  out["held"] = names(verdict.held);
  out["missing"] = names(verdict.missing);
  out["waived_by_sys_admin"] = names(verdict.waived);
  out["beyond_docker_defaults"] = names(verdict.beyond_defaults);
  return out;
}

json container_capability_evidence(const Container& container, const HostFacts& facts) {
  if (container.full_capability_process) {
    return capability_evidence(*container.full_capability_process, facts);
  }
  if (container.first_process) {
    return capability_evidence(*container.first_process, facts);
  }
  return nullptr;
}

json device_evidence(const DeviceVerdict& devices) {
  json out;
  out["state"] = to_string(devices.state);
  out["source"] = devices.source;
  out["path"] = devices.path;
  json rules = json::array();
  for (std::size_t i = 0; i < devices.rules.size() && i < kMaxDeviceRules; ++i) {
    rules.push_back(devices.rules[i]);
  }
  out["rules"] = std::move(rules);
  if (devices.rules.size() > kMaxDeviceRules) {
    out["rules_truncated"] = true;
  }
  if (!devices.program_ids.empty()) {
    out["program_ids"] = devices.program_ids;
  }
  if (devices.state != DeviceVerdict::State::kUnrestricted && !devices.allowed.empty()) {
    // What a restricted cgroup still lets through, by name; for an
    // unrestricted one that is everything and says nothing more.
    out["allowed"] = devices.allowed;
  }
  if (!devices.detail.empty()) {
    out["detail"] = devices.detail;
  }
  return out;
}

json bundle_evidence(const OciBundle& bundle) {
  json out;
  out["engine"] = bundle.engine;
  out["namespace"] = bundle.namespace_;
  out["id"] = bundle.id;
  out["config"] = bundle.config_path;
  out["privileged"] = bundle.privileged;
  out["cgroups_path"] = bundle.cgroups_path;
  out["bounding"] = bundle.bounding.hex();
  out["capabilities"] = bundle.bounding.names();
  if (!bundle.capability_names_unknown.empty()) {
    out["capabilities_unknown"] = bundle.capability_names_unknown;
  }
  out["all_devices_allowed"] = bundle.all_devices_allowed;
  out["device_rules"] = bundle.device_rules;
  out["host_devices"] = bundle.host_devices;
  out["masked_paths"] = bundle.masked_paths;
  out["readonly_paths"] = bundle.readonly_paths.size();
  return out;
}

ContainerSnapshot snapshot_of(const Container& container) {
  ContainerSnapshot snapshot;
  snapshot.id = container.ref.id;
  snapshot.runtime = std::string(to_string(container.ref.runtime));
  snapshot.cgroup = container.ref.cgroup_path;
  snapshot.pod_uid = container.ref.pod_uid;
  if (container.bundle) {
    const auto& bundle = *container.bundle;
    if (!bundle.kubernetes.container_name.empty()) {
      snapshot.name = bundle.kubernetes.container_name;
    }
    if (!bundle.image.empty()) {
      snapshot.image = bundle.image;
    }
    snapshot.kubernetes = bundle.kubernetes;
    if (snapshot.pod_uid.empty()) {
      snapshot.pod_uid = bundle.kubernetes.pod_uid;
    }
  }
  if (container.docker) {
    const auto& info = *container.docker;
    snapshot.name = info.name;
    snapshot.image = info.image;
    snapshot.oci_runtime = info.oci_runtime;
    for (const auto& [key, value] : info.labels) {
      if (snapshot.labels.size() == kMaxLabels) {
        snapshot.labels_truncated = true;
        break;
      }
      if (key.size() > kMaxLabelBytes || value.size() > kMaxLabelBytes) {
        snapshot.labels_truncated = true;
      }
      snapshot.labels.emplace(key.substr(0, kMaxLabelBytes), value.substr(0, kMaxLabelBytes));
    }
  }
  return snapshot;
}

std::string finding_id(const std::string& host, const Container& container, std::string_view rule,
                       std::string_view qualifier) {
  // FNV-1a, 64 bit, twice with different offsets: 128 bits, no dependency.
  auto fnv = [&](std::uint64_t hash) {
    auto mix = [&](std::string_view part) {
      for (const char c : part) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
      }
      hash ^= 0xffU;  // separator
      hash *= 0x100000001b3ULL;
    };
    mix(host);
    mix(container.key);
    mix(rule);
    mix(qualifier);
    return hash;
  };
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(fnv(0xcbf29ce484222325ULL)),
                static_cast<unsigned long long>(fnv(0x84222325cbf29ce4ULL)));
  return buf;
}

}  // namespace privsentry
