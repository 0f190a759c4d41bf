#include "enrich/cgroup_device_inspector.hpp"

#include <bpf/bpf.h>
#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cerrno>

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

}  // namespace

std::string_view to_string(DeviceVerdict::State state) {
  switch (state) {
    case DeviceVerdict::State::kUnknown:
      return "unknown";
    case DeviceVerdict::State::kRestricted:
      return "restricted";
    case DeviceVerdict::State::kUnrestricted:
      return "unrestricted";
  }
  return "unknown";
}

CgroupDeviceInspector::CgroupDeviceInspector(CgroupLayout layout, std::filesystem::path proc)
    : layout_(std::move(layout)), proc_(std::move(proc)) {}

DeviceVerdict CgroupDeviceInspector::inspect(const DeviceQuery& query) {
  if (const auto* mount = layout_.v1_controller("devices")) {
    return inspect_v1(*mount, query);
  }
  if (const auto* mount = layout_.unified()) {
    return inspect_v2(*mount, query);
  }
  return unknown("none", "", "no devices controller: neither a v1 devices hierarchy nor cgroup2 is mounted");
}

DeviceVerdict CgroupDeviceInspector::inspect_v1(const CgroupMount& mount, const DeviceQuery& query) const {
  static constexpr std::string_view kSource = "cgroup-v1 devices.list";
  // The devices hierarchy may be laid out differently from the tracked one; a
  // live process says where the container really is.
  std::string cgroup_path = query.cgroup_path;
  if (query.pid != 0) {
    if (auto text = read_small_file(proc_ / std::to_string(query.pid) / "cgroup", 64U << 10U)) {
      for (const auto& line : parse_proc_cgroup(*text)) {
        if (std::find(line.controllers.begin(), line.controllers.end(), "devices") != line.controllers.end()) {
          cgroup_path = line.path;
        }
      }
    }
  }
  const auto dir = on_mount(mount, cgroup_path);
  if (dir.empty()) {
    return unknown(std::string(kSource), cgroup_path, "cgroup path climbs out of the hierarchy");
  }
  const auto file = dir / "devices.list";
  auto text = read_small_file(file, 1U << 20U);
  if (!text) {
    return unknown(std::string(kSource), file.string(), text.error().message);
  }
  auto rules = parse_devices_list(*text);
  if (!rules) {
    return unknown(std::string(kSource), file.string(), rules.error().message);
  }
  DeviceVerdict verdict;
  verdict.source = kSource;
  verdict.path = file.string();
  verdict.state = allows_every_device(*rules) ? DeviceVerdict::State::kUnrestricted : DeviceVerdict::State::kRestricted;
  for (const auto& rule : *rules) {
    verdict.rules.push_back(std::string(1, rule.type) + " " + rule.major + ":" + rule.minor + " " + rule.access);
  }
  return verdict;
}

DeviceVerdict CgroupDeviceInspector::inspect_v2(const CgroupMount& mount, const DeviceQuery& query) const {
  static constexpr std::string_view kSource = "cgroup-v2 device programs";
  const auto dir = on_mount(mount, query.cgroup_path);
  if (dir.empty() || query.cgroup_path.empty()) {
    return unknown(std::string(kSource), query.cgroup_path, "no usable cgroup path");
  }
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return unknown(std::string(kSource), dir.string(), "open: " + errno_text(errno));
  }
  std::array<__u32, 64> ids{};
  __u32 count = ids.size();
  __u32 attach_flags = 0;
  if (bpf_prog_query(fd.get(), BPF_CGROUP_DEVICE, BPF_F_QUERY_EFFECTIVE, &attach_flags, ids.data(), &count) != 0) {
    return unknown(std::string(kSource), dir.string(), "BPF_PROG_QUERY: " + errno_text(errno));
  }
  DeviceVerdict verdict;
  verdict.source = kSource;
  verdict.path = dir.string();
  verdict.program_ids.assign(ids.begin(), ids.begin() + std::min<std::size_t>(count, ids.size()));
  if (count == 0) {
    verdict.state = DeviceVerdict::State::kUnrestricted;
    verdict.detail = "no BPF_CGROUP_DEVICE program is effective: every device is allowed";
  } else {
    // runc attaches an allow-everything program to a privileged container
    // on v2, so "attached" proves nothing either way: say unknown, never
    // restricted, until the programs are evaluated.
    verdict.state = DeviceVerdict::State::kUnknown;
    verdict.detail = std::to_string(count) +
                     " device program(s) attached; what they allow is not evaluated yet, so the restriction is unknown";
  }
  return verdict;
}

}  // namespace privsentry
