/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading a task's identity, namespaces, cgroup and credentials with CO-RE.
 * Every read goes through bpf_core_read, so the same object works whether the
 * program's arguments are BTF pointers (tp_btf, fentry) or not (kprobe). */
#ifndef PRIVSENTRY_TASK_BPF_H
#define PRIVSENTRY_TASK_BPF_H

#include "common.bpf.h"

/* The kernel's cgroup subsystem array is at most this long; userspace checks
 * the subsystem id it writes, this bound is for the verifier. */
#define PS_MAX_CGROUP_SUBSYS 16

static __always_inline __u32 task_mntns_inum(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

static __always_inline struct upid task_upid(struct task_struct *task)
{
	struct upid upid = {};
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);

	bpf_core_read(&upid, sizeof(upid), &pid->numbers[level]);
	return upid;
}

static __always_inline __u32 task_pidns_inum(struct task_struct *task)
{
	struct upid upid = task_upid(task);
	return BPF_CORE_READ(upid.ns, ns.inum);
}

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	if (cgroup_v1_subsys < 0)
		return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);

	struct css_set *cset = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css = NULL;
	__u32 idx = (__u32)cgroup_v1_subsys;

	if (idx >= PS_MAX_CGROUP_SUBSYS)
		return 0;
	bpf_core_read(&css, sizeof(css), &cset->subsys[idx]);
	return BPF_CORE_READ(css, cgroup, kn, id);
}

static __always_inline int is_container_cgroup(__u64 cgroup_id)
{
	return bpf_map_lookup_elem(&container_cgroups, &cgroup_id) != NULL;
}

/* The ids the host filter and every record need. pidns is read only for a
 * record (fill_task); the filter needs less. */
struct task_ids {
	__u32 mntns;
	__u32 pidns;
	__u64 cgroup_id;
};

/* The host filter runs on every capability check of every process, so it
 * reads through BTF pointers with plain loads, which the verifier makes
 * fault-safe and which cost a cycle or two each, where bpf_probe_read_kernel
 * (BPF_CORE_READ) is a helper call per field. The task is a BTF pointer in
 * every tier (tp_btf and fentry arguments, bpf_get_current_task_btf). */
static __always_inline __u32 fast_mntns_inum(struct task_struct *task)
{
	return task->nsproxy->mnt_ns->ns.inum;
}

/* In the host pid namespace: it is level 0, so the task's pid is a level-0
 * pid, and numbers[0] names that namespace; no variable index is needed. */
static __always_inline int fast_in_host_pidns(struct task_struct *task)
{
	struct pid *pid = task->thread_pid;

	return pid->level == 0 && pid->numbers[0].ns->ns.inum == host_pidns_inum;
}

static __always_inline __u64 fast_cgroup_id(struct task_struct *task)
{
	if (cgroup_v1_subsys < 0)
		return task->cgroups->dfl_cgrp->kn->id;
	/* A constant once loaded (read-only data), so the index is too. */
	if ((__u32)cgroup_v1_subsys >= PS_MAX_CGROUP_SUBSYS)
		return 0;
	return task->cgroups->subsys[cgroup_v1_subsys]->cgroup->kn->id;
}

/* Remembers cgroups found not to be containers' for the generation of
 * container_cgroups it was checked against, in one 64-bit tag (a single
 * store, so CPUs racing on a slot never mix two entries): a host task's
 * check then costs an array load instead of a hash lookup. */
#define PS_HOST_CGROUP_SLOTS 4096
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_HOST_CGROUP_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} host_cgroup_cache SEC(".maps") __weak;

/* Generations that retire what the caches below remember: [0] userspace adds
 * 1 after each cgroup it registers in container_cgroups; [1] every cgroup
 * created adds 1 (cgroup_mkdir), since a new container's objects can take the
 * addresses of a freed one's. Only their sum is used, which grows whenever
 * either does. */
#define PS_GEN_REGISTRATIONS 0
#define PS_GEN_CGROUPS 1
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} generations SEC(".maps") __weak;

static __always_inline __u64 current_generation(void)
{
	__u32 registrations = PS_GEN_REGISTRATIONS, cgroups = PS_GEN_CGROUPS;
	__u64 *a = bpf_map_lookup_elem(&generations, &registrations);
	__u64 *b = bpf_map_lookup_elem(&generations, &cgroups);

	return (a ? *(volatile __u64 *)a : 0) + (b ? *(volatile __u64 *)b : 0);
}

static __always_inline __u64 host_cgroup_tag(__u64 cgroup_id, __u64 gen)
{
	return cgroup_id ^ ((gen + 1) * 0x9e3779b97f4a7c15ULL);
}

static __always_inline int is_host_cgroup(__u64 cgroup_id, __u64 gen)
{
	__u32 slot = (__u32)cgroup_id & (PS_HOST_CGROUP_SLOTS - 1);
	__u64 *cached = bpf_map_lookup_elem(&host_cgroup_cache, &slot);
	__u64 tag;

	if (!cached)
		return !is_container_cgroup(cgroup_id);
	/* The generation was read before the lookup: a registration that the
	 * lookup misses comes with a later generation, so the tag written
	 * below is stale on arrival. */
	tag = host_cgroup_tag(cgroup_id, gen);
	if (*cached == tag)
		return 1;
	if (is_container_cgroup(cgroup_id))
		return 0;
	*cached = tag;
	return 1;
}

/* The host task this CPU last let through, by the objects its verdict rests
 * on: its namespaces (a new nsproxy on setns or unshare), its cgroups (a new
 * css_set on migration) and the generations. A task cannot change pid
 * namespace. A hot loop on the host then costs a few compares instead of the
 * pid namespace and cgroup walk. */
struct ps_host_task_memo {
	__u64 task;
	__u64 nsproxy;
	__u64 cgroups;
	__u64 gen;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ps_host_task_memo);
} host_task_memo SEC(".maps") __weak;

/* A host task shares the host's mount and pid namespaces and is not in a cgroup
 * userspace registered as a container's. Only these are dropped in the kernel:
 * a container that shares the host pid namespace still has its own mount
 * namespace, and one that shares both still has its own cgroup. Reads the
 * task's mount namespace into ids, and its cgroup unless lazy_cgroup and the
 * mount namespace already tells it from the host's (then ids->cgroup_id is 0
 * and the caller reads it when it needs it). A host task is counted as
 * filtered and gives 1. */
static __always_inline int filter_host_task(struct task_struct *task, struct task_ids *ids,
					    struct ps_probe_counters *counters, int lazy_cgroup)
{
	__u64 nsproxy = (__u64)task->nsproxy, cgroups = (__u64)task->cgroups, gen;
	struct ps_host_task_memo *memo;
	__u32 zero = 0;

	ids->mntns = fast_mntns_inum(task);
	ids->pidns = 0;
	ids->cgroup_id = 0;
	if (ids->mntns != host_mntns_inum) {
		if (!lazy_cgroup)
			ids->cgroup_id = fast_cgroup_id(task);
		return 0;
	}
	gen = current_generation();
	memo = bpf_map_lookup_elem(&host_task_memo, &zero);
	if (memo && memo->task == (__u64)task && memo->nsproxy == nsproxy && memo->cgroups == cgroups &&
	    memo->gen == gen) {
		PS_COUNT(counters, filtered_host);
		return 1;
	}
	ids->cgroup_id = fast_cgroup_id(task);
	if (!fast_in_host_pidns(task) || !is_host_cgroup(ids->cgroup_id, gen))
		return 0;
	if (memo) {
		memo->task = (__u64)task;
		memo->nsproxy = nsproxy;
		memo->cgroups = cgroups;
		memo->gen = gen;
	}
	PS_COUNT(counters, filtered_host);
	return 1;
}

/* kernel_cap_t is { u32 cap[2]; } before Linux 6.3 and { u64 val; } after; both
 * are the same 8 little-endian bytes, so read the whole struct as one u64 and
 * relocate only the offset of the field that holds it. */
#define PS_READ_CAPS(cred, field)                                                                            \
	({                                                                                                   \
		__u64 __caps = 0;                                                                            \
		bpf_core_read(&__caps, sizeof(__caps), &(cred)->field);                                      \
		__caps;                                                                                      \
	})

static __always_inline void fill_capsets(struct ps_capsets *out, const struct cred *cred)
{
	out->effective = PS_READ_CAPS(cred, cap_effective);
	out->permitted = PS_READ_CAPS(cred, cap_permitted);
	out->inheritable = PS_READ_CAPS(cred, cap_inheritable);
	out->bounding = PS_READ_CAPS(cred, cap_bset);
	if (bpf_core_field_exists(cred->cap_ambient))
		out->ambient = PS_READ_CAPS(cred, cap_ambient);
}

static __always_inline struct ps_task_mark *task_mark(struct task_struct *task)
{
	return bpf_task_storage_get(&task_marks, task, 0, 0);
}

/* Fills the task identity; ids were read by filter_host_task already. */
static __always_inline void fill_task(struct ps_task *out, struct task_struct *task,
				      const struct task_ids *ids)
{
	const struct cred *cred = BPF_CORE_READ(task, real_cred);
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct upid upid = task_upid(leader);

	out->pid = BPF_CORE_READ(task, pid);
	out->tgid = BPF_CORE_READ(task, tgid);
	out->ppid = BPF_CORE_READ(task, real_parent, tgid);
	out->ns_pid = upid.nr;
	out->uid = BPF_CORE_READ(cred, uid.val);
	out->euid = BPF_CORE_READ(cred, euid.val);
	out->pidns_inum = task_pidns_inum(task);
	out->mntns_inum = ids->mntns;
	out->pidns_level = BPF_CORE_READ(task, thread_pid, level);
	out->flags = 0;
	if (ids->mntns == host_mntns_inum && out->pidns_inum == host_pidns_inum)
		out->flags |= PS_TASK_HOST_NAMESPACES;
	if (is_container_cgroup(ids->cgroup_id))
		out->flags |= PS_TASK_CONTAINER_CGROUP;
	if (task_mark(task))
		out->flags |= PS_TASK_RUNTIME_IMAGE;
	out->cgroup_id = ids->cgroup_id;
	BPF_CORE_READ_STR_INTO(&out->comm, task, comm);
}

#endif /* PRIVSENTRY_TASK_BPF_H */
