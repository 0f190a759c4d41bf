#pragma once

#include <string>
#include <vector>

#include "enrich/oci_bundle_locator.hpp"
#include "state/cgroup_layout.hpp"
#include "state/host_facts.hpp"
#include "util/expected.hpp"

namespace privsentry {

// Options every command shares.
struct CommonOptions {
  std::string docker_host;  // DOCKER_HOST form; empty: the environment, then the default socket
  bool no_docker = false;
  std::string engine = "docker";  // what answers at docker_host: docker, or podman's compatible API
  std::string hostname;
  std::string cgroup_hierarchy = "auto";
  std::string log_level = "info";
  // Where containerd keeps its tasks' bundles, and CRI-O and podman theirs
  // (containers/storage); empty: the runtimes' defaults.
  std::vector<std::string> containerd_state;
  std::vector<std::string> containers_storage;
};

// What a command needs to know about the host before it starts.
struct HostContext {
  HostFacts facts;
  CgroupLayout layout;
  TrackedHierarchy tracked;
  std::string docker_socket;  // empty when Docker is off
};

Expected<HostContext> load_host_context(const CommonOptions& options);

// The bundle directories the options name, or the runtimes' defaults.
OciBundleLocator::Roots bundle_roots(const CommonOptions& options);

// The runtime whose containers the engine at docker_host knows.
ContainerRuntime engine_runtime(const CommonOptions& options);

// Applies --log-level to spdlog (stderr).
bool configure_logging(const std::string& level);

}  // namespace privsentry
