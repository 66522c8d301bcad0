// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Override companions of the TracingPolicy engine
 * (src/sensors/policy_override.c): the generic kprobe or syscall
 * tracepoint program of a hook with an Override selector leaves, for the
 * calling thread, the error the function is to return in gt_override
 * (lib/gt_common.h; this object's map is that instance's, shared before
 * load). One of these programs, on the same kernel function, runs right
 * after it in the same call, takes the error and applies it:
 *
 *   generic_fmod_ret      BPF_MODIFY_RETURN: a non-zero return skips the
 *                         function and becomes its return value (security_
 *                         functions; error-injectable ones where the kernel
 *                         has CONFIG_FUNCTION_ERROR_INJECTION)
 *   generic_override_kp   a kprobe calling bpf_override_return
 *                         (CONFIG_BPF_KPROBE_OVERRIDE, error-injectable
 *                         functions only)
 *
 * The agent loads one of them per function (a trampoline program is
 * loaded for its target).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __s32);
} gt_override SEC(".maps");

/* The error left for this thread (0: none), taken. */
static __always_inline __s64 take(void)
{
	__u64 key = bpf_get_current_pid_tgid();
	__s32 *v = bpf_map_lookup_elem(&gt_override, &key);
	__s64 err;

	if (!v)
		return 0;
	err = *v;
	bpf_map_delete_elem(&gt_override, &key);
	return err;
}

/* 64 bits, sign-extended: a function returning long (a syscall) sees -errno, not 2^32 - errno */
SEC("fmod_ret")
long generic_fmod_ret(void *ctx)
{
	return take();
}

SEC("kprobe")
int generic_override_kp(struct pt_regs *ctx)
{
	__s64 err = take();

	if (err)
		bpf_override_return(ctx, (__u64)err);
	return 0;
}
