/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maps and settings shared by every privsentry BPF object. The objects are
 * linked into one (bpftool gen object), so the __weak maps below become a
 * single ring buffer, a single counter array and a single cgroup set. */
#ifndef PRIVSENTRY_COMMON_BPF_H
#define PRIVSENTRY_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "privsentry/abi/events.h"

/* Settings written by userspace between open and load; defined once, in
 * cgroup.bpf.c. */
extern const volatile __u32 host_mntns_inum;
extern const volatile __u32 host_pidns_inum;
/* -1: identify cgroups in the unified (v2) hierarchy; otherwise the cgroup v1
 * subsystem id whose hierarchy is used (hosts without a unified mount). */
extern const volatile __s32 cgroup_v1_subsys;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_PROBE_COUNT);
	__type(key, __u32);
	__type(value, struct ps_probe_counters);
} probe_counters SEC(".maps") __weak;

/* Cgroup ids (tracked hierarchy) that userspace identified as containers. A
 * task in one of them is never treated as a host task, even when it shares the
 * host's namespaces. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} container_cgroups SEC(".maps") __weak;

/* Per task: set when the task's current program image was exec'd in the host
 * mount namespace. Inherited on fork, cleared by an exec outside the host mount
 * namespace. A task in a container's namespaces that carries the mark is the
 * runtime setting the container up (runc init), not the container itself. */
struct ps_task_mark {
	__u32 flags;
	__u32 reserved;
};
#define PS_MARK_HOST_IMAGE 1u

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ps_task_mark);
} task_marks SEC(".maps") __weak;

static __always_inline struct ps_probe_counters *probe_counter(__u32 probe)
{
	return bpf_map_lookup_elem(&probe_counters, &probe);
}

/* Counters are per CPU and a program does not migrate while it runs, so a
 * plain increment is enough. */
#define PS_COUNT(counters, field)                                                                            \
	do {                                                                                                 \
		struct ps_probe_counters *__ps_c = (counters);                                               \
		if (__ps_c)                                                                                  \
			__ps_c->field++;                                                                     \
	} while (0)

static __always_inline void fill_header(struct ps_event_header *hdr, __u16 type, __u32 size)
{
	hdr->type = type;
	hdr->abi_version = PS_ABI_VERSION;
	hdr->size = size;
	hdr->timestamp_ns = bpf_ktime_get_boot_ns();
}

/* Bytes of records waiting in the ring buffer before a record wakes userspace
 * (set by userspace from the ring's size). Below it, records wait for
 * userspace's next drain (every few milliseconds): a wake-up per record would
 * cost every exec a cross-CPU wake-up of the sensor. */
extern const volatile __u64 wakeup_bytes;

/* Records are reserved in each program with bpf_ringbuf_reserve() and a
 * single null test that counts the loss: Linux 6.1's verifier cannot follow a
 * second test of the same record pointer (a helper that tests and returns it)
 * and rejects the program with "Unreleased reference". */
static __always_inline void submit_event(struct ps_probe_counters *counters, void *event)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										    : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(event, flags);
	PS_COUNT(counters, emitted);
}

/* For the rare records that start something (a new cgroup): userspace at once. */
static __always_inline void submit_event_now(struct ps_probe_counters *counters, void *event)
{
	bpf_ringbuf_submit(event, 0);
	PS_COUNT(counters, emitted);
}

#endif /* PRIVSENTRY_COMMON_BPF_H */
