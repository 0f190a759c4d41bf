#include "state/proc_parsers.hpp"

#include <charconv>

namespace privsentry {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string_view> split_whitespace(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
      ++i;
    }
    const auto start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') {
      ++i;
    }
    if (i > start) {
      out.push_back(s.substr(start, i - start));
    }
  }
  return out;
}

}  // namespace

Expected<ProcStatus> parse_proc_status(std::string_view text) {
  ProcStatus status;
  unsigned seen_caps = 0;
  bool seen_uid = false;
  for (const auto raw_line : split(text, '\n')) {
    const auto colon = raw_line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const auto key = raw_line.substr(0, colon);
    const auto value = trim(raw_line.substr(colon + 1));
    auto cap_field = [&](CapabilitySet& out, unsigned bit) -> bool {
      const auto parsed = parse_capability_hex(value);
      if (!parsed) {
        return false;
      }
      out = *parsed;
      seen_caps |= bit;
      return true;
    };
    bool ok = true;
    if (key == "Name") {
      status.name = std::string(value);
    } else if (key == "Tgid") {
      ok = parse_u32(value, status.tgid);
    } else if (key == "PPid") {
      ok = parse_u32(value, status.ppid);
    } else if (key == "Uid") {
      const auto fields = split_whitespace(value);
      ok = fields.size() >= 2 && parse_u32(fields[0], status.uid) && parse_u32(fields[1], status.euid);
      seen_uid = ok;
    } else if (key == "NSpid") {
      for (const auto field : split_whitespace(value)) {
        std::uint32_t pid = 0;
        if (!parse_u32(field, pid)) {
          ok = false;
          break;
        }
        status.ns_pids.push_back(pid);
      }
    } else if (key == "CapInh") {
      ok = cap_field(status.caps.inheritable, 1U);
    } else if (key == "CapPrm") {
      ok = cap_field(status.caps.permitted, 2U);
    } else if (key == "CapEff") {
      ok = cap_field(status.caps.effective, 4U);
    } else if (key == "CapBnd") {
      ok = cap_field(status.caps.bounding, 8U);
    } else if (key == "CapAmb") {
      ok = cap_field(status.caps.ambient, 16U);
    }
    if (!ok) {
      return Error{"bad /proc status line \"" + std::string(key) + "\""};
    }
  }
  // CapAmb is missing on kernels before 4.3; the other four are required.
  if ((seen_caps & 15U) != 15U || !seen_uid) {
    return Error{"/proc status lacks the Uid or Cap lines"};
  }
  return status;
}

std::vector<ProcCgroupLine> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupLine> out;
  for (const auto line : split(text, '\n')) {
    if (line.empty()) {
      continue;
    }
    // The path itself may contain ':', so split only at the first two.
    const auto first = line.find(':');
    if (first == std::string_view::npos) {
      continue;
    }
    const auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) {
      continue;
    }
    ProcCgroupLine entry;
    if (!parse_u32(line.substr(0, first), entry.hierarchy_id)) {
      continue;
    }
    const auto controllers = line.substr(first + 1, second - first - 1);
    if (!controllers.empty()) {
      for (const auto c : split(controllers, ',')) {
        entry.controllers.emplace_back(c);
      }
    }
    entry.path = std::string(line.substr(second + 1));
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace privsentry
