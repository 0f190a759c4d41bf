#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace privsentry {

// Capability numbers the rules name directly (linux/capability.h).
inline constexpr int kCapSysAdmin = 21;
inline constexpr int kCapPerfmon = 38;
inline constexpr int kCapBpf = 39;
inline constexpr int kCapCheckpointRestore = 40;
// The largest capability number a 64-bit set can hold.
inline constexpr int kMaxCapabilityNumber = 63;

// "CAP_SYS_ADMIN" for a known number, "CAP_<n>" for any other in 0..63, and
// "CAP_INVALID(<n>)" outside: a number from the kernel is never trusted.
std::string capability_name(int capability);

// Accepts "SYS_ADMIN", "CAP_SYS_ADMIN" and "cap_sys_admin"; nullopt if unknown.
std::optional<int> capability_from_name(std::string_view name);

// A set of capabilities as the kernel stores it: bit n is capability n.
class CapabilitySet {
 public:
  constexpr CapabilitySet() = default;
  constexpr explicit CapabilitySet(std::uint64_t bits) : bits_(bits) {}

  static CapabilitySet all_up_to(int last_capability);

  [[nodiscard]] constexpr std::uint64_t bits() const { return bits_; }
  [[nodiscard]] bool has(int capability) const;
  [[nodiscard]] int count() const;
  [[nodiscard]] bool empty() const { return bits_ == 0; }
  [[nodiscard]] std::vector<std::string> names() const;
  // "0x000001fffeffffff", the width /proc/<pid>/status uses.
  [[nodiscard]] std::string hex() const;

  void add(int capability);
  void remove(int capability);

  friend constexpr CapabilitySet operator&(CapabilitySet a, CapabilitySet b) {
    return CapabilitySet(a.bits_ & b.bits_);
  }
  friend constexpr CapabilitySet operator|(CapabilitySet a, CapabilitySet b) {
    return CapabilitySet(a.bits_ | b.bits_);
  }
  friend constexpr CapabilitySet operator-(CapabilitySet a, CapabilitySet b) {
    return CapabilitySet(a.bits_ & ~b.bits_);
  }
  friend constexpr bool operator==(CapabilitySet a, CapabilitySet b) = default;

 private:
  std::uint64_t bits_ = 0;
};

// Docker's default set (moby oci/caps/defaults.go): CHOWN, DAC_OVERRIDE, FSETID,
// FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE,
// SYS_CHROOT, KILL, AUDIT_WRITE.
inline constexpr CapabilitySet kDockerDefaultCapabilities{0x00000000a80425fbULL};

// Parses the hex of a /proc/<pid>/status Cap* line.
std::optional<CapabilitySet> parse_capability_hex(std::string_view hex);

}  // namespace privsentry
