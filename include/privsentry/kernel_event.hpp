#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "privsentry/capability_set.hpp"

namespace privsentry {

// Identity of a task as the kernel reported it. Strings are raw bytes from the
// kernel (a container chooses its process names): escape before display.
struct TaskInfo {
  std::uint32_t pid = 0;
  std::uint32_t tgid = 0;
  std::uint32_t ppid = 0;
  std::uint32_t ns_pid = 0;
  std::uint32_t uid = 0;
  std::uint32_t euid = 0;
  std::uint32_t pidns = 0;
  std::uint32_t mntns = 0;
  std::uint32_t pidns_level = 0;
  std::uint64_t cgroup_id = 0;
  bool runtime_image = false;     // still running the image a host runtime exec'd
  bool host_namespaces = false;   // in the host's mount and pid namespaces
  bool container_cgroup = false;  // cgroup registered as a container's
  std::string comm;
};

struct CapabilitySets {
  CapabilitySet effective;
  CapabilitySet permitted;
  CapabilitySet inheritable;
  CapabilitySet bounding;
  CapabilitySet ambient;
};

enum class CgroupAction { kMkdir, kRmdir, kAttach };

struct CgroupEvent {
  std::uint64_t timestamp_ns = 0;  // CLOCK_BOOTTIME
  CgroupAction action = CgroupAction::kMkdir;
  std::uint64_t cgroup_id = 0;
  std::uint32_t hierarchy_id = 0;
  std::uint32_t level = 0;
  std::uint32_t pid = 0;
  std::uint32_t tgid = 0;
  std::string comm;
  std::string path;
  bool path_truncated = false;
};

struct ExecEvent {
  std::uint64_t timestamp_ns = 0;
  TaskInfo task;
  CapabilitySets caps;
  std::string filename;
  bool left_runtime = false;  // this exec ended the runtime's set-up
  bool filename_truncated = false;
};

struct ForkEvent {
  std::uint64_t timestamp_ns = 0;
  TaskInfo task;  // the child
  CapabilitySets caps;
};

struct ExitEvent {
  std::uint64_t timestamp_ns = 0;
  TaskInfo task;
  std::int32_t exit_code = 0;
};

struct CapabilityEvent {
  std::uint64_t timestamp_ns = 0;
  TaskInfo task;
  int capability = 0;  // unchecked kernel value: use capability_name()
  bool granted = false;
  std::uint32_t userns_level = 0;
  bool cred_is_task = false;
  CapabilitySet cred_effective;
};

using KernelEvent = std::variant<CgroupEvent, ExecEvent, ForkEvent, ExitEvent, CapabilityEvent>;

// A process found in /proc at start, shaped like what the kernel side would
// have reported: the cgroups it is in (the container's own first) and an exec
// of what it runs.
struct ScannedProcess {
  std::vector<CgroupEvent> cgroups;
  ExecEvent process;
};

}  // namespace privsentry
