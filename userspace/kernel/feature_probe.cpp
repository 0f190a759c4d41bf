#include "kernel/feature_probe.hpp"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "util/file.hpp"

namespace privsentry {
namespace {

FeatureCheck probe_result(std::string name, int result) {
  if (result == 1) {
    return {std::move(name), true, "supported"};
  }
  if (result == 0) {
    return {std::move(name), false, "not supported"};
  }
  return {std::move(name), false, "probe failed: " + errno_text(-result)};
}

}  // namespace

std::vector<FeatureCheck> probe_kernel_features() {
  std::vector<FeatureCheck> checks;
  const char* btf_path = "/sys/kernel/btf/vmlinux";
  const bool has_btf = ::access(btf_path, R_OK) == 0;
  checks.push_back({"kernel BTF", has_btf, has_btf ? btf_path : "missing: CONFIG_DEBUG_INFO_BTF is off"});

  if (has_btf) {
    btf* vmlinux = btf__load_vmlinux_btf();
    if (vmlinux == nullptr) {
      checks.push_back({"kernel BTF readable", false, errno_text(errno)});
    } else {
      auto has_type = [&](const char* name, __u32 kind) { return btf__find_by_name_kind(vmlinux, name, kind) > 0; };
      const bool cap_tp = has_type("btf_trace_cap_capable", BTF_KIND_TYPEDEF);
      checks.push_back({"cap_capable tracepoint (Linux 6.14+)", cap_tp,
                        cap_tp ? "btf_trace_cap_capable in BTF" : "absent: the tracepoint tier cannot load"});
      const bool cap_fn = has_type("cap_capable", BTF_KIND_FUNC);
      checks.push_back({"cap_capable in BTF (fentry target)", cap_fn, cap_fn ? "present" : "absent"});
      // kernel_cap_t: { u64 val; } since 6.3, { u32 cap[2]; } before; the
      // programs read both as one u64.
      const int cap_t = btf__find_by_name_kind(vmlinux, "kernel_cap_t", BTF_KIND_TYPEDEF);
      std::string layout = "not found";
      if (cap_t > 0) {
        const btf_type* target =
            btf__type_by_id(vmlinux, static_cast<__u32>(btf__resolve_type(vmlinux, static_cast<__u32>(cap_t))));
        if (target != nullptr && btf_is_struct(target) && btf_vlen(target) > 0) {
          layout = btf__name_by_offset(vmlinux, btf_members(target)[0].name_off);
          layout = layout == "val" ? "u64 val (6.3+)" : "u32 cap[2] (before 6.3)";
        }
      }
      checks.push_back({"kernel_cap_t layout", cap_t > 0, layout});
      btf__free(vmlinux);
    }
  }

  checks.push_back(probe_result("program type kprobe", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nullptr)));
  checks.push_back(
      probe_result("program type cgroup_device", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_DEVICE, nullptr)));
  checks.push_back(probe_result("map type ringbuf", libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr)));
  checks.push_back(
      probe_result("map type task_storage", libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr)));
  checks.push_back(probe_result("map type lru_hash", libbpf_probe_bpf_map_type(BPF_MAP_TYPE_LRU_HASH, nullptr)));

  std::error_code ec;
  const bool kprobe_pmu = std::filesystem::exists("/sys/bus/event_source/devices/kprobe", ec);
  const bool kprobe_events = std::filesystem::exists("/sys/kernel/tracing/kprobe_events", ec) ||
                             std::filesystem::exists("/sys/kernel/debug/tracing/kprobe_events", ec);
  checks.push_back({"kprobes", kprobe_pmu || kprobe_events,
                    kprobe_pmu      ? "kprobe PMU"
                    : kprobe_events ? "tracefs kprobe_events"
                                    : "absent: the kernel has no kprobes (CONFIG_KPROBES off)"});
  return checks;
}

}  // namespace privsentry
