#include "state/cgroup_layout.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "util/file.hpp"

namespace privsentry {
namespace {

std::vector<std::string_view> split_any(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto pos = s.find(sep, start);
    const auto end = pos == std::string_view::npos ? s.size() : pos;
    if (end > start) {
      out.push_back(s.substr(start, end - start));
    }
    if (pos == std::string_view::npos) {
      break;
    }
    start = pos + 1;
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const auto digits = s.substr(i + 1, 3);
      unsigned value = 0;
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 8);
      if (ec == std::errc() && ptr == digits.data() + digits.size() && value < 256) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::string_view to_string(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::kNone:
      return "none";
    case CgroupMode::kV1:
      return "v1";
    case CgroupMode::kHybrid:
      return "hybrid";
    case CgroupMode::kV2:
      return "v2";
  }
  return "none";
}

const CgroupMount* CgroupLayout::unified() const {
  const auto it = std::find_if(mounts.begin(), mounts.end(), [](const CgroupMount& m) { return m.unified; });
  return it == mounts.end() ? nullptr : &*it;
}

const CgroupMount* CgroupLayout::v1_controller(std::string_view name) const {
  const auto it = std::find_if(mounts.begin(), mounts.end(), [&](const CgroupMount& m) {
    return !m.unified && std::find(m.controllers.begin(), m.controllers.end(), name) != m.controllers.end();
  });
  return it == mounts.end() ? nullptr : &*it;
}

CgroupLayout parse_cgroup_layout(std::string_view mountinfo, std::string_view proc_cgroups) {
  CgroupLayout layout;
  for (const auto line : split_any(mountinfo, '\n')) {
    const auto fields = split_any(line, ' ');
    const auto dash = std::find(fields.begin(), fields.end(), std::string_view("-"));
    if (fields.size() < 5 || dash == fields.end() || std::distance(dash, fields.end()) < 3) {
      continue;
    }
    const auto fstype = *(dash + 1);
    const auto super_options = *(dash + 3);
    if (fstype != "cgroup" && fstype != "cgroup2") {
      continue;
    }
    CgroupMount mount;
    mount.root = unescape_mountinfo(fields[3]);
    mount.mount_point = unescape_mountinfo(fields[4]);
    mount.unified = fstype == "cgroup2";
    if (!mount.unified) {
      static constexpr std::array<std::string_view, 14> kNotControllers = {"rw",
                                                                           "ro",
                                                                           "relatime",
                                                                           "noatime",
                                                                           "nosuid",
                                                                           "nodev",
                                                                           "noexec",
                                                                           "clone_children",
                                                                           "xattr",
                                                                           "nsdelegate",
                                                                           "memory_recursiveprot",
                                                                           "cpuset_v2_mode",
                                                                           "favordynmods",
                                                                           "memory_localevents"};
      for (const auto option : split_any(super_options, ',')) {
        if (std::find(kNotControllers.begin(), kNotControllers.end(), option) == kNotControllers.end() &&
            option.rfind("release_agent=", 0) != 0) {
          mount.controllers.emplace_back(option);
        }
      }
    }
    // The same hierarchy can be mounted twice (bind mounts); keep the first.
    const bool duplicate = std::any_of(layout.mounts.begin(), layout.mounts.end(), [&](const CgroupMount& m) {
      return m.unified == mount.unified && m.controllers == mount.controllers;
    });
    if (!duplicate) {
      layout.mounts.push_back(std::move(mount));
    }
  }

  int index = 0;
  for (const auto line : split_any(proc_cgroups, '\n')) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto fields = split_any(line, '\t');
    if (fields.size() < 2) {
      continue;
    }
    CgroupSubsystem subsystem;
    subsystem.id = index++;
    std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), subsystem.hierarchy);
    layout.subsystems.emplace(std::string(fields[0]), subsystem);
  }

  const bool has_unified = layout.unified() != nullptr;
  const bool has_v1 = std::any_of(layout.mounts.begin(), layout.mounts.end(), [](const CgroupMount& m) {
    return !m.unified && std::any_of(m.controllers.begin(), m.controllers.end(),
                                     [](const std::string& c) { return c.rfind("name=", 0) != 0; });
  });
  if (has_unified && has_v1) {
    layout.mode = CgroupMode::kHybrid;
  } else if (has_unified) {
    layout.mode = CgroupMode::kV2;
  } else if (has_v1) {
    layout.mode = CgroupMode::kV1;
  }
  return layout;
}

Expected<CgroupLayout> read_cgroup_layout(const std::filesystem::path& proc) {
  auto mountinfo = read_small_file(proc / "self/mountinfo", 4U << 20U);
  if (!mountinfo) {
    return mountinfo.error();
  }
  auto cgroups = read_small_file(proc / "cgroups", 64U << 10U);
  // /proc/cgroups is absent on kernels built without cgroup v1; that is fine.
  return parse_cgroup_layout(*mountinfo, cgroups ? std::string_view(*cgroups) : std::string_view());
}

Expected<TrackedHierarchy> choose_tracked_hierarchy(const CgroupLayout& layout, std::string_view preference) {
  auto v1 = [&](std::string_view name) -> std::optional<TrackedHierarchy> {
    const auto* mount = layout.v1_controller(name);
    const auto subsystem = layout.subsystems.find(std::string(name));
    if (mount == nullptr || subsystem == layout.subsystems.end() || subsystem->second.hierarchy == 0 ||
        subsystem->second.id < 0) {
      return std::nullopt;
    }
    return TrackedHierarchy{subsystem->second.id, subsystem->second.hierarchy, mount->mount_point, std::string(name)};
  };
  auto unified = [&]() -> std::optional<TrackedHierarchy> {
    if (const auto* mount = layout.unified()) {
      return TrackedHierarchy{-1, 0, mount->mount_point, "unified"};
    }
    return std::nullopt;
  };

  if (preference == "unified") {
    if (auto tracked = unified()) {
      return *tracked;
    }
    return Error{"no cgroup2 (unified) hierarchy is mounted"};
  }
  if (preference != "auto") {
    if (auto tracked = v1(preference)) {
      return *tracked;
    }
    return Error{"no v1 cgroup hierarchy of controller \"" + std::string(preference) + "\" is mounted"};
  }
  // On a hybrid host every runtime creates its v1 cgroups, but whether it also
  // joins the unified hierarchy depends on the runtime and its version: a
  // container left in the unified root would have no cgroup of its own there.
  // The devices hierarchy always has one (runc needs it to restrict devices).
  if (layout.mode == CgroupMode::kV2) {
    if (auto tracked = unified()) {
      return *tracked;
    }
  }
  for (const std::string_view name : {"devices", "memory", "pids", "cpu"}) {
    if (auto tracked = v1(name)) {
      return *tracked;
    }
  }
  if (auto tracked = unified()) {
    return *tracked;
  }
  return Error{"no usable cgroup hierarchy: neither a unified mount nor a v1 controller listed in /proc/cgroups"};
}

}  // namespace privsentry
