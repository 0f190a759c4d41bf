#pragma once

#include <string>
#include <vector>

#include "privsentry/capability_set.hpp"

namespace privsentry {

// Kubernetes names from a bundle's CRI annotations. Hostile: anyone who can
// create a pod chooses them.
struct KubernetesMeta {
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::string container_name;

  [[nodiscard]] bool empty() const {
    return pod_name.empty() && pod_namespace.empty() && pod_uid.empty() && container_name.empty();
  }
};

// What an OCI runtime bundle (config.json) declares about a container that
// Docker does not manage: containerd (plain or CRI), CRI-O, podman.
struct OciBundle {
  std::string engine;      // "containerd", "cri-o", "podman"
  std::string namespace_;  // containerd namespace ("k8s.io", "default")
  std::string id;
  std::string config_path;
  std::string cgroups_path;  // linux.cgroupsPath as written
  std::string image;         // from annotations, when one names it

  // The spec's intent: every capability the host has, every device, no
  // masked paths. That is what ctr --privileged, a CRI privileged security
  // context and podman --privileged all write.
  bool privileged = false;
  CapabilitySet bounding;
  std::vector<std::string> capability_names_unknown;  // names this build does not know
  bool all_devices_allowed = false;
  std::vector<std::string> device_rules;  // linux.resources.devices: "allow a *:* rwm"
  std::size_t host_devices = 0;           // linux.devices: nodes the runtime creates
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  KubernetesMeta kubernetes;
};

}  // namespace privsentry
