#include "kernel/device_program_wire.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "support/runc_device_filter.hpp"

namespace privsentry {
namespace {

using namespace runc_filter;  // NOLINT(google-build-using-namespace)

bool same(const std::vector<bpf_insn>& a, const std::vector<bpf_insn>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(bpf_insn)) == 0);
}

TEST(DeviceProgramWire, ProgramsAndErrorsRoundTrip) {
  const auto filter = runc_like(docker_default());
  std::vector<DeviceProgram> programs{{7, filter, ""}, {9, {}, "BPF_PROG_GET_FD_BY_ID 9: Operation not permitted"}};
  const auto decoded = decode_device_programs(encode_device_programs(DeviceProgramAnswer(programs)));
  ASSERT_TRUE(decoded);
  ASSERT_TRUE(*decoded) << decoded->error().message;
  const auto& got = **decoded;
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].id, 7U);
  EXPECT_TRUE(same(got[0].insns, filter));
  EXPECT_TRUE(got[0].error.empty());
  EXPECT_EQ(got[1].id, 9U);
  EXPECT_TRUE(got[1].insns.empty());
  EXPECT_EQ(got[1].error, programs[1].error);

  const auto none = decode_device_programs(encode_device_programs(DeviceProgramAnswer(std::vector<DeviceProgram>{})));
  ASSERT_TRUE(none && *none);
  EXPECT_TRUE((*none)->empty());
}

TEST(DeviceProgramWire, TheHelpersOwnErrorIsAnInnerError) {
  const auto decoded =
      decode_device_programs(encode_device_programs(DeviceProgramAnswer(Error{"BPF_PROG_QUERY: EPERM"})));
  ASSERT_TRUE(decoded);
  ASSERT_FALSE(*decoded);
  EXPECT_EQ(decoded->error().message, "BPF_PROG_QUERY: EPERM");
}

TEST(DeviceProgramWire, EveryCutAndEveryLieIsMalformed) {
  const auto bytes = encode_device_programs(DeviceProgramAnswer(std::vector<DeviceProgram>{{1, runc_like({}), "x"}}));
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_device_programs(std::string_view(bytes).substr(0, cut))) << "cut at " << cut;
  }
  EXPECT_FALSE(decode_device_programs(bytes + "\x01"));  // trailing bytes
  auto huge_count = bytes;
  const std::uint32_t count = 100000;
  std::memcpy(huge_count.data() + 1, &count, sizeof(count));
  EXPECT_FALSE(decode_device_programs(huge_count));
  auto huge_insns = bytes;
  const std::uint32_t insns = 0xffffffffU;
  // ok, count, id, error length, "x", then the instruction count.
  std::memcpy(huge_insns.data() + 1 + 4 + 4 + 4 + 1, &insns, sizeof(insns));
  EXPECT_FALSE(decode_device_programs(huge_insns));
  EXPECT_FALSE(decode_device_programs(std::string("\x02", 1)));
}

}  // namespace
}  // namespace privsentry
