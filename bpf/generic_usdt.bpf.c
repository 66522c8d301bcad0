// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Generic USDT program of the TracingPolicy engine (back-end "usdt",
 * src/sensors/policy_usdt.c): a uprobe at one USDT probe site of a binary
 * (one instance per site of a "usdts:" hook). Each argument is where the
 * probe's .note.stapsdt spec says (usdt_args, abi/usdt_arg.h): a constant,
 * a register of the probed thread, or user memory at a register plus a
 * displacement (plus an index register times a scale); it is cut to the
 * spec's size and sign-extended as the spec's sign says, then decoded as the
 * policy's type by lib/gt_args.h. Selectors and the record are those of
 * every generic program (lib/gt_common.h).
 *
 * Set (upstream's USDT Set action): a selector that matched writes its
 * value over the memory operand of one argument (a DEREF spec, checked by
 * the agent) with bpf_probe_write_user, before the probed code reads it on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "abi/usdt_arg.h"

/* USDT Set, run by gt_select_and_post for the selector that matched (defined below) */
#define GT_ON_MATCH
static __always_inline int gt_on_match(struct pt_regs *ctx, __u32 sel);

#include "lib/gt_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* per output slot: where the probe's argument is (written before load) */
const volatile struct usdt_arg_spec usdt_args[GT_MAX_ARGS] = {};

/*
 * Set per selector: 1 + the slot whose memory it writes (0: no Set), and the
 * value. has_set: some selector sets; without it the write is pruned, so the
 * program loads where the kernel withholds bpf_probe_write_user (lockdown).
 */
const volatile __u32 has_set = 0;
const volatile __u8 set_slot[GT_MAX_SEL] = {};
const volatile __u32 set_val[GT_MAX_SEL] = {};

/* The slots' values, computed first (gt_read_args reads them by position). */
static __always_inline __u64 gt_fetch(const void *src, __u32 pos, __u32 size)
{
	return ((const __u64 *)src)[pos < GT_MAX_ARGS ? pos : 0];
}

static __always_inline const void *gt_fetch_addr(const void *src, __u32 pos)
{
	return 0;
}

/* resolve: walks the binary's memory (btfPath types it) */
#define GT_RESOLVE_MEM GT_MEM_USER
#include "lib/gt_args.h"

static __always_inline __u64 usdt_reg(struct pt_regs *ctx, __u32 off)
{
	__u64 v = 0;

	/* the last register slot is ss (160): nothing past struct pt_regs is read */
	if (off > 160)
		return 0;
	/* a variable offset into the context is refused: read it as kernel memory, as libbpf's usdt.bpf.h */
	bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + (off & 0xf8));
	return v;
}

/* The user address of a DEREF argument: base register + displacement (+ index << shift). */
static __always_inline __u64 usdt_addr(struct pt_regs *ctx, __u32 i)
{
	__u64 addr = usdt_reg(ctx, usdt_args[i].reg_off) + usdt_args[i].val;

	if (usdt_args[i].idx_off != USDT_NO_IDX)
		addr += usdt_reg(ctx, usdt_args[i].idx_off) << (usdt_args[i].shift & 3);
	return addr;
}

static __always_inline __u64 usdt_value(struct pt_regs *ctx, __u32 i)
{
	__u32 kind = usdt_args[i].kind, size = usdt_args[i].size, sh;
	__u64 v = 0;

	if (kind == USDT_ARG_CONST) {
		v = usdt_args[i].val;
	} else if (kind == USDT_ARG_REG) {
		v = usdt_reg(ctx, usdt_args[i].reg_off);
	} else if (kind == USDT_ARG_DEREF) {
		__u64 addr = usdt_addr(ctx, i);

		/* size bytes, into the low end of v (little-endian) */
		if (size == 1)
			bpf_probe_read_user(&v, 1, (void *)addr);
		else if (size == 2)
			bpf_probe_read_user(&v, 2, (void *)addr);
		else if (size == 4)
			bpf_probe_read_user(&v, 4, (void *)addr);
		else
			bpf_probe_read_user(&v, 8, (void *)addr);
	} else {
		return 0;
	}
	/* the spec's width and sign: "-4@%eax" is the low 32 bits of rax, sign-extended */
	if (size >= 1 && size < 8) {
		sh = 64 - size * 8;
		v <<= sh;
		v = usdt_args[i].is_signed ? (__u64)((__s64)v >> sh) : v >> sh;
	}
	return v;
}

/*
 * Set: the value, cut to the operand's size (little-endian: its low bytes),
 * over the argument's memory. Non-zero when the write failed (a page not
 * present, a read-only mapping): the record says so (GT_MSG_ACTION_FAILED).
 */
static __always_inline int gt_on_match(struct pt_regs *ctx, __u32 sel)
{
	__u32 slot, size;
	__u64 v, addr;

	if (!has_set || sel >= GT_MAX_SEL || !set_slot[sel])
		return 0;
	slot = set_slot[sel] - 1;
	if (slot >= GT_MAX_ARGS || usdt_args[slot].kind != USDT_ARG_DEREF)
		return 1;
	v = set_val[sel];
	addr = usdt_addr(ctx, slot);
	size = usdt_args[slot].size;
	if (size == 1)
		return bpf_probe_write_user((void *)addr, &v, 1) ? 1 : 0;
	if (size == 2)
		return bpf_probe_write_user((void *)addr, &v, 2) ? 1 : 0;
	if (size == 4)
		return bpf_probe_write_user((void *)addr, &v, 4) ? 1 : 0;
	return bpf_probe_write_user((void *)addr, &v, 8) ? 1 : 0;
}

SEC("uprobe")
int generic_usdt(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 vals[GT_MAX_ARGS] = {};
	struct gt_heap *h;
	__u32 cand;

	h = gt_heap_get(pid_tgid);
	if (!h)
		return 0;
	/* no argument is read for a hit no selector can match */
	cand = gt_select_pre(h, pid_tgid >> 32);
	if (!cand)
		return 0;
#pragma unroll
	for (__u32 i = 0; i < GT_MAX_ARGS; i++)
		if (i < gt_cfg.nargs)
			vals[i] = usdt_value(ctx, i);
	gt_args_begin(h);
	gt_read_args(vals, h);
	gt_select_and_post(ctx, h, pid_tgid, cand, pid_tgid);
	return 0;
}
