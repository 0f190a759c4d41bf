#include "kernel/kernel_device_program_source.hpp"

#include <bpf/bpf.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "util/file.hpp"

namespace privsentry {

DeviceProgram fetch_device_program(std::uint32_t id) {
  DeviceProgram program;
  program.id = id;
  const UniqueFd fd(bpf_prog_get_fd_by_id(id));
  if (!fd.valid()) {
    const int error = errno;
    program.error = "BPF_PROG_GET_FD_BY_ID " + std::to_string(id) + ": " + errno_text(error) +
                    (error == EPERM ? " (it needs CAP_SYS_ADMIN)" : "");
    return program;
  }
  bpf_prog_info info{};
  __u32 length = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &length) != 0) {
    program.error = "BPF_OBJ_GET_INFO_BY_FD " + std::to_string(id) + ": " + errno_text(errno);
    return program;
  }
  if (info.type != BPF_PROG_TYPE_CGROUP_DEVICE) {
    program.error = "program " + std::to_string(id) + " is of type " + std::to_string(info.type) +
                    ", not BPF_PROG_TYPE_CGROUP_DEVICE";
    return program;
  }
  if (info.xlated_prog_len == 0) {
    // The kernel hides the instructions from a caller without CAP_BPF.
    program.error = "the kernel gave no instructions for program " + std::to_string(id) + " (it needs CAP_BPF)";
    return program;
  }
  const std::uint32_t count = info.xlated_prog_len / sizeof(bpf_insn);
  if (count > KernelDeviceProgramSource::kMaxInstructions) {
    program.error = "program " + std::to_string(id) + " has " + std::to_string(count) +
                    " instructions, more than the " + std::to_string(KernelDeviceProgramSource::kMaxInstructions) +
                    " evaluated";
    return program;
  }
  program.insns.resize(count);
  bpf_prog_info with_insns{};
  with_insns.xlated_prog_len = count * sizeof(bpf_insn);
  with_insns.xlated_prog_insns = reinterpret_cast<std::uintptr_t>(program.insns.data());
  length = sizeof(with_insns);
  if (bpf_obj_get_info_by_fd(fd.get(), &with_insns, &length) != 0) {
    program.error = "BPF_OBJ_GET_INFO_BY_FD " + std::to_string(id) + ": " + errno_text(errno);
    program.insns.clear();
    return program;
  }
  // A program cannot change once loaded, but keep only what was written.
  program.insns.resize(std::min<std::size_t>(count, with_insns.xlated_prog_len / sizeof(bpf_insn)));
  return program;
}

Expected<std::vector<DeviceProgram>> KernelDeviceProgramSource::effective_programs(int cgroup_dir_fd) {
  std::array<__u32, kMaxPrograms> ids{};
  __u32 count = ids.size();
  __u32 attach_flags = 0;
  if (bpf_prog_query(cgroup_dir_fd, BPF_CGROUP_DEVICE, BPF_F_QUERY_EFFECTIVE, &attach_flags, ids.data(), &count) != 0) {
    const int error = errno;
    return Error{"BPF_PROG_QUERY: " + errno_text(error) + (error == EPERM ? " (it needs CAP_NET_ADMIN)" : "")};
  }
  std::vector<DeviceProgram> programs;
  for (std::size_t i = 0; i < count && i < ids.size(); ++i) {
    programs.push_back(fetch_device_program(ids[i]));
  }
  return programs;
}

}  // namespace privsentry
