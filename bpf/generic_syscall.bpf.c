// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Syscall kprobes of the TracingPolicy engine on the syscall's function
 * (back-ends "syscall fentry" and "syscall kprobe",
 * src/sensors/policy_syscall.c): instead of syscalls/sys_enter_<name>,
 * whose tracepoints send every syscall of every task through the tracing
 * slow path while one is enabled, a BPF trampoline (fentry, fexit) or a
 * kprobe (kretprobe) on __x64_sys_<name>, which only that syscall reaches.
 * One instance per syscall; the agent loads the pair of programs the kernel
 * allows and leaves the other two out.
 *
 * __x64_sys_<name>(const struct pt_regs *regs) takes the caller's saved
 * registers: the user arguments are read from them (x86_64's syscall
 * convention: di, si, dx, r10, r8, r9). The agent lays the arguments out
 * from the syscall's tracepoint format, as the tracepoint back-end does,
 * with each argument's offset turned into its position (lib/gt_fetch_u64.h),
 * so the records are the same; the return value is the function's, which
 * sys_exit_<name> reports too.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "lib/gt_fetch_u64.h"
#include "lib/gt_args.h"

static __always_inline int sys_enter(void *ctx, const struct pt_regs *regs)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_heap *h = gt_heap_get(pid_tgid);
	__u64 raw[GT_RAW_ARGS];
	__u32 cand;

	if (!h)
		return 0;
	/* a call whose return was missed: never posted later */
	if (gt_cfg.has_return)
		bpf_map_delete_elem(&gt_ret, &pid_tgid);
	/* no argument is read for a call no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand) {
		gt_override_leave(pid_tgid, 0);
		return 0;
	}
	raw[0] = BPF_CORE_READ(regs, di);
	raw[1] = BPF_CORE_READ(regs, si);
	raw[2] = BPF_CORE_READ(regs, dx);
	raw[3] = BPF_CORE_READ(regs, r10);
	raw[4] = BPF_CORE_READ(regs, r8);
	raw[5] = BPF_CORE_READ(regs, r9);
	h->m.func_id = 0;
	gt_args_begin(h);
	gt_data_regs(h, regs);
	gt_read_args(raw, h);
	/* Override (fmod_ret): the companion on the same function runs after this program (policy_override.c) */
	gt_override_leave(pid_tgid, gt_select_and_post(ctx, h, pid_tgid, cand, pid_tgid));
	return 0;
}

/* The held entry completed with the syscall's return value (a long, as sys_exit_<name> has it). */
static __always_inline int sys_exit(__s64 ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gt_heap *h = gt_heap_get(pid_tgid);

	if (!h || !gt_return_take(h, pid_tgid))
		return 0;
	gt_return_copy(h, ret);
	return gt_return_post(h, ret);
}

SEC("fentry")
int generic_sys_fentry(void *ctx)
{
	__u64 regs = 0;

	/* a plain number: the typed pointer a context load gives is not needed */
	bpf_get_func_arg(ctx, 0, &regs);
	return sys_enter(ctx, (const struct pt_regs *)regs);
}

SEC("fexit")
int generic_sys_fexit(void *ctx)
{
	__u64 rv = 0;

	bpf_get_func_ret(ctx, &rv);
	return sys_exit((__s64)rv);
}

SEC("kprobe")
int generic_sys_kprobe(struct pt_regs *ctx)
{
	return sys_enter(ctx, (const struct pt_regs *)PT_REGS_PARM1(ctx));
}

SEC("kretprobe")
int generic_sys_kretprobe(struct pt_regs *ctx)
{
	return sys_exit((__s64)PT_REGS_RC(ctx));
}
