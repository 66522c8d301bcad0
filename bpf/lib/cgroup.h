/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A task's cgroup: id and path, in the hierarchy the agent chose
 * (TG_CGROUP_*): the default one where cgroup2 is mounted (pure v2, or the
 * unified hierarchy of a hybrid host), else a v1 controller's. The path is
 * the kernfs node's, walked up to the hierarchy's root, so it reads as
 * /proc/PID/cgroup shows it from the host's cgroup namespace.
 */
#ifndef TG_BPF_CGROUP_H
#define TG_BPF_CGROUP_H

/* Set by the agent before load. */
const volatile __u32 cgroup_mode = TG_CGROUP_NONE;
const volatile __u32 cgroup_subsys_idx = 0;

#define CGROUP_PATH_BUF		TG_CGROUP_PATH_MAX	/* power of two */
#define CGROUP_PATH_MASK	(CGROUP_PATH_BUF - 1)
#define CGROUP_NAME_MAX		255
#define CGROUP_MAX_LEVELS	64

/* Before 6.15 (kernfs: parent became the RCU-protected __parent). */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

/*
 * Map memory (per-CPU), walk state included, so every bpf_loop iteration
 * looks alike to the verifier (see lib/path.h). The second half of buf
 * absorbs the verifier's worst case for a name copied near the end.
 */
struct cgroup_scratch {
	char buf[CGROUP_PATH_BUF * 2];
	char name[CGROUP_NAME_MAX + 1];
	struct kernfs_node *kn;
	__u32 off;
	__u32 truncated;
	int done;
};

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(((struct kernfs_node___pre615 *)0)->parent))
		return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
	return BPF_CORE_READ(kn, __parent);
}

/* The task's cgroup in the chosen hierarchy, NULL (and an EVENT_ERROR_CGROUP* flag) if none. */
static __always_inline struct cgroup *task_cgroup(struct task_struct *task, __u32 *flags)
{
	struct css_set *cs = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css = 0;
	struct cgroup *cgrp;

	if (cgroup_mode == TG_CGROUP_NONE)
		return 0;
	if (!cs) {
		*flags |= EVENT_ERROR_CGROUPS;
		return 0;
	}
	if (cgroup_mode == TG_CGROUP_V2) {
		cgrp = BPF_CORE_READ(cs, dfl_cgrp);
	} else {
		/* the agent checked the index against /proc/cgroups */
		bpf_probe_read_kernel(&css, sizeof(css),
				      (void *)cs + bpf_core_field_offset(struct css_set, subsys) +
				      (cgroup_subsys_idx & 63) * sizeof(void *));
		if (!css) {
			*flags |= EVENT_ERROR_CGROUP_SUBSYS;
			return 0;
		}
		cgrp = BPF_CORE_READ(css, cgroup);
	}
	if (!cgrp)
		*flags |= EVENT_ERROR_CGROUP_SUBSYSCGRP;
	return cgrp;
}

static __always_inline __u64 cgroup_id_of(struct cgroup *cgrp, __u32 *flags)
{
	__u64 id = cgrp ? BPF_CORE_READ(cgrp, kn, id) : 0;

	if (cgrp && !id)
		*flags |= EVENT_ERROR_CGROUP_ID;
	return id;
}

struct cgroup_loop_arg {
	struct cgroup_scratch *s;
};

/* One level per call (bpf_loop: the body is verified once). */
static long cgroup_walk_step(__u32 index, void *ctx)
{
	struct cgroup_scratch *s = ((struct cgroup_loop_arg *)ctx)->s;
	struct kernfs_node *kn, *parent;
	const char *name;
	long n;
	__u32 len;

	if (!s)
		return 1;
	kn = s->kn;
	parent = kn ? kn_parent(kn) : 0;
	/* the hierarchy's root is unnamed: the walk ends there */
	if (!parent) {
		s->done = 1;
		return 1;
	}
	name = BPF_CORE_READ(kn, name);
	n = bpf_probe_read_kernel_str(s->name, sizeof(s->name), name);
	if (n <= 1) {
		s->kn = parent;
		return 0;
	}
	len = (__u32)(n - 1) & CGROUP_NAME_MAX;
	if (len + 1 > s->off) {
		s->truncated = 1;
		return 1;
	}
	s->off -= len;
	bpf_probe_read_kernel(&s->buf[s->off & CGROUP_PATH_MASK], len, s->name);
	s->off -= 1;
	s->buf[s->off & CGROUP_PATH_MASK] = '/';
	s->kn = parent;
	return 0;
}

/*
 * Walk cgrp's path into s->buf; returns where it starts, it ends at
 * CGROUP_PATH_BUF - 1 (empty: the root). Too deep or too long: the
 * tail is kept and EVENT_ERROR_CGROUP_NAME set.
 */
static __always_inline __u32 cgroup_path_walk(struct cgroup_scratch *s, struct cgroup *cgrp, __u32 *flags)
{
	struct cgroup_loop_arg arg = { .s = s };

	s->kn = BPF_CORE_READ(cgrp, kn);
	s->off = CGROUP_PATH_BUF - 1;
	s->truncated = 0;
	s->done = 0;
	bpf_loop(CGROUP_MAX_LEVELS, cgroup_walk_step, &arg, 0);
	if (s->truncated || !s->done)
		*flags |= EVENT_ERROR_CGROUP_NAME;
	return s->off & CGROUP_PATH_MASK;
}

/*
 * Fill @m and copy the path (if @with_path) to dst (room for
 * TG_CGROUP_PATH_MAX bytes). Returns the path's length.
 */
static __always_inline __u32 read_task_cgroup(struct cgroup_scratch *s, struct task_struct *task,
					      struct msg_cgroup *m, char *dst, int with_path, __u32 *flags)
{
	struct cgroup *cgrp = task_cgroup(task, flags);
	__u32 start, len;

	m->id = cgroup_id_of(cgrp, flags);
	m->path_len = 0;
	m->pad = 0;
	m->pad2 = 0;
	if (!cgrp || !with_path)
		return 0;
	start = cgroup_path_walk(s, cgrp, flags);
	len = CGROUP_PATH_BUF - 1 - start;
	if (!len || len >= CGROUP_PATH_BUF) {
		/* the root cgroup */
		dst[0] = '/';
		m->path_len = 1;
		return 1;
	}
	bpf_probe_read_kernel(dst, len & CGROUP_PATH_MASK, &s->buf[start & CGROUP_PATH_MASK]);
	m->path_len = len;
	return len;
}

#endif
