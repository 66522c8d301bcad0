/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel <-> user ABI of the USDT program (bpf/generic_usdt.bpf.c): where
 * each argument of a probe is, as its .note.stapsdt spec says
 * ("-4@%eax", "8@-16(%rbp)", "-8@(%rsp,%rax,8)", "4@$5"), decoded by
 * src/sensors/usdt_notes.c. One per output argument slot, in rodata.
 */
#ifndef TG_ABI_USDT_ARG_H
#define TG_ABI_USDT_ARG_H

#ifndef __BPF__
#include <linux/types.h>
#endif

enum usdt_arg_kind {
	USDT_ARG_NONE,
	USDT_ARG_CONST,		/* val */
	USDT_ARG_REG,		/* the register at reg_off of struct pt_regs */
	USDT_ARG_DEREF,		/* size bytes of user memory at reg + val (+ idx_reg << shift) */
};

struct usdt_arg_spec {
	__s64 val;		/* the constant, or the memory operand's displacement */
	__u16 reg_off;		/* byte offset of the (base) register in struct pt_regs */
	__u16 idx_off;		/* DEREF with an index register: its offset; 0xffff: none */
	__u8 kind;		/* enum usdt_arg_kind */
	__u8 size;		/* 1, 2, 4 or 8 bytes */
	__u8 is_signed;		/* negative size in the spec */
	__u8 shift;		/* log2 of the index's scale (1, 2, 4, 8) */
};

#define USDT_NO_IDX 0xffff

_Static_assert(sizeof(struct usdt_arg_spec) == 16, "usdt_arg_spec layout");

#endif
