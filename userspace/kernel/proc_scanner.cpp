#include "kernel/proc_scanner.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <system_error>

#include "state/cgroup_path_parser.hpp"
#include "state/proc_parsers.hpp"
#include "util/file.hpp"

namespace privsentry {
namespace {

std::string read_link(const std::filesystem::path& path) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
  return n <= 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

ProcScanner::ProcScanner(std::filesystem::path proc, HostFacts facts, TrackedHierarchy tracked)
    : proc_(std::move(proc)), facts_(std::move(facts)), tracked_(std::move(tracked)) {}

std::vector<ScannedProcess> ProcScanner::scan(std::uint64_t boot_now_ns) const {
  std::vector<ScannedProcess> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(proc_, ec)) {
    const auto name = entry.path().filename().string();
    std::uint32_t pid = 0;
    const auto [ptr, parse_ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (parse_ec != std::errc() || ptr != name.data() + name.size() || pid == 0) {
      continue;
    }
    const auto dir = entry.path();
    auto status_text = read_small_file(dir / "status", 64U << 10U);
    auto cgroup_text = read_small_file(dir / "cgroup", 64U << 10U);
    if (!status_text || !cgroup_text) {
      continue;  // gone meanwhile
    }
    auto status = parse_proc_status(*status_text);
    if (!status) {
      continue;
    }
    TaskInfo task;
    task.pid = pid;
    task.tgid = status->tgid == 0 ? pid : status->tgid;
    task.ppid = status->ppid;
    task.uid = status->uid;
    task.euid = status->euid;
    task.ns_pid = status->ns_pids.empty() ? pid : status->ns_pids.back();
    task.pidns_level = status->ns_pids.empty() ? 0 : static_cast<std::uint32_t>(status->ns_pids.size() - 1);
    task.mntns = namespace_inode(dir / "ns/mnt");
    task.pidns = namespace_inode(dir / "ns/pid");
    task.host_namespaces = task.mntns == facts_.mntns && task.pidns == facts_.pidns;
    if (auto comm = read_small_file(dir / "comm", 64)) {
      task.comm = *comm;
      if (!task.comm.empty() && task.comm.back() == '\n') {
        task.comm.pop_back();
      }
    }

    std::string cgroup_path;
    for (const auto& line : parse_proc_cgroup(*cgroup_text)) {
      const bool unified = tracked_.v1_subsystem < 0;
      if ((unified && line.hierarchy_id == 0 && line.controllers.empty()) ||
          (!unified && line.hierarchy_id == tracked_.hierarchy_id)) {
        cgroup_path = line.path;
      }
    }
    const bool container_cgroup = parse_container_cgroup(cgroup_path).has_value();
    if (task.host_namespaces && !container_cgroup) {
      continue;  // a host process
    }
    struct stat st {};
    const auto cgroup_dir = tracked_.mount_point / std::filesystem::path(cgroup_path).relative_path();
    if (!cgroup_path.empty() && ::stat(cgroup_dir.c_str(), &st) == 0) {
      task.cgroup_id = st.st_ino;  // a cgroup's inode number is its id
    }

    ScannedProcess scanned;
    auto cgroup_event = [&](std::uint64_t id, const std::string& path) {
      CgroupEvent event;
      event.timestamp_ns = boot_now_ns;
      event.action = CgroupAction::kMkdir;
      event.cgroup_id = id;
      event.hierarchy_id = tracked_.hierarchy_id;
      event.pid = pid;
      event.tgid = task.tgid;
      event.path = path;
      return event;
    };
    // The container's own cgroup first, then the one the process is in, when
    // that is nested below it.
    if (const auto ref = parse_container_cgroup(cgroup_path); ref && ref->cgroup_path != cgroup_path) {
      struct stat own {};
      const auto own_dir = tracked_.mount_point / std::filesystem::path(ref->cgroup_path).relative_path();
      if (::stat(own_dir.c_str(), &own) == 0) {
        scanned.cgroups.push_back(cgroup_event(own.st_ino, ref->cgroup_path));
      }
    }
    scanned.cgroups.push_back(cgroup_event(task.cgroup_id, cgroup_path));
    scanned.process.timestamp_ns = boot_now_ns;
    scanned.process.task = task;
    scanned.process.caps = status->caps;
    scanned.process.filename = read_link(dir / "exe");
    out.push_back(std::move(scanned));
  }
  return out;
}

}  // namespace privsentry
