#pragma once

#include "enrich/device_program_source.hpp"

namespace privsentry {

// Asks the kernel itself: BPF_PROG_QUERY (CAP_NET_ADMIN), then
// BPF_PROG_GET_FD_BY_ID (CAP_SYS_ADMIN) and BPF_OBJ_GET_INFO_BY_FD for each
// program's translated instructions.
class KernelDeviceProgramSource final : public DeviceProgramSource {
 public:
  // Larger programs are reported, not fetched: runc's are a few hundred
  // instructions even for long device lists.
  static constexpr std::uint32_t kMaxInstructions = 1U << 16U;
  static constexpr std::uint32_t kMaxPrograms = 64;  // BPF_CGROUP_MAX_PROGS

  Expected<std::vector<DeviceProgram>> effective_programs(int cgroup_dir_fd) override;
};

// One program's translated instructions by id (the helper's building block).
DeviceProgram fetch_device_program(std::uint32_t id);

}  // namespace privsentry
