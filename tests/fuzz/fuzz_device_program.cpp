// The device-program interpreter: translated instructions come from the
// kernel, but from programs anyone with CAP_BPF on the host may have loaded.
// The first 12 bytes are the access, the rest the instructions.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "enrich/device_program_evaluator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < sizeof(bpf_cgroup_dev_ctx)) {
    return 0;
  }
  bpf_cgroup_dev_ctx access{};
  std::memcpy(&access, data, sizeof(access));
  std::vector<bpf_insn> program((size - sizeof(access)) / sizeof(bpf_insn));
  if (!program.empty()) {
    std::memcpy(program.data(), data + sizeof(access), program.size() * sizeof(bpf_insn));
  }
  (void)privsentry::run_device_program(program, access);
  (void)privsentry::evaluate_device_programs({program});
  return 0;
}
