// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic tracepoint program of the TracingPolicy engine. One instance of
 * this object is loaded per hook: the record layout of the tracepoint is
 * baked into rodata before load, the selectors are written into gt_config
 * after load and before attach. Serves "tracepoints:" hooks and syscall
 * "kprobes:" (through syscalls/sys_enter_*). Selectors are evaluated here so
 * that an event no selector matches never reaches user space.
 * Selectors: lib/gt_selectors.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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
	h->bin_done = 0;
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < nargs)
			read_arg(ctx, h, i);
	return gt_select_and_post(h, pid_tgid);
}
