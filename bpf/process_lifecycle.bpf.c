// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Process lifecycle sensor: exec, fork and exit of every process on the node.
 *
 * BTF tracepoints (sched_process_exec/fork/exit) are used because they exist
 * on every kernel with BTF (5.5+) and, unlike upstream's kprobes on
 * wake_up_new_task/acct_process, also where kprobes are unavailable.
 * execve_map tracks the current incarnation (exec_id key) of every tgid so
 * that parents, and later policy events, resolve to exact cache entries.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "abi/msg_process.h"
#include "lib/path.h"
#include "lib/cgroup.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the agent before load. */
const volatile __u32 agent_tgid = 0;
const volatile __u32 envs_enabled = 0;	/* exec records carry the environment */

/* Lifecycle records (exec, clone, exit) only: nothing else can fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

/*
 * The policy programs' records (lib/gt_common.h, shared by
 * bpf_map__reuse_fd): a flooding policy fills this one, never the
 * lifecycle's. Created here so it lives as long as the agent.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} policy_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_EXECVE_MAP_ENTRIES);
	__type(key, __u32);
	__type(value, struct execve_map_value);
} execve_map SEC(".maps");

/*
 * Records a ring buffer could not take, per opcode (index op & 31): the
 * lifecycle's here, the policy programs' too (shared with them). The one
 * place every kernel-side drop is counted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} missed_events SEC(".maps");

/* Updates that failed (map full): [0] execve_map, [1] exec_nscaps. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} map_errors SEC(".maps");

/*
 * matchBinaries followChildren (policy engine): resolved binary path ->
 * bits of the selectors that follow it. A process' bits (execve_map
 * mbset) are inherited at fork and exec and gain the exec'd binary's.
 * mbset_cfg[0] != 0 once a policy uses it: only then does exec pay for a
 * second path walk.
 */
#define MBSET_PATH_MAX 256
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, char[MBSET_PATH_MAX]);
	__type(value, __u64);
} mbset_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);		/* TG_CFG_MBSET, TG_CFG_NSCAPS (abi/msg_process.h) */
	__type(key, __u32);
	__type(value, __u32);
} mbset_cfg SEC(".maps");

/*
 * matchNamespaceChanges / matchCapabilityChanges (abi/msg_process.h): the
 * namespaces and capabilities of each process at its fork and first exec,
 * shared with the policy programs. Allocated per process, and only once a
 * policy uses the selectors (mbset_cfg[TG_CFG_NSCAPS]).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_EXECVE_MAP_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct exec_nscaps);
} exec_nscaps SEC(".maps");

/* Twice the largest offset, so masked offsets + masked sizes stay inside. */
#define EXEC_HEAP_DATA 65536
#define EXEC_OFF_MASK 32767
struct exec_heap {
	struct msg_exec msg;
	char data[EXEC_HEAP_DATA];
	struct path_scratch scratch;
	char mbkey[MBSET_PATH_MAX];
	struct cgroup_scratch cg;
};

/*
 * Per-CPU scratch for the exec message. Too large for a PERCPU_ARRAY value
 * (32 KiB limit), so a plain array indexed by CPU; the agent sizes it to the
 * number of possible CPUs before load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_heap);
} exec_heap_map SEC(".maps");

/* The clone record: a cgroup path follows it when the child's differs from its parent's. */
struct clone_heap {
	struct msg_clone msg;
	char path[TG_CGROUP_PATH_MAX];
	struct cgroup_scratch cg;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clone_heap);
} clone_heap_map SEC(".maps");

static __always_inline void count(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline int nscaps_on(void)
{
	__u32 k = TG_CFG_NSCAPS, *on = bpf_map_lookup_elem(&mbset_cfg, &k);

	return on && *on;
}

/* At exec: the fork's record rewritten in place (an update would allocate anew), else a new one. */
static __always_inline void nscaps_exec(__u32 tgid, const struct msg_ns *ns, const struct msg_cred *c)
{
	struct exec_nscaps *r = bpf_map_lookup_elem(&exec_nscaps, &tgid), v = {};

	if (!r)
		r = &v;
	r->ns = *ns;
	r->caps[0] = c->cap_effective;
	r->caps[1] = c->cap_inheritable;
	r->caps[2] = c->cap_permitted;
	if (r == &v && bpf_map_update_elem(&exec_nscaps, &tgid, &v, BPF_NOEXIST))
		count(&map_errors, 1);
}

/*
 * Wake the agent only once a batch has accumulated: a wakeup per event
 * costs more than the event itself in an exec storm. The agent also polls
 * every few milliseconds, which bounds the latency of a lone event.
 */
#define WAKEUP_BYTES (64 * 1024)

static __always_inline void output(void *msg, __u64 size, __u8 op)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ?
			      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_output(&events, msg, size, flags))
		count(&missed_events, op & 31);
}

/* Current key of the nearest ancestor the kernel knows about. */
static __always_inline struct execve_map_value *find_parent(struct task_struct *task,
							   __u32 *ret_ppid)
{
	struct execve_map_value *v;
	struct task_struct *p = task;
	__u32 tgid;
	int i;

	*ret_ppid = BPF_CORE_READ(task, real_parent, tgid);
	for (i = 0; i < 4; i++) {
		p = BPF_CORE_READ(p, real_parent);
		if (!p)
			return 0;
		tgid = BPF_CORE_READ(p, tgid);
		if (!tgid)
			return 0;
		v = bpf_map_lookup_elem(&execve_map, &tgid);
		if (v)
			return v;
	}
	return 0;
}

static __always_inline __u32 read_args(struct exec_heap *h, __u32 off, __u32 *flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	unsigned long start, end;
	long n;
	__u32 len, skip;

	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	if (end <= start)
		return 0;
	/* argv[0] is not part of "arguments": the binary is reported apart. */
	n = bpf_probe_read_user_str(&h->data[off & EXEC_OFF_MASK], PATH_NAME_MAX + 1,
				    (void *)start);
	if (n < 0) {
		*flags |= EVENT_ERROR_ARGS;
		return 0;
	}
	/* argv[0] may be longer than we peeked at: find its end for real. */
	skip = n;
	if (n == PATH_NAME_MAX + 1) {
		n = bpf_probe_read_user_str(&h->data[off & EXEC_OFF_MASK],
					    TG_FILENAME_MAX, (void *)start);
		if (n < 0)
			n = 0;
		skip = n;
	}
	start += skip;
	if (end <= start)
		return 0;
	len = end - start;
	if (len > TG_ARGS_MAX) {
		len = TG_ARGS_MAX;
		*flags |= EVENT_TRUNC_ARGS;
	}
	if (bpf_probe_read_user(&h->data[off & EXEC_OFF_MASK], len & EXEC_OFF_MASK,
				(void *)start)) {
		*flags |= EVENT_ERROR_ARGS;
		return 0;
	}
	return len;
}

/*
 * The new image's environment, as exec laid it out (NUL-ended "K=V"
 * strings): at most TG_ENVS_MAX bytes, the record saying when it was cut.
 */
static __always_inline __u32 read_envs(struct exec_heap *h, struct task_struct *task, __u32 off,
				       __u8 *cflags, __u32 *flags)
{
	unsigned long start, end;
	__u32 len;

	if (!envs_enabled)
		return 0;
	start = BPF_CORE_READ(task, mm, env_start);
	end = BPF_CORE_READ(task, mm, env_end);
	if (!start || end <= start)
		return 0;
	if (end - start > TG_ENVS_MAX) {
		len = TG_ENVS_MAX;
		*cflags |= MSG_EXEC_ENVS_TRUNC;
	} else {
		len = end - start;
	}
	if (bpf_probe_read_user(&h->data[off & EXEC_OFF_MASK], len & EXEC_OFF_MASK, (void *)start)) {
		*flags |= EVENT_ERROR_ENVS;
		return 0;
	}
	return len;
}

static __always_inline __u32 read_cwd(struct exec_heap *h, struct task_struct *task,
				      __u32 off, __u32 *flags)
{
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	__u32 start, len, wflags = 0;

	if (!fs) {
		*flags |= EVENT_ERROR_CWD;
		return 0;
	}
	start = path_walk(&h->scratch, &fs->pwd, &fs->root, &wflags);
	if (wflags)
		*flags |= EVENT_ERROR_PATH_COMPONENTS;
	if (start >= PATH_WALK_BUF - 1) {
		*flags |= EVENT_ROOT_CWD;
		return 0;
	}
	len = PATH_WALK_BUF - 1 - start;
	if (len > TG_CWD_MAX - 1)
		len = TG_CWD_MAX - 1;
	bpf_probe_read_kernel(&h->data[off & EXEC_OFF_MASK],
			      len & (TG_CWD_MAX - 1), &h->scratch.buf[start & PATH_WALK_MASK]);
	return len;
}

static __always_inline void exec_binary_properties(struct msg_exec *m, struct linux_binprm *bprm,
						   struct execve_map_value *curr)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	unsigned int per_clear;
	__u32 sec = 0;

	m->ino = BPF_CORE_READ(file, f_inode, i_ino);
	m->nlink = BPF_CORE_READ(file, f_inode, __i_nlink);

	/* Creds are committed by now; per_clear tells a privileged exec apart. */
	per_clear = BPF_CORE_READ(bprm, per_clear);
	if (!per_clear)
		return;
	if (m->creds.euid != m->creds.uid) {
		sec |= EXEC_SETUID;
		if (m->creds.uid != 0 && m->creds.euid == 0)
			sec |= EXEC_SETUID_ROOT;
	}
	if (m->creds.egid != m->creds.gid) {
		sec |= EXEC_SETGID;
		if (m->creds.gid != 0 && m->creds.egid == 0)
			sec |= EXEC_SETGID_ROOT;
	}
	/* Gained permitted caps without a uid change: file capabilities. */
	if (curr && m->creds.euid == m->creds.uid &&
	    (m->creds.cap_permitted & ~curr->cap_permitted))
		sec |= EXEC_FILE_CAPS;
	m->secureexec = sec;
}

/* followChildren bits of the binary being exec'd (0 when no policy follows any). */
static __always_inline __u64 exec_mbset(struct exec_heap *h, struct task_struct *task,
					struct linux_binprm *bprm)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	__u32 zero = TG_CFG_MBSET, *on = bpf_map_lookup_elem(&mbset_cfg, &zero), off, wflags = 0;
	__u64 *bits;

	if (!on || !*on || !file || !fs)
		return 0;
	off = path_walk(&h->scratch, &file->f_path, &fs->root, &wflags);
	if (wflags || PATH_WALK_BUF - 1 - off >= MBSET_PATH_MAX)
		return 0;
	__builtin_memset(h->mbkey, 0, sizeof(h->mbkey));
	bpf_probe_read_kernel_str(h->mbkey, sizeof(h->mbkey), &h->scratch.buf[off & PATH_WALK_MASK]);
	bits = bpf_map_lookup_elem(&mbset_paths, h->mbkey);
	return bits ? *bits : 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tg_sched_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct execve_map_value *parent, *curr, nv = {};
	struct exec_heap *h;
	struct msg_exec *m;
	__u32 cpu, tgid, fl, al, cl, gl, el, flags = EVENT_EXECVE, ppid;
	__u8 cflags = 0;
	const char *filename;
	long n;
	__u64 size;

	cpu = bpf_get_smp_processor_id();
	h = bpf_map_lookup_elem(&exec_heap_map, &cpu);
	if (!h)
		return 0;
	m = &h->msg;
	tgid = bpf_get_current_pid_tgid() >> 32;

	m->common.op = MSG_OP_EXECVE;
	m->common.flags = 0;
	m->common.ktime = bpf_ktime_get_ns();
	m->self.pid = tgid;
	m->self.pad = 0;
	/* not the exec's time: a key the agent can read again from the task after a restart */
	m->self.ktime = task_exec_ktime(task);
	m->tid = (__u32)bpf_get_current_pid_tgid();
	m->nspid = task_nspid(task);
	m->auid = task_auid(task);
	m->secureexec = 0;
	read_creds(task, &m->creds);
	__builtin_memset(&m->ns, 0, sizeof(m->ns));
	read_namespaces(task, &m->ns);
	/* which passwd file names its user (--username-metadata): the root it sees */
	m->root_ino = BPF_CORE_READ(task, fs, root.dentry, d_inode, i_ino);
	m->root_dev = BPF_CORE_READ(task, fs, root.mnt, mnt_sb, s_dev);
	m->pad2 = 0;

	parent = find_parent(task, &ppid);
	m->parent_pid = ppid;
	if (parent) {
		m->parent = parent->key;
	} else {
		m->parent.pid = 0;
		m->parent.pad = 0;
		m->parent.ktime = 0;
	}

	curr = bpf_map_lookup_elem(&execve_map, &tgid);
	if (curr) {
		m->replaced = curr->key;
		if (curr->flags & EVENT_CLONE)
			flags |= EVENT_CLONE;
		flags |= curr->flags & EVENT_IN_INIT_TREE;
	} else {
		m->replaced.pid = 0;
		m->replaced.pad = 0;
		m->replaced.ktime = 0;
	}
	if (m->nspid == 1)
		flags |= EVENT_IN_INIT_TREE;
	exec_binary_properties(m, bprm, curr);

	filename = BPF_CORE_READ(bprm, filename);
	n = bpf_probe_read_kernel_str(h->data, TG_FILENAME_MAX, filename);
	if (n <= 0) {
		flags |= EVENT_ERROR_FILENAME;
		fl = 0;
	} else {
		fl = n - 1;
		if (n == TG_FILENAME_MAX)
			flags |= EVENT_TRUNC_FILENAME;
	}
	al = read_args(h, fl, &flags);
	cl = read_cwd(h, task, fl + al, &flags);
	/* read at every exec: a process moved into a container's cgroup (docker exec, nsenter) */
	gl = read_task_cgroup(&h->cg, task, &m->cgrp, &h->data[(fl + al + cl) & EXEC_OFF_MASK], 1, &flags);
	el = read_envs(h, task, fl + al + cl + gl, &cflags, &flags);

	m->filename_len = fl;
	m->args_len = al;
	m->cwd_len = cl;
	m->envs_len = el;
	m->common.flags = cflags;
	m->flags = flags;

	nv.key = m->self;
	nv.pkey = m->parent;
	nv.flags = flags & EVENT_IN_INIT_TREE;
	nv.nspid = m->nspid;
	nv.cap_permitted = m->creds.cap_permitted;
	nv.mbset = curr ? curr->mbset : parent ? parent->mbset : 0;
	nv.mbset |= exec_mbset(h, task, bprm);
	nv.cgrp_id = m->cgrp.id;

	size = sizeof(*m) + fl + al + cl + gl + el;
	if (size > sizeof(*m) + MSG_EXEC_DATA_MAX)
		size = sizeof(*m) + MSG_EXEC_DATA_MAX;
	m->common.size = size;
	/*
	 * Posted before the new key is published: whoever reads the key from
	 * execve_map (a policy record, the agent's sweep) knows its exec
	 * record is already in the ring buffer (or counted as lost).
	 */
	output(m, size, MSG_OP_EXECVE);
	/* Become the current incarnation of this tgid. */
	if (bpf_map_update_elem(&execve_map, &tgid, &nv, BPF_ANY))
		count(&map_errors, 0);
	/*
	 * As upstream: the first exec after a fork records what the new image
	 * runs with (a set-uid binary's capabilities included); later execs
	 * of the process keep that record, so an exec after unshare() or
	 * setns() still shows the change.
	 */
	if (nscaps_on() && ((flags & EVENT_CLONE) || !bpf_map_lookup_elem(&exec_nscaps, &tgid)))
		nscaps_exec(tgid, &m->ns, &m->creds);
	return 0;
}

/*
 * The child's cgroup into m; its path (into the per-CPU heap, returning its
 * length) only when the agent cannot take the parent's: another cgroup
 * (CLONE_INTO_CGROUP, a parent moved since its exec) or a parent the
 * kernel does not know.
 */
static __always_inline __u32 clone_cgroup(struct msg_clone *m, struct task_struct *child,
					  struct execve_map_value *parent)
{
	__u32 flags = 0, zero = 0, len;
	struct clone_heap *h;

	read_task_cgroup(0, child, &m->cgrp, 0, 0, &flags);
	if (parent && parent->cgrp_id == m->cgrp.id)
		return 0;
	h = bpf_map_lookup_elem(&clone_heap_map, &zero);
	if (!h)
		return 0;
	len = read_task_cgroup(&h->cg, child, &h->msg.cgrp, h->path, 1, &flags);
	m->cgrp = h->msg.cgrp;
	m->flags |= flags;
	m->common.size = sizeof(*m) + (len & (TG_CGROUP_PATH_MAX - 1));
	return len & (TG_CGROUP_PATH_MAX - 1);
}

/* A clone record with its cgroup path: the two contiguous in the heap. */
static __always_inline void output_clone_path(struct msg_clone *m, __u32 len)
{
	__u32 zero = 0;
	struct clone_heap *h = bpf_map_lookup_elem(&clone_heap_map, &zero);

	if (!h)
		return;
	h->msg = *m;
	output(&h->msg, sizeof(*m) + (len & (TG_CGROUP_PATH_MAX - 1)), MSG_OP_CLONE);
}

/*
 * The child's namespaces and capabilities (a clone into new namespaces
 * records those), by direct BTF loads where the field is at a constant
 * offset: read_namespaces()' helper reads cost about a microsecond more
 * per fork. kernel_cap_t changed type in 6.3: read as 8 bytes.
 */
static __always_inline void nscaps_fork(struct task_struct *child, __u32 tgid)
{
	struct nsproxy *nsp = child->nsproxy;
	const struct cred *cr = child->cred;
	struct pid_namespace *pidns = task_pid_ns(child);
	struct exec_nscaps v = {};

	v.ns.uts = nsp->uts_ns->ns.inum;
	v.ns.ipc = nsp->ipc_ns->ns.inum;
	v.ns.mnt = nsp->mnt_ns->ns.inum;
	v.ns.pid_for_children = nsp->pid_ns_for_children->ns.inum;
	v.ns.net = nsp->net_ns->ns.inum;
	if (bpf_core_field_exists(nsp->time_ns)) {
		v.ns.time = nsp->time_ns->ns.inum;
		v.ns.time_for_children = nsp->time_ns_for_children->ns.inum;
	}
	v.ns.cgroup = nsp->cgroup_ns->ns.inum;
	v.ns.user = cr->user_ns->ns.inum;
	if (pidns)
		v.ns.pid = BPF_CORE_READ(pidns, ns.inum);
	bpf_probe_read_kernel(&v.caps[0], 8, &cr->cap_effective);
	bpf_probe_read_kernel(&v.caps[1], 8, &cr->cap_inheritable);
	bpf_probe_read_kernel(&v.caps[2], 8, &cr->cap_permitted);
	if (bpf_map_update_elem(&exec_nscaps, &tgid, &v, BPF_ANY))
		count(&map_errors, 1);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tg_sched_fork, struct task_struct *parent_task, struct task_struct *child)
{
	struct execve_map_value *parent, nv = {};
	struct msg_clone m = {};
	__u32 tgid, ptgid, gl;

	tgid = BPF_CORE_READ(child, tgid);
	ptgid = BPF_CORE_READ(parent_task, tgid);
	/* New threads are not new processes. */
	if (tgid == ptgid)
		return 0;
	if (BPF_CORE_READ(child, flags) & PF_KTHREAD)
		return 0;

	m.common.op = MSG_OP_CLONE;
	m.common.size = sizeof(m);
	m.common.ktime = bpf_ktime_get_ns();
	m.self.pid = tgid;
	m.self.ktime = task_exec_ktime(child);
	m.tid = BPF_CORE_READ(child, pid);
	m.nspid = task_nspid(child);
	m.parent_pid = ptgid;
	m.flags = EVENT_CLONE;

	parent = bpf_map_lookup_elem(&execve_map, &ptgid);
	if (parent) {
		m.parent = parent->key;
		m.flags |= parent->flags & EVENT_IN_INIT_TREE;
		nv.cap_permitted = parent->cap_permitted;
		nv.mbset = parent->mbset;
	} else {
		m.parent.pid = ptgid;
	}
	if (m.nspid == 1)
		m.flags |= EVENT_IN_INIT_TREE;
	gl = clone_cgroup(&m, child, parent);

	nv.key = m.self;
	nv.pkey = m.parent;
	nv.flags = m.flags & (EVENT_CLONE | EVENT_IN_INIT_TREE);
	nv.nspid = m.nspid;
	nv.cgrp_id = m.cgrp.id;
	/* record first, then the key (as at exec) */
	if (gl)
		output_clone_path(&m, gl);
	else
		output(&m, sizeof(m), MSG_OP_CLONE);
	if (bpf_map_update_elem(&execve_map, &tgid, &nv, BPF_ANY))
		count(&map_errors, 0);
	if (nscaps_on())
		nscaps_fork(child, tgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tg_sched_exit, struct task_struct *task)
{
	struct execve_map_value *curr;
	struct msg_exit m = {};
	__u32 tgid;

	/* Report the process, not each thread: only the last one out. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);

	m.common.op = MSG_OP_EXIT;
	m.common.size = sizeof(m);
	m.common.ktime = bpf_ktime_get_ns();
	m.self.pid = tgid;
	m.tid = BPF_CORE_READ(task, pid);
	m.code = BPF_CORE_READ(task, exit_code);

	curr = bpf_map_lookup_elem(&execve_map, &tgid);
	if (curr) {
		m.self = curr->key;
		bpf_map_delete_elem(&execve_map, &tgid);
	}
	if (nscaps_on())
		bpf_map_delete_elem(&exec_nscaps, &tgid);
	output(&m, sizeof(m), MSG_OP_EXIT);
	return 0;
}
