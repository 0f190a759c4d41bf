#include "app/sensor_privileges.hpp"

#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <array>
#include <cerrno>
#include <memory>
#include <optional>
#include <vector>

#include "util/file.hpp"

namespace privsentry {
namespace {

constexpr int kCapSetpcap = 8;
constexpr int kCapNetAdmin = 12;
constexpr int kCapSysPtrace = 19;
constexpr int kCapSysAdmin = 21;
constexpr int kCapSysResource = 24;

using Holder = CapabilityNeed::Holder;

constexpr std::array kNeeds{
    CapabilityNeed{kCapBpf, Holder::kStartUp,
                   "load the programs, create the maps, read the kernel's BTF (CAP_SYS_ADMIN before 5.8)"},
    CapabilityNeed{kCapPerfmon, Holder::kStartUp,
                   "attach tracing programs (tp_btf, raw_tp, fentry, kprobe) and read kernel memory from them"},
    CapabilityNeed{kCapSysResource, Holder::kStartUp, "raise RLIMIT_MEMLOCK for the maps on kernels before 5.11"},
    CapabilityNeed{kCapSysPtrace, Holder::kStartUp, "read /proc/<pid>/ns of every process in the start-up scan"},
    CapabilityNeed{kCapSetpcap, Holder::kStartUp, "empty its own bounding set and lock its securebits"},
    CapabilityNeed{kCapNetAdmin, Holder::kDeviceHelper,
                   "BPF_PROG_QUERY: which device programs are effective on a container's cgroup (cgroup v2), "
                   "whenever a container starts or is checked again"},
    CapabilityNeed{kCapSysAdmin, Holder::kDeviceHelper,
                   "BPF_PROG_GET_FD_BY_ID: read those programs' instructions to decide what they allow"},
};

CapabilitySet held_by(Holder holder) {
  CapabilitySet set;
  for (const auto& need : kNeeds) {
    if (need.holder == holder) {
      set.add(need.capability);
    }
  }
  return set;
}

struct CapDeleter {
  void operator()(cap_t caps) const { cap_free(caps); }
};
using CapHandle = std::unique_ptr<std::remove_pointer_t<cap_t>, CapDeleter>;

Error cap_error(const std::string& what) { return Error{what + ": " + errno_text(errno)}; }

CapabilitySet flag_set(cap_t caps, cap_flag_t flag) {
  CapabilitySet set;
  for (int cap = 0; cap <= kMaxCapabilityNumber && cap < static_cast<int>(cap_max_bits()); ++cap) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps, static_cast<cap_value_t>(cap), flag, &value) == 0 && value == CAP_SET) {
      set.add(cap);
    }
  }
  return set;
}

std::optional<Error> set_flag(cap_t caps, cap_flag_t flag, CapabilitySet set) {
  std::vector<cap_value_t> values;
  for (int cap = 0; cap <= kMaxCapabilityNumber; ++cap) {
    if (set.has(cap)) {
      values.push_back(static_cast<cap_value_t>(cap));
    }
  }
  if (!values.empty() && cap_set_flag(caps, flag, static_cast<int>(values.size()), values.data(), CAP_SET) != 0) {
    return cap_error("cap_set_flag");
  }
  return std::nullopt;
}

}  // namespace

std::span<const CapabilityNeed> sensor_capability_needs() { return kNeeds; }

std::string_view to_string(CapabilityNeed::Holder holder) {
  switch (holder) {
    case Holder::kStartUp:
      return "start-up only";
    case Holder::kSensor:
      return "kept";
    case Holder::kDeviceHelper:
      return "device helper";
  }
  return "start-up only";
}

CapabilitySet sensor_kept_capabilities() { return held_by(Holder::kSensor); }

CapabilitySet device_helper_capabilities() { return held_by(Holder::kDeviceHelper); }

CapabilitySet sensor_start_capabilities() {
  CapabilitySet set;
  for (const auto& need : kNeeds) {
    set.add(need.capability);
  }
  return set;
}

Expected<ThreadPrivileges> read_thread_privileges() {
  const CapHandle caps(cap_get_proc());
  if (!caps) {
    return cap_error("cap_get_proc");
  }
  ThreadPrivileges privileges;
  privileges.effective = flag_set(caps.get(), CAP_EFFECTIVE);
  privileges.permitted = flag_set(caps.get(), CAP_PERMITTED);
  privileges.inheritable = flag_set(caps.get(), CAP_INHERITABLE);
  for (int cap = 0; cap <= kMaxCapabilityNumber && cap < static_cast<int>(cap_max_bits()); ++cap) {
    if (cap_get_bound(static_cast<cap_value_t>(cap)) == 1) {
      privileges.bounding.add(cap);
    }
    if (cap_get_ambient(static_cast<cap_value_t>(cap)) == 1) {
      privileges.ambient.add(cap);
    }
  }
  privileges.no_new_privs = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
  privileges.securebits = static_cast<unsigned>(cap_get_secbits());
  return privileges;
}

Expected<ThreadPrivileges> drop_privileges(CapabilitySet keep) {
  auto before = read_thread_privileges();
  if (!before) {
    return before.error();
  }
  const CapabilitySet kept = keep & before->permitted;
  // The bounding set and the securebits need CAP_SETPCAP, so they go first.
  // Without it (a unit that did not grant it) they stay as they are, and
  // no_new_privs alone keeps an exec from gaining anything.
  if (before->effective.has(kCapSetpcap)) {
    for (int cap = 0; cap <= kMaxCapabilityNumber && cap < static_cast<int>(cap_max_bits()); ++cap) {
      if (!kept.has(cap) && before->bounding.has(cap) && cap_drop_bound(static_cast<cap_value_t>(cap)) != 0) {
        return cap_error("dropping " + capability_name(cap) + " from the bounding set");
      }
    }
    constexpr unsigned bits = static_cast<unsigned>(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                                    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED | SECBIT_KEEP_CAPS_LOCKED);
    if (cap_set_secbits(before->securebits | bits) != 0) {
      return cap_error("setting securebits");
    }
  }
  if (cap_reset_ambient() != 0 && !before->ambient.empty()) {
    return cap_error("clearing the ambient set");
  }
  const CapHandle caps(cap_init());
  if (!caps) {
    return cap_error("cap_init");
  }
  for (const cap_flag_t flag : {CAP_PERMITTED, CAP_EFFECTIVE}) {
    if (auto error = set_flag(caps.get(), flag, kept)) {
      return *error;
    }
  }
  if (cap_set_proc(caps.get()) != 0) {
    return cap_error("cap_set_proc");
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return cap_error("PR_SET_NO_NEW_PRIVS");
  }
  auto after = read_thread_privileges();
  if (!after) {
    return after.error();
  }
  if (after->effective != kept || after->permitted != kept || !after->no_new_privs) {
    return Error{"capabilities not dropped: effective " + after->effective.hex() + ", permitted " +
                 after->permitted.hex() + ", wanted " + kept.hex()};
  }
  return after;
}

std::string join_capability_names(CapabilitySet set, std::string_view if_empty) {
  std::string text;
  for (const auto& name : set.names()) {
    text += (text.empty() ? "" : ", ") + name;
  }
  return text.empty() ? std::string(if_empty) : text;
}

Expected<std::unique_ptr<DeviceProgramBroker>> start_device_helper() {
  return DeviceProgramBroker::start([]() -> std::optional<Error> {
    auto dropped = drop_privileges(device_helper_capabilities());
    return dropped ? std::nullopt : std::optional<Error>(dropped.error());
  });
}

}  // namespace privsentry
