/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Records the BPF programs write to the ring buffer. This header is the single
 * definition shared by the BPF side (C, with vmlinux.h) and the C++ decoder.
 * Every field has a fixed width, padding is explicit, and the layout is pinned
 * by static assertions below: change a struct and PS_ABI_VERSION together.
 */
#ifndef PRIVSENTRY_ABI_EVENTS_H
#define PRIVSENTRY_ABI_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifdef __cplusplus
#define PS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#include <cstddef>
#define PS_OFFSETOF(type, member) offsetof(type, member)
#else
#define PS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define PS_OFFSETOF(type, member) __builtin_offsetof(type, member)
#endif

#define PS_ABI_VERSION 1

#define PS_COMM_LEN 16
#define PS_CGROUP_PATH_LEN 512
#define PS_FILENAME_LEN 256

enum ps_event_type {
  PS_EVENT_CGROUP_MKDIR = 1,
  PS_EVENT_CGROUP_RMDIR = 2,
  PS_EVENT_CGROUP_ATTACH = 3,
  PS_EVENT_EXEC = 4,
  PS_EVENT_FORK = 5,
  PS_EVENT_EXIT = 6,
  PS_EVENT_CAPABILITY = 7,
  PS_EVENT_TYPE_END = 8, /* one past the last valid type */
};

/* Flags in ps_task.flags. */
enum ps_task_flags {
  /* The task's program image was started in the host mount namespace and it
   * has not exec'd since: container runtime set-up (runc init), or a host
   * program that entered a container's namespaces. */
  PS_TASK_RUNTIME_IMAGE = 1u << 0,
  /* The task is in the host's mount and pid namespaces. */
  PS_TASK_HOST_NAMESPACES = 1u << 1,
  /* The task's cgroup is one userspace registered as a container cgroup. */
  PS_TASK_CONTAINER_CGROUP = 1u << 2,
};

/* Flags in ps_exec_event.flags. */
enum ps_exec_flags {
  /* This exec ended runtime set-up: the previous image came from the host. */
  PS_EXEC_LEFT_RUNTIME = 1u << 0,
  PS_EXEC_FILENAME_TRUNCATED = 1u << 1,
};

/* Flags in ps_capability_event.flags. */
enum ps_capability_flags {
  /* The checked credentials are the acting task's own real credentials: not
   * another task's (has_capability()), and not credentials the kernel put
   * on for the task (override_creds(): overlayfs acting with the mounter's
   * credentials, access(2)). Only such a check is the task using a
   * capability. */
  PS_CAP_CRED_IS_TASK = 1u << 0,
};

/* Flags in ps_cgroup_event.flags. */
enum ps_cgroup_flags {
  PS_CGROUP_PATH_TRUNCATED = 1u << 0,
};

/* Indexes of the per-CPU counter slots, one per probe. */
enum ps_probe {
  PS_PROBE_CGROUP_MKDIR = 0,
  PS_PROBE_CGROUP_RMDIR = 1,
  PS_PROBE_CGROUP_ATTACH = 2,
  PS_PROBE_EXEC = 3,
  PS_PROBE_FORK = 4,
  PS_PROBE_EXIT = 5,
  PS_PROBE_CAPABILITY = 6,
  PS_PROBE_COUNT = 7,
};

/* Per-CPU counters of one probe; userspace sums them over CPUs. */
struct ps_probe_counters {
  __u64 seen;          /* times the program ran */
  __u64 emitted;       /* records submitted to the ring buffer */
  __u64 lost;          /* records dropped because the ring buffer was full */
  __u64 filtered_host; /* host processes, dropped by design */
  __u64 runtime_setup; /* container runtime set-up, dropped by design */
  __u64 deduplicated;  /* repeats of an already reported capability check */
  __u64 errors;        /* helper failures (reads, map updates) */
};
PS_STATIC_ASSERT(sizeof(struct ps_probe_counters) == 56, "ps_probe_counters layout");

struct ps_event_header {
  __u16 type;         /* enum ps_event_type */
  __u16 abi_version;  /* PS_ABI_VERSION */
  __u32 size;         /* bytes of the whole record, header included */
  __u64 timestamp_ns; /* CLOCK_BOOTTIME */
};
PS_STATIC_ASSERT(sizeof(struct ps_event_header) == 16, "ps_event_header layout");

struct ps_task {
  __u32 pid;         /* thread id, host pid namespace */
  __u32 tgid;        /* process id, host pid namespace */
  __u32 ppid;        /* real parent's process id, host pid namespace */
  __u32 ns_pid;      /* process id inside its own pid namespace */
  __u32 uid;         /* real uid (kernel-global) */
  __u32 euid;        /* effective uid (kernel-global) */
  __u32 pidns_inum;  /* pid namespace inode */
  __u32 mntns_inum;  /* mount namespace inode */
  __u32 pidns_level; /* 0 is the initial pid namespace */
  __u32 flags;       /* enum ps_task_flags */
  __u64 cgroup_id;   /* cgroup id in the tracked hierarchy */
  char comm[PS_COMM_LEN];
};
PS_STATIC_ASSERT(sizeof(struct ps_task) == 64, "ps_task layout");
PS_STATIC_ASSERT(PS_OFFSETOF(struct ps_task, cgroup_id) == 40, "ps_task.cgroup_id offset");

struct ps_capsets {
  __u64 effective;
  __u64 permitted;
  __u64 inheritable;
  __u64 bounding;
  __u64 ambient;
};
PS_STATIC_ASSERT(sizeof(struct ps_capsets) == 40, "ps_capsets layout");

struct ps_exec_event {
  struct ps_event_header hdr;
  struct ps_task task;
  struct ps_capsets caps;
  __u32 flags; /* enum ps_exec_flags */
  __u32 reserved;
  char filename[PS_FILENAME_LEN];
};
PS_STATIC_ASSERT(sizeof(struct ps_exec_event) == 16 + 64 + 40 + 8 + PS_FILENAME_LEN, "ps_exec_event layout");

/* A new process (not a thread); task is the child. */
struct ps_fork_event {
  struct ps_event_header hdr;
  struct ps_task task;
  struct ps_capsets caps;
};
PS_STATIC_ASSERT(sizeof(struct ps_fork_event) == 120, "ps_fork_event layout");

/* A process (thread group) ended. */
struct ps_exit_event {
  struct ps_event_header hdr;
  struct ps_task task;
  __s32 exit_code; /* as wait(2) reports it */
  __u32 reserved;
};
PS_STATIC_ASSERT(sizeof(struct ps_exit_event) == 88, "ps_exit_event layout");

struct ps_capability_event {
  struct ps_event_header hdr;
  struct ps_task task;
  __s32 capability;     /* CAP_* number, unchecked: userspace bounds it */
  __u32 granted;        /* 1 when the check succeeded */
  __u32 userns_level;   /* level of the user namespace checked against, 0 = initial */
  __u32 flags;          /* enum ps_capability_flags */
  __u64 cred_effective; /* effective set of the checked credentials */
};
PS_STATIC_ASSERT(sizeof(struct ps_capability_event) == 104, "ps_capability_event layout");

struct ps_cgroup_event {
  struct ps_event_header hdr;
  __u64 cgroup_id;
  __u32 hierarchy_id; /* 0 is the unified (v2) hierarchy */
  __u32 level;        /* depth below the hierarchy root */
  __u32 pid;          /* attach: the migrated task; otherwise the acting task */
  __u32 tgid;
  __u32 flags; /* enum ps_cgroup_flags */
  __u32 reserved;
  char comm[PS_COMM_LEN];
  char path[PS_CGROUP_PATH_LEN]; /* path inside the hierarchy, NUL-terminated */
};
PS_STATIC_ASSERT(sizeof(struct ps_cgroup_event) == 16 + 32 + PS_COMM_LEN + PS_CGROUP_PATH_LEN,
                 "ps_cgroup_event layout");

/* Key of the in-kernel de-duplication of capability checks. The credential
 * flag is part of it, so a check made with borrowed credentials cannot stand
 * in for the container's own use of the same capability. */
struct ps_capability_key {
  __u64 cgroup_id;
  __u32 mntns_inum;
  __s32 capability;
  __u32 granted;
  __u32 flags; /* enum ps_capability_flags */
};
PS_STATIC_ASSERT(sizeof(struct ps_capability_key) == 24, "ps_capability_key layout");

#endif /* PRIVSENTRY_ABI_EVENTS_H */
