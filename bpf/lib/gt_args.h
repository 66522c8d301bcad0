/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Argument reading of the generic programs, stage two: one decoder per
 * argument kind (abi/msg_generic.h enum gt_arg_kind), shared by every hook
 * back-end. Stage one is each program's own: before including this file it
 * defines
 *
 *   static __always_inline __u64 gt_fetch(const void *src, __u32 pos, __u32 size);
 *	the raw word of the argument at pos: size bytes of the tracepoint
 *	record at offset pos, or the register / raw tracepoint argument
 *	number pos (src is then the program's copy of them);
 *   static __always_inline const void *gt_fetch_addr(const void *src, __u32 pos);
 *	the address of record data at pos (tracepoints' char arrays and
 *	__data_loc strings), 0 where there is no record;
 *
 * and calls gt_read_args() between gt_args_begin() and gt_select_and_post().
 * A resolve: path (abi/gt_resolve.h) is followed from the raw word first.
 * Configuration: gt_cfg (lib/gt_common.h); every branch that a kind or flag
 * of gt_cfg rules out is pruned by the verifier, since gt_cfg is read-only.
 */
#ifndef TG_BPF_GT_ARGS_H
#define TG_BPF_GT_ARGS_H

#include <bpf/bpf_endian.h>

/* Where a pointer points: user memory, kernel memory, or either (kernel first). */
enum { GT_MEM_KERNEL, GT_MEM_USER, GT_MEM_ANY };

static __always_inline long gt_read_mem(void *dst, __u32 n, const void *ptr, int mode)
{
	long err;

	if (mode == GT_MEM_USER)
		return bpf_probe_read_user(dst, n, ptr);
	err = bpf_probe_read_kernel(dst, n, ptr);
	if (err && mode == GT_MEM_ANY)
		err = bpf_probe_read_user(dst, n, ptr);
	return err;
}

/* The memory mode of user-pointer kinds: GT_ARGF_KMEM lets the pointer be a kernel one. */
static __always_inline int gt_user_mode(__u32 i)
{
	return gt_cfg.args[i].flags & GT_ARGF_KMEM ? GT_MEM_ANY : GT_MEM_USER;
}

/* A NUL-terminated string (mode GT_MEM_*) as argument i; its length. */
static __always_inline long gt_put_str(struct gt_heap *h, __u32 i, const void *ptr, int mode)
{
	__u32 room;
	char *dst = gt_arg_dst(h, i, &room);
	long n;

	if (!ptr || !room)
		return 0;
	if (mode == GT_MEM_USER) {
		n = bpf_probe_read_user_str(dst, room, ptr);
	} else {
		n = bpf_probe_read_kernel_str(dst, room, ptr);
		if (n < 0 && mode == GT_MEM_ANY)
			n = bpf_probe_read_user_str(dst, room, ptr);
	}
	if (n <= 0)
		return 0;
	gt_arg_commit(h, i, n - 1);
	if ((__u32)n >= room && i < GT_MAX_ARGS)
		h->m.args[i].flags |= GT_ARGV_TRUNCATED;
	return n - 1;
}

/* Up to size bytes of memory (mode GT_MEM_*) as argument i; the bytes kept. */
static __always_inline __u32 gt_put_mem(struct gt_heap *h, __u32 i, const void *ptr, __u64 size, int mode)
{
	__u32 room, n;
	char *dst = gt_arg_dst(h, i, &room);

	n = size > room ? room : (__u32)size;
	n = GT_MIN(n, GT_ARG_MAX);
	if (!ptr || !n)
		return 0;
	if (gt_read_mem(dst, n, ptr, mode))
		return 0;
	gt_arg_commit(h, i, n);
	if (n < size && i < GT_MAX_ARGS)
		h->m.args[i].flags |= GT_ARGV_TRUNCATED;
	return n;
}

/* The i_mode of d's inode with argument i (FileType, NotFileType). */
static __always_inline void gt_put_mode(struct gt_heap *h, __u32 i, struct dentry *d)
{
	__u32 mode = d ? BPF_CORE_READ(d, d_inode, i_mode) : 0;

	if (i < GT_MAX_ARGS)
		h->m.args[i].flags |= (mode & 0xffff) << GT_ARGV_MODE_SHIFT;
}

/* The full path of p (walked in the kernel, as seen from the task's root) as argument i. */
static __always_inline void gt_put_path(struct gt_heap *h, __u32 i, const struct path *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	__u32 off, flags = 0;

	gt_arg_dst(h, i, &off);	/* an empty argument until the walk is done */
	if (!p || !fs || i >= GT_MAX_ARGS)
		return;
	off = path_walk(&h->scratch, p, &fs->root, &flags);
	gt_put_str(h, i, &h->scratch.buf[off & PATH_WALK_MASK], GT_MEM_KERNEL);
	if (flags & PATH_WALK_UNRESOLVED)
		h->m.args[i].flags |= GT_ARGV_UNRESOLVED;
	if (flags & PATH_WALK_TRUNCATED)
		h->m.args[i].flags |= GT_ARGV_TRUNCATED;
	gt_put_mode(h, i, BPF_CORE_READ(p, dentry));
}

/* The path of dentry d within its file system (no mount is known) as argument i. */
static __always_inline void gt_put_dentry(struct gt_heap *h, __u32 i, struct dentry *d)
{
	__u32 off, flags = 0;

	gt_arg_dst(h, i, &off);
	if (!d || i >= GT_MAX_ARGS)
		return;
	off = path_walk_dentry(&h->scratch, d, &flags);
	gt_put_str(h, i, &h->scratch.buf[off & PATH_WALK_MASK], GT_MEM_KERNEL);
	if (flags & PATH_WALK_UNRESOLVED)
		h->m.args[i].flags |= GT_ARGV_UNRESOLVED;
	if (flags & PATH_WALK_TRUNCATED)
		h->m.args[i].flags |= GT_ARGV_TRUNCATED;
	gt_put_mode(h, i, d);
}

/* Path of the current task's file descriptor fd as argument i; empty when it has none. */
static __always_inline void gt_put_fd_path(struct gt_heap *h, __u32 i, __s64 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fdv, *f = 0;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fdv = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fdv[fd]);
	if (f)
		gt_put_path(h, i, &f->f_path);
}

/* Up to GT_ARG_MAX bytes of a buffer of size bytes as argument i; ival keeps the size. */
static __always_inline void gt_put_buf(struct gt_heap *h, __u32 i, const void *ptr, __s64 size, int mode)
{
	/* GT_MAX_ARGS is no power of two: bound the index, do not mask it */
	if (i >= GT_MAX_ARGS)
		return;
	h->mx_ptr[i] = (__u64)ptr;
	h->mx_size[i] = size > 0 ? size : 0;
	h->m.args[i].ival = size > 0 ? size : 0;
	gt_put_mem(h, i, ptr, size > 0 ? (__u64)size : 0, mode);
}

#define GT_IOV_MAX 8	/* iovecs of a char_iovec argument read */

struct iov_loop {
	struct gt_heap *h;
	const struct iovec *uiov;
	__u64 cnt;
	__u64 limit;
	__u64 total;
	__u32 off;
	__u32 room;
	__u32 done;
};

/* One iovec per call (bpf_loop: the verifier checks the body once). */
static long iov_step(__u32 k, void *ctx)
{
	struct iov_loop *c = ctx;
	struct iovec iov = {};
	__u64 want;
	__u32 n, pos;

	if (k >= c->cnt || c->total >= c->limit || bpf_probe_read_user(&iov, sizeof(iov), &c->uiov[k]))
		return 1;
	want = iov.iov_len;
	if (want > c->limit - c->total)
		want = c->limit - c->total;
	c->total += want;
	n = c->done >= c->room ? 0 : want > c->room - c->done ? c->room - c->done : (__u32)want;
	pos = GT_MIN(c->off + c->done, GT_DATA_MAX);
	n = GT_MIN(n, GT_ARG_MAX);
	if (n && !bpf_probe_read_user(&c->h->data[pos], n, iov.iov_base))
		c->done += n;
	return 0;
}

/*
 * The bytes of cnt struct iovec at uiov (user memory), concatenated as
 * argument i, at most limit of them (a returnCopy: what the call returned).
 * ival: the bytes the iovecs read describe (capped by limit).
 */
static __always_inline void gt_put_iovec(struct gt_heap *h, __u32 i, const struct iovec *uiov, __u64 cnt,
					 __u64 limit)
{
	struct iov_loop c = { .h = h, .uiov = uiov, .cnt = cnt, .limit = limit };

	if (i >= GT_MAX_ARGS)
		return;
	gt_arg_dst(h, i, &c.room);
	c.off = h->m.args[i].off;
	if (uiov)
		bpf_loop(GT_IOV_MAX, iov_step, &c, 0);
	if (cnt > GT_IOV_MAX)
		h->m.args[i].flags |= GT_ARGV_TRUNCATED;
	h->m.args[i].ival = c.total;
	gt_arg_commit(h, i, c.done);
}

/*
 * Where resolve: paths walk: kernel memory, unless the program says
 * otherwise before including this file (uprobes, USDT: the binary's own
 * memory, typed by its BTF file).
 */
#ifndef GT_RESOLVE_MEM
#define GT_RESOLVE_MEM GT_MEM_KERNEL
#endif

/*
 * The user bytes an iov_iter describes, as upstream reads them: an
 * ITER_UBUF buffer, or an ITER_IOVEC's first iovec (struct kvec has its
 * layout), from iov_offset on and at most count of them. Other iterators
 * (kernel, page and pipe ones) give no bytes. The enum's values differ
 * between kernels (6.1: ITER_IOVEC 0; 6.12: ITER_UBUF 0): CO-RE reads them.
 */
static __always_inline void gt_put_iov_iter(struct gt_heap *h, __u32 i, struct iov_iter *it)
{
	__u64 base = 0, len = 0, off, count;
	__u8 type;
	int ubuf = -1, iovec = -1;

	if (!it || i >= GT_MAX_ARGS || !bpf_core_field_exists(it->iter_type))
		return;
	if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF))
		ubuf = bpf_core_enum_value(enum iter_type, ITER_UBUF);
	if (bpf_core_enum_value_exists(enum iter_type, ITER_IOVEC))
		iovec = bpf_core_enum_value(enum iter_type, ITER_IOVEC);
	type = BPF_CORE_READ(it, iter_type);
	off = BPF_CORE_READ(it, iov_offset);
	count = BPF_CORE_READ(it, count);
	if (type == ubuf && bpf_core_field_exists(it->ubuf)) {
		base = (__u64)BPF_CORE_READ(it, ubuf);
		len = count;
	} else if (type == iovec) {
		const struct kvec *kv = BPF_CORE_READ(it, kvec);

		if (!kv)
			return;
		base = (__u64)BPF_CORE_READ(kv, iov_base);
		len = BPF_CORE_READ(kv, iov_len);
		len = len > off ? len - off : 0;
		len = len > count ? count : len;
	} else {
		return;
	}
	if (!base)
		return;
	gt_put_buf(h, i, (const void *)(base + off), (__s64)len, GT_MEM_USER);
}

/* The value at the end of argument i's resolve: path, starting from the raw word v. */
static __always_inline __u64 gt_resolve(__u32 i, __u64 v, int mode)
{
	__u32 n = gt_cfg.resolve[i].n, size = gt_cfg.resolve[i].size;
	__u64 addr = 0, out = 0;

	for (__u32 k = 0; k < GT_RESOLVE_MAX; k++) {
		if (k >= n)
			break;
		if (!v)
			return 0;
		addr = v + gt_cfg.resolve[i].off[k];
		if (k + 1 < n && gt_read_mem(&v, sizeof(v), (const void *)addr, mode))
			return 0;
	}
	if (gt_cfg.resolve[i].last == GT_RES_ADDR)
		return addr;
	if (size > 8)
		size = 8;
	gt_read_mem(&out, size, (const void *)addr, mode);
	return out;
}

/*
 * data: entries with source pt_regs: the program hands over its registers
 * (regs: a struct pt_regs in kernel memory) before gt_read_args(); they are
 * copied only when some slot reads one.
 */
static __always_inline bool gt_data_regs_wanted(void)
{
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < gt_cfg.nargs && (gt_cfg.args[i].flags & GT_ARGF_SRC_REGS))
			return true;
	return false;
}

static __always_inline void gt_data_regs(struct gt_heap *h, const void *regs)
{
	if (gt_data_regs_wanted() && bpf_probe_read_kernel(h->regs, sizeof(h->regs), regs))
		__builtin_memset(h->regs, 0, sizeof(h->regs));
}

/* Slot i's register: size_off bytes of the word at offset (the agent checked both). */
static __always_inline __u64 gt_data_reg(struct gt_heap *h, __u32 i)
{
	__u32 w = gt_cfg.args[i].offset / 8, rs = gt_cfg.args[i].size_off;
	__u64 v;

	if (w >= GT_PT_REGS_WORDS)
		return 0;
	v = h->regs[w];
	if (rs && rs < 8)
		v &= (1ULL << (rs * 8)) - 1;
	return v;
}

#include "lib/gt_structs.h"

/* The byte count of argument i (sizeArgIndex, a char_iovec's count): the word at size_off. */
static __always_inline __s64 gt_size_arg(const void *src, __u32 i)
{
	__u32 fl = gt_cfg.args[i].flags, soff = gt_cfg.args[i].size_off;

	if (fl & GT_ARGF_SIZE32)
		return (__s32)gt_fetch(src, soff, 4);
	if (fl & GT_ARGF_SIZE_ARG)
		return (__s64)gt_fetch(src, soff, 8);
	return GT_ARG_MAX;
}

/* Argument i, as gt_cfg.args[i] describes it, into h. */
static __always_inline void gt_read_arg(const void *src, struct gt_heap *h, __u32 i)
{
	struct gt_arg_val *a = &h->m.args[i];
	__u32 kind = gt_cfg.args[i].kind, size = gt_cfg.args[i].size, pos = gt_cfg.args[i].offset;
	__u64 v = 0;

	a->kind = kind;
	a->len = 0;
	a->ival = 0;
	/* data inside a tracepoint record: its address, not a word */
	if (kind == GT_ARG_CHAR_ARRAY) {
		__u32 room;
		char *dst = gt_arg_dst(h, i, &room);
		const void *p = gt_fetch_addr(src, pos);
		long n;

		if (room > size + 1)
			room = size + 1;
		room = GT_MIN(room, GT_ARG_MAX);
		n = p ? bpf_probe_read_kernel_str(dst, room, p) : 0;
		if (n > 0)
			gt_arg_commit(h, i, n - 1);
		return;
	}
	if (kind == GT_ARG_CONST_BUF) {
		const void *p = gt_fetch_addr(src, pos);

		if (p)
			gt_put_mem(h, i, p, GT_MIN(gt_cfg.args[i].size_off, GT_CONST_BUF_MAX), GT_MEM_KERNEL);
		return;
	}
	if (kind == GT_ARG_DATA_LOC) {
		const void *p = gt_fetch_addr(src, pos);
		__u32 loc = 0;

		if (p) {
			bpf_probe_read_kernel(&loc, sizeof(loc), p);
			gt_put_str(h, i, gt_fetch_addr(src, loc & 0xffff), GT_MEM_KERNEL);
		}
		return;
	}
	if (gt_cfg.args[i].flags & GT_ARGF_SRC_TASK)
		v = bpf_get_current_task();
	else if (gt_cfg.args[i].flags & GT_ARGF_SRC_REGS)
		v = gt_data_reg(h, i);
	else
		v = gt_fetch(src, pos, size > 8 ? 8 : size);
	if (gt_cfg.resolve[i].n)
		v = gt_resolve(i, v, gt_cfg.args[i].flags & GT_ARGF_SRC_TASK ? GT_MEM_KERNEL : GT_RESOLVE_MEM);
	switch (kind) {
	case GT_ARG_INT:
		if (gt_cfg.args[i].is_signed) {
			if (size == 1)
				v = (__s64)(__s8)v;
			else if (size == 2)
				v = (__s64)(__s16)v;
			else if (size == 4)
				v = (__s64)(__s32)v;
		} else if (size && size < 8) {
			v &= (1ULL << (size * 8)) - 1;
		}
		a->ival = v;
		return;
	case GT_ARG_FD:
		a->ival = (__s32)v;
		gt_put_fd_path(h, i, (__s32)v);
		return;
	case GT_ARG_SYSCALL64: {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();

		v &= 0xffffffff;
		/* TS_COMPAT: the task is in a 32-bit syscall */
		if (bpf_core_field_exists(task->thread_info.status) && (task->thread_info.status & 0x0002))
			v |= GT_SYSCALL64_I386;
		a->ival = v;
		return;
	}
	case GT_ARG_SOCKADDR_USER: {
		const void *ptr = (const void *)v;
		int mode = gt_user_mode(i);
		__u32 room, n = 0;
		char *dst = gt_arg_dst(h, i, &room);
		__u16 family = 0;

		if (!ptr || room < 110 || gt_read_mem(&family, sizeof(family), ptr, mode))
			return;
		a->ival = family;
		n = family == 10 /* AF_INET6 */ ? 28 : family == 1 /* AF_UNIX: sun_path */ ? 110 : 16;
		/* the address length (connect, bind, sendto): abstract names are not NUL-terminated */
		if (gt_cfg.args[i].flags & GT_ARGF_SIZE_ARG) {
			__u32 alen = (__u32)gt_fetch(src, gt_cfg.args[i].size_off, 4);

			if (alen < n)
				n = alen;
		}
		n = GT_MIN(n, 110);
		if (n && !gt_read_mem(dst, n, ptr, mode))
			gt_arg_commit(h, i, n);
		return;
	}
	case GT_ARG_BUF_USER:
	case GT_ARG_IOVEC_USER:
		if (gt_cfg.args[i].flags & GT_ARGF_RETURN_COPY) {
			/*
			 * read at the return, when the callee has written it: ival
			 * holds the pointer and, for iovecs, off their count until then
			 */
			a->ival = (__s64)v;
			if (kind == GT_ARG_IOVEC_USER)
				a->off = (__u32)gt_size_arg(src, i);
			return;
		}
		if (kind == GT_ARG_IOVEC_USER)
			gt_put_iovec(h, i, (const struct iovec *)v, gt_size_arg(src, i), ~0ULL);
		else
			gt_put_buf(h, i, (const void *)v, gt_size_arg(src, i), gt_user_mode(i));
		return;
	case GT_ARG_STR_USER:
		gt_put_str(h, i, (const void *)v, gt_user_mode(i));
		return;
	case GT_ARG_STR_KERNEL:
		gt_put_str(h, i, (const void *)v, GT_MEM_KERNEL);
		return;
	case GT_ARG_FILE_PTR:
		if (v)
			gt_put_path(h, i, &((struct file *)v)->f_path);
		return;
	case GT_ARG_PATH_PTR:
		gt_put_path(h, i, (const struct path *)v);
		return;
	case GT_ARG_DENTRY_PTR:
		gt_put_dentry(h, i, (struct dentry *)v);
		return;
	case GT_ARG_KIOCB_PTR: {
		struct file *f = v ? BPF_CORE_READ((struct kiocb *)v, ki_filp) : 0;

		if (f)
			gt_put_path(h, i, &f->f_path);
		return;
	}
	case GT_ARG_IOV_ITER_PTR:
		gt_put_iov_iter(h, i, (struct iov_iter *)v);
		return;
	case GT_ARG_BINPRM_PTR: {
		struct file *f = v ? BPF_CORE_READ((struct linux_binprm *)v, file) : 0;

		if (f)
			gt_put_path(h, i, &f->f_path);
		return;
	}
	default:
		gt_put_struct(h, i, v, kind);
		return;
	}
}

/* Every argument of the instance, from src (see gt_fetch). */
static __always_inline void gt_read_args(const void *src, struct gt_heap *h)
{
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < gt_cfg.nargs)
			gt_read_arg(src, h, i);
}

/* A return register as the function's return type has it (an int in eax: rax's upper half is not it). */
static __always_inline __s64 gt_ret_value(__u64 v)
{
	__u32 size = gt_cfg.ret_size;

	if (gt_cfg.ret_signed) {
		if (size == 1)
			return (__s8)v;
		if (size == 2)
			return (__s16)v;
		if (size == 4)
			return (__s32)v;
	} else if (size && size < 8) {
		return v & ((1ULL << (size * 8)) - 1);
	}
	return v;
}

/* A struct returned (returnArg sock: sk_alloc...), read into the slot after the arguments. */
static __always_inline void gt_return_struct(struct gt_heap *h, __s64 ret)
{
	__u32 slot = gt_cfg.nargs;

	if (gt_xcfg.ret_kind == GT_ARG_SOCK_PTR && slot < GT_MAX_ARGS)
		gt_put_sock(h, slot, (struct sock *)ret);
}

/*
 * At the return of a call whose record was held (gt_return_take): the
 * returnCopy buffers the callee has filled, ret bytes of them, appended
 * after the entry's bytes.
 */
static __always_inline void gt_return_copy(struct gt_heap *h, __s64 ret)
{
	for (__u32 i = 0; i < GT_MAX_ARGS; i++) {
		const void *ptr;

		if (i >= gt_cfg.nargs)
			break;
		if (!(gt_cfg.args[i].flags & GT_ARGF_RETURN_COPY))
			continue;
		ptr = (const void *)(unsigned long)h->m.args[i].ival;
		if (gt_cfg.args[i].kind == GT_ARG_BUF_USER)
			gt_put_buf(h, i, ptr, ret, gt_user_mode(i));
		else if (gt_cfg.args[i].kind == GT_ARG_IOVEC_USER)
			gt_put_iovec(h, i, ptr, h->m.args[i].off, ret > 0 ? ret : 0);
	}
}

#endif
