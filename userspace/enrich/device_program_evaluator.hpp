#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "privsentry/device_verdict.hpp"
#include "util/expected.hpp"

namespace privsentry {

// Runs a BPF_CGROUP_DEVICE program (its translated instructions, as
// BPF_OBJ_GET_INFO_BY_FD gives them) on one access. Only the subset such
// programs use is understood: loads from the context, 32- and 64-bit ALU with
// immediates and registers, conditional and unconditional jumps, 64-bit
// immediates and exit. Anything else (a helper call, the stack, a map) is an
// error that names the instruction, never a guess. Returns whether the
// program allows the access (a non-zero return).
Expected<bool> run_device_program(std::span<const bpf_insn> program, const bpf_cgroup_dev_ctx& access);

// One access the sensor asks every container's device programs about.
struct DeviceAccessProbe {
  std::string name;          // "/dev/mem read", "block 8:0 write"
  std::uint32_t type = 0;    // BPF_DEVCG_DEV_BLOCK or BPF_DEVCG_DEV_CHAR
  std::uint32_t access = 0;  // BPF_DEVCG_ACC_*
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  enum class Class { kWildcard, kHostBlock, kSensitive, kMknod } kind = Class::kSensitive;
};

// The fixed probes: devices no container is given by default (any major and
// minor, read, write and mknod, block and char), the host's block devices
// (sd, nvme, device mapper, virtio) read and written, and /dev/mem, kmem,
// port, kvm and fuse read and written.
const std::vector<DeviceAccessProbe>& device_access_probes();

// What a device cgroup allows, over the fixed probes: unrestricted (every
// wildcard probe allowed), else the host's block devices, else named
// sensitive devices, else restricted; unknown with the reason when an answer
// could not be had.
struct DeviceAccessVerdict {
  DeviceVerdict::State state = DeviceVerdict::State::kUnknown;
  std::vector<std::string> allowed;  // the probes allowed, by name
  std::string reason;                // for kUnknown
};

// Asks `allows` about every probe.
DeviceAccessVerdict classify_device_access(const std::function<Expected<bool>(const DeviceAccessProbe&)>& allows);

// The effective programs of a cgroup together: an access is allowed only if
// every one of them allows it, and with none every access is.
DeviceAccessVerdict evaluate_device_programs(const std::vector<std::vector<bpf_insn>>& programs);

// Whether one program set allows one probe (the building block of the
// above, for combining with a cgroup v1 list on hybrid hosts).
Expected<bool> device_programs_allow(const std::vector<std::vector<bpf_insn>>& programs,
                                     const DeviceAccessProbe& probe);

}  // namespace privsentry
