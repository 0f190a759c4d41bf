#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "privsentry/container_ref.hpp"
#include "privsentry/device_verdict.hpp"
#include "privsentry/docker_info.hpp"
#include "privsentry/kernel_event.hpp"
#include "privsentry/oci_bundle.hpp"

namespace privsentry {

// How a process came to be known.
enum class Observation { kExec, kFork, kStartupScan };

std::string_view to_string(Observation observation);

struct ProcessInfo {
  std::uint32_t pid = 0;  // host pid namespace
  std::uint32_t ppid = 0;
  std::uint32_t ns_pid = 0;
  std::uint32_t uid = 0;
  std::uint32_t euid = 0;
  std::string comm;
  std::string filename;
  CapabilitySets caps;
  Observation observed_by = Observation::kExec;
  std::uint64_t seen_boot_ns = 0;
};

// A capability the kernel granted to a process of the container.
struct CapabilityUse {
  int capability = 0;
  std::uint32_t pid = 0;
  std::string comm;
  CapabilitySet cred_effective;
  std::uint64_t boot_ns = 0;
};

// What the engine says about a container.
enum class DockerStatus {
  kNotApplicable,  // not a Docker cgroup: Docker cannot know it
  kPending,        // asked, no answer yet
  kKnown,          // inspected
  kNotFound,       // a Docker cgroup the engine does not know
  kUnavailable,    // the engine could not be asked
};

std::string_view to_string(DockerStatus status);

struct Container {
  std::string key;  // unique in the table: "<runtime>/<id>"
  ContainerRef ref;
  std::set<std::uint64_t> cgroup_ids;  // its cgroup and any below it
  std::uint64_t primary_cgroup_id = 0;
  std::uint32_t pidns = 0;
  std::uint32_t mntns = 0;
  std::uint64_t first_seen_boot_ns = 0;

  // A process of the container itself (after the runtime's set-up) was seen.
  bool active = false;
  Observation activated_by = Observation::kExec;
  std::map<std::uint32_t, ProcessInfo> processes;
  std::uint64_t processes_dropped = 0;  // over the per-container bound

  // The first process seen holding the effectively full capability set.
  std::optional<ProcessInfo> full_capability_process;
  // The first workload process: the container's posture when nothing is full.
  std::optional<ProcessInfo> first_process;
  CapabilitySet bounding_union;  // every bounding set seen, together

  std::map<int, CapabilityUse> used;  // granted against the initial user namespace
  CapabilitySet denied;
  CapabilitySet used_in_user_namespace;  // granted in a child user namespace only

  DeviceVerdict devices;

  // The OCI bundle of a container Docker does not manage (containerd, CRI-O,
  // podman): what its engine declares. Looked up once, when it first runs.
  std::optional<OciBundle> bundle;
  std::string bundle_error;
  bool bundle_checked = false;
  std::uint64_t devices_checked_boot_ns = 0;

  DockerStatus docker_status = DockerStatus::kNotApplicable;
  std::optional<DockerContainerInfo> docker;
  std::string docker_error;
  std::uint64_t docker_requested_boot_ns = 0;
  unsigned docker_attempts = 0;  // inspect requests so far

  bool start_emitted = false;
  // Findings raised for this container: id -> "rule" or "rule:qualifier".
  std::map<std::string, std::string> findings;
  // The same, for the rules to skip in a bit test what they raised already
  // (they run on every event of the container).
  std::uint32_t raised_rules = 0;  // RuleEngine's bits
  CapabilitySet raised_capability_use;
};

}  // namespace privsentry
