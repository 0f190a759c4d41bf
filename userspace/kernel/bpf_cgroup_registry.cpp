#include "kernel/bpf_cgroup_registry.hpp"

#include <bpf/bpf.h>
#include <spdlog/spdlog.h>

#include <cerrno>

#include "util/file.hpp"

namespace privsentry {

BpfCgroupRegistry::BpfCgroupRegistry(int map_fd, int gen_fd) : map_fd_(map_fd), gen_fd_(gen_fd) {}

void BpfCgroupRegistry::add(std::uint64_t cgroup_id) {
  const __u8 one = 1;
  if (bpf_map_update_elem(map_fd_, &cgroup_id, &one, BPF_ANY) != 0) {
    ++failures_;
    spdlog::warn("cannot register container cgroup {} with the kernel side: {}", cgroup_id, errno_text(errno));
    return;
  }
  // After the addition, never before: a program that read the old
  // generation may cache the cgroup as not a container's, under a tag the
  // new generation no longer matches.
  const __u32 zero = 0;
  ++generation_;
  if (bpf_map_update_elem(gen_fd_, &zero, &generation_, BPF_ANY) != 0) {
    ++failures_;
    spdlog::warn("cannot advance the container cgroup generation: {}", errno_text(errno));
  }
}

void BpfCgroupRegistry::remove(std::uint64_t cgroup_id) {
  if (bpf_map_delete_elem(map_fd_, &cgroup_id) != 0 && errno != ENOENT) {
    ++failures_;
    spdlog::warn("cannot unregister cgroup {}: {}", cgroup_id, errno_text(errno));
  }
}

}  // namespace privsentry
