// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic BPF LSM program of the TracingPolicy engine ("lsmhooks:",
 * back-end "bpf lsm", src/sensors/policy_lsm.c): one instance per hook,
 * attached to bpf_lsm_<hook> (the agent sets the target before load). The
 * hook's arguments are fetched from the trampoline context
 * (lib/gt_fetch_u64.h, as raw tracepoints and fentry do), typed by the
 * agent from the hook's BTF prototype; selectors and actions as every
 * generic program (lib/gt_common.h). Override is the program's return
 * value: the hook, and the operation behind it, fails with that errno.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "lib/gt_fetch_u64.h"
#include "lib/gt_args.h"

/* Set when a selector of the hook overrides: else the program provably returns 0 (6.12 checks the range). */
const volatile __u32 lsm_override = 0;

SEC("lsm")
int generic_lsm(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 raw[GT_RAW_ARGS] = {};
	struct gt_heap *h;
	__u32 cand;
	int err;

	h = gt_heap_get(pid_tgid);
	if (!h)
		return 0;
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand)
		return 0;
	gt_trampoline_args(ctx, raw);
	h->m.func_id = 0;
	gt_args_begin(h);
	gt_read_args(raw, h);
	err = gt_select_and_post(ctx, h, pid_tgid, cand, pid_tgid);
	if (!lsm_override)
		return 0;
	/* a hook's verdict is 0 or a negative errno (MAX_ERRNO 4095) */
	if (err < -4095 || err > 0)
		err = -1;
	return err;
}
