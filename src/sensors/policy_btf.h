/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arguments typed from the kernel's BTF, for every back-end whose hook has
 * a C prototype (raw tracepoints: btf_trace_<event>; kprobes: the
 * function's FUNC_PROTO; fentry/LSM to come): what each argument is, how a
 * policy's declared type reads it (gt_arg_cfg kind and flags), and resolve:
 * paths walked into offsets (abi/gt_resolve.h).
 */
#ifndef TG_SENSORS_POLICY_BTF_H
#define TG_SENSORS_POLICY_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/msg_generic.h"
#include "policy/policy.h"

#define BTF_HOOK_MAX_ARGS 6	/* register / raw arguments a program fetches */

/* What one argument is, from BTF. */
struct btf_arg {
	enum gt_arg_kind kind;		/* how it reads with type auto */
	unsigned size;
	bool is_signed;
	bool pointer;
	enum tp_arg_type report;	/* reporting type when the policy says auto */
	char what[64];			/* "struct file *", "int"... for messages */
	uint32_t type_id;		/* its BTF type */
};

/* The typed arguments of a hook. */
struct btf_hook {
	char what[160];			/* "raw tracepoint sched_process_exec", "function fd_install": messages */
	int n;				/* its arguments (only the first BTF_HOOK_MAX_ARGS are kept) */
	struct btf_arg args[BTF_HOOK_MAX_ARGS];
	struct btf_arg ret;		/* functions: the return type */
	bool any_memory;		/* kprobes: pointers may be user or kernel ones (GT_ARGF_KMEM) */
};

/* The kernel's BTF (loaded once); NULL with why when it has none. */
const struct btf *policy_btf_vmlinux(char *why, size_t len);

/*
 * The arguments of kernel function name (BTF_KIND_FUNC): 0; -ENOENT when
 * BTF has no such function, -ENODATA when the kernel has no BTF (why says).
 */
int policy_btf_func(const char *name, struct btf_hook *bh, char *why, size_t len);
/* The TP_PROTO arguments of raw tracepoint event (its btf_trace_<event> typedef): 0 or -ENOENT, why. */
int policy_btf_rawtp(const char *event, struct btf_hook *bh, char *why, size_t len);

/*
 * How argument i of h (args[i]: its index, declared type, resolve:,
 * sizeArgIndex, returnCopy) reads from bh: its gt_arg_cfg (offset = the
 * argument's position), resolve offsets and reporting type. A reason
 * ("line N: <what> argument I is <C type>: type T cannot read it ...") or
 * NULL.
 */
const char *policy_btf_arg(const struct tp_hook *h, size_t i, const struct btf_hook *bh, struct gt_arg_cfg *c,
			   struct gt_resolve *res, enum tp_arg_type *rep, char *why, size_t len);

/*
 * Argument i of a uprobe or USDT hook h with a resolve: path, typed from the
 * binary's BTF (h->btf_path): the walk starts at the struct btfType names,
 * which the argument points to, or without btfType at parameter a->index of
 * function func in that BTF. Only integers and strings (a char * or char
 * array) can be read, all of user memory (the program resolves with user
 * reads). what names the hook in messages ("uprobe tg_fn"). Fills c
 * (offset = a->index), res and the reporting type; a reason or NULL.
 */
const char *policy_btf_user_arg(const struct tp_hook *h, size_t i, const char *func, const char *what,
				struct gt_arg_cfg *c, struct gt_resolve *res, enum tp_arg_type *rep, char *why, size_t len);

/* The C type a kernel-structure policy type reads ("struct sock *"), or NULL for other types. */
/*
 * A data: entry with source current_task (a): its resolve: path walked from
 * struct task_struct, read as its declared type. A reason or NULL.
 */
const char *policy_btf_task_data(const struct tp_arg *a, struct gt_arg_cfg *c, struct gt_resolve *res,
				 enum tp_arg_type *rep, char *why, size_t len);
const char *policy_btf_struct_what(enum tp_arg_type t);

#endif
