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

/* Path of the current task's file descriptor fd into slot i; 0 when it has none. */
static __always_inline void read_fd_path(struct gt_heap *h, __u32 i, __s64 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fdv, *f = 0;
	__u32 off, flags = 0;
	long n;

	if (i >= GT_MAX_ARGS || !fdt || !fs || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fdv = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fdv[fd]);
	if (!f)
		return;
	off = path_walk(&h->scratch, &f->f_path, &fs->root, &flags);
	n = bpf_probe_read_kernel_str(h->m.str[i], GT_STR_MAX, &h->scratch.buf[off & PATH_WALK_MASK]);
	if (n > 0)
		h->m.args[i].len = n - 1;
}

/* Up to GT_STR_MAX bytes of user memory; ival keeps the full size. */
static __always_inline void read_user_buf(struct gt_heap *h, __u32 i, const void *ptr, __s64 size)
{
	__u32 n = size > GT_STR_MAX ? GT_STR_MAX : size > 0 ? (__u32)size : 0;

	/* GT_MAX_ARGS is no power of two: bound the index, do not mask it */
	if (i >= GT_MAX_ARGS)
		return;
	h->m.args[i].ival = size > 0 ? size : 0;
	if (!ptr || !n)
		return;
	if (!bpf_probe_read_user(h->m.str[i], n, ptr))
		h->m.args[i].len = n;
}

/* One argument from the tracepoint record, as args_cfg[i] describes it. */
static __always_inline void read_arg(void *ctx, struct gt_heap *h, __u32 i)
{
	struct gt_arg_val *a = &h->m.args[i];
	char *dst = h->m.str[i];
	__u32 kind = args_cfg[i].kind, off = args_cfg[i].offset, size = args_cfg[i].size;
	const void *ptr = 0;
	long n;

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
		__u16 family = 0;

		bpf_probe_read_kernel(&ptr, sizeof(ptr), ctx + off);
		if (!ptr || bpf_probe_read_user(dst, 16, ptr))
			return;
		family = *(__u16 *)dst;
		a->ival = family;
		a->len = 16;
		if (family == 10 /* AF_INET6 */ && !bpf_probe_read_user(dst, 28, ptr))
			a->len = 28;
		else if (family == 1 /* AF_UNIX: sun_path */ && !bpf_probe_read_user(dst, 110, ptr))
			a->len = 110;
		/* the address length (connect, bind, sendto): abstract names are not NUL-terminated */
		if (args_cfg[i].flags & GT_ARGF_SIZE_ARG) {
			__u32 alen = 0;

			bpf_probe_read_kernel(&alen, sizeof(alen), ctx + args_cfg[i].size_off);
			if (alen < a->len)
				a->len = alen;
		}
		return;
	}
	case GT_ARG_BUF_USER: {
		__u32 fl = args_cfg[i].flags, soff = args_cfg[i].size_off;
		__s64 sz = 0;

		bpf_probe_read_kernel(&ptr, sizeof(ptr), ctx + off);
		if (fl & GT_ARGF_RETURN_COPY) {
			/* read at sys_exit, when the kernel has written it */
			a->ival = (__s64)(unsigned long)ptr;
			return;
		}
		if (fl & GT_ARGF_SIZE32) {
			__s32 s32 = 0;

			bpf_probe_read_kernel(&s32, sizeof(s32), ctx + soff);
			sz = s32;
		} else if (fl & GT_ARGF_SIZE_ARG) {
			bpf_probe_read_kernel(&sz, sizeof(sz), ctx + soff);
		} else {
			sz = GT_STR_MAX;
		}
		read_user_buf(h, i, ptr, sz);
		return;
	}
	case GT_ARG_STR_USER:
	case GT_ARG_STR_KERNEL:
		bpf_probe_read_kernel(&ptr, sizeof(ptr), ctx + off);
		if (!ptr)
			return;
		if (kind == GT_ARG_STR_USER)
			n = bpf_probe_read_user_str(dst, GT_STR_MAX, ptr);
		else
			n = bpf_probe_read_kernel_str(dst, GT_STR_MAX, ptr);
		if (n > 0)
			a->len = n - 1;
		return;
	case GT_ARG_CHAR_ARRAY:
		n = bpf_probe_read_kernel_str(dst, size < GT_STR_MAX ? size + 1 : GT_STR_MAX, ctx + off);
		if (n > 0)
			a->len = n - 1;
		return;
	case GT_ARG_DATA_LOC: {
		__u32 loc = 0;

		bpf_probe_read_kernel(&loc, sizeof(loc), ctx + off);
		n = bpf_probe_read_kernel_str(dst, GT_STR_MAX, ctx + (loc & 0xffff));
		if (n > 0)
			a->len = n - 1;
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
	h->bin_done = 0;
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < nargs)
			read_arg(ctx, h, i);
	return gt_select_and_post(h, pid_tgid);
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
		if (i >= nargs)
			break;
		if (args_cfg[i].kind == GT_ARG_BUF_USER && (args_cfg[i].flags & GT_ARGF_RETURN_COPY)) {
			const void *ptr = (const void *)(unsigned long)h->m.args[i].ival;

			h->m.args[i].len = 0;
			read_user_buf(h, i, ptr, ret);
		}
	}
	return gt_return_post(h, ret);
}
