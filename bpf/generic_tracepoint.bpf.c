// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic tracepoint program of the TracingPolicy engine (back-ends
 * "tracepoint" and "syscall tracepoint", src/sensors/policy_tracepoint.c).
 * One instance of this object is loaded per hook: the record layout of the
 * tracepoint is baked into rodata (gt_cfg) before load, the selectors are
 * written into gt_config after load and before attach. Serves
 * "tracepoints:" hooks and syscall "kprobes:" (through
 * syscalls/sys_enter_*). Arguments: fetched from the record here (stage
 * one), decoded by lib/gt_args.h; selectors: lib/gt_selectors.h.
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

/* Stage one: size bytes of the record at offset pos. */
static __always_inline __u64 gt_fetch(const void *src, __u32 pos, __u32 size)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, size & 15, src + pos);
	return v;
}

static __always_inline const void *gt_fetch_addr(const void *src, __u32 pos)
{
	return src + pos;
}

#include "lib/gt_args.h"

SEC("tracepoint")
int generic_tracepoint(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_heap *h = gt_heap_get(pid_tgid);
	__u32 cand;

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
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand) {
		gt_override_leave(pid_tgid, 0);
		return 0;
	}
	gt_args_begin(h);
	/* syscall hooks' data: entries with source pt_regs: the calling program's registers */
	if (gt_data_regs_wanted())
		gt_data_regs(h, (const void *)bpf_task_pt_regs((struct task_struct *)bpf_get_current_task_btf()));
	gt_read_args(ctx, h);
	/* Override of a syscall: the companion program on its __x64_sys_ function applies it (gt_common.h) */
	gt_override_leave(pid_tgid, gt_select_and_post(ctx, h, pid_tgid, cand, pid_tgid));
	return 0;
}

/* The held entry completed at sys_exit (return probes: lib/gt_common.h). */
SEC("tracepoint")
int generic_tracepoint_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_heap *h = gt_heap_get(pid_tgid);
	__s64 ret = 0;

	if (!h || !gt_return_take(h, pid_tgid))
		return 0;
	bpf_probe_read_kernel(&ret, sizeof(ret), ctx + ret_offset);
	gt_return_copy(h, ret);
	return gt_return_post(h, ret);
}
