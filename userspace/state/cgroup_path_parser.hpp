#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "privsentry/container_ref.hpp"

namespace privsentry {

// Names the container a cgroup path belongs to, for the layouts of Docker
// (cgroupfs "/docker/<id>", systemd "docker-<id>.scope"), containerd CRI
// ("cri-containerd-<id>.scope"), CRI-O ("crio-<id>"), podman ("libpod-<id>")
// and kubelet cgroupfs ("/kubepods/<qos>/pod<uid>/<id>"), v1 and v2 alike.
//
// The outermost match wins: a cgroup the host's runtime made is the security
// boundary, and anything below it (docker-in-docker, or a privileged container
// creating "docker-<fake>.scope" inside its own cgroup to pose as another
// container) belongs to it. Ids must be 64 lowercase hex digits.
std::optional<ContainerRef> parse_container_cgroup(std::string_view path);

// The non-empty components of a cgroup path, in order.
std::vector<std::string_view> cgroup_path_components(std::string_view path);

}  // namespace privsentry
