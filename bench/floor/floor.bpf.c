// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The floor the sensor's kernel cost is measured against: empty programs on
 * the hooks privsentry attaches in its tracepoint tier. What they cost is
 * what any BPF program on these hooks costs. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/cap_capable")
int BPF_PROG(floor_cap_capable)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_process_exec)
{
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_process_fork)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_process_exit)
{
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(floor_cgroup_mkdir)
{
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(floor_cgroup_rmdir)
{
	return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(floor_cgroup_attach)
{
	return 0;
}
