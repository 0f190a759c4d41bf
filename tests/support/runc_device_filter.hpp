#pragma once

// Device programs of the shape runc generates for cgroup v2 (libcontainer's
// device filter), for the interpreter's unit tests and for the end-to-end
// tests that load them into the kernel.

#include <linux/bpf.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace privsentry::runc_filter {

inline bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
  bpf_insn out{};
  out.code = code;
  out.dst_reg = dst & 0xfU;
  out.src_reg = src & 0xfU;
  out.off = off;
  out.imm = imm;
  return out;
}

// One rule of a device list: nullopt is a wildcard.
struct Rule {
  std::optional<std::uint32_t> type;  // BPF_DEVCG_DEV_*
  std::uint32_t access;               // BPF_DEVCG_ACC_* bits allowed
  std::optional<std::int32_t> major;
  std::optional<std::int32_t> minor;
};

// A program of the shape runc generates (libcontainer's device filter): the
// context split into type, access, major and minor, then one block per
// allow rule that jumps to the next block on a mismatch, then deny.
inline std::vector<bpf_insn> runc_like(const std::vector<Rule>& rules) {
  std::vector<bpf_insn> p{
      insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0), insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff),
      insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0), insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16),
      insn(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0), insn(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0),
  };
  for (const auto& rule : rules) {
    std::vector<bpf_insn> block;
    // Offsets are patched once the block's length is known.
    std::vector<std::size_t> jumps;
    if (rule.type) {
      jumps.push_back(block.size());
      block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, static_cast<std::int32_t>(*rule.type)));
    }
    if (rule.access != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
      block.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0));
      block.push_back(insn(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, static_cast<std::int32_t>(rule.access)));
      jumps.push_back(block.size());
      block.push_back(insn(BPF_JMP | BPF_JNE | BPF_X, 1, 3, 0, 0));
    }
    if (rule.major) {
      jumps.push_back(block.size());
      block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, *rule.major));
    }
    if (rule.minor) {
      jumps.push_back(block.size());
      block.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, *rule.minor));
    }
    block.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
    block.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (const auto at : jumps) {
      block[at].off = static_cast<std::int16_t>(block.size() - at - 1);
    }
    p.insert(p.end(), block.begin(), block.end());
    if (jumps.empty()) {
      // A rule that matches every access ends the program, as in runc: the
      // verifier refuses instructions nothing can reach.
      return p;
    }
  }
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
  p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return p;
}

inline constexpr std::uint32_t kRwm = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
inline constexpr std::uint32_t kChar = BPF_DEVCG_DEV_CHAR;
inline constexpr std::uint32_t kBlock = BPF_DEVCG_DEV_BLOCK;

// Docker's default device rules.
inline std::vector<Rule> docker_default() {
  return {{kChar, BPF_DEVCG_ACC_MKNOD, std::nullopt, std::nullopt},
          {kBlock, BPF_DEVCG_ACC_MKNOD, std::nullopt, std::nullopt},
          {kChar, kRwm, 1, 3},
          {kChar, kRwm, 1, 5},
          {kChar, kRwm, 1, 7},
          {kChar, kRwm, 5, 0},
          {kChar, kRwm, 1, 8},
          {kChar, kRwm, 1, 9},
          {kChar, kRwm, 136, std::nullopt},
          {kChar, kRwm, 5, 2},
          {kChar, kRwm, 10, 200}};
}

}  // namespace privsentry::runc_filter
