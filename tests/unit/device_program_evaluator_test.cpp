#include "enrich/device_program_evaluator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

namespace privsentry {
namespace {

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
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
std::vector<bpf_insn> runc_like(const std::vector<Rule>& rules) {
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
      block.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 3, 0, 0));
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
  }
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
  p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return p;
}

constexpr std::uint32_t kRwm = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
constexpr std::uint32_t kChar = BPF_DEVCG_DEV_CHAR;
constexpr std::uint32_t kBlock = BPF_DEVCG_DEV_BLOCK;

// Docker's default device rules.
std::vector<Rule> docker_default() {
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

bool allows(const std::vector<bpf_insn>& program, std::uint32_t type, std::uint32_t access, std::uint32_t major,
            std::uint32_t minor) {
  auto answer = run_device_program(program, bpf_cgroup_dev_ctx{(access << 16U) | type, major, minor});
  EXPECT_TRUE(answer) << answer.error().message;
  return answer && *answer;
}

TEST(DeviceProgram, RuncShapedRulesAnswerLikeTheDeviceList) {
  const auto program = runc_like(docker_default());
  EXPECT_TRUE(allows(program, kChar, BPF_DEVCG_ACC_READ, 1, 3));     // /dev/null
  EXPECT_TRUE(allows(program, kChar, BPF_DEVCG_ACC_WRITE, 136, 7));  // a pty
  EXPECT_TRUE(allows(program, kBlock, BPF_DEVCG_ACC_MKNOD, 8, 0));   // mknod of anything
  EXPECT_FALSE(allows(program, kBlock, BPF_DEVCG_ACC_READ, 8, 0));
  EXPECT_FALSE(allows(program, kChar, BPF_DEVCG_ACC_READ, 1, 1));  // /dev/mem
  EXPECT_FALSE(allows(program, kChar, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_MKNOD, 1, 1));
}

TEST(DeviceProgram, PrivilegedIsUnrestricted) {
  const auto verdict = evaluate_device_programs({runc_like({{std::nullopt, kRwm, std::nullopt, std::nullopt}})});
  EXPECT_EQ(verdict.kind, DeviceProgramVerdict::Kind::kUnrestricted);
  EXPECT_EQ(verdict.allowed.size(), device_access_probes().size());
}

TEST(DeviceProgram, NoProgramIsUnrestricted) {
  EXPECT_EQ(evaluate_device_programs({}).kind, DeviceProgramVerdict::Kind::kUnrestricted);
}

TEST(DeviceProgram, DockersDefaultIsRestrictedAndMknodIsOnlyReported) {
  const auto verdict = evaluate_device_programs({runc_like(docker_default())});
  EXPECT_EQ(verdict.kind, DeviceProgramVerdict::Kind::kRestricted);
  EXPECT_EQ(verdict.allowed,
            (std::vector<std::string>{"char 511:511 mknod", "block 511:511 mknod", "block 8:0 (sda) mknod"}));
}

TEST(DeviceProgram, AHostDiskIsNamed) {
  auto rules = docker_default();
  rules.push_back({kBlock, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE, 8, 0});
  const auto verdict = evaluate_device_programs({runc_like(rules)});
  EXPECT_EQ(verdict.kind, DeviceProgramVerdict::Kind::kAllowsHostBlockDevices);
  EXPECT_NE(std::find(verdict.allowed.begin(), verdict.allowed.end(), "block 8:0 (sda) write"), verdict.allowed.end());
}

TEST(DeviceProgram, KvmAndFuseAreNamed) {
  auto rules = docker_default();
  rules.push_back({kChar, kRwm, 10, 232});
  rules.push_back({kChar, BPF_DEVCG_ACC_READ, 10, 229});
  const auto verdict = evaluate_device_programs({runc_like(rules)});
  EXPECT_EQ(verdict.kind, DeviceProgramVerdict::Kind::kAllowsSensitiveDevices);
  for (const auto* name : {"/dev/kvm read", "/dev/kvm write", "/dev/fuse read"}) {
    EXPECT_NE(std::find(verdict.allowed.begin(), verdict.allowed.end(), name), verdict.allowed.end()) << name;
  }
  EXPECT_EQ(std::find(verdict.allowed.begin(), verdict.allowed.end(), "/dev/fuse write"), verdict.allowed.end());
}

TEST(DeviceProgram, EveryEffectiveProgramMustAllow) {
  const auto verdict = evaluate_device_programs(
      {runc_like({{std::nullopt, kRwm, std::nullopt, std::nullopt}}), runc_like(docker_default())});
  EXPECT_EQ(verdict.kind, DeviceProgramVerdict::Kind::kRestricted);
}

TEST(DeviceProgram, SixtyFourBitImmediatesAndThirtyTwoBitJumps) {
  // r0 = 0x1_0000_0001; if w0 == 1 (32-bit compare) allow, else deny.
  const std::vector<bpf_insn> program{
      insn(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),   insn(0, 0, 0, 0, 1),
      insn(BPF_JMP32 | BPF_JEQ | BPF_K, 0, 0, 2, 1), insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
      insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),          insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
      insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
  EXPECT_TRUE(allows(program, kChar, BPF_DEVCG_ACC_READ, 1, 1));
}

TEST(DeviceProgram, WhatIsOutsideTheSubsetIsUnknownWithTheReason) {
  const std::vector<std::pair<std::vector<bpf_insn>, std::string>> cases{
      {{insn(BPF_JMP | BPF_CALL, 0, 0, 0, 14), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)}, "calls a helper"},
      {{insn(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 12, 0), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)}, "out of bounds"},
      {{insn(BPF_LDX | BPF_MEM | BPF_W, 0, 10, -4, 0), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)}, "other memory"},
      {{insn(BPF_STX | BPF_MEM | BPF_W, 10, 1, -4, 0), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)}, "a store"},
      {{insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1)}, "past its last instruction"},
      {{insn(BPF_JMP | BPF_JA, 0, 0, 5, 0), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)}, "outside the program"},
      {{insn(BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 0, 0), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)}, "returns a pointer"},
      {{insn(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 0, 2), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)}, "ALU operation"},
      {{insn(BPF_JMP | BPF_JA, 0, 0, -1, 0)}, "steps"},
  };
  for (const auto& [program, reason] : cases) {
    const auto verdict = evaluate_device_programs({program});
    EXPECT_EQ(verdict.kind, DeviceProgramVerdict::Kind::kUnknown) << reason;
    EXPECT_NE(verdict.reason.find(reason), std::string::npos) << verdict.reason;
    EXPECT_TRUE(verdict.allowed.empty());
  }
}

}  // namespace
}  // namespace privsentry
