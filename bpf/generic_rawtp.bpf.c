// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic raw tracepoint program of the TracingPolicy engine ("tracepoints:"
 * with raw: true): one instance per hook, reading the tracepoint's raw
 * arguments (the TP_PROTO arguments, typed from the kernel's BTF by the
 * agent). args_cfg[i].offset is the argument's position; kinds GT_ARG_INT,
 * GT_ARG_STR_KERNEL, and the struct pointers whose path is walked here
 * (file, path, linux_binprm). An argument with a resolve: path is first
 * followed to its field (resolve()). Selectors and record: lib/gt_common.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "abi/gt_resolve.h"
#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Arguments the tracepoint has: reads past them would make attaching fail
 * (the kernel checks the program's largest context offset), so the loads
 * below are guarded by this load-time constant and pruned by the verifier.
 */
const volatile __u32 raw_nargs = 0;

/* resolve: paths of the args, as offsets (abi/gt_resolve.h) */
const volatile struct gt_resolve resolve_cfg[GT_MAX_ARGS] = {};

/* The value at the end of arg i's resolve path, starting from the raw value v. */
static __always_inline __u64 resolve(__u32 i, __u64 v)
{
	__u32 n = resolve_cfg[i].n, size = resolve_cfg[i].size;
	__u64 addr = 0, out = 0;

	for (__u32 k = 0; k < GT_RESOLVE_MAX; k++) {
		if (k >= n)
			break;
		if (!v)
			return 0;
		addr = v + resolve_cfg[i].off[k];
		if (k + 1 < n && bpf_probe_read_kernel(&v, sizeof(v), (const void *)addr))
			return 0;
	}
	if (resolve_cfg[i].last == GT_RES_ADDR)
		return addr;
	if (size > 8)
		size = 8;
	bpf_probe_read_kernel(&out, size, (const void *)addr);
	return out;
}

static __always_inline void copy_path(struct gt_heap *h, __u32 i, const struct path *p)
{
	gt_put_path(h, i, p);
}

static __always_inline void read_raw_arg(const __u64 *raw, struct gt_heap *h, __u32 i)
{
	struct gt_arg_val *a = &h->m.args[i];
	__u32 kind = args_cfg[i].kind, size = args_cfg[i].size, pos = args_cfg[i].offset;
	__u64 v = raw[pos < 6 ? pos : 0];

	if (resolve_cfg[i].n)
		v = resolve(i, v);
	a->kind = kind;
	a->len = 0;
	a->ival = 0;
	switch (kind) {
	case GT_ARG_INT:
		if (args_cfg[i].is_signed) {
			if (size == 1)
				v = (__s64)(__s8)v;
			else if (size == 2)
				v = (__s64)(__s16)v;
			else if (size == 4)
				v = (__s64)(__s32)v;
		} else if (size < 8) {
			v &= (1ULL << (size * 8)) - 1;
		}
		a->ival = v;
		return;
	case GT_ARG_STR_KERNEL:
		if (!v)
			return;
		gt_put_str(h, i, (const void *)v, 0);
		return;
	case GT_ARG_FILE_PTR:
		if (v)
			copy_path(h, i, &((struct file *)v)->f_path);
		return;
	case GT_ARG_PATH_PTR:
		copy_path(h, i, (const struct path *)v);
		return;
	case GT_ARG_BINPRM_PTR: {
		struct file *f = v ? BPF_CORE_READ((struct linux_binprm *)v, file) : 0;

		if (f)
			copy_path(h, i, &f->f_path);
		return;
	}
	}
}

SEC("raw_tp")
int generic_rawtp(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 raw[6] = {};
	__u32 zero = 0;
	struct gt_heap *h;
	__u32 cand;

	if ((__u32)(pid_tgid >> 32) == agent_tgid)
		return 0;
	/* fixed-offset context loads only (see raw_nargs) */
	if (raw_nargs > 0) raw[0] = ctx->args[0];
	if (raw_nargs > 1) raw[1] = ctx->args[1];
	if (raw_nargs > 2) raw[2] = ctx->args[2];
	if (raw_nargs > 3) raw[3] = ctx->args[3];
	if (raw_nargs > 4) raw[4] = ctx->args[4];
	if (raw_nargs > 5) raw[5] = ctx->args[5];
	h = bpf_map_lookup_elem(&gt_heap_map, &zero);
	if (!h)
		return 0;
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand)
		return 0;
	gt_args_begin(h);
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < nargs)
			read_raw_arg(raw, h, i);
	return gt_select_and_post(h, pid_tgid, cand);
}
