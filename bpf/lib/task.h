/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* CO-RE readers for task identity, credentials and namespaces. */
#ifndef TG_BPF_TASK_H
#define TG_BPF_TASK_H

#define PF_KTHREAD 0x00200000

/*
 * The ktime of a process incarnation's exec_id: the task's start time
 * (CLOCK_MONOTONIC ns) plus its self_exec_id, which a fork copies from the
 * parent and every exec bumps. A fork and each of its execs so get distinct
 * keys, and the agent reads the very same value again from any running task
 * (bpf/task_iter.bpf.c) after a restart: exec_ids stay stable.
 */
static __always_inline __u64 task_exec_ktime(struct task_struct *task)
{
	return BPF_CORE_READ(task, start_time) + BPF_CORE_READ(task, self_exec_id);
}

static __always_inline __u32 ns_inum(const struct ns_common *ns)
{
	return BPF_CORE_READ(ns, inum);
}

/* pid of @task as seen from its own pid namespace. */
static __always_inline __u32 task_nspid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level;
	struct upid upid = {};
	__u64 sz = bpf_core_type_size(struct upid);

	if (!pid)
		return 0;
	level = BPF_CORE_READ(pid, level);
	bpf_probe_read_kernel(&upid, sizeof(upid),
			      (void *)pid + bpf_core_field_offset(struct pid, numbers) +
			      (level & 31) * sz);
	return upid.nr;
}

static __always_inline struct pid_namespace *task_pid_ns(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level;
	struct upid upid = {};

	if (!pid)
		return 0;
	level = BPF_CORE_READ(pid, level);
	bpf_probe_read_kernel(&upid, sizeof(upid),
			      (void *)pid + bpf_core_field_offset(struct pid, numbers) +
			      (level & 31) * bpf_core_type_size(struct upid));
	return upid.ns;
}

static __always_inline void read_creds(struct task_struct *task, struct msg_cred *c)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);

	c->uid = BPF_CORE_READ(cred, uid.val);
	c->gid = BPF_CORE_READ(cred, gid.val);
	c->suid = BPF_CORE_READ(cred, suid.val);
	c->sgid = BPF_CORE_READ(cred, sgid.val);
	c->euid = BPF_CORE_READ(cred, euid.val);
	c->egid = BPF_CORE_READ(cred, egid.val);
	c->fsuid = BPF_CORE_READ(cred, fsuid.val);
	c->fsgid = BPF_CORE_READ(cred, fsgid.val);
	c->securebits = BPF_CORE_READ(cred, securebits);
	/* kernel_cap_t is u32[2] before 6.3 and a u64 after: same 8 bytes. */
	bpf_probe_read_kernel(&c->cap_permitted, 8, &cred->cap_permitted);
	bpf_probe_read_kernel(&c->cap_effective, 8, &cred->cap_effective);
	bpf_probe_read_kernel(&c->cap_inheritable, 8, &cred->cap_inheritable);
}

static __always_inline void read_namespaces(struct task_struct *task, struct msg_ns *ns)
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
	struct pid_namespace *pidns;

	ns->user = BPF_CORE_READ(task, cred, user_ns, ns.inum);
	pidns = task_pid_ns(task);
	if (pidns)
		ns->pid = BPF_CORE_READ(pidns, ns.inum);
	if (!nsp)
		return;
	ns->uts = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	ns->ipc = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	ns->mnt = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	ns->pid_for_children = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	ns->net = BPF_CORE_READ(nsp, net_ns, ns.inum);
	if (bpf_core_field_exists(nsp->time_ns)) {
		ns->time = BPF_CORE_READ(nsp, time_ns, ns.inum);
		ns->time_for_children = BPF_CORE_READ(nsp, time_ns_for_children, ns.inum);
	}
	ns->cgroup = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
}

static __always_inline __u32 task_auid(struct task_struct *task)
{
	if (bpf_core_field_exists(task->loginuid))
		return BPF_CORE_READ(task, loginuid.val);
	return (__u32)-1;
}

#endif
