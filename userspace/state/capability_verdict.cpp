#include "state/capability_verdict.hpp"

namespace privsentry {

CapabilityVerdict evaluate_capabilities(CapabilitySet set, CapabilitySet host_bounding) {
  CapabilityVerdict verdict;
  verdict.host = host_bounding;
  verdict.held = set & host_bounding;
  verdict.missing = host_bounding - set;
  if (set.has(kCapSysAdmin)) {
    CapabilitySet split_from_admin;
    split_from_admin.add(kCapPerfmon);
    split_from_admin.add(kCapBpf);
    split_from_admin.add(kCapCheckpointRestore);
    verdict.waived = verdict.missing & split_from_admin;
    verdict.missing = verdict.missing - split_from_admin;
  }
  verdict.full = !host_bounding.empty() && verdict.missing.empty();
  verdict.beyond_defaults = verdict.held - kDockerDefaultCapabilities;
  return verdict;
}

}  // namespace privsentry
