#pragma once

#include <string>
#include <string_view>

namespace privsentry {

enum class ContainerRuntime {
  kDocker,
  kContainerd,
  kCrio,
  kPodman,
  kCri,        // a kubelet cgroupfs path that does not name its runtime
  kUnmanaged,  // own pid and mount namespaces, no runtime's cgroup
};

std::string_view to_string(ContainerRuntime runtime);

// A container as its cgroup path names it.
struct ContainerRef {
  ContainerRuntime runtime = ContainerRuntime::kUnmanaged;
  std::string id;
  std::string pod_uid;      // Kubernetes pod, where the path holds one
  std::string cgroup_path;  // the container's own cgroup (the path up to the match)
};

}  // namespace privsentry
