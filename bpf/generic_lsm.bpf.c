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

/*
 * Post imaHash (gt_xcfg.sel_ima): attached before generic_lsm, so it runs
 * right after it in the same hook call (a trampoline runs its newest
 * program first). Sleepable, as bpf_ima_file_hash() needs: it takes the
 * record generic_lsm held in gt_ret, appends the IMA hash of the hook's
 * file (the struct file * first argument, or the linux_binprm's file) and
 * posts it; the selector's Override is its verdict (generic_lsm returned
 * 0 for it). The agent loads it only for a hook that asks for the hash.
 */
SEC("lsm.s")
int generic_lsm_ima(__u64 *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_ima_hash *ih;
	struct gt_config *cfg;
	struct gt_heap *h;
	struct file *f;
	__u32 off, sel, zero = 0;
	int err;

	h = gt_heap_get(pid_tgid);
	if (!h || !gt_return_take(h, pid_tgid))
		return 0;
	/*
	 * Direct loads: the verifier types the context and the member walk
	 * from the hook's BTF, and the helper wants that typed pointer.
	 */
	if (gt_xcfg.ima_bprm) {
		struct linux_binprm *b = (struct linux_binprm *)ctx[0];

		f = b ? b->file : 0;
	} else {
		f = (struct file *)ctx[0];
	}
	off = h->m.data_len;
	/* the hash after the arguments' bytes, when the record has room for it */
	if (f && off <= GT_DATA_MAX - sizeof(*ih)) {
		ih = (struct gt_ima_hash *)&h->data[off & (GT_DATA_MAX - 1)];
		__builtin_memset(ih, 0, sizeof(*ih));
		ih->algo = bpf_ima_file_hash(f, ih->hash, sizeof(ih->hash));
		h->m.data_len = off + sizeof(*ih);
		h->m.flags |= GT_MSG_IMA;
	}
	sel = h->m.sel;
	gt_post(h);
	if (!lsm_override)
		return 0;
	cfg = bpf_map_lookup_elem(&gt_config, &zero);
	if (!cfg || (cfg->flags & GT_CFG_MONITOR) || sel >= GT_MAX_SEL || !cfg->sel[sel].override)
		return 0;
	err = cfg->sel[sel].override_err;
	if (err < -4095 || err > 0)
		err = -1;
	return err;
}
