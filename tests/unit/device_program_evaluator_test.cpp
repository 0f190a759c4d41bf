#include "enrich/device_program_evaluator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "support/runc_device_filter.hpp"

namespace privsentry {
namespace {

using namespace runc_filter;  // NOLINT(google-build-using-namespace)

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
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnrestricted);
  EXPECT_EQ(verdict.allowed.size(), device_access_probes().size());
}

TEST(DeviceProgram, NoProgramIsUnrestricted) {
  EXPECT_EQ(evaluate_device_programs({}).state, DeviceVerdict::State::kUnrestricted);
}

TEST(DeviceProgram, DockersDefaultIsRestrictedAndMknodIsOnlyReported) {
  const auto verdict = evaluate_device_programs({runc_like(docker_default())});
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kRestricted);
  EXPECT_EQ(verdict.allowed,
            (std::vector<std::string>{"char 511:511 mknod", "block 511:511 mknod", "block 8:0 (sda) mknod"}));
}

TEST(DeviceProgram, AHostDiskIsNamed) {
  auto rules = docker_default();
  rules.push_back({kBlock, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE, 8, 0});
  const auto verdict = evaluate_device_programs({runc_like(rules)});
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kAllowsHostBlockDevices);
  EXPECT_NE(std::find(verdict.allowed.begin(), verdict.allowed.end(), "block 8:0 (sda) write"), verdict.allowed.end());
}

TEST(DeviceProgram, KvmAndFuseAreNamed) {
  auto rules = docker_default();
  rules.push_back({kChar, kRwm, 10, 232});
  rules.push_back({kChar, BPF_DEVCG_ACC_READ, 10, 229});
  const auto verdict = evaluate_device_programs({runc_like(rules)});
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kAllowsSensitiveDevices);
  for (const auto* name : {"/dev/kvm read", "/dev/kvm write", "/dev/fuse read"}) {
    EXPECT_NE(std::find(verdict.allowed.begin(), verdict.allowed.end(), name), verdict.allowed.end()) << name;
  }
  EXPECT_EQ(std::find(verdict.allowed.begin(), verdict.allowed.end(), "/dev/fuse write"), verdict.allowed.end());
}

TEST(DeviceProgram, EveryEffectiveProgramMustAllow) {
  const auto verdict = evaluate_device_programs(
      {runc_like({{std::nullopt, kRwm, std::nullopt, std::nullopt}}), runc_like(docker_default())});
  EXPECT_EQ(verdict.state, DeviceVerdict::State::kRestricted);
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
    EXPECT_EQ(verdict.state, DeviceVerdict::State::kUnknown) << reason;
    EXPECT_NE(verdict.reason.find(reason), std::string::npos) << verdict.reason;
    EXPECT_TRUE(verdict.allowed.empty());
  }
}

}  // namespace
}  // namespace privsentry
