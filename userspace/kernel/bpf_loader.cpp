#include "kernel/bpf_loader.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernel/libbpf_log.hpp"
#include "privsentry_bpf.skel.h"
#include "util/file.hpp"

namespace privsentry {

std::string_view to_string(CapabilityTier tier) {
  switch (tier) {
    case CapabilityTier::kTracepoint:
      return "tracepoint";
    case CapabilityTier::kFentry:
      return "fentry";
    case CapabilityTier::kKprobe:
      return "kprobe";
    case CapabilityTier::kNone:
      return "none";
  }
  return "none";
}

std::optional<CapabilityTier> capability_tier_from_string(std::string_view text) {
  for (const auto tier : {CapabilityTier::kTracepoint, CapabilityTier::kFentry, CapabilityTier::kKprobe}) {
    if (text == to_string(tier)) {
      return tier;
    }
  }
  return std::nullopt;
}

std::string_view probe_name(std::size_t probe) {
  static constexpr std::array<std::string_view, PS_PROBE_COUNT> kNames = {
      "cgroup_mkdir", "cgroup_rmdir", "cgroup_attach_task", "process_exec",
      "process_fork", "process_exit", "cap_capable"};
  return probe < kNames.size() ? kNames[probe] : "unknown";
}

std::array<std::pair<std::string_view, std::uint64_t>, 7> counter_fields(const ps_probe_counters& c) {
  return {{{"seen", c.seen},
           {"emitted", c.emitted},
           {"lost", c.lost},
           {"filtered_host", c.filtered_host},
           {"runtime_setup", c.runtime_setup},
           {"deduplicated", c.deduplicated},
           {"errors", c.errors}}};
}

namespace {

constexpr std::array<CapabilityTier, 3> kTierOrder = {CapabilityTier::kTracepoint, CapabilityTier::kFentry,
                                                      CapabilityTier::kKprobe};

struct SkeletonDeleter {
  void operator()(privsentry_bpf* skel) const { privsentry_bpf__destroy(skel); }
};
using Skeleton = std::unique_ptr<privsentry_bpf, SkeletonDeleter>;

std::vector<bpf_program*> tier_programs(privsentry_bpf* skel, CapabilityTier tier) {
  switch (tier) {
    case CapabilityTier::kTracepoint:
      return {skel->progs.cap_capable_tp};
    case CapabilityTier::kFentry:
      return {skel->progs.cap_capable_fx};
    case CapabilityTier::kKprobe:
      return {skel->progs.cap_capable_kp, skel->progs.cap_capable_krp};
    case CapabilityTier::kNone:
      return {};
  }
  return {};
}

std::vector<bpf_program*> base_programs(privsentry_bpf* skel) {
  return {skel->progs.cgroup_mkdir, skel->progs.cgroup_rmdir, skel->progs.cgroup_attach,
          skel->progs.process_exec, skel->progs.process_fork, skel->progs.process_exit};
}

std::string libbpf_error(const char* what, int err, const LibbpfLogCapture& capture) {
  std::string text = std::string(what) + ": " + errno_text(err < 0 ? -err : err);
  const auto detail = capture.summary();
  if (!detail.empty()) {
    text += " (" + detail + ")";
  }
  return text;
}

// Opens the object with the settings applied.
Expected<Skeleton> open_configured(const LoaderConfig& config, std::size_t ringbuf_bytes, LibbpfLogCapture& capture) {
  Skeleton skel(privsentry_bpf__open());
  if (!skel) {
    return Error{libbpf_error("opening the BPF object", errno, capture)};
  }
  skel->rodata->host_mntns_inum = config.host_mntns;
  skel->rodata->host_pidns_inum = config.host_pidns;
  skel->rodata->cgroup_v1_subsys = config.cgroup_v1_subsystem;
  // Records wake the sensor once a sixteenth of the ring is waiting; below
  // that, its drain timer collects them (RunCommand's kDrainMs).
  skel->rodata->wakeup_bytes = ringbuf_bytes / 16;
  const int err = bpf_map__set_max_entries(skel->maps.events, static_cast<__u32>(ringbuf_bytes));
  if (err != 0) {
    return Error{libbpf_error("sizing the ring buffer", err, capture)};
  }
  return skel;
}

void enable_only(privsentry_bpf* skel, const std::vector<bpf_program*>& enabled) {
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel->obj) {
    const bool on = std::find(enabled.begin(), enabled.end(), prog) != enabled.end();
    bpf_program__set_autoload(prog, on);
  }
  const bool kprobe = std::find(enabled.begin(), enabled.end(), skel->progs.cap_capable_kp) != enabled.end();
  bpf_map__set_autocreate(skel->maps.capable_inflight, kprobe);
}

int attach_all(const std::vector<bpf_program*>& programs, std::vector<bpf_link*>& links) {
  for (auto* prog : programs) {
    bpf_link* link = bpf_program__attach(prog);
    if (link == nullptr) {
      return -errno;
    }
    links.push_back(link);
  }
  return 0;
}

void destroy_links(std::vector<bpf_link*>& links) {
  for (auto* link : links) {
    bpf_link__destroy(link);
  }
  links.clear();
}

// Smallest size the kernel accepts for a ring buffer: one page.
std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

}  // namespace

std::vector<TierAttempt> BpfLoader::probe_tiers(const LoaderConfig& config) {
  std::vector<TierAttempt> attempts;
  for (const auto tier : kTierOrder) {
    if (config.forced_tier && *config.forced_tier != tier) {
      continue;
    }
    TierAttempt attempt;
    attempt.tier = tier;
    LibbpfLogCapture capture;
    auto skel = open_configured(config, page_size(), capture);
    if (!skel) {
      attempt.error = skel.error().message;
      attempts.push_back(attempt);
      continue;
    }
    const auto programs = tier_programs(skel->get(), tier);
    enable_only(skel->get(), programs);
    int err = privsentry_bpf__load(skel->get());
    if (err != 0) {
      attempt.error = libbpf_error("load", err, capture);
      attempts.push_back(attempt);
      continue;
    }
    std::vector<bpf_link*> links;
    err = attach_all(programs, links);
    destroy_links(links);
    if (err != 0) {
      attempt.error = libbpf_error("attach", err, capture);
    } else {
      attempt.loaded = true;
    }
    attempts.push_back(attempt);
  }
  return attempts;
}

Expected<std::unique_ptr<BpfLoader>> BpfLoader::load(const LoaderConfig& config) {
  // Without the right to load any program, every tier would fail the same
  // way: say it once.
  if (const int probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, nullptr); probe != 1) {
    return Error{"this process cannot load BPF programs (" +
                 (probe < 0 ? errno_text(-probe) : std::string("the kernel refuses them")) +
                 "): privsentry needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and a kernel with BPF and BTF"};
  }
  std::unique_ptr<BpfLoader> loader(new BpfLoader());
  loader->attempts_ = probe_tiers(config);
  for (const auto& attempt : loader->attempts_) {
    if (attempt.loaded) {
      loader->tier_ = attempt.tier;
      break;
    }
    spdlog::warn("capability tier {} is not usable here: {}", to_string(attempt.tier), attempt.error);
  }
  if (loader->tier_ == CapabilityTier::kNone) {
    spdlog::warn("no capability tier loads: capability use will not be seen; the other probes still run");
  }

  LibbpfLogCapture capture;
  auto skel = open_configured(config, config.ringbuf_bytes, capture);
  if (!skel) {
    return skel.error();
  }
  auto programs = base_programs(skel->get());
  const auto tier = tier_programs(skel->get(), loader->tier_);
  programs.insert(programs.end(), tier.begin(), tier.end());
  enable_only(skel->get(), programs);
  int err = privsentry_bpf__load(skel->get());
  if (err != 0) {
    return Error{libbpf_error("loading the BPF programs", err, capture) +
                 "; privsentry needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and a kernel with BTF"};
  }
  // Attach through the skeleton so its links are destroyed with it.
  err = privsentry_bpf__attach(skel->get());
  if (err != 0) {
    return Error{libbpf_error("attaching the BPF programs", err, capture)};
  }
  loader->skel_ = skel->release();
  return loader;
}

BpfLoader::~BpfLoader() {
  if (skel_ != nullptr) {
    privsentry_bpf__destroy(skel_);
  }
}

int BpfLoader::ringbuf_fd() const { return bpf_map__fd(skel_->maps.events); }

int BpfLoader::container_cgroups_fd() const { return bpf_map__fd(skel_->maps.container_cgroups); }

int BpfLoader::generations_fd() const { return bpf_map__fd(skel_->maps.generations); }

Expected<ProbeCounters> BpfLoader::read_counters() const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) {
    return Error{"counting possible CPUs: " + errno_text(-cpus)};
  }
  ProbeCounters totals{};
  std::vector<ps_probe_counters> per_cpu(static_cast<std::size_t>(cpus));
  const int fd = bpf_map__fd(skel_->maps.probe_counters);
  for (__u32 probe = 0; probe < PS_PROBE_COUNT; ++probe) {
    if (bpf_map_lookup_elem(fd, &probe, per_cpu.data()) != 0) {
      return Error{"reading the probe counters: " + errno_text(errno)};
    }
    auto& total = totals[probe];
    for (const auto& c : per_cpu) {
      total.seen += c.seen;
      total.emitted += c.emitted;
      total.lost += c.lost;
      total.filtered_host += c.filtered_host;
      total.runtime_setup += c.runtime_setup;
      total.deduplicated += c.deduplicated;
      total.errors += c.errors;
    }
  }
  return totals;
}

}  // namespace privsentry
