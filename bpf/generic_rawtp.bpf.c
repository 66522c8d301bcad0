// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic raw tracepoint program of the TracingPolicy engine ("tracepoints:"
 * with raw: true; back-end "raw tracepoint", src/sensors/policy_rawtp.c):
 * one instance per hook, fetching the tracepoint's raw arguments (the
 * TP_PROTO arguments, typed from the kernel's BTF by the agent);
 * gt_cfg.args[i].offset is the argument's position. Decoding, resolve:
 * paths: lib/gt_args.h; selectors and record: lib/gt_common.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Stage one: raw argument pos, from the program's copy of them. */
#include "lib/gt_fetch_u64.h"
#include "lib/gt_args.h"

SEC("raw_tp")
int generic_rawtp(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 raw[GT_RAW_ARGS] = {};
	struct gt_heap *h;
	__u32 cand;

	/*
	 * Fixed-offset context loads of the arguments the tracepoint has:
	 * reads past them would make attaching fail (the kernel checks the
	 * program's largest context offset), so they are guarded by this
	 * load-time constant and pruned by the verifier.
	 */
	if (gt_cfg.raw_nargs > 0) raw[0] = ctx->args[0];
	if (gt_cfg.raw_nargs > 1) raw[1] = ctx->args[1];
	if (gt_cfg.raw_nargs > 2) raw[2] = ctx->args[2];
	if (gt_cfg.raw_nargs > 3) raw[3] = ctx->args[3];
	if (gt_cfg.raw_nargs > 4) raw[4] = ctx->args[4];
	if (gt_cfg.raw_nargs > 5) raw[5] = ctx->args[5];
	h = gt_heap_get(pid_tgid);
	if (!h)
		return 0;
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand)
		return 0;
	gt_args_begin(h);
	gt_read_args(raw, h);
	gt_select_and_post(ctx, h, pid_tgid, cand, pid_tgid);
	return 0;
}
