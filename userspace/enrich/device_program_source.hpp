#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace privsentry {

// One effective BPF_CGROUP_DEVICE program of a cgroup: its id and its
// translated instructions, or why they could not be had.
struct DeviceProgram {
  std::uint32_t id = 0;
  std::vector<bpf_insn> insns;
  std::string error;  // non-empty: insns are not usable
};

// Where the device programs of a cgroup come from: the kernel directly when
// the caller holds CAP_SYS_ADMIN, a privileged helper process when it has
// dropped it, a test's list without root.
class DeviceProgramSource {
 public:
  DeviceProgramSource() = default;
  DeviceProgramSource(const DeviceProgramSource&) = delete;
  DeviceProgramSource& operator=(const DeviceProgramSource&) = delete;
  virtual ~DeviceProgramSource() = default;

  // The programs in effect for the cgroup directory open as `cgroup_dir_fd`
  // (BPF_PROG_QUERY with BPF_F_QUERY_EFFECTIVE), in the kernel's order.
  virtual Expected<std::vector<DeviceProgram>> effective_programs(int cgroup_dir_fd) = 0;
};

}  // namespace privsentry
