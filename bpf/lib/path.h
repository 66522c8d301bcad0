/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Full path of a struct path, walked in the kernel. bpf_d_path is only
 * allowed from a few attach points (and absent from tracepoints), so we walk
 * dentries and mounts ourselves with CO-RE reads, like d_path() does.
 */
#ifndef TG_BPF_PATH_H
#define TG_BPF_PATH_H

#define PATH_WALK_BUF	4096		/* power of two */
#define PATH_WALK_MASK	(PATH_WALK_BUF - 1)
#define PATH_MAX_COMPONENTS 256
#define PATH_NAME_MAX	255


#define PATH_WALK_TRUNCATED	0x1	/* longer than the buffer */
#define PATH_WALK_UNRESOLVED	0x2	/* ran out of component iterations */

struct path_walk_ctx {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 off;
	__u32 flags;
	int done;
};

/*
 * Scratch: the path is built backwards in the first half; the second half
 * only absorbs the verifier's worst case for a name copied near the end.
 * The walk state lives here too, in map memory, on purpose: the verifier does
 * not track map contents, so every bpf_loop iteration looks alike and its
 * states converge (on the stack, each decreasing offset is a new state).
 */
struct path_scratch {
	char buf[PATH_WALK_BUF * 2];
	struct path_walk_ctx w;
};

struct path_loop_arg {
	struct path_scratch *s;
};

static __always_inline struct mount *real_mount_of(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

static __always_inline int path_prepend(struct path_scratch *s, struct path_walk_ctx *c,
					const unsigned char *name, __u32 len)
{
	if (len > PATH_NAME_MAX)
		len = PATH_NAME_MAX;
	if (len + 1 > c->off) {
		c->flags |= PATH_WALK_TRUNCATED;
		return -1;
	}
	c->off -= len;
	bpf_probe_read_kernel(&s->buf[c->off & PATH_WALK_MASK], len & PATH_NAME_MAX, name);
	c->off -= 1;
	s->buf[c->off & PATH_WALK_MASK] = '/';
	return 0;
}

/* One component per call: bpf_loop lets the verifier check the body once
 * instead of once per iteration (an open-coded loop explodes its states). */
static long path_walk_step(__u32 index, void *ctx)
{
	struct path_scratch *s = ((struct path_loop_arg *)ctx)->s;
	struct path_walk_ctx *c;
	/* Plain locals: CO-RE relocations must not cover our own struct. */
	struct dentry *dentry, *mnt_root, *parent;
	struct vfsmount *vfsmnt;
	struct mount *mnt, *mnt_parent;
	struct qstr d_name;

	if (!s)
		return 1;
	c = &s->w;
	dentry = c->dentry;
	vfsmnt = c->vfsmnt;
	mnt = c->mnt;
	if (c->dentry == c->root_dentry && c->vfsmnt == c->root_mnt) {
		c->done = 1;
		return 1;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	/* a dentry alone (no mount): its file system's root ends the walk, unnamed */
	if (!vfsmnt) {
		if (!dentry || parent == dentry) {
			c->done = 1;
			return 1;
		}
		goto name;
	}
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	if (dentry == mnt_root) {
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt) {
			c->done = 1;	/* the global root */
			return 1;
		}
		c->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = mnt_parent;
		c->vfsmnt = (struct vfsmount *)((void *)mnt_parent +
						bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
name:
	d_name = BPF_CORE_READ(dentry, d_name);
	if (path_prepend(s, c, d_name.name, d_name.len)) {
		c->done = 1;
		return 1;
	}
	/* A pseudo-fs dentry (memfd, pipe, socket) is its own parent. */
	if (parent == dentry) {
		c->done = 1;
		return 1;
	}
	c->dentry = parent;
	return 0;
}

/*
 * Walk @path up to @root (the task's fs root, so chroots read as "/").
 * Returns the offset in s->buf where the NUL-free path starts; the path
 * ends at PATH_WALK_BUF - 1. An empty result means the root itself.
 */
static __always_inline __u32 path_walk(struct path_scratch *s, const struct path *path,
				       const struct path *root, __u32 *flags)
{
	struct path_loop_arg arg = { .s = s };
	struct path_walk_ctx *c = &s->w;

	c->dentry = BPF_CORE_READ(path, dentry);
	c->vfsmnt = BPF_CORE_READ(path, mnt);
	c->mnt = real_mount_of(c->vfsmnt);
	c->root_dentry = BPF_CORE_READ(root, dentry);
	c->root_mnt = BPF_CORE_READ(root, mnt);
	c->off = PATH_WALK_BUF - 1;
	c->flags = 0;
	c->done = 0;
	s->buf[PATH_WALK_BUF - 1] = 0;

	bpf_loop(PATH_MAX_COMPONENTS, path_walk_step, &arg, 0);
	if (!c->done)
		c->flags |= PATH_WALK_UNRESOLVED;
	*flags = c->flags;
	return c->off & PATH_WALK_MASK;
}

/* The path of dentry d from its file system's root (upstream's dentry arguments: one mount). */
static __always_inline __u32 path_walk_dentry(struct path_scratch *s, struct dentry *d, __u32 *flags)
{
	struct path_loop_arg arg = { .s = s };
	struct path_walk_ctx *c = &s->w;

	c->dentry = d;
	c->vfsmnt = 0;
	c->mnt = 0;
	c->root_dentry = 0;
	c->root_mnt = 0;
	c->off = PATH_WALK_BUF - 1;
	c->flags = 0;
	c->done = 0;
	s->buf[PATH_WALK_BUF - 1] = 0;

	bpf_loop(PATH_MAX_COMPONENTS, path_walk_step, &arg, 0);
	if (!c->done)
		c->flags |= PATH_WALK_UNRESOLVED;
	*flags = c->flags;
	return c->off & PATH_WALK_MASK;
}

#endif
