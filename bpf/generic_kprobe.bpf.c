// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic kprobe program of the TracingPolicy engine (back-ends "kprobe"
 * and "kprobe.multi", src/sensors/policy_kprobe.c): "kprobes:" on kernel
 * functions. One instance per hook, whatever the number of functions it
 * names (a list: or a generated_ftrace list): the agent attaches the same
 * program to each function, as one kprobe_multi link where the kernel has
 * them (the program is then loaded with that attach type) or one kprobe per
 * function, each with its index in the hook's functions as the attach
 * cookie, which the record carries in func_id. Arguments are the function's
 * C arguments, fetched from the registers of the x86_64 calling convention
 * (gt_cfg.args[i].offset is the argument's position, 0-5), followed along
 * their resolve: path and decoded by lib/gt_args.h, typed by the agent from
 * the function's BTF prototype.
 *
 * return: true (has_return): generic_kprobe holds the record in gt_ret and
 * generic_kretprobe completes it with the return register and posts it.
 * Entry and return pair by thread and function (cookie), so a recursive
 * function reports only its innermost call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Stage one: register argument pos, from the program's copy of them. */
#include "lib/gt_fetch_u64.h"
#include "lib/gt_args.h"

/* A call's key in gt_ret: the function (cookie) and the thread. */
static __always_inline __u64 ret_key(__u64 cookie, __u64 pid_tgid)
{
	return cookie << 32 | (__u32)pid_tgid;
}

SEC("kprobe")
int generic_kprobe(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx), key = ret_key(cookie, pid_tgid);
	struct gt_heap *h;
	__u32 cand;
	/*
	 * Fixed-offset context loads, copied first: indexing pt_regs by a
	 * variable is a modified-context access the verifier refuses.
	 */
	__u64 regs[GT_RAW_ARGS] = {
		PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx),
		PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx), ctx->r9,	/* no PARM6 in libbpf 1.1 */
	};

	h = gt_heap_get(pid_tgid);
	if (!h)
		return 0;
	/* a call whose return was missed (kretprobe instances run out): never posted later */
	if (gt_cfg.has_return)
		bpf_map_delete_elem(&gt_ret, &key);
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand) {
		gt_override_leave(pid_tgid, 0);
		return 0;
	}
	h->m.func_id = (__u32)cookie;
	gt_args_begin(h);
	gt_data_regs(h, ctx);
	gt_read_args(regs, h);
	/* Override: the companion program on this function applies it (gt_common.h) */
	gt_override_leave(pid_tgid, gt_select_and_post(ctx, h, pid_tgid, cand, key));
	return 0;
}

SEC("kretprobe")
int generic_kretprobe(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_heap *h = gt_heap_get(pid_tgid);
	__s64 ret = gt_ret_value(PT_REGS_RC(ctx));

	if (!h || !gt_return_take(h, ret_key(bpf_get_attach_cookie(ctx), pid_tgid)))
		return 0;
	gt_return_copy(h, ret);
	gt_return_struct(h, ret);
	return gt_return_post(h, ret);
}
