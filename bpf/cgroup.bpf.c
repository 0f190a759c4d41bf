// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Cgroup lifecycle: every mkdir, rmdir and task migration, in every hierarchy.
 * These are rare and carry the paths userspace needs to name containers, so
 * none is filtered here. */
#include "lib/common.bpf.h"
#include "lib/task.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The settings every object shares (declared extern in common.bpf.h). */
const volatile __u32 host_mntns_inum = 0;
const volatile __u32 host_pidns_inum = 0;
const volatile __s32 cgroup_v1_subsys = -1;
const volatile __u64 wakeup_bytes = 0;

static __always_inline int emit_cgroup(__u32 probe, __u16 type, struct cgroup *cgrp, const char *path,
				       struct task_struct *task)
{
	struct ps_probe_counters *counters = probe_counter(probe);
	struct ps_cgroup_event *event;
	long len;

	PS_COUNT(counters, seen);
	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		PS_COUNT(counters, lost);
		return 0;
	}

	fill_header(&event->hdr, type, sizeof(*event));
	event->cgroup_id = BPF_CORE_READ(cgrp, kn, id);
	event->hierarchy_id = BPF_CORE_READ(cgrp, root, hierarchy_id);
	event->level = BPF_CORE_READ(cgrp, level);
	event->pid = BPF_CORE_READ(task, pid);
	event->tgid = BPF_CORE_READ(task, tgid);
	event->flags = 0;
	event->reserved = 0;
	BPF_CORE_READ_STR_INTO(&event->comm, task, comm);
	len = bpf_probe_read_kernel_str(event->path, sizeof(event->path), path);
	if (len < 0) {
		event->path[0] = '\0';
		PS_COUNT(counters, errors);
	} else if (len == sizeof(event->path)) {
		event->flags |= PS_CGROUP_PATH_TRUNCATED;
	}
	submit_event_now(counters, event);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	__u32 slot = PS_GEN_CGROUPS;
	__u64 *gen = bpf_map_lookup_elem(&generations, &slot);

	/* Before the record: whatever the new cgroup's tasks check next is
	 * judged afresh. */
	if (gen)
		__sync_fetch_and_add(gen, 1);
	return emit_cgroup(PS_PROBE_CGROUP_MKDIR, PS_EVENT_CGROUP_MKDIR, cgrp, path,
			   bpf_get_current_task_btf());
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	return emit_cgroup(PS_PROBE_CGROUP_RMDIR, PS_EVENT_CGROUP_RMDIR, cgrp, path,
			   bpf_get_current_task_btf());
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(cgroup_attach, struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup)
{
	return emit_cgroup(PS_PROBE_CGROUP_ATTACH, PS_EVENT_CGROUP_ATTACH, dst, path, task);
}
