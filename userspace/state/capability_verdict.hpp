#pragma once

#include "privsentry/capability_set.hpp"

namespace privsentry {

// How a capability set compares with everything the host could grant.
struct CapabilityVerdict {
  bool full = false;              // holds every host capability (see waived)
  CapabilitySet held;             // the set, limited to what the host has
  CapabilitySet missing;          // host capabilities the set lacks
  CapabilitySet waived;           // lacked, but CAP_SYS_ADMIN does their work
  CapabilitySet host;             // the host's bounding set
  CapabilitySet beyond_defaults;  // held capabilities outside Docker's default set
};

// CAP_PERFMON, CAP_BPF and CAP_CHECKPOINT_RESTORE were split out of
// CAP_SYS_ADMIN, which the kernel still accepts in their place, and Docker
// 20.10 never grants them: with CAP_SYS_ADMIN held they do not count as missing.
CapabilityVerdict evaluate_capabilities(CapabilitySet set, CapabilitySet host_bounding);

}  // namespace privsentry
