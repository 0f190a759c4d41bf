#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "privsentry/capability_set.hpp"
#include "util/expected.hpp"

namespace privsentry {

// What the rules compare containers against: read once at start.
struct HostFacts {
  std::string hostname;
  std::string kernel_release;
  int cap_last_cap = 0;
  // pid 1's bounding set, limited to the capabilities this kernel knows: the
  // most any process on this host can hold.
  CapabilitySet bounding;
  std::uint32_t mntns = 0;  // pid 1's mount namespace inode
  std::uint32_t pidns = 0;  // pid 1's pid namespace inode
  std::string namespaces_from = "pid 1";
  // False when the sensor runs in another pid namespace than pid 1 of the
  // /proc it reads, where kernel pids would not match /proc.
  bool sensor_in_host_pidns = true;
};

// hostname_override: empty means the kernel's node name.
Expected<HostFacts> read_host_facts(const std::filesystem::path& proc, const std::string& hostname_override);

// The inode of a namespace file (/proc/<pid>/ns/<kind>), 0 if unreadable.
std::uint32_t namespace_inode(const std::filesystem::path& ns_file);

}  // namespace privsentry
