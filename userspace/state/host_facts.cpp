#include "state/host_facts.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <cerrno>
#include <charconv>

#include "state/proc_parsers.hpp"
#include "util/file.hpp"

namespace privsentry {

std::uint32_t namespace_inode(const std::filesystem::path& ns_file) {
  struct stat st {};
  if (::stat(ns_file.c_str(), &st) != 0) {
    return 0;
  }
  return static_cast<std::uint32_t>(st.st_ino);
}

Expected<HostFacts> read_host_facts(const std::filesystem::path& proc, const std::string& hostname_override) {
  HostFacts facts;
  struct utsname uts {};
  if (::uname(&uts) != 0) {
    return Error{"uname: " + errno_text(errno)};
  }
  facts.hostname = hostname_override.empty() ? std::string(uts.nodename) : hostname_override;
  facts.kernel_release = uts.release;

  auto last_cap = read_small_file(proc / "sys/kernel/cap_last_cap", 64);
  if (!last_cap) {
    return last_cap.error();
  }
  const auto text = std::string_view(*last_cap).substr(0, last_cap->find_first_of("\n "));
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), facts.cap_last_cap);
  if (ec != std::errc() || facts.cap_last_cap < 0 || facts.cap_last_cap > kMaxCapabilityNumber) {
    return Error{"bad " + (proc / "sys/kernel/cap_last_cap").string() + ": \"" + std::string(text) + "\""};
  }

  auto status_text = read_small_file(proc / "1/status", 64U << 10U);
  if (!status_text) {
    return status_text.error();
  }
  auto status = parse_proc_status(*status_text);
  if (!status) {
    return Error{(proc / "1/status").string() + ": " + status.error().message};
  }
  facts.bounding = status->caps.bounding & CapabilitySet::all_up_to(facts.cap_last_cap);

  facts.mntns = namespace_inode(proc / "1/ns/mnt");
  facts.pidns = namespace_inode(proc / "1/ns/pid");
  const auto self_mntns = namespace_inode(proc / "self/ns/mnt");
  const auto self_pidns = namespace_inode(proc / "self/ns/pid");
  if (facts.mntns == 0 || facts.pidns == 0) {
    // Some inits deny even root a look at their namespaces (a pid 1 holding a
    // capability the sensor lacks fails the ptrace check). Kernel threads live
    // in the initial namespaces, and kthreadd is always pid 2: its stand in.
    // The sensor's own would be wrong in a container (a DaemonSet pod shares
    // the host's pid namespace, not its mount namespace).
    const std::string why = errno_text(errno);
    auto name = read_small_file(proc / "2/comm", 64);
    if (name && *name == "kthreadd\n") {
      facts.mntns = namespace_inode(proc / "2/ns/mnt");
      facts.pidns = namespace_inode(proc / "2/ns/pid");
      facts.namespaces_from = "kthreadd (pid 1's are unreadable: " + why + ")";
    }
    if (facts.mntns == 0 || facts.pidns == 0) {
      facts.namespaces_from = "the sensor's own (pid 1's and kthreadd's are unreadable: " + why + ")";
      facts.mntns = self_mntns;
      facts.pidns = self_pidns;
    }
  }
  if (facts.mntns == 0 || facts.pidns == 0) {
    return Error{"cannot read the namespaces of pid 1 or of the sensor under " + proc.string() + ": " +
                 errno_text(errno) + " (the sensor needs root and the host's /proc)"};
  }
  facts.sensor_in_host_pidns = self_pidns == facts.pidns;
  return facts;
}

}  // namespace privsentry
