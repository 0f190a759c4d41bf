#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "privsentry/kernel_event.hpp"
#include "util/expected.hpp"

namespace privsentry {

// What /proc/<pid>/status says about a process.
struct ProcStatus {
  std::string name;
  std::uint32_t tgid = 0;
  std::uint32_t ppid = 0;
  std::uint32_t uid = 0;   // real
  std::uint32_t euid = 0;  // effective
  CapabilitySets caps;
  std::vector<std::uint32_t> ns_pids;  // NSpid: outermost first
};

// Parses /proc/<pid>/status; fails if the Cap* or Uid lines are missing or bad.
Expected<ProcStatus> parse_proc_status(std::string_view text);

// One line of /proc/<pid>/cgroup: "4:memory:/docker/<id>", "0::/docker/<id>".
struct ProcCgroupLine {
  std::uint32_t hierarchy_id = 0;
  std::vector<std::string> controllers;  // empty for the unified hierarchy
  std::string path;
};

std::vector<ProcCgroupLine> parse_proc_cgroup(std::string_view text);

}  // namespace privsentry
