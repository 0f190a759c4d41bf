#include "enrich/cgroup_device_inspector.hpp"

#include <fcntl.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "enrich/device_program_evaluator.hpp"
#include "enrich/devices_list_parser.hpp"
#include "state/proc_parsers.hpp"
#include "util/file.hpp"

namespace privsentry {
namespace {

// A path from /proc/<pid>/cgroup is relative to the hierarchy root; the mount
// may show only a subtree of it.
std::filesystem::path on_mount(const CgroupMount& mount, const std::string& path) {
  std::string relative = path;
  if (mount.root != "/" && relative.rfind(mount.root, 0) == 0) {
    relative = relative.substr(mount.root.size());
  }
  while (!relative.empty() && relative.front() == '/') {
    relative.erase(0, 1);
  }
  // Outside its cgroup namespace /proc shows "/../.."; such a path, or any
  // other that climbs, must not leave the mount.
  const std::filesystem::path rel(relative);
  for (const auto& part : rel) {
    if (part == "..") {
      return {};
    }
  }
  return mount.mount_point / rel;
}

DeviceVerdict unknown(std::string source, std::string path, std::string detail) {
  DeviceVerdict verdict;
  verdict.source = std::move(source);
  verdict.path = std::move(path);
  verdict.detail = std::move(detail);
  return verdict;
}

constexpr std::string_view kV1Source = "cgroup-v1 devices.list";
constexpr std::string_view kV2Source = "cgroup-v2 device programs";

// The container's paths in the devices hierarchy and the unified one, as a
// live process shows them; the tracked path when it cannot be read (the
// cgroupfs driver uses the same path in every hierarchy).
struct ContainerCgroups {
  std::string devices;
  std::string unified;
};

ContainerCgroups container_cgroups(const std::filesystem::path& proc, const DeviceQuery& query) {
  ContainerCgroups paths{query.cgroup_path, query.cgroup_path};
  if (query.pid == 0) {
    return paths;
  }
  auto text = read_small_file(proc / std::to_string(query.pid) / "cgroup", 64U << 10U);
  if (!text) {
    return paths;
  }
  for (const auto& line : parse_proc_cgroup(*text)) {
    if (std::find(line.controllers.begin(), line.controllers.end(), "devices") != line.controllers.end()) {
      paths.devices = line.path;
    }
    if (line.hierarchy_id == 0 && line.controllers.empty()) {
      paths.unified = line.path;
    }
  }
  return paths;
}

char devices_list_type(std::uint32_t type) { return type == BPF_DEVCG_DEV_BLOCK ? 'b' : 'c'; }

std::string devices_list_access(std::uint32_t access) {
  std::string out;
  if ((access & BPF_DEVCG_ACC_READ) != 0U) {
    out += 'r';
  }
  if ((access & BPF_DEVCG_ACC_WRITE) != 0U) {
    out += 'w';
  }
  if ((access & BPF_DEVCG_ACC_MKNOD) != 0U) {
    out += 'm';
  }
  return out;
}

struct V2Programs {
  std::string dir;
  std::vector<std::uint32_t> ids;
  std::vector<std::vector<bpf_insn>> programs;
  std::string error;  // non-empty: the programs could not be had
};

V2Programs read_v2_programs(const CgroupMount& mount, const std::string& cgroup_path, DeviceProgramSource* source) {
  V2Programs out;
  const auto dir = on_mount(mount, cgroup_path);
  out.dir = dir.empty() ? cgroup_path : dir.string();
  if (dir.empty() || cgroup_path.empty()) {
    out.error = "no usable cgroup path";
    return out;
  }
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    out.error = "open: " + errno_text(errno);
    return out;
  }
  if (source == nullptr) {
    out.error = "nothing here can read device programs";
    return out;
  }
  auto programs = source->effective_programs(fd.get());
  if (!programs) {
    out.error = programs.error().message;
    return out;
  }
  for (auto& program : *programs) {
    out.ids.push_back(program.id);
    if (!program.error.empty() && out.error.empty()) {
      out.error = program.error;
    }
    out.programs.push_back(std::move(program.insns));
  }
  return out;
}

}  // namespace

std::string_view to_string(DeviceVerdict::State state) {
  switch (state) {
    case DeviceVerdict::State::kUnknown:
      return "unknown";
    case DeviceVerdict::State::kRestricted:
      return "restricted";
    case DeviceVerdict::State::kUnrestricted:
      return "unrestricted";
    case DeviceVerdict::State::kAllowsHostBlockDevices:
      return "allows-host-block-devices";
    case DeviceVerdict::State::kAllowsSensitiveDevices:
      return "allows-sensitive-devices";
  }
  return "unknown";
}

CgroupDeviceInspector::CgroupDeviceInspector(CgroupLayout layout, std::filesystem::path proc,
                                             DeviceProgramSource* programs)
    : layout_(std::move(layout)), proc_(std::move(proc)), programs_(programs) {}

DeviceVerdict CgroupDeviceInspector::inspect(const DeviceQuery& query) {
  const auto* v1 = layout_.v1_controller("devices");
  const auto* v2 = layout_.unified();
  if (v1 == nullptr && v2 == nullptr) {
    return unknown("none", "", "no devices controller: neither a v1 devices hierarchy nor cgroup2 is mounted");
  }
  const auto paths = container_cgroups(proc_, query);

  std::optional<std::vector<DeviceRule>> rules;
  std::string list_file;
  if (v1 != nullptr) {
    const auto dir = on_mount(*v1, paths.devices);
    if (dir.empty()) {
      return unknown(std::string(kV1Source), paths.devices, "cgroup path climbs out of the hierarchy");
    }
    list_file = (dir / "devices.list").string();
    auto text = read_small_file(list_file, 1U << 20U);
    if (!text) {
      return unknown(std::string(kV1Source), list_file, text.error().message);
    }
    auto parsed = parse_devices_list(*text);
    if (!parsed) {
      return unknown(std::string(kV1Source), list_file, parsed.error().message);
    }
    rules = std::move(*parsed);
  }
  std::optional<V2Programs> v2_programs;
  if (v2 != nullptr) {
    v2_programs = read_v2_programs(*v2, paths.unified, programs_);
  }

  DeviceVerdict verdict;
  if (rules) {
    for (const auto& rule : *rules) {
      verdict.rules.push_back(std::string(1, rule.type) + " " + rule.major + ":" + rule.minor + " " + rule.access);
    }
  }
  const bool programs_apply = v2_programs && (!v2_programs->ids.empty() || !v2_programs->error.empty());
  if (v2_programs) {
    verdict.program_ids = v2_programs->ids;
  }
  if (rules && !programs_apply) {
    verdict.source = kV1Source;
    verdict.path = list_file;
  } else if (!rules) {
    verdict.source = kV2Source;
    verdict.path = v2_programs->dir;
  } else {
    verdict.source = std::string(kV1Source) + " and " + std::string(kV2Source);
    verdict.path = list_file;
  }

  const auto list_allows = [&](const DeviceAccessProbe& probe) {
    return !rules || devices_list_allows(*rules, devices_list_type(probe.type), probe.major, probe.minor,
                                         devices_list_access(probe.access));
  };
  if (v2_programs && !v2_programs->error.empty()) {
    const std::string why = std::string(kV2Source) + " of " + v2_programs->dir + " not read: " + v2_programs->error;
    if (rules) {
      // The programs can only take away what the list allows.
      const auto by_list =
          classify_device_access([&](const DeviceAccessProbe& probe) -> Expected<bool> { return list_allows(probe); });
      if (by_list.state == DeviceVerdict::State::kRestricted) {
        verdict.state = DeviceVerdict::State::kRestricted;
        verdict.allowed = by_list.allowed;
        verdict.detail = why + "; devices.list alone restricts";
        return verdict;
      }
    }
    verdict.state = DeviceVerdict::State::kUnknown;
    verdict.detail = why;
    return verdict;
  }
  const auto result = classify_device_access([&](const DeviceAccessProbe& probe) -> Expected<bool> {
    if (!list_allows(probe)) {
      return false;
    }
    if (!v2_programs) {
      return true;
    }
    return device_programs_allow(v2_programs->programs, probe);
  });
  verdict.state = result.state;
  verdict.allowed = result.allowed;
  if (result.state == DeviceVerdict::State::kUnknown) {
    verdict.detail = std::string(kV2Source) + " of " + v2_programs->dir + ": " + result.reason;
  } else if (!rules && v2_programs->ids.empty()) {
    verdict.detail = "no BPF_CGROUP_DEVICE program is effective: every device is allowed";
  } else if (programs_apply) {
    verdict.detail = std::to_string(v2_programs->ids.size()) + " device program(s) of " + v2_programs->dir +
                     " evaluated over " + std::to_string(device_access_probes().size()) + " accesses";
  }
  return verdict;
}

}  // namespace privsentry
