// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Enforcer of a TracingPolicy's spec.enforcers (src/sensors/policy_enforcer.c):
 * one of these programs per syscall of the enforcer's calls, on the
 * syscall's __x64_sys_ function. A hook of the policy whose selector has
 * NotifyEnforcer left, for the calling thread, a signal and an error in
 * gt_enforcer (the policy's map, shared before load; lib/gt_common.h);
 * the program takes them when the thread enters the syscall, sends the
 * signal and makes the syscall return the error:
 *
 *   generic_enf_fmod_ret   BPF_MODIFY_RETURN (error-injectable syscalls,
 *                          CONFIG_FUNCTION_ERROR_INJECTION, in BTF)
 *   generic_enf_kp         a kprobe: bpf_override_return when enf_override
 *                          (CONFIG_BPF_KPROBE_OVERRIDE); without it, only the
 *                          signal (argSig without argError needs no more)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "abi/msg_generic.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* set by the agent when the enforcer overrides (bpf_override_return is verified only then) */
const volatile __u32 enf_override = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct gt_enf_val);
} gt_enforcer SEC(".maps");

/* Per-CPU counters: [0] notifications applied. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} enf_stats SEC(".maps");

/* What was left for this thread, taken and its signal sent: the error (0: none). */
static __always_inline __s64 take(void)
{
	__u64 key = bpf_get_current_pid_tgid();
	struct gt_enf_val *v = bpf_map_lookup_elem(&gt_enforcer, &key);
	__u32 zero = 0;
	__u64 *n;
	__s64 err;
	__u32 sig;

	if (!v)
		return 0;
	err = v->err;
	sig = v->sig;
	bpf_map_delete_elem(&gt_enforcer, &key);
	if (sig)
		bpf_send_signal(sig);
	n = bpf_map_lookup_elem(&enf_stats, &zero);
	if (n)
		*n += 1;
	return err;
}

SEC("fmod_ret")
long generic_enf_fmod_ret(void *ctx)
{
	return take();
}

SEC("kprobe")
int generic_enf_kp(struct pt_regs *ctx)
{
	__s64 err = take();

	if (enf_override && err)
		bpf_override_return(ctx, (__u64)err);
	return 0;
}
