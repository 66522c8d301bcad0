// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic fentry program of the TracingPolicy engine ("fentries:",
 * back-end "fentry", src/sensors/policy_fentry.c): a BPF trampoline on a
 * kernel function. One instance per function (a trampoline program is
 * loaded for its target), set by the agent before load. Arguments are the
 * function's, typed from its BTF prototype and fetched from the trampoline
 * context (a u64 per argument: lib/gt_fetch_u64.h, shared with raw
 * tracepoints), decoded by lib/gt_args.h.
 *
 * return: true (has_return): generic_fentry holds the record in gt_ret and
 * generic_fexit completes it with the function's return value and posts it;
 * entry and return pair by thread, so a recursive function reports only its
 * innermost call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "lib/gt_fetch_u64.h"
#include "lib/gt_args.h"

SEC("fentry")
int generic_fentry(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 raw[GT_RAW_ARGS] = {};
	struct gt_heap *h;
	__u32 cand;

	h = gt_heap_get(pid_tgid);
	if (!h)
		return 0;
	/* a call whose return was missed: never posted later */
	if (gt_cfg.has_return)
		bpf_map_delete_elem(&gt_ret, &pid_tgid);
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand)
		return 0;
	gt_trampoline_args(ctx, raw);
	h->m.func_id = 0;
	gt_args_begin(h);
	gt_read_args(raw, h);
	gt_select_and_post(ctx, h, pid_tgid, cand, pid_tgid);
	return 0;
}

SEC("fexit")
int generic_fexit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_heap *h = gt_heap_get(pid_tgid);
	__u64 rv = 0;
	__s64 ret;

	if (!h || !gt_return_take(h, pid_tgid))
		return 0;
	bpf_get_func_ret(ctx, &rv);
	ret = gt_ret_value(rv);
	gt_return_copy(h, ret);
	return gt_return_post(h, ret);
}
