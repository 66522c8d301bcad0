/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Stage one of argument reading (lib/gt_args.h) for programs whose
 * arguments are an array of 64-bit words: raw tracepoints (the TP_PROTO
 * arguments), BPF trampolines (fentry, fexit, LSM: the function's or hook's
 * arguments) and kprobes (the argument registers). The program copies the
 * first gt_cfg.raw_nargs words into a local u64[GT_RAW_ARGS] with loads the
 * verifier accepts for its context; an argument's offset is its position.
 */
#ifndef TG_BPF_GT_FETCH_U64_H
#define TG_BPF_GT_FETCH_U64_H

#define GT_RAW_ARGS 6

static __always_inline __u64 gt_fetch(const void *src, __u32 pos, __u32 size)
{
	return ((const __u64 *)src)[pos < GT_RAW_ARGS ? pos : 0];
}

static __always_inline const void *gt_fetch_addr(const void *src, __u32 pos)
{
	return 0;
}

/*
 * A trampoline program's arguments (fentry, fexit, fmod_ret, LSM) into
 * raw: bpf_get_func_arg() gives each as a plain number, whatever its BTF
 * type (a pointer loaded from the context would be a typed one). Only the
 * function's own arguments are asked for (raw_nargs, a load-time constant).
 */
static __always_inline void gt_trampoline_args(void *ctx, __u64 raw[GT_RAW_ARGS])
{
	for (__u32 k = 0; k < GT_RAW_ARGS; k++) {
		if (k >= gt_cfg.raw_nargs)
			break;
		bpf_get_func_arg(ctx, k, &raw[k]);
	}
}

#endif
