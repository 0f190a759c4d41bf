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

/* The cgroup id of the running task, the cheap way when the unified hierarchy
 * is tracked. */
static __always_inline __u64 current_cgroup_id(struct task_struct *task)
{
	if (cgroup_v1_subsys < 0)
		return bpf_get_current_cgroup_id();
	return task_cgroup_id(task);
}

static __always_inline int is_container_cgroup(__u64 cgroup_id)
{
	return bpf_map_lookup_elem(&container_cgroups, &cgroup_id) != NULL;
}

/* The ids the host filter and every record need. */
struct task_ids {
	__u32 mntns;
	__u32 pidns;
	__u64 cgroup_id;
};

/* A host task shares the host's mount and pid namespaces and is not in a cgroup
 * userspace registered as a container's. Only these are dropped in the kernel:
 * a container that shares the host pid namespace still has its own mount
 * namespace, and one that shares both still has its own cgroup. */
static __always_inline int is_host_task(const struct task_ids *ids)
{
	if (ids->mntns != host_mntns_inum || ids->pidns != host_pidns_inum)
		return 0;
	return !is_container_cgroup(ids->cgroup_id);
}

/* Reads the task's ids; a host task is counted as filtered and gives 1.
 * is_current: the task is the one running, whose cgroup is cheaper to read. */
static __always_inline int filter_host_task(struct task_struct *task, int is_current, struct task_ids *ids,
					    struct ps_probe_counters *counters)
{
	ids->mntns = task_mntns_inum(task);
	ids->pidns = task_pidns_inum(task);
	ids->cgroup_id = is_current ? current_cgroup_id(task) : task_cgroup_id(task);
	if (!is_host_task(ids))
		return 0;
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
	out->pidns_inum = ids->pidns;
	out->mntns_inum = ids->mntns;
	out->pidns_level = BPF_CORE_READ(task, thread_pid, level);
	out->flags = 0;
	if (ids->mntns == host_mntns_inum && ids->pidns == host_pidns_inum)
		out->flags |= PS_TASK_HOST_NAMESPACES;
	if (is_container_cgroup(ids->cgroup_id))
		out->flags |= PS_TASK_CONTAINER_CGROUP;
	if (task_mark(task))
		out->flags |= PS_TASK_RUNTIME_IMAGE;
	out->cgroup_id = ids->cgroup_id;
	BPF_CORE_READ_STR_INTO(&out->comm, task, comm);
}

#endif /* PRIVSENTRY_TASK_BPF_H */
