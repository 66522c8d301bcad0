/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel -> user event ABI for the process lifecycle sensor. Included by the
 * BPF programs (with vmlinux.h types) and by the agent (with linux/types.h).
 * Only fixed-width types with explicit padding; sizes are checked on both
 * sides with _Static_assert so a layout change cannot go unnoticed.
 */
#ifndef TG_ABI_MSG_PROCESS_H
#define TG_ABI_MSG_PROCESS_H

#ifndef __BPF__
#include <linux/types.h>
#endif

/* Message opcodes: the same numbers upstream uses for its msg_op labels. */
enum {
	MSG_OP_EXECVE = 5,
	MSG_OP_EXIT = 7,
	MSG_OP_CLONE = 23,
};

/* Process flags (Process.flags), bit values as upstream's wire flags. */
#define EVENT_EXECVE		0x01
#define EVENT_PROCFS		0x04
#define EVENT_ERROR_ENVS	0x08
#define EVENT_TRUNC_ARGS	0x10
#define EVENT_MISS		0x40
#define EVENT_ERROR_FILENAME	0x100
#define EVENT_ERROR_ARGS	0x200
#define EVENT_NO_CWD_SUPPORT	0x800
#define EVENT_ROOT_CWD		0x1000
#define EVENT_ERROR_CWD		0x2000
#define EVENT_CLONE		0x4000
#define EVENT_ERROR_CGROUP_NAME	0x10000		/* cgroup path cut or not walked to the root */
#define EVENT_ERROR_CGROUP_SUBSYSCGRP 0x40000	/* no cgroup in the chosen hierarchy */
#define EVENT_ERROR_CGROUP_SUBSYS 0x80000	/* no css for the v1 controller */
#define EVENT_ERROR_CGROUPS	0x100000	/* task without a css_set */
#define EVENT_ERROR_CGROUP_ID	0x200000
#define EVENT_ERROR_PATH_COMPONENTS 0x400000
#define EVENT_TRUNC_FILENAME	0x8000000	/* ours: filename longer than the buffer */
#define EVENT_IN_INIT_TREE	0x2000000

/* binary_properties: how the exec changed privileges. */
#define EXEC_SETUID		0x01
#define EXEC_SETGID		0x02
#define EXEC_FILE_CAPS		0x04
#define EXEC_SETUID_ROOT	0x08
#define EXEC_SETGID_ROOT	0x10

/* Buffer sizes of the exec message's variable part. */
#define TG_FILENAME_MAX	4096
#define TG_ARGS_MAX	16384
#define TG_CWD_MAX	4096
#define TG_CGROUP_PATH_MAX 1024	/* longer paths keep their tail (the container's end) */
#define TG_ENVS_MAX	16384	/* environment bytes read at exec (--enable-process-environment-variables) */

/* msg_common.flags of an exec record */
#define MSG_EXEC_ENVS_TRUNC	0x01	/* the environment was longer than TG_ENVS_MAX: cut */

/*
 * Which cgroup hierarchy a process' cgroup is read from (set by the agent
 * before load, from the host's mounts): the default (v2) one wherever
 * cgroup2 is mounted, pure or hybrid; else a v1 controller's, by its
 * index in the css_set.
 */
enum {
	TG_CGROUP_NONE = 0,
	TG_CGROUP_V2 = 1,
	TG_CGROUP_V1 = 2,
};

/*
 * A process' cgroup as the kernel saw it: its id (the kernfs node id, the
 * cgroup directory's inode number) and the length of its path, which
 * follows the message's other data (from the hierarchy's root, no NUL).
 */
struct msg_cgroup {
	__u64 id;
	__u16 path_len;
	__u16 pad;
	__u32 pad2;
};

struct msg_common {
	__u8 op;
	__u8 flags;
	__u16 pad;
	__u32 size;	/* whole message, header included */
	__u64 ktime;	/* bpf_ktime_get_ns() when the event happened */
};

/* Identity of one process incarnation: its exec_id is built from it. */
struct msg_execve_key {
	__u32 pid;
	__u32 pad;
	__u64 ktime;
};

struct msg_cred {
	__u32 uid, gid, suid, sgid, euid, egid, fsuid, fsgid;
	__u32 securebits;
	__u32 pad;
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 cap_inheritable;
};

/* Namespace inode numbers, in Namespaces message order. */
struct msg_ns {
	__u32 uts, ipc, mnt, pid, pid_for_children, net, time, time_for_children, cgroup, user;
};

struct msg_exec {
	struct msg_common common;	/* ktime: the exec's time (process.start_time) */
	struct msg_execve_key self;	/* ktime: task_exec_ktime (bpf/lib/task.h), stable across restarts */
	struct msg_execve_key parent;	/* pid 0: no parent known to the kernel */
	struct msg_execve_key replaced;	/* the clone/exec this exec supersedes, pid 0 if none */
	__u32 tid;
	__u32 nspid;
	__u32 auid;
	__u32 flags;		/* EVENT_* */
	__u32 secureexec;	/* EXEC_* */
	__u32 nlink;
	__u64 ino;
	struct msg_cred creds;
	struct msg_ns ns;
	__u16 filename_len;	/* bytes of data[] that hold the filename (no NUL) */
	__u16 cwd_len;
	__u32 args_len;		/* NUL-separated argv bytes, after filename */
	__u32 parent_pid;	/* real_parent tgid, even when parent key is unknown */
	__u32 envs_len;		/* NUL-separated "K=V" environment bytes, after the cgroup path */
	struct msg_cgroup cgrp;
	/* the process' root directory (chroot, mount namespace): its inode and super block's dev_t */
	__u64 root_ino;
	__u32 root_dev;		/* kernel encoding: major << 20 | minor */
	__u32 pad2;
	/* data: filename, args, cwd, cgroup path, environment */
};

#define MSG_EXEC_DATA_MAX (TG_FILENAME_MAX + TG_ARGS_MAX + TG_CWD_MAX + TG_CGROUP_PATH_MAX + TG_ENVS_MAX)

struct msg_clone {
	struct msg_common common;
	struct msg_execve_key self;	/* child tgid, task_exec_ktime (start_time + self_exec_id) */
	struct msg_execve_key parent;	/* forking process' current key */
	__u32 tid;
	__u32 nspid;
	__u32 flags;			/* EVENT_CLONE | inherited EVENT_IN_INIT_TREE */
	__u32 parent_pid;
	/* path_len 0: the path is the parent's (same cgroup id), not repeated */
	struct msg_cgroup cgrp;
	/* data: cgroup path */
};

struct msg_exit {
	struct msg_common common;
	struct msg_execve_key self;	/* ktime 0: not known to the kernel */
	__u32 tid;
	__u32 code;			/* wait status: exit code << 8 | signal */
};

/*
 * One running process, from the task iterator (bpf/task_iter.bpf.c): its
 * exec_id key as the exec/clone records gave it (task_exec_ktime).
 */
struct task_key_rec {
	__u32 tgid;
	__u32 pad;
	__u64 ktime;
};

/* Kernel-side view of a live process, keyed by tgid (the execve_map). */
struct execve_map_value {
	struct msg_execve_key key;
	struct msg_execve_key pkey;
	__u32 flags;
	__u32 nspid;
	__u64 cap_permitted;	/* at the last exec/fork, to detect file caps */
	__u64 mbset;		/* matchBinaries followChildren bits: inherited, plus the exec'd binary's */
	__u64 cgrp_id;		/* cgroup at the last exec/fork (0: unknown) */
};

#define TG_EXECVE_MAP_ENTRIES 65536

/*
 * matchNamespaceChanges / matchCapabilityChanges: a process' namespaces and
 * capabilities as recorded at its fork and at its first exec after it
 * (upstream's execve_map ns/caps), keyed by tgid in map exec_nscaps (as
 * many entries as execve_map, allocated per process). A selector that
 * matched a change and posted refreshes them. Kept only once a loaded
 * policy uses the selectors (mbset_cfg[TG_CFG_NSCAPS] != 0).
 */
struct exec_nscaps {
	struct msg_ns ns;
	__u32 pad[2];
	__u64 caps[3];		/* effective, inheritable, permitted (abi/msg_generic.h enum gt_cap_set) */
};

#define TG_CFG_MBSET	0	/* mbset_cfg index: followChildren bits at exec */
#define TG_CFG_NSCAPS	1	/* mbset_cfg index: exec_nscaps kept at fork, exec and exit */

_Static_assert(sizeof(struct msg_common) == 16, "msg_common layout");
_Static_assert(sizeof(struct msg_execve_key) == 16, "msg_execve_key layout");
_Static_assert(sizeof(struct msg_cred) == 64, "msg_cred layout");
_Static_assert(sizeof(struct msg_ns) == 40, "msg_ns layout");
_Static_assert(sizeof(struct msg_cgroup) == 16, "msg_cgroup layout");
_Static_assert(sizeof(struct msg_exec) == 248, "msg_exec layout");
_Static_assert(sizeof(struct msg_clone) == 80, "msg_clone layout");
_Static_assert(sizeof(struct msg_exit) == 40, "msg_exit layout");
_Static_assert(sizeof(struct execve_map_value) == 64, "execve_map_value layout");
_Static_assert(sizeof(struct exec_nscaps) == 72, "exec_nscaps layout");

#endif
