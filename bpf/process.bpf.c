// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Process lifecycle: exec, fork and exit of processes outside the host, with
 * their credentials; and the task marks that tell a container runtime's set-up
 * from the container's own code. */
#include "lib/common.bpf.h"
#include "lib/task.bpf.h"

/* Keeps the host-image mark of a task up to date across exec: a host task
 * that execs carries it (runc, nsenter, unshare start this way); an exec
 * outside the host's mount namespace clears it. A marked task that execs
 * while still in the host's mount namespace keeps it, wherever its cgroup:
 * runc's child re-execs itself (runc init, from a memfd) after its parent may
 * already have moved it into the container's cgroup, and under load it often
 * has. Only host tasks are marked, so a container process that enters the
 * host's mount namespace and execs there (the classic escape) is still
 * reported. Returns the ps_exec_flags this exec earns. */
static __always_inline __u32 update_mark_on_exec(struct task_struct *task, int host,
						 const struct task_ids *ids,
						 struct ps_probe_counters *counters)
{
	struct ps_task_mark *mark;

	if (host) {
		mark = bpf_task_storage_get(&task_marks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!mark) {
			PS_COUNT(counters, errors);
			return 0;
		}
		mark->flags = PS_MARK_HOST_IMAGE;
		return 0;
	}
	mark = task_mark(task);
	if (mark && (mark->flags & PS_MARK_HOST_IMAGE)) {
		if (ids->mntns == host_mntns_inum)
			return 0;
		bpf_task_storage_delete(&task_marks, task);
		return PS_EXEC_LEFT_RUNTIME;
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ps_probe_counters *counters = probe_counter(PS_PROBE_EXEC);
	struct ps_exec_event *event;
	struct task_ids ids;
	__u32 flags;
	int host;
	long len;

	PS_COUNT(counters, seen);
	host = filter_host_task(task, &ids, counters, 0);
	flags = update_mark_on_exec(task, host, &ids, counters);
	if (host)
		return 0;

	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		PS_COUNT(counters, lost);
		return 0;
	}
	fill_header(&event->hdr, PS_EVENT_EXEC, sizeof(*event));
	fill_task(&event->task, task, &ids);
	fill_capsets(&event->caps, BPF_CORE_READ(task, real_cred));
	event->reserved = 0;
	len = bpf_probe_read_kernel_str(event->filename, sizeof(event->filename),
					BPF_CORE_READ(bprm, filename));
	if (len < 0) {
		event->filename[0] = '\0';
		PS_COUNT(counters, errors);
	} else if (len == sizeof(event->filename)) {
		flags |= PS_EXEC_FILENAME_TRUNCATED;
	}
	event->flags = flags;
	submit_event(counters, event);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct ps_probe_counters *counters = probe_counter(PS_PROBE_FORK);
	struct ps_task_mark *parent_mark, *child_mark;
	struct ps_fork_event *event;
	struct task_ids ids;

	PS_COUNT(counters, seen);
	parent_mark = task_mark(parent);
	if (parent_mark) {
		child_mark = bpf_task_storage_get(&task_marks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (child_mark)
			child_mark->flags = parent_mark->flags;
		else
			PS_COUNT(counters, errors);
	}

	/* Threads are not processes; their credentials are the process's. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;

	if (filter_host_task(child, &ids, counters, 0))
		return 0;
	if (parent_mark) {
		PS_COUNT(counters, runtime_setup);
		return 0;
	}

	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		PS_COUNT(counters, lost);
		return 0;
	}
	fill_header(&event->hdr, PS_EVENT_FORK, sizeof(*event));
	fill_task(&event->task, child, &ids);
	fill_capsets(&event->caps, BPF_CORE_READ(child, real_cred));
	submit_event(counters, event);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	struct ps_probe_counters *counters = probe_counter(PS_PROBE_EXIT);
	struct ps_exit_event *event;
	struct task_ids ids;

	PS_COUNT(counters, seen);
	/* The tracepoint fires for every thread; the process ends with its last. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;

	if (filter_host_task(task, &ids, counters, 0))
		return 0;
	/* Runtime set-up processes were never reported as started. */
	if (task_mark(task)) {
		PS_COUNT(counters, runtime_setup);
		return 0;
	}

	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		PS_COUNT(counters, lost);
		return 0;
	}
	fill_header(&event->hdr, PS_EVENT_EXIT, sizeof(*event));
	fill_task(&event->task, task, &ids);
	event->exit_code = BPF_CORE_READ(task, exit_code);
	event->reserved = 0;
	submit_event(counters, event);
	return 0;
}
