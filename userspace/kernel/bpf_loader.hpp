#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/capability_tier.hpp"
#include "privsentry/abi/events.h"
#include "util/expected.hpp"

struct privsentry_bpf;

namespace privsentry {

struct LoaderConfig {
  std::uint32_t host_mntns = 0;
  std::uint32_t host_pidns = 0;
  int cgroup_v1_subsystem = -1;  // -1: unified hierarchy
  std::size_t ringbuf_bytes = 4U << 20U;
  // Try only this tier (nullopt: best first, falling back in order).
  std::optional<CapabilityTier> forced_tier;
};

struct TierAttempt {
  CapabilityTier tier = CapabilityTier::kNone;
  bool loaded = false;
  std::string error;
};

using ProbeCounters = std::array<ps_probe_counters, PS_PROBE_COUNT>;

// Owns the BPF skeleton: open, settings, a capability tier chosen by trial
// loads, load, attach; detaches and frees everything when destroyed.
class BpfLoader {
 public:
  static Expected<std::unique_ptr<BpfLoader>> load(const LoaderConfig& config);

  // Loads and attaches each tier on its own, in a throwaway object, to see
  // which this kernel accepts. Used by load() and by doctor.
  static std::vector<TierAttempt> probe_tiers(const LoaderConfig& config);

  ~BpfLoader();
  BpfLoader(const BpfLoader&) = delete;
  BpfLoader& operator=(const BpfLoader&) = delete;

  [[nodiscard]] CapabilityTier tier() const { return tier_; }
  [[nodiscard]] const std::vector<TierAttempt>& attempts() const { return attempts_; }
  [[nodiscard]] int ringbuf_fd() const;
  [[nodiscard]] int container_cgroups_fd() const;
  // The kernel side's cache generations (bpf/lib/task.bpf.h): slot 0 is
  // userspace's, bumped after each registration.
  [[nodiscard]] int generations_fd() const;
  // Summed over CPUs.
  [[nodiscard]] Expected<ProbeCounters> read_counters() const;

 private:
  BpfLoader() = default;

  privsentry_bpf* skel_ = nullptr;
  CapabilityTier tier_ = CapabilityTier::kNone;
  std::vector<TierAttempt> attempts_;
};

std::string_view probe_name(std::size_t probe);

// A probe's counters by name, in the order the ABI declares them: the one
// list that stop records and /metrics both print.
std::array<std::pair<std::string_view, std::uint64_t>, 7> counter_fields(const ps_probe_counters& counters);

}  // namespace privsentry
