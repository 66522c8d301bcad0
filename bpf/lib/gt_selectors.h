/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Selector evaluation of the generic programs (included by gt_common.h):
 * matchArgs operators, matchBinaries, matchPIDs. Conditions of one
 * selector are AND'ed; gt_select_and_post() ORs the selectors.
 *
 * matchBinaries compares against the path of the task's mm->exe_file,
 * walked in the kernel (the resolved binary: a symlink such as /bin/sh
 * reads as its target).
 */
#ifndef TG_BPF_GT_SELECTORS_H
#define TG_BPF_GT_SELECTORS_H

/* Byte-wise comparison of a[aoff..aoff+n) with b[0..n), as a bpf_loop body. */
struct cmp_ctx {
	const char *a;
	const char *b;
	__u32 aoff;
	int diff;
};

static long cmp_step(__u32 i, void *p)
{
	struct cmp_ctx *c = p;

	if (c->a[(c->aoff + i) & (GT_STR_MAX - 1)] != c->b[i & (GT_STR_MAX - 1)]) {
		c->diff = 1;
		return 1;
	}
	return 0;
}

static __always_inline int str_cmp(const char *a, __u32 alen, const char *b, __u32 blen, __u8 op)
{
	struct cmp_ctx c = { .a = a, .b = b };

	if (blen > GT_STR_MAX || alen > GT_STR_MAX)
		return 0;
	switch (op) {
	case GT_OP_EQ:
	case GT_OP_NEQ:
		if (alen != blen)
			return 0;
		break;
	case GT_OP_PREFIX:
	case GT_OP_NOT_PREFIX:
		if (alen < blen)
			return 0;
		break;
	case GT_OP_POSTFIX:
	case GT_OP_NOT_POSTFIX:
		if (alen < blen)
			return 0;
		c.aoff = alen - blen;
		break;
	default:
		return 0;
	}
	bpf_loop(blen, cmp_step, &c, 0);
	return !c.diff;
}

static __always_inline int int_match(__s64 v, const struct gt_argf *f, __u32 k, int is_signed)
{
	__s64 lo = f->lo[k & (GT_MAX_VALS - 1)], hi = f->hi[k & (GT_MAX_VALS - 1)];

	switch (f->op) {
	case GT_OP_EQ:
	case GT_OP_NEQ:
		return v == lo;
	case GT_OP_GT:
		return is_signed ? v > lo : (__u64)v > (__u64)lo;
	case GT_OP_LT:
		return is_signed ? v < lo : (__u64)v < (__u64)lo;
	case GT_OP_MASK:
		return (v & lo) != 0;
	case GT_OP_IN_RANGE:
		return is_signed ? (v >= lo && v <= hi) : ((__u64)v >= (__u64)lo && (__u64)v <= (__u64)hi);
	}
	return 0;
}

static __always_inline int negated(__u8 op)
{
	return op == GT_OP_NEQ || op == GT_OP_NOT_PREFIX || op == GT_OP_NOT_POSTFIX;
}

static __noinline int argf_match(struct gt_heap *h, const struct gt_argf *f)
{
	__u32 slot = f->slot;
	int any = 0;

	if (slot >= GT_MAX_ARGS)
		return 0;
	for (__u32 k = 0; k < GT_MAX_VALS; k++) {
		if (k >= f->nvals)
			break;
		if (f->is_str)
			any = str_cmp(h->m.str[slot], h->m.args[slot].len, f->str[k], f->len[k],
				      f->op);
		else
			any = int_match(h->m.args[slot].ival, f, k, args_cfg[slot].is_signed);
		if (any)
			break;
	}
	return negated(f->op) ? !any : any;
}

static __always_inline void read_binary(struct gt_heap *h)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	__u32 off, flags = 0;

	h->bin_done = 1;
	h->bin_len = 0;
	if (!exe || !fs)
		return;
	off = path_walk(&h->scratch, &exe->f_path, &fs->root, &flags);
	long n = bpf_probe_read_kernel_str(h->bin, sizeof(h->bin), &h->scratch.buf[off & PATH_WALK_MASK]);

	if (n > 1)
		h->bin_len = n - 1;
}

static __noinline int bin_match(struct gt_heap *h, const struct gt_selector *s)
{
	int any = 0;

	if (!h->bin_done)
		read_binary(h);
	for (__u32 k = 0; k < GT_MAX_BINS; k++) {
		if (k >= s->nbins)
			break;
		any = str_cmp(h->bin, h->bin_len, s->bins[k], s->bin_len[k],
			      s->bin_op == GT_OP_EQ || s->bin_op == GT_OP_NEQ ? GT_OP_EQ : GT_OP_PREFIX);
		if (any)
			break;
	}
	return s->bin_op == GT_OP_NEQ || s->bin_op == GT_OP_NOT_PREFIX ? !any : any;
}

static __always_inline int sel_match(struct gt_heap *h, const struct gt_selector *s, __u32 tgid)
{
	if (s->pid_op != GT_OP_NONE) {
		int any = 0;

		for (__u32 k = 0; k < GT_MAX_PIDS; k++)
			if (k < s->npids && s->pids[k] == tgid)
				any = 1;
		if ((s->pid_op == GT_OP_IN) != any)
			return 0;
	}
	if (s->bin_op != GT_OP_NONE && !bin_match(h, s))
		return 0;
	for (__u32 j = 0; j < GT_MAX_ARGF; j++) {
		if (j >= s->nargf)
			break;
		if (!argf_match(h, &s->argf[j]))
			return 0;
	}
	return 1;
}

#endif
