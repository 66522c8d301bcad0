// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic tracepoint program of the TracingPolicy engine. One instance of
 * this object is loaded per hook: the record layout of the tracepoint is
 * baked into rodata before load, the selectors are written into gt_config
 * after load and before attach. Serves "tracepoints:" hooks and syscall
 * "kprobes:" (through syscalls/sys_enter_*). Selectors are evaluated here so
 * that an event no selector matches never reaches user space.
 * Selectors: lib/gt_selectors.h.
 *
 * Return probes (syscall kprobes with return: true, or a returnCopy
 * argument): generic_tracepoint holds the record in gt_ret (gt_common.h)
 * and generic_tracepoint_exit, attached to syscalls/sys_exit_*, adds the
 * return value and the returnCopy bytes, runs matchReturnArgs and
 * matchReturnActions, and posts it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Offset of "long ret" in the sys_exit record (from its format). */
const volatile __u32 ret_offset = 16;

/*
 * Generated syscall lists: one instance on raw_syscalls/sys_enter serves
 * every syscall of the list; the x86_64 number at id_offset must have its
 * bit in sys_mask, and 32-bit (compat) calls, numbered otherwise, never match.
 */
const volatile __u32 sys_filter = 0;
const volatile __u32 id_offset = 8;
const volatile __u64 sys_mask[8] = {};

/* Path of the current task's file descriptor fd as argument i; empty when it has none. */
static __always_inline void read_fd_path(struct gt_heap *h, __u32 i, __s64 fd)
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

/* Up to GT_ARG_MAX bytes of a user buffer of size bytes as argument i; ival keeps the size. */
static __always_inline void read_user_buf(struct gt_heap *h, __u32 i, const void *ptr, __s64 size)
{
	/* GT_MAX_ARGS is no power of two: bound the index, do not mask it */
	if (i >= GT_MAX_ARGS)
		return;
	h->m.args[i].ival = size > 0 ? size : 0;
	gt_put_user(h, i, ptr, size > 0 ? (__u64)size : 0);
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
 * The bytes of cnt struct iovec at uiov, concatenated as argument i, at most
 * limit of them (a returnCopy: what the syscall returned). ival: the bytes
 * the iovecs read describe (capped by limit).
 */
static __always_inline void read_user_iovec(struct gt_heap *h, __u32 i, const struct iovec *uiov, __u64 cnt,
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

/* The byte count of argument i (sizeArgIndex, or a char_iovec's count) from the record. */
static __always_inline __s64 read_size_arg(void *ctx, __u32 i)
{
	__u32 fl = args_cfg[i].flags, soff = args_cfg[i].size_off;
	__s64 sz = 0;

	if (fl & GT_ARGF_SIZE32) {
		__s32 s32 = 0;

		bpf_probe_read_kernel(&s32, sizeof(s32), ctx + soff);
		sz = s32;
	} else if (fl & GT_ARGF_SIZE_ARG) {
		bpf_probe_read_kernel(&sz, sizeof(sz), ctx + soff);
	} else {
		sz = GT_ARG_MAX;
	}
	return sz;
}

/* One argument from the tracepoint record, as args_cfg[i] describes it. */
static __always_inline void read_arg(void *ctx, struct gt_heap *h, __u32 i)
{
	struct gt_arg_val *a = &h->m.args[i];
	__u32 kind = args_cfg[i].kind, off = args_cfg[i].offset, size = args_cfg[i].size;
	const void *ptr = 0;

	a->kind = kind;
	a->len = 0;
	a->ival = 0;
	switch (kind) {
	case GT_ARG_INT: {
		__u64 v = 0;

		if (size > 8)
			size = 8;
		bpf_probe_read_kernel(&v, size & 15, ctx + off);
		if (args_cfg[i].is_signed) {
			if (size == 1)
				v = (__s64)(__s8)v;
			else if (size == 2)
				v = (__s64)(__s16)v;
			else if (size == 4)
				v = (__s64)(__s32)v;
		}
		a->ival = v;
		return;
	}
	case GT_ARG_FD: {
		__s32 fd = 0;

		bpf_probe_read_kernel(&fd, sizeof(fd), ctx + off);
		a->ival = fd;
		read_fd_path(h, i, fd);
		return;
	}
	case GT_ARG_SYSCALL64: {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
		__s64 id = 0;

		bpf_probe_read_kernel(&id, sizeof(id), ctx + off);
		id &= 0xffffffff;
		/* TS_COMPAT: the task is in a 32-bit syscall */
		if (bpf_core_field_exists(task->thread_info.status) && (task->thread_info.status & 0x0002))
			id |= GT_SYSCALL64_I386;
		a->ival = id;
		return;
	}
	case GT_ARG_SOCKADDR_USER: {
		__u32 room, n = 0;
		char *dst = gt_arg_dst(h, i, &room);
		__u16 family = 0;

		bpf_probe_read_kernel(&ptr, sizeof(ptr), ctx + off);
		if (!ptr || room < 110 || bpf_probe_read_user(&family, sizeof(family), ptr))
			return;
		a->ival = family;
		n = family == 10 /* AF_INET6 */ ? 28 : family == 1 /* AF_UNIX: sun_path */ ? 110 : 16;
		/* the address length (connect, bind, sendto): abstract names are not NUL-terminated */
		if (args_cfg[i].flags & GT_ARGF_SIZE_ARG) {
			__u32 alen = 0;

			bpf_probe_read_kernel(&alen, sizeof(alen), ctx + args_cfg[i].size_off);
			if (alen < n)
				n = alen;
		}
		n = GT_MIN(n, 110);
		if (n && !bpf_probe_read_user(dst, n, ptr))
			gt_arg_commit(h, i, n);
		return;
	}
	case GT_ARG_BUF_USER:
	case GT_ARG_IOVEC_USER:
		bpf_probe_read_kernel(&ptr, sizeof(ptr), ctx + off);
		if (args_cfg[i].flags & GT_ARGF_RETURN_COPY) {
			/*
			 * read at sys_exit, when the kernel has written it: ival holds
			 * the pointer and, for iovecs, off their count until then
			 */
			a->ival = (__s64)(unsigned long)ptr;
			if (kind == GT_ARG_IOVEC_USER)
				a->off = (__u32)read_size_arg(ctx, i);
			return;
		}
		if (kind == GT_ARG_IOVEC_USER)
			read_user_iovec(h, i, ptr, read_size_arg(ctx, i), ~0ULL);
		else
			read_user_buf(h, i, ptr, read_size_arg(ctx, i));
		return;
	case GT_ARG_STR_USER:
	case GT_ARG_STR_KERNEL:
		bpf_probe_read_kernel(&ptr, sizeof(ptr), ctx + off);
		gt_put_str(h, i, ptr, kind == GT_ARG_STR_USER);
		return;
	case GT_ARG_CHAR_ARRAY: {
		__u32 room;
		char *dst = gt_arg_dst(h, i, &room);
		long n;

		if (room > size + 1)
			room = size + 1;
		room = GT_MIN(room, GT_ARG_MAX);
		n = bpf_probe_read_kernel_str(dst, room, ctx + off);
		if (n > 0)
			gt_arg_commit(h, i, n - 1);
		return;
	}
	case GT_ARG_DATA_LOC: {
		__u32 loc = 0;

		bpf_probe_read_kernel(&loc, sizeof(loc), ctx + off);
		gt_put_str(h, i, ctx + (loc & 0xffff), 0);
		return;
	}
	}
}

SEC("tracepoint")
int generic_tracepoint(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct gt_heap *h;
	__u32 cand;

	if ((__u32)(pid_tgid >> 32) == agent_tgid)
		return 0;
	h = bpf_map_lookup_elem(&gt_heap_map, &zero);
	if (!h)
		return 0;
	if (sys_filter) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
		__u64 id = 0;

		bpf_probe_read_kernel(&id, sizeof(id), ctx + id_offset);
		if (id >= 512 || !((sys_mask[(id >> 6) & 7] >> (id & 63)) & 1))
			return 0;
		if (bpf_core_field_exists(task->thread_info.status) && (task->thread_info.status & 0x0002))
			return 0;
		h->m.func_id = (__u32)id;
	}
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand)
		return 0;
	gt_args_begin(h);
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < nargs)
			read_arg(ctx, h, i);
	return gt_select_and_post(h, pid_tgid, cand);
}

/* The held entry completed at sys_exit (return probes: lib/gt_common.h). */
SEC("tracepoint")
int generic_tracepoint_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct gt_heap *h;
	__s64 ret = 0;

	if ((__u32)(pid_tgid >> 32) == agent_tgid)
		return 0;
	h = bpf_map_lookup_elem(&gt_heap_map, &zero);
	if (!h || !gt_return_take(h, pid_tgid))
		return 0;
	bpf_probe_read_kernel(&ret, sizeof(ret), ctx + ret_offset);
	for (__u32 i = 0; i < GT_MAX_ARGS; i++) {
		const void *ptr;

		if (i >= nargs)
			break;
		if (!(args_cfg[i].flags & GT_ARGF_RETURN_COPY))
			continue;
		/* the bytes the syscall wrote, appended after the entry's */
		ptr = (const void *)(unsigned long)h->m.args[i].ival;
		if (args_cfg[i].kind == GT_ARG_BUF_USER)
			read_user_buf(h, i, ptr, ret);
		else if (args_cfg[i].kind == GT_ARG_IOVEC_USER)
			read_user_iovec(h, i, ptr, h->m.args[i].off, ret > 0 ? ret : 0);
	}
	return gt_return_post(h, ret);
}
