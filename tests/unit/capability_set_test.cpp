#include "privsentry/capability_set.hpp"

#include <gtest/gtest.h>

#include "state/capability_verdict.hpp"

namespace privsentry {
namespace {

TEST(CapabilityName, KnownUnknownAndOutOfRange) {
  EXPECT_EQ(capability_name(21), "CAP_SYS_ADMIN");
  EXPECT_EQ(capability_name(0), "CAP_CHOWN");
  EXPECT_EQ(capability_name(40), "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(capability_name(41), "CAP_41");
  EXPECT_EQ(capability_name(63), "CAP_63");
  EXPECT_EQ(capability_name(64), "CAP_INVALID(64)");
  EXPECT_EQ(capability_name(-1), "CAP_INVALID(-1)");
}

TEST(CapabilityName, FromNameAcceptsDockerAndKernelSpelling) {
  EXPECT_EQ(capability_from_name("SYS_ADMIN"), 21);
  EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(capability_from_name("cap_net_raw"), 13);
  EXPECT_EQ(capability_from_name("ALL"), std::nullopt);
  EXPECT_EQ(capability_from_name(""), std::nullopt);
}

TEST(CapabilitySet, BitsNamesAndHex) {
  CapabilitySet set;
  set.add(21);
  set.add(0);
  set.add(99);  // ignored: not a capability number
  EXPECT_TRUE(set.has(21));
  EXPECT_FALSE(set.has(99));
  EXPECT_FALSE(set.has(-3));
  EXPECT_EQ(set.count(), 2);
  EXPECT_EQ(set.names(), (std::vector<std::string>{"CAP_CHOWN", "CAP_SYS_ADMIN"}));
  EXPECT_EQ(set.hex(), "0x0000000000200001");
  set.remove(0);
  EXPECT_EQ(set.bits(), 1ULL << 21U);
}

TEST(CapabilitySet, AllUpTo) {
  EXPECT_EQ(CapabilitySet::all_up_to(40).bits(), 0x1ffffffffffULL);
  EXPECT_EQ(CapabilitySet::all_up_to(0).bits(), 1ULL);
  EXPECT_EQ(CapabilitySet::all_up_to(63).bits(), ~0ULL);
  EXPECT_EQ(CapabilitySet::all_up_to(-1).bits(), 0ULL);
}

TEST(CapabilitySet, ParsesProcStatusHex) {
  EXPECT_EQ(parse_capability_hex("000001fffeffffff")->bits(), 0x1fffeffffffULL);
  EXPECT_EQ(parse_capability_hex("0xa80425fb")->bits(), 0xa80425fbULL);
  EXPECT_FALSE(parse_capability_hex(""));
  EXPECT_FALSE(parse_capability_hex("zz"));
  EXPECT_FALSE(parse_capability_hex("00000000000000001"));  // 17 digits
  EXPECT_FALSE(parse_capability_hex("12 34"));
}

TEST(DockerDefaults, AreTheFourteenCapabilities) {
  EXPECT_EQ(kDockerDefaultCapabilities.count(), 14);
  for (const char* name : {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
                           "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}) {
    EXPECT_TRUE(kDockerDefaultCapabilities.has(*capability_from_name(name))) << name;
  }
  EXPECT_FALSE(kDockerDefaultCapabilities.has(kCapSysAdmin));
}

// This machine: cap_last_cap 40 and no CAP_SYS_RESOURCE in any bounding set.
const CapabilitySet kReducedHost(0x000001fffeffffffULL);

TEST(CapabilityVerdict, PrivilegedOnReducedHostIsFullThanksToSysAdmin) {
  // Docker 20.10 --privileged: no PERFMON, BPF, CHECKPOINT_RESTORE.
  const auto verdict = evaluate_capabilities(CapabilitySet(0x3ffeffffffULL), kReducedHost);
  EXPECT_TRUE(verdict.full);
  EXPECT_TRUE(verdict.missing.empty());
  EXPECT_EQ(verdict.waived.names(), (std::vector<std::string>{"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"}));
  EXPECT_EQ(verdict.held.count(), 37);
  EXPECT_TRUE(verdict.beyond_defaults.has(kCapSysAdmin));
}

TEST(CapabilityVerdict, WithoutSysAdminTheSplitCapabilitiesCount) {
  CapabilitySet set(0x3ffeffffffULL);
  set.remove(kCapSysAdmin);
  const auto verdict = evaluate_capabilities(set, kReducedHost);
  EXPECT_FALSE(verdict.full);
  EXPECT_EQ(verdict.missing.names(),
            (std::vector<std::string>{"CAP_SYS_ADMIN", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"}));
  EXPECT_TRUE(verdict.waived.empty());
}

TEST(CapabilityVerdict, CapabilityTheHostLacksIsNotRequired) {
  // CAP_SYS_RESOURCE (24) is absent from the host: a set without it is full.
  const auto verdict = evaluate_capabilities(CapabilitySet(0x1fffeffffffULL), kReducedHost);
  EXPECT_TRUE(verdict.full);
  // On a host that has it, the same set is not.
  const auto full_host = evaluate_capabilities(CapabilitySet(0x1fffeffffffULL), CapabilitySet::all_up_to(40));
  EXPECT_FALSE(full_host.full);
  EXPECT_EQ(full_host.missing.names(), std::vector<std::string>{"CAP_SYS_RESOURCE"});
}

TEST(CapabilityVerdict, DockerDefaultSetIsNotFullAndNamesWhatIsMissing) {
  const auto verdict = evaluate_capabilities(kDockerDefaultCapabilities, kReducedHost);
  EXPECT_FALSE(verdict.full);
  EXPECT_TRUE(verdict.beyond_defaults.empty());
  EXPECT_TRUE(verdict.missing.has(kCapSysAdmin));
  EXPECT_EQ(verdict.held.count(), 14);
}

TEST(CapabilityVerdict, EmptyHostIsNeverFull) {
  EXPECT_FALSE(evaluate_capabilities(CapabilitySet(), CapabilitySet()).full);
}

TEST(CapabilityVerdict, OldKernelWithoutTheSplitCapabilities) {
  // A 5.4 kernel: cap_last_cap 37, no PERFMON/BPF/CHECKPOINT_RESTORE at all.
  const auto host = CapabilitySet::all_up_to(37);
  EXPECT_TRUE(evaluate_capabilities(host, host).full);
  CapabilitySet almost = host;
  almost.remove(16);  // SYS_MODULE
  const auto verdict = evaluate_capabilities(almost, host);
  EXPECT_FALSE(verdict.full);
  EXPECT_EQ(verdict.missing.names(), std::vector<std::string>{"CAP_SYS_MODULE"});
}

}  // namespace
}  // namespace privsentry
