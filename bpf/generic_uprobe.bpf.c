// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic uprobe program of the TracingPolicy engine (back-end "uprobe",
 * src/sensors/policy_uprobe.c): one instance per (binary, symbol or
 * offset) of an "uprobes:" hook. Arguments are the probed function's C
 * arguments, fetched from the registers of the x86_64 calling convention
 * (gt_cfg.args[i].offset is the argument's position, 0-5) and decoded by
 * lib/gt_args.h. Selectors and the record are those of every generic
 * program (lib/gt_common.h).
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

/* Stage one: register argument pos, from the program's copy of them. */
static __always_inline __u64 gt_fetch(const void *src, __u32 pos, __u32 size)
{
	return ((const __u64 *)src)[pos < 6 ? pos : 0];
}

static __always_inline const void *gt_fetch_addr(const void *src, __u32 pos)
{
	return 0;
}

/* resolve: walks the binary's memory (btfPath types it) */
#define GT_RESOLVE_MEM GT_MEM_USER
#include "lib/gt_args.h"

SEC("uprobe")
int generic_uprobe(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_heap *h;
	__u32 cand;
	/*
	 * Fixed-offset context loads, copied first: indexing pt_regs by a
	 * variable is a modified-context access the verifier refuses.
	 */
	__u64 regs[6] = {
		PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx),
		PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx), ctx->r9,	/* no PARM6 in libbpf 1.1 */
	};

	h = gt_heap_get(pid_tgid);
	if (!h)
		return 0;
	/*
	 * A call left by longjmp or a thread's exit never returned: drop its
	 * record so this call's return cannot post it if this entry is filtered.
	 */
	if (gt_cfg.has_return)
		bpf_map_delete_elem(&gt_ret, &pid_tgid);
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand)
		return 0;
	gt_args_begin(h);
	gt_data_regs(h, ctx);
	gt_read_args(regs, h);
	gt_select_and_post(ctx, h, pid_tgid, cand, pid_tgid);
	return 0;
}

SEC("uretprobe")
int generic_uretprobe(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_heap *h = gt_heap_get(pid_tgid);
	__s64 ret = gt_ret_value(PT_REGS_RC(ctx));

	if (!h || !gt_return_take(h, pid_tgid))
		return 0;
	if (ret_str && gt_cfg.nargs < GT_MAX_ARGS) {
		__u32 slot = gt_cfg.nargs;

		h->m.args[slot].kind = GT_ARG_STR_USER;
		h->m.args[slot].ival = ret;
		/* appended after the entry's bytes */
		gt_put_str(h, slot, (const void *)ret, GT_MEM_USER);
	}
	return gt_return_post(h, ret);
}
