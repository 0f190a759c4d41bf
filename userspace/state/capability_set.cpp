#include "privsentry/capability_set.hpp"

#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace privsentry {
namespace {

// linux/capability.h, in number order.
constexpr std::array<std::string_view, 41> kCapabilityNames = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

bool valid_number(int capability) { return capability >= 0 && capability <= kMaxCapabilityNumber; }

}  // namespace

std::string capability_name(int capability) {
  if (!valid_number(capability)) {
    return "CAP_INVALID(" + std::to_string(capability) + ")";
  }
  const auto index = static_cast<std::size_t>(capability);
  if (index < kCapabilityNames.size()) {
    return std::string(kCapabilityNames[index]);
  }
  return "CAP_" + std::to_string(capability);
}

std::optional<int> capability_from_name(std::string_view name) {
  std::string upper;
  upper.reserve(name.size() + 4);
  for (const char c : name) {
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (upper.rfind("CAP_", 0) != 0) {
    upper.insert(0, "CAP_");
  }
  for (std::size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if (kCapabilityNames[i] == upper) {
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

CapabilitySet CapabilitySet::all_up_to(int last_capability) {
  if (last_capability < 0) {
    return CapabilitySet();
  }
  if (last_capability >= kMaxCapabilityNumber) {
    return CapabilitySet(~0ULL);
  }
  return CapabilitySet((1ULL << (static_cast<unsigned>(last_capability) + 1U)) - 1U);
}

bool CapabilitySet::has(int capability) const {
  return valid_number(capability) && ((bits_ >> static_cast<unsigned>(capability)) & 1U) != 0;
}

int CapabilitySet::count() const { return std::popcount(bits_); }

std::vector<std::string> CapabilitySet::names() const {
  std::vector<std::string> out;
  for (int cap = 0; cap <= kMaxCapabilityNumber; ++cap) {
    if (has(cap)) {
      out.push_back(capability_name(cap));
    }
  }
  return out;
}

std::string CapabilitySet::hex() const {
  char buf[19];
  std::snprintf(buf, sizeof(buf), "0x%016llx", static_cast<unsigned long long>(bits_));
  return buf;
}

void CapabilitySet::add(int capability) {
  if (valid_number(capability)) {
    bits_ |= 1ULL << static_cast<unsigned>(capability);
  }
}

void CapabilitySet::remove(int capability) {
  if (valid_number(capability)) {
    bits_ &= ~(1ULL << static_cast<unsigned>(capability));
  }
}

std::optional<CapabilitySet> parse_capability_hex(std::string_view hex) {
  if (hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0) {
    hex.remove_prefix(2);
  }
  if (hex.empty() || hex.size() > 16) {
    return std::nullopt;
  }
  std::uint64_t bits = 0;
  const auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), bits, 16);
  if (ec != std::errc() || ptr != hex.data() + hex.size()) {
    return std::nullopt;
  }
  return CapabilitySet(bits);
}

}  // namespace privsentry
