// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic uprobe program of the TracingPolicy engine: one instance per
 * (binary, symbol or offset) of an "uprobes:" hook. Arguments are the probed
 * function's C arguments, read from the registers of the x86_64 calling
 * convention: args_cfg[i].offset is the argument's position (0-5), kind
 * GT_ARG_INT (size bytes of the register, sign-extended when is_signed) or
 * GT_ARG_STR_USER (a char * into the process' memory). Selectors and the
 * record are those of every generic program (lib/gt_common.h).
 *
 * return: true (has_return): generic_uprobe holds the record in gt_ret and
 * generic_uretprobe, attached to the same function, completes it with the
 * return register (rax) and posts it, as the syscall exit program does. A
 * thread's calls pair by pid_tgid, so a recursive call of the probed function
 * reports only its innermost return.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* returnArg type string: the returned char * is read into slot nargs */
const volatile __u32 ret_str = 0;

static __always_inline void read_reg_arg(const __u64 *regs, struct gt_heap *h, __u32 i)
{
	struct gt_arg_val *a = &h->m.args[i];
	__u32 kind = args_cfg[i].kind, size = args_cfg[i].size;
	__u64 v = regs[args_cfg[i].offset < 6 ? args_cfg[i].offset : 0];

	a->kind = kind;
	a->len = 0;
	a->ival = 0;
	if (kind == GT_ARG_INT) {
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
	} else if (kind == GT_ARG_STR_USER && v) {
		gt_put_str(h, i, (const void *)v, 1);
	}
}

SEC("uprobe")
int generic_uprobe(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 zero = 0, cand;
	struct gt_heap *h;
	/*
	 * Fixed-offset context loads, copied first: indexing pt_regs by a
	 * variable is a modified-context access the verifier refuses.
	 */
	__u64 regs[6] = {
		PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx),
		PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx), ctx->r9,	/* no PARM6 in libbpf 1.1 */
	};

	if ((__u32)(pid_tgid >> 32) == agent_tgid)
		return 0;
	h = bpf_map_lookup_elem(&gt_heap_map, &zero);
	if (!h)
		return 0;
	/*
	 * A call left by longjmp or a thread's exit never returned: drop its
	 * record so this call's return cannot post it if this entry is filtered.
	 */
	if (has_return)
		bpf_map_delete_elem(&gt_ret, &pid_tgid);
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand)
		return 0;
	gt_args_begin(h);
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < nargs)
			read_reg_arg(regs, h, i);
	return gt_select_and_post(h, pid_tgid, cand);
}

SEC("uretprobe")
int generic_uretprobe(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__s64 ret = PT_REGS_RC(ctx);
	__u32 zero = 0;
	struct gt_heap *h;

	if ((__u32)(pid_tgid >> 32) == agent_tgid)
		return 0;
	h = bpf_map_lookup_elem(&gt_heap_map, &zero);
	if (!h || !gt_return_take(h, pid_tgid))
		return 0;
	if (ret_str && nargs < GT_MAX_ARGS) {
		__u32 slot = nargs;

		h->m.args[slot].kind = GT_ARG_STR_USER;
		h->m.args[slot].ival = ret;
		/* appended after the entry's bytes */
		gt_put_str(h, slot, (const void *)ret, 1);
	}
	return gt_return_post(h, ret);
}
