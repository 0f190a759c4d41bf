// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Capability checks. One attach tier is loaded, chosen by userspace at start:
 *   tracepoint  tp_btf/cap_capable          Linux 6.14 and later
 *   fentry      fexit/cap_capable           BPF trampolines (fexit sees the result)
 *   kprobe      kprobe + kretprobe          any kernel with kprobes
 * cap_capable runs on hot paths (every mmap consults CAP_SYS_ADMIN), so host
 * tasks leave after a namespace comparison, and a container's repeated checks
 * of one capability cost one record. */
#include "lib/common.bpf.h"
#include "lib/task.bpf.h"

#ifndef EEXIST
#define EEXIST 17
#endif

/* Capability checks already reported, per container cgroup, mount namespace,
 * capability and result. LRU: an evicted key only costs a repeat record, which
 * userspace de-duplicates again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ps_capability_key);
	__type(value, __u8);
} capability_seen SEC(".maps");

static __always_inline int handle_capable(const struct cred *cred, struct user_namespace *target_ns, int cap,
					  int ret)
{
	struct ps_probe_counters *counters = probe_counter(PS_PROBE_CAPABILITY);
	struct task_struct *task = bpf_get_current_task_btf();
	struct ps_capability_key key = {};
	struct ps_capability_event *event;
	struct task_ids ids;
	__u32 flags;
	__u8 one = 1;
	long err;

	PS_COUNT(counters, seen);
	if (filter_host_task(task, 1, &ids, counters))
		return 0;
	if (task_mark(task)) {
		PS_COUNT(counters, runtime_setup);
		return 0;
	}

	flags = cred == BPF_CORE_READ(task, real_cred) && cred == BPF_CORE_READ(task, cred)
		    ? PS_CAP_CRED_IS_TASK
		    : 0;
	key.cgroup_id = ids.cgroup_id;
	key.mntns_inum = ids.mntns;
	key.capability = cap;
	key.granted = ret == 0;
	key.flags = flags;
	err = bpf_map_update_elem(&capability_seen, &key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		PS_COUNT(counters, deduplicated);
		return 0;
	}
	/* Any other failure: count it and report the check all the same; a
	 * repeat costs less than a miss. */
	if (err != 0)
		PS_COUNT(counters, errors);

	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		PS_COUNT(counters, lost);
		/* Forget the key, or the lost record would never be sent again. */
		bpf_map_delete_elem(&capability_seen, &key);
		return 0;
	}
	fill_header(&event->hdr, PS_EVENT_CAPABILITY, sizeof(*event));
	fill_task(&event->task, task, &ids);
	event->capability = cap;
	event->granted = ret == 0;
	event->userns_level = BPF_CORE_READ(target_ns, level);
	event->flags = flags;
	event->cred_effective = PS_READ_CAPS(cred, cap_effective);
	submit_event(counters, event);
	return 0;
}

SEC("tp_btf/cap_capable")
int BPF_PROG(cap_capable_tp, const struct cred *cred, struct user_namespace *target_ns,
	     const struct user_namespace *capable_ns, int cap, int ret)
{
	return handle_capable(cred, target_ns, cap, ret);
}

SEC("fexit/cap_capable")
int BPF_PROG(cap_capable_fx, const struct cred *cred, struct user_namespace *target_ns, int cap,
	     unsigned int opts, int ret)
{
	return handle_capable(cred, target_ns, cap, ret);
}

/* The kprobe tier keeps the arguments from entry to return, per thread. */
struct capable_args {
	const struct cred *cred;
	struct user_namespace *target_ns;
	__s32 cap;
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct capable_args);
} capable_inflight SEC(".maps");

SEC("kprobe/cap_capable")
int BPF_KPROBE(cap_capable_kp, const struct cred *cred, struct user_namespace *target_ns, int cap)
{
	struct capable_args args = {.cred = cred, .target_ns = target_ns, .cap = cap};
	__u64 id = bpf_get_current_pid_tgid();

	if (bpf_map_update_elem(&capable_inflight, &id, &args, BPF_ANY) != 0)
		PS_COUNT(probe_counter(PS_PROBE_CAPABILITY), errors);
	return 0;
}

SEC("kretprobe/cap_capable")
int BPF_KRETPROBE(cap_capable_krp, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct capable_args *args = bpf_map_lookup_elem(&capable_inflight, &id);

	if (!args)
		return 0;
	handle_capable(args->cred, args->target_ns, args->cap, ret);
	bpf_map_delete_elem(&capable_inflight, &id);
	return 0;
}
