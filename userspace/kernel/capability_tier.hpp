#pragma once

#include <optional>
#include <string_view>

namespace privsentry {

// How capability checks are observed, best first.
enum class CapabilityTier {
  kTracepoint,  // tp_btf/cap_capable, Linux 6.14+
  kFentry,      // fexit/cap_capable (BPF trampoline)
  kKprobe,      // kprobe + kretprobe on cap_capable
  kNone,        // no tier loads: capability use is not seen
};

std::string_view to_string(CapabilityTier tier);

// "tracepoint", "fentry", "kprobe"; nullopt for anything else.
std::optional<CapabilityTier> capability_tier_from_string(std::string_view text);

}  // namespace privsentry
