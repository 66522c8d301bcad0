/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel <-> user ABI of the generic tracepoint program
 * (bpf/generic_tracepoint.bpf.c): its per-hook configuration (selectors,
 * argument layout) and the event it posts on the shared ring buffer.
 */
#ifndef TG_ABI_MSG_GENERIC_H
#define TG_ABI_MSG_GENERIC_H

#include "abi/msg_process.h"

#define MSG_OP_GENERIC_KPROBE		13	/* upstream's numbers */
#define MSG_OP_GENERIC_TRACEPOINT	14

#define GT_MAX_ARGS	5
#define GT_STR_MAX	256	/* bytes kept of a string argument (power of two) */
#define GT_MAX_SEL	4
#define GT_MAX_ARGF	4	/* matchArgs entries per selector */
#define GT_MAX_VALS	2	/* values per matchArgs entry */
#define GT_MAX_BINS	4	/* matchBinaries values (one operator per selector) */
#define GT_MAX_PIDS	4
#define GT_BIN_MAX	256

/* How an argument is read from the tracepoint record. */
enum gt_arg_kind {
	GT_ARG_NONE,
	GT_ARG_INT,		/* size bytes at offset, sign-extended when is_signed */
	GT_ARG_STR_USER,	/* pointer at offset to a user string */
	GT_ARG_STR_KERNEL,	/* pointer at offset to a kernel string */
	GT_ARG_CHAR_ARRAY,	/* size bytes at offset */
	GT_ARG_DATA_LOC,	/* u32 (len << 16 | off) at offset */
};

struct gt_arg_cfg {
	__u16 offset;
	__u8 size;
	__u8 kind;
	__u8 is_signed;
	__u8 pad[3];
};

enum gt_op {
	GT_OP_NONE, GT_OP_EQ, GT_OP_NEQ, GT_OP_PREFIX, GT_OP_NOT_PREFIX, GT_OP_POSTFIX,
	GT_OP_NOT_POSTFIX, GT_OP_GT, GT_OP_LT, GT_OP_MASK, GT_OP_IN_RANGE,
	GT_OP_IN, GT_OP_NOT_IN,
};

enum gt_action { GT_ACT_POST, GT_ACT_NOPOST, GT_ACT_SIGKILL, GT_ACT_SIGNAL };

struct gt_argf {
	__u8 slot;		/* index into the hook's args */
	__u8 op;
	__u8 nvals;
	__u8 is_str;
	__u32 len[GT_MAX_VALS];
	__s64 lo[GT_MAX_VALS];	/* integer value (or range low), as u64 for unsigned args */
	__s64 hi[GT_MAX_VALS];
	char str[GT_MAX_VALS][GT_STR_MAX];
};

struct gt_selector {
	__u32 nargf;
	__u32 bin_op;		/* GT_OP_NONE, EQ(In), NEQ(NotIn), PREFIX, NOT_PREFIX */
	__u32 nbins;
	__u32 pid_op;		/* GT_OP_NONE, IN, NOT_IN */
	__u32 npids;
	__u32 pids[GT_MAX_PIDS];
	__u32 action;		/* enum gt_action, strongest of the selector's actions */
	__u32 sig;
	__u32 post;		/* 1 unless NoPost */
	struct gt_argf argf[GT_MAX_ARGF];
	__u32 bin_len[GT_MAX_BINS];
	char bins[GT_MAX_BINS][GT_BIN_MAX];
};

struct gt_config {
	__u32 nsel;		/* 0: every call matches and posts */
	__u32 pad;
	struct gt_selector sel[GT_MAX_SEL];
};

/* Per-hook counters (array map "gt_stats"). */
enum { GT_STAT_MATCHED, GT_STAT_FILTERED, GT_STAT_LOST, GT_STAT__COUNT };

struct gt_arg_val {
	__u32 kind;
	__u32 len;		/* string bytes kept (no NUL) */
	__s64 ival;
};

struct msg_generic {
	struct msg_common common;
	struct msg_execve_key key;	/* current incarnation of the tgid (pid 0: unknown) */
	__u32 hook_id;
	__u32 tid;
	__u32 tgid;
	__u32 action;		/* enum gt_action applied */
	__u32 sel;		/* selector that matched (nsel when none configured) */
	__u32 nargs;
	struct gt_arg_val args[GT_MAX_ARGS];
	char str[GT_MAX_ARGS][GT_STR_MAX];
};

_Static_assert(sizeof(struct gt_arg_cfg) == 8, "gt_arg_cfg layout");
_Static_assert(sizeof(struct msg_generic) == 16 + 16 + 24 + 16 * GT_MAX_ARGS + GT_MAX_ARGS * GT_STR_MAX,
	       "msg_generic layout");

#endif
