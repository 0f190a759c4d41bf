#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"

namespace privsentry {

enum class CgroupMode { kNone, kV1, kHybrid, kV2 };

std::string_view to_string(CgroupMode mode);

struct CgroupMount {
  std::filesystem::path mount_point;
  std::string root;                      // path inside the hierarchy that is mounted
  bool unified = false;                  // cgroup2
  std::vector<std::string> controllers;  // v1: "devices", "name=systemd", ...
};

struct CgroupSubsystem {
  int id = -1;                  // index in the kernel's subsystem array
  std::uint32_t hierarchy = 0;  // 0: not on a v1 hierarchy
};

// How cgroups are mounted on this host.
struct CgroupLayout {
  CgroupMode mode = CgroupMode::kNone;
  std::vector<CgroupMount> mounts;
  std::map<std::string, CgroupSubsystem> subsystems;

  [[nodiscard]] const CgroupMount* unified() const;
  [[nodiscard]] const CgroupMount* v1_controller(std::string_view name) const;
};

// From /proc/self/mountinfo and /proc/cgroups.
CgroupLayout parse_cgroup_layout(std::string_view mountinfo, std::string_view proc_cgroups);

Expected<CgroupLayout> read_cgroup_layout(const std::filesystem::path& proc = "/proc");

// The hierarchy in which the kernel side names a task's cgroup: the unified
// one where it is mounted (v2 and hybrid hosts), else a v1 controller's.
struct TrackedHierarchy {
  int v1_subsystem = -1;  // -1: unified
  std::uint32_t hierarchy_id = 0;
  std::filesystem::path mount_point;
  std::string name;  // "unified" or the controller
};

// preference: "auto", "unified" or a v1 controller name such as "devices".
Expected<TrackedHierarchy> choose_tracked_hierarchy(const CgroupLayout& layout, std::string_view preference);

}  // namespace privsentry
