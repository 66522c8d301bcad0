// SPDX-License-Identifier: Apache-2.0
/*
 * A hook's data: entries (upstream's "data" with a source): values read
 * from the current task (source current_task, a resolve: path from struct
 * task_struct) or from the hook's registers (source pt_regs, resolve names
 * the register). They take the argument slots after the args, so one
 * record carries both; events report them in their data list and matchData
 * filters them like matchArgs (policy_selectors.c). Every back-end reads
 * current_task; pt_regs needs a back-end that hands its registers to
 * lib/gt_args.h (gt_data_regs): kprobes (the function's registers),
 * syscall hooks and uprobes (the calling program's).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"

/* x86_64 struct pt_regs (the same order as ptrace's user_regs_struct): names by width, as upstream's */
static const struct {
	const char *names[4];	/* 8, 4, 2 and 1 bytes wide */
	uint16_t off;
} regs[] = {
	{ { "r15", "r15d", "r15w", "r15b" }, 0 },   { { "r14", "r14d", "r14w", "r14b" }, 8 },
	{ { "r13", "r13d", "r13w", "r13b" }, 16 },  { { "r12", "r12d", "r12w", "r12b" }, 24 },
	{ { "rbp", "ebp", "bp", "bpl" }, 32 },	    { { "rbx", "ebx", "bx", "bl" }, 40 },
	{ { "r11", "r11d", "r11w", "r11b" }, 48 },  { { "r10", "r10d", "r10w", "r10b" }, 56 },
	{ { "r9", "r9d", "r9w", "r9b" }, 64 },	    { { "r8", "r8d", "r8w", "r8b" }, 72 },
	{ { "rax", "eax", "ax", "al" }, 80 },	    { { "rcx", "ecx", "cx", "cl" }, 88 },
	{ { "rdx", "edx", "dx", "dl" }, 96 },	    { { "rsi", "esi", "si", "sil" }, 104 },
	{ { "rdi", "edi", "di", "dil" }, 112 },	    { { "rip", "eip", NULL, NULL }, 128 },
	{ { "rsp", "esp", "sp", "spl" }, 152 },
};

static bool reg_of(const char *name, uint16_t *off, uint8_t *size)
{
	static const uint8_t widths[4] = { 8, 4, 2, 1 };

	for (size_t i = 0; name && i < sizeof(regs) / sizeof(regs[0]); i++)
		for (size_t w = 0; w < 4; w++)
			if (regs[i].names[w] && !strcmp(regs[i].names[w], name)) {
				*off = regs[i].off;
				*size = widths[w];
				return true;
			}
	return false;
}

/* Back-ends whose programs copy their registers for pt_regs data (bpf/generic_*.bpf.c: gt_data_regs). */
static bool has_regs(const struct policy_backend *be)
{
	return be == &policy_be_kprobe || be == &policy_be_kprobe_multi || be == &policy_be_uprobe ||
	       be == &policy_be_syscall_tp || be == &policy_be_syscall_fentry || be == &policy_be_syscall_kprobe ||
	       be == &policy_be_tracepoint;
}

/* How data entry j of h reads on back-end be: its configuration; a reason or NULL. */
static const char *data_cfg(const struct policy_backend *be, const struct tp_hook *h, size_t j, struct gt_arg_cfg *c,
			    struct gt_resolve *res, enum tp_arg_type *rep, char *why, size_t len)
{
	const struct tp_arg *a = &h->data[j];
	uint8_t width;
	unsigned sz;
	bool sg;

	memset(c, 0, sizeof(*c));
	memset(res, 0, sizeof(*res));
	if (a->source == TP_SRC_CURRENT_TASK)
		return policy_btf_task_data(a, c, res, rep, why, len);
	if (a->source != TP_SRC_PT_REGS) {
		snprintf(why, len, "line %u: data entry %zu needs a source: current_task or pt_regs", a->pos.line, j);
		return why;
	}
	if (!has_regs(be)) {
		snprintf(why, len, "line %u: data source pt_regs: a %s hook has no register state to read (kprobes, "
			 "syscall hooks and uprobes have); use source current_task or an argument", a->pos.line,
			 be->name);
		return why;
	}
	if (!reg_of(a->resolve, &c->offset, &width)) {
		snprintf(why, len, "line %u: data source pt_regs: \"%s\" is not an x86_64 register (rax, eax, ax, al, "
			 "rbx... rdi, rsi, rbp, rsp, rip, r8-r15 and their d/w/b forms)", a->pos.line,
			 a->resolve ? a->resolve : "");
		return why;
	}
	c->size_off = width;
	c->flags = GT_ARGF_SRC_REGS;
	if (policy_int_type(a->type, &sz, &sg)) {
		c->kind = GT_ARG_INT;
		c->size = (uint8_t)sz;
		c->is_signed = sg;
		*rep = a->type;
		return NULL;
	}
	if (a->type == TP_ARG_STRING) {
		/* a register's char *: the program's memory, or for a kernel function's either */
		c->kind = GT_ARG_STR_USER;
		c->size = 8;
		if (be == &policy_be_kprobe || be == &policy_be_kprobe_multi)
			c->flags |= GT_ARGF_KMEM;
		*rep = TP_ARG_STRING;
		return NULL;
	}
	snprintf(why, len, "line %u: data source pt_regs reads integer types and string (a char * in the "
		 "register), not %s", a->pos.line, tp_arg_type_name(a->type));
	return why;
}

/* What limits data entries whatever the back-end: the slots they share with args and return values. */
static const char *data_slots(const struct tp_hook *h, char *why, size_t len)
{
	if (h->nargs + h->ndata > GT_MAX_ARGS) {
		snprintf(why, len, "line %u: %zu args and %zu data entries: at most %d in all", h->pos.line, h->nargs,
			 h->ndata, GT_MAX_ARGS);
		return why;
	}
	/* these return values are read into the slot after the args, where data now is */
	if (h->ret && h->return_arg &&
	    ((h->kind == TP_HOOK_UPROBE && h->return_arg->type == TP_ARG_STRING) ||
	     (h->kind == TP_HOOK_KPROBE && (h->return_arg->type == TP_ARG_SOCK || h->return_arg->type == TP_ARG_SOCKET)))) {
		snprintf(why, len, "line %u: a %s returnArg and data entries on one hook are not supported by this "
			 "agent; report the data from another hook", h->return_arg->pos.line,
			 tp_arg_type_name(h->return_arg->type));
		return why;
	}
	return NULL;
}

const char *policy_data_check(const struct policy_backend *be, const struct tp_hook *h, char *why, size_t len)
{
	struct gt_arg_cfg c;
	struct gt_resolve res;
	enum tp_arg_type rep;

	if (!h->ndata)
		return NULL;
	if (data_slots(h, why, len))
		return why;
	for (size_t j = 0; j < h->ndata; j++)
		if (data_cfg(be, h, j, &c, &res, &rep, why, len))
			return why;
	return NULL;
}

const char *policy_data_prepare(struct hook_inst *hi, char *why, size_t len)
{
	const struct tp_hook *h = hi->h;

	if (!h->ndata)
		return NULL;
	if (data_slots(h, why, len))
		return why;
	for (size_t j = 0; j < h->ndata; j++) {
		size_t slot = h->nargs + j;
		enum tp_arg_type rep = TP_ARG_INT;

		if (data_cfg(hi->be, h, j, &hi->cfg->args[slot], &hi->cfg->resolve[slot], &rep, why, len))
			return why;
		hi->types[slot] = rep;
		hi->is_signed[slot] = hi->cfg->args[slot].is_signed;
		hi->size[slot] = hi->cfg->args[slot].size;
	}
	hi->cfg->nargs = (uint32_t)(h->nargs + h->ndata);
	return NULL;
}
