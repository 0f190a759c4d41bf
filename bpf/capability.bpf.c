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

/* The check this CPU last reported or found reported, by the objects that
 * decide its de-duplication key: the task's namespaces (nsproxy: the mount
 * namespace) and cgroups (css_set: the cgroup), while no cgroup was created
 * since (a new container's objects can take a freed one's addresses). A
 * container's hot loop of one check then costs a few compares, not the
 * cgroup walk and a hash lookup. Per CPU, so no locking; an entry only ever
 * names a check that was reported. */
struct ps_capability_last {
	__u64 nsproxy;
	__u64 cgroups;
	__u64 gen;
	__s32 capability;
	__u32 granted;
	__u32 flags;
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ps_capability_last);
} capability_last SEC(".maps");

static __always_inline int handle_capable(const struct cred *cred, struct user_namespace *target_ns, int cap,
					  int ret)
{
	struct ps_probe_counters *counters = probe_counter(PS_PROBE_CAPABILITY);
	struct task_struct *task = bpf_get_current_task_btf();
	struct ps_capability_last now = {}, *last;
	struct ps_capability_key key = {};
	struct ps_capability_event *event;
	struct task_ids ids;
	__u32 zero = 0;
	__u8 one = 1;
	long err;

	PS_COUNT(counters, seen);
	if (filter_host_task(task, &ids, counters, 1))
		return 0;

	now.nsproxy = (__u64)task->nsproxy;
	now.cgroups = (__u64)task->cgroups;
	now.gen = current_generation();
	now.capability = cap;
	now.granted = ret == 0;
	now.flags = cred == task->real_cred && cred == task->cred ? PS_CAP_CRED_IS_TASK : 0;
	/* Seen already: reported, so nothing to do, whoever checks. (A runtime
	 * set-up task that lands here is dropped as a repeat instead of as
	 * set-up: the same outcome.) */
	last = bpf_map_lookup_elem(&capability_last, &zero);
	if (last && last->nsproxy == now.nsproxy && last->cgroups == now.cgroups && last->gen == now.gen &&
	    last->capability == now.capability && last->granted == now.granted && last->flags == now.flags) {
		PS_COUNT(counters, deduplicated);
		return 0;
	}
	if (task_mark(task)) {
		PS_COUNT(counters, runtime_setup);
		return 0;
	}
	if (!ids.cgroup_id)
		ids.cgroup_id = fast_cgroup_id(task);
	key.cgroup_id = ids.cgroup_id;
	key.mntns_inum = ids.mntns;
	key.capability = cap;
	key.granted = now.granted;
	key.flags = now.flags;
	/* A lookup first: an update of an LRU map takes a free node before it
	 * finds the key exists. */
	if (bpf_map_lookup_elem(&capability_seen, &key)) {
		if (last)
			*last = now;
		PS_COUNT(counters, deduplicated);
		return 0;
	}
	err = bpf_map_update_elem(&capability_seen, &key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		if (last)
			*last = now;
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
	event->granted = now.granted;
	event->userns_level = BPF_CORE_READ(target_ns, level);
	event->flags = key.flags;
	event->cred_effective = PS_READ_CAPS(cred, cap_effective);
	submit_event(counters, event);
	if (last)
		*last = now;
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
