#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "privsentry/abi/events.h"

namespace privsentry::test {

// Builds ring buffer records byte for byte as the BPF programs write them, so
// tests drive everything above the kernel source without root.
template <typename T>
std::vector<std::byte> bytes_of(const T& record) {
  std::vector<std::byte> out(sizeof(T));
  std::memcpy(out.data(), &record, sizeof(T));
  return out;
}

inline void copy_c_string(char* dst, std::size_t size, const std::string& src) {
  std::memset(dst, 0, size);
  std::memcpy(dst, src.data(), std::min(size, src.size()));
}

inline ps_event_header header(std::uint16_t type, std::uint32_t size, std::uint64_t ts = 1'000'000'000ULL) {
  ps_event_header h{};
  h.type = type;
  h.abi_version = PS_ABI_VERSION;
  h.size = size;
  h.timestamp_ns = ts;
  return h;
}

struct TaskSpec {
  std::uint32_t pid = 1000;
  std::uint32_t ppid = 999;
  std::uint32_t mntns = 4026532100;
  std::uint32_t pidns = 4026532101;
  std::uint64_t cgroup_id = 5000;
  std::string comm = "sleep";
  std::uint32_t flags = 0;
};

inline ps_task task(const TaskSpec& spec) {
  ps_task t{};
  t.pid = spec.pid;
  t.tgid = spec.pid;
  t.ppid = spec.ppid;
  t.ns_pid = 1;
  t.pidns_inum = spec.pidns;
  t.mntns_inum = spec.mntns;
  t.pidns_level = 1;
  t.flags = spec.flags;
  t.cgroup_id = spec.cgroup_id;
  copy_c_string(t.comm, sizeof(t.comm), spec.comm);
  return t;
}

inline std::vector<std::byte> cgroup_record(std::uint16_t type, std::uint64_t id, const std::string& path,
                                            std::uint32_t hierarchy = 0) {
  ps_cgroup_event e{};
  e.hdr = header(type, sizeof(e));
  e.cgroup_id = id;
  e.hierarchy_id = hierarchy;
  e.level = 2;
  e.pid = 1;
  e.tgid = 1;
  copy_c_string(e.comm, sizeof(e.comm), "runc");
  copy_c_string(e.path, sizeof(e.path), path);
  return bytes_of(e);
}

inline std::vector<std::byte> exec_record(const TaskSpec& spec, std::uint64_t bounding, std::uint64_t effective,
                                          const std::string& filename = "/bin/sleep") {
  ps_exec_event e{};
  e.hdr = header(PS_EVENT_EXEC, sizeof(e));
  e.task = task(spec);
  e.caps.bounding = bounding;
  e.caps.effective = effective;
  e.caps.permitted = effective;
  copy_c_string(e.filename, sizeof(e.filename), filename);
  return bytes_of(e);
}

inline std::vector<std::byte> fork_record(const TaskSpec& spec, std::uint64_t bounding, std::uint64_t effective) {
  ps_fork_event e{};
  e.hdr = header(PS_EVENT_FORK, sizeof(e));
  e.task = task(spec);
  e.caps.bounding = bounding;
  e.caps.effective = effective;
  e.caps.permitted = effective;
  return bytes_of(e);
}

inline std::vector<std::byte> capability_record(const TaskSpec& spec, int capability, bool granted,
                                                std::uint32_t userns_level = 0,
                                                std::uint32_t flags = PS_CAP_CRED_IS_TASK) {
  ps_capability_event e{};
  e.hdr = header(PS_EVENT_CAPABILITY, sizeof(e));
  e.task = task(spec);
  e.capability = capability;
  e.granted = granted ? 1 : 0;
  e.userns_level = userns_level;
  e.flags = flags;
  e.cred_effective = 0x3ffeffffffULL;
  return bytes_of(e);
}

inline std::vector<std::byte> exit_record(const TaskSpec& spec, std::int32_t code = 0) {
  ps_exit_event e{};
  e.hdr = header(PS_EVENT_EXIT, sizeof(e));
  e.task = task(spec);
  e.exit_code = code;
  return bytes_of(e);
}

// This machine's host bounding set: everything up to CAP_CHECKPOINT_RESTORE
// but CAP_SYS_RESOURCE.
inline constexpr std::uint64_t kHostBounding = 0x000001fffeffffffULL;
// What Docker's --privileged gives there (no PERFMON, BPF, CHECKPOINT_RESTORE).
inline constexpr std::uint64_t kPrivilegedBounding = 0x0000003ffeffffffULL;
inline constexpr std::uint64_t kDockerDefault = 0x00000000a80425fbULL;

}  // namespace privsentry::test
