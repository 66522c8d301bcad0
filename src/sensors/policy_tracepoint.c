// SPDX-License-Identifier: Apache-2.0
/*
 * Back-ends "tracepoint" ("tracepoints:") and "syscall tracepoint" (syscall
 * "kprobes:", served by syscalls/sys_enter_<name> and, for return probes,
 * sys_exit_<name>; a generated syscall list by one program on
 * raw_syscalls/sys_enter). Both load bpf/generic_tracepoint.bpf.c, one
 * object per tracepoint, with the record layout read from the tracepoint's
 * tracefs format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_tracepoint.skel.h"
#include "policy/policy.h"
#include "sensors/core_btf.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_internal.h"
#include "sensors/syscall_table.h"
#include "tracing/tp_format.h"
#include "util/strbuf.h"

bool policy_int_type(enum tp_arg_type t, unsigned *size, bool *sgn)
{
	switch (t) {
	case TP_ARG_INT: case TP_ARG_INT32: case TP_ARG_FD: case TP_ARG_CAPABILITY: *size = 4; *sgn = true; return true;
	case TP_ARG_UINT32: *size = 4; *sgn = false; return true;
	case TP_ARG_INT8: *size = 1; *sgn = true; return true;
	case TP_ARG_UINT8: *size = 1; *sgn = false; return true;
	case TP_ARG_INT16: *size = 2; *sgn = true; return true;
	case TP_ARG_UINT16: *size = 2; *sgn = false; return true;
	case TP_ARG_INT64: *size = 8; *sgn = true; return true;
	case TP_ARG_UINT64: case TP_ARG_SIZE_T: *size = 8; *sgn = false; return true;
	/* capability sets: a u64 (kernel_cap_t since 6.3; two u32 before, in the same order) */
	case TP_ARG_KERNEL_CAP_T: case TP_ARG_CAP_INHERITABLE: case TP_ARG_CAP_PERMITTED:
	case TP_ARG_CAP_EFFECTIVE: *size = 8; *sgn = false; return true;
	default: return false;
	}
}

bool policy_ret_type_ok(enum tp_arg_type t)
{
	unsigned sz;
	bool sg;

	return t == TP_ARG_AUTO || t == TP_ARG_FD || policy_int_type(t, &sz, &sg);
}

/* ---- record layout ------------------------------------------------------------ */

void policy_raw_syscall_args(struct tp_format *f)
{
	for (size_t i = 0; i < f->nfields; i++) {
		struct tp_field a = f->fields[i];

		if (strcmp(a.name, "args") || a.size != 48 || f->nfields - 1 + 6 > TP_FORMAT_MAX_FIELDS)
			continue;
		memmove(&f->fields[i + 6], &f->fields[i + 1], (f->nfields - i - 1) * sizeof(a));
		for (unsigned k = 0; k < 6; k++) {
			struct tp_field *n = &f->fields[i + k];

			*n = a;
			snprintf(n->name, sizeof(n->name), "args%u", k);
			snprintf(n->type, sizeof(n->type), "unsigned long");
			n->offset = a.offset + 8 * k;
			n->size = 8;
		}
		f->nfields += 5;
		return;
	}
}

const struct tp_field *policy_tp_field(const struct tp_format *f, const struct tp_hook *h, unsigned index)
{
	if (h->kind == TP_HOOK_KPROBE)
		return tp_format_arg(f, index + 1);
	return index < f->nfields ? &f->fields[index] : NULL;
}

size_t policy_tp_nfields(const struct tp_format *f, const struct tp_hook *h)
{
	if (h->kind == TP_HOOK_KPROBE)
		return tp_format_nargs(f) ? tp_format_nargs(f) - 1 : 0;
	return f->nfields;
}

static bool arg_type_ok(enum tp_arg_type t)
{
	switch (t) {
	case TP_ARG_AUTO: case TP_ARG_INT: case TP_ARG_INT8: case TP_ARG_UINT8:
	case TP_ARG_INT16: case TP_ARG_UINT16: case TP_ARG_INT32: case TP_ARG_UINT32:
	case TP_ARG_INT64: case TP_ARG_UINT64: case TP_ARG_SIZE_T: case TP_ARG_STRING:
	case TP_ARG_FD: case TP_ARG_DATA_LOC: case TP_ARG_CHAR_BUF: case TP_ARG_NOP:
	case TP_ARG_SOCKADDR: case TP_ARG_SOCKADDR_UN: case TP_ARG_SYSCALL64: case TP_ARG_CHAR_IOVEC:
	case TP_ARG_CAPABILITY: case TP_ARG_KERNEL_CAP_T: case TP_ARG_CAP_INHERITABLE:
	case TP_ARG_CAP_PERMITTED: case TP_ARG_CAP_EFFECTIVE:
		return true;
	default:
		return false;
	}
}

static const char *check_tracepoint(const char *tracefs, const char *subsys, const char *event,
				    const struct tp_hook *h, char *why, size_t len)
{
	struct tp_format *f = malloc(sizeof(*f));
	int err;

	if (!f) {
		snprintf(why, len, "out of memory");
		return why;
	}
	/* the parser refuses such names; this holds for any other caller too */
	if (!tp_format_valid_name(subsys) || !tp_format_valid_name(event)) {
		snprintf(why, len, "invalid tracepoint name %s/%s: tracefs names are at most %d letters, digits, "
			 "'_' or '-'", subsys, event, TP_FORMAT_MAX_NAME);
		free(f);
		return why;
	}
	err = tp_format_load(tracefs, subsys, event, f);
	if (err) {
		snprintf(why, len, "tracepoint %s/%s is not available on this kernel (%s/events/%s/%s/format: %s)",
			 subsys, event, tracefs, subsys, event, strerror(-err));
		free(f);
		return why;
	}
	if (h->kind == TP_HOOK_KPROBE && !strcmp(subsys, "raw_syscalls"))
		policy_raw_syscall_args(f);
	for (size_t i = 0; i < h->nargs; i++) {
		if (!arg_type_ok(h->args[i].type)) {
			snprintf(why, len, "line %u: argument type %s cannot be read here: %s (integers, "
				 "string, char_buf, char_iovec, fd, sockaddr, sockaddr_un, syscall64, "
				 "capability, kernel_cap_t, data_loc are)", h->args[i].pos.line,
				 tp_arg_type_name(h->args[i].type), policy_arg_type_why(h->args[i].type));
			free(f);
			return why;
		}
		if (h->args[i].resolve) {
			snprintf(why, len, "line %u: resolve needs a BTF-typed hook (a kernel function kprobe or a "
				 "raw tracepoint); tracepoint records are not typed by BTF", h->args[i].pos.line);
			free(f);
			return why;
		}
		if (h->args[i].return_copy && (h->kind != TP_HOOK_KPROBE || (h->args[i].type != TP_ARG_CHAR_BUF &&
										 h->args[i].type != TP_ARG_CHAR_IOVEC))) {
			snprintf(why, len, "line %u: returnCopy is supported on char_buf and char_iovec arguments "
				 "of syscall kprobes (read at syscalls/sys_exit_*)", h->args[i].pos.line);
			free(f);
			return why;
		}
		if (!policy_tp_field(f, h, h->args[i].index)) {
			snprintf(why, len, "line %u: argument index %u is out of range: %s/%s has %zu %s",
				 h->args[i].pos.line, h->args[i].index, subsys, event, policy_tp_nfields(f, h),
				 h->kind == TP_HOOK_KPROBE ? "arguments" :
				 "format fields (common_* fields included, as upstream counts them)");
			free(f);
			return why;
		}
	}
	free(f);
	return NULL;
}

/* Return probes of syscall kprobes are served by syscalls/sys_exit_<name>. */
static const char *check_exit(const char *tracefs, const struct tp_hook *h, const char *call, char *why,
			      size_t len)
{
	bool ret = h->ret;
	char path[512];

	for (size_t i = 0; i < h->nargs; i++)
		ret |= h->args[i].return_copy;
	if (!ret)
		return NULL;
	snprintf(path, sizeof(path), "sys_exit_%s", policy_syscall_base(call));
	if (!tp_format_valid_name(path)) {
		snprintf(why, len, "return probe of %s: invalid tracepoint name syscalls/%s", call, path);
		return why;
	}
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_%s/format", tracefs, policy_syscall_base(call));
	if (access(path, R_OK)) {
		snprintf(why, len, "return probe of %s: tracepoint syscalls/sys_exit_%s is not available (%s: %s)",
			 call, policy_syscall_base(call), path, strerror(errno));
		return why;
	}
	return NULL;
}

static const char *check_tp(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			    size_t len)
{
	(void)p;
	return check_tracepoint(policy_tracefs(e->tracefs), h->subsystem, h->event, h, why, len);
}

/*
 * Override of syscalls: the tracepoint cannot, a companion on the
 * syscall's __x64_sys_ function does (policy_override.c); *m how.
 */
static const char *override_of(const struct tp_policy *p, const struct tp_hook *h, int *m, char *why, size_t len)
{
	const struct tp_list *l = h->call_list >= 0 ? &p->lists[h->call_list] : NULL;
	const char *const *v = l ? (const char *const *)l->values : (const char *const *)&h->call;
	char what[160];

	snprintf(what, sizeof(what), "kprobe on %s%s", l ? "list:" : "", l ? l->name : h->call);
	return policy_ovr_hook(p, h, what, v, l ? l->nvalues : 1, true, m, why, len);
}

static const char *check_override(const struct tp_policy *p, const struct tp_hook *h, char *why, size_t len)
{
	int m;

	return override_of(p, h, &m, why, len);
}

const char *policy_syscall_check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h,
				 char *why, size_t len)
{
	const char *tracefs = policy_tracefs(e->tracefs);
	char ev[128];

	if (h->ret && !h->return_arg) {
		snprintf(why, len, "line %u: return: true needs a returnArg", h->pos.line);
		return why;
	}
	if (h->has_return_arg_action) {
		snprintf(why, len, "line %u: returnArgAction (TrackSock/UntrackSock) is not supported yet: it applies to "
			 "kernel socket functions", h->pos.line);
		return why;
	}
	if (h->call_list >= 0) {
		const struct tp_list *l = &p->lists[h->call_list];

		if (l->type == TP_LIST_GENERATED_SYSCALLS) {
			if (policy_hook_overrides(h)) {
				snprintf(why, len, "line %u: list %s (generated_syscalls): Override is not supported on "
					 "generated syscall lists (one program on raw_syscalls/sys_enter; the override "
					 "is applied on each syscall's function): list the syscalls to override",
					 h->pos.line, l->name);
				return why;
			}
			/* one program on raw_syscalls/sys_enter */
			if (h->ret) {
				snprintf(why, len, "line %u: list %s (generated_syscalls): return: true is not "
					 "supported on generated syscall lists (they are served by "
					 "raw_syscalls/sys_enter only)", h->pos.line, l->name);
				return why;
			}
			for (size_t i = 0; i < h->nargs; i++)
				if (h->args[i].return_copy) {
					snprintf(why, len, "line %u: returnCopy is not supported on generated "
						 "syscall lists", h->args[i].pos.line);
					return why;
				}
			return check_tracepoint(tracefs, "raw_syscalls", "sys_enter", h, why, len);
		}
		for (size_t i = 0; i < l->nvalues; i++) {
			snprintf(ev, sizeof(ev), "sys_enter_%s", policy_syscall_base(l->values[i]));
			if (check_tracepoint(tracefs, "syscalls", ev, h, why, len) ||
			    check_exit(tracefs, h, l->values[i], why, len))
				return why;
		}
		return check_override(p, h, why, len);
	}
	snprintf(ev, sizeof(ev), "sys_enter_%s", policy_syscall_base(h->call));
	if (check_tracepoint(tracefs, "syscalls", ev, h, why, len)) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s: %s is not a syscall this kernel traces", why, h->call);
		snprintf(why, len, "%s", tmp);
		return why;
	}
	if (check_exit(tracefs, h, h->call, why, len))
		return why;
	return check_override(p, h, why, len);
}

/* ---- instances ------------------------------------------------------------------- */

static const char *instances_tp(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, char *why,
				size_t len)
{
	struct hook_inst *hi = policy_inst_new(e, p, h, &policy_be_tracepoint);

	if (!hi)
		return "out of memory";
	snprintf(hi->subsys, sizeof(hi->subsys), "%s", h->subsystem);
	snprintf(hi->event, sizeof(hi->event), "%s", h->event);
	return policy_inst_attach(e, hi, why, len);
}

/* name: the syscall; NULL: a generated list on raw_syscalls/sys_enter */
static const char *add_syscall(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h,
			       const char *name, char *why, size_t len)
{
	const struct policy_backend *be;
	struct hook_inst *hi;

	/* names must fit whole: a cut name would trace another syscall */
	if (name && strlen(name) >= sizeof(hi->function) - strlen("__x64_sys_")) {
		snprintf(why, len, "call %s is longer than this agent supports", name);
		return why;
	}
	/* each syscall on its function where this kernel allows (policy_syscall.c), else its tracepoint */
	be = name ? policy_syscall_backend(e, p, h, name, why, len) : &policy_be_syscall_tp;
	if (!be)
		return why;
	hi = policy_inst_new(e, p, h, be);
	if (!hi)
		return "out of memory";
	if (!name) {
		/* function_name comes from each record's number */
		hi->generated = true;
		snprintf(hi->subsys, sizeof(hi->subsys), "raw_syscalls");
		snprintf(hi->event, sizeof(hi->event), "sys_enter");
		snprintf(hi->function, sizeof(hi->function), "%s", h->call);
	} else {
		snprintf(hi->subsys, sizeof(hi->subsys), "syscalls");
		snprintf(hi->event, sizeof(hi->event), "sys_enter_%s", policy_syscall_base(name));
		snprintf(hi->function, sizeof(hi->function), "__x64_sys_%s", policy_syscall_base(name));
		if (policy_ovr_hook(p, h, hi->function, &name, 1, true, &hi->ovr, why, len)) {
			policy_inst_free(hi);
			return why;
		}
	}
	return policy_inst_attach(e, hi, why, len);
}

/*
 * A long syscall list is served like a generated one, by one program on
 * raw_syscalls/sys_enter that keeps the list's numbers: a program per
 * syscall costs a verification each (minutes for all of them) and the
 * kernel's syscall tracepoints dispatch from raw_syscalls/sys_enter anyway.
 * Not for what needs each syscall's own hook: return probes, Override,
 * returnCopy, or a 32-bit ABI entry. (So are their functions' fentry or kprobe:
 * policy_syscall.c.)
 */
#define SYSCALL_LIST_RAW_MIN 16

bool policy_syscall_list_raw(const struct tp_policy *p, const struct tp_hook *h)
{
	const struct tp_list *l = h->call_list >= 0 && (size_t)h->call_list < p->nlists ? &p->lists[h->call_list] :
				  NULL;

	if (!l || l->type != TP_LIST_SYSCALLS || l->nvalues < SYSCALL_LIST_RAW_MIN || h->ret ||
	    policy_hook_overrides(h))
		return false;
	/* syscall-attach kprobe or fentry asks for each syscall's function */
	if (p->opts.syscall_attach == TP_SYSCALL_ATTACH_KPROBE || p->opts.syscall_attach == TP_SYSCALL_ATTACH_FENTRY)
		return false;
	for (size_t i = 0; i < h->nargs; i++)
		if (h->args[i].return_copy)
			return false;
	for (size_t i = 0; i < l->nvalues; i++)
		if (strchr(l->values[i], '/') || !strncmp(l->values[i], "__ia32_sys_", 11) ||
		    syscall_nr_x86_64(policy_syscall_base(l->values[i])) < 0)
			return false;
	return true;
}

const char *policy_syscall_instances(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h,
				     char *why, size_t len)
{
	const char *bad = NULL;

	if (h->call_list >= 0 && (p->lists[h->call_list].type == TP_LIST_GENERATED_SYSCALLS ||
				  policy_syscall_list_raw(p, h)))
		/* one instance for all: ~350 would take a minute to verify */
		return add_syscall(e, p, h, NULL, why, len);
	if (h->call_list >= 0) {
		const struct tp_list *l = &p->lists[h->call_list];

		for (size_t k = 0; k < l->nvalues && !bad; k++)
			bad = add_syscall(e, p, h, l->values[k], why, len);
		return bad;
	}
	return add_syscall(e, p, h, h->call, why, len);
}

/* ---- load and attach ---------------------------------------------------------- */

static struct gt_prog_cfg *open_obj(struct hook_inst *hi, char *why, size_t len)
{
	struct generic_tracepoint_bpf *skel = CORE_BTF_OPEN(generic_tracepoint);

	if (!skel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return NULL;
	}
	hi->skel = skel;
	hi->obj = skel->obj;
	hi->xcfg = (struct gt_xcfg *)&skel->rodata->gt_xcfg;
	return (struct gt_prog_cfg *)&skel->rodata->gt_cfg;
}

/*
 * An array of long or unsigned long ("unsigned long args[6]"), which
 * upstream reads as const_buf and reports element by element (other arrays
 * it does not decode; char arrays read as strings here).
 */
static bool long_array(const struct tp_field *fl)
{
	const char *br = strchr(fl->type, '[');
	size_t n = br ? (size_t)(br - fl->type) : 0;

	while (n && fl->type[n - 1] == ' ')
		n--;
	return br && fl->type[strlen(fl->type) - 1] == ']' && !fl->pointer &&
	       ((n == 4 && !strncmp(fl->type, "long", 4)) || (n == 13 && !strncmp(fl->type, "unsigned long", 13)));
}

/* Argument layout of one instance into its gt_prog_cfg; returns a reason or NULL. */
const char *policy_tp_compile_args(struct hook_inst *hi, const char *tracefs, char *why, size_t len)
{
	const struct tp_hook *h = hi->h;
	bool sys = !strcmp(hi->subsys, "syscalls") || hi->generated;
	struct tp_format *f = malloc(sizeof(*f));
	int err;

	if (!f)
		return "out of memory";
	err = tp_format_load(tracefs, hi->subsys, hi->event, f);
	if (err) {
		snprintf(why, len, "tracepoint %s/%s: %s", hi->subsys, hi->event, strerror(-err));
		free(f);
		return why;
	}
	if (hi->generated)
		policy_raw_syscall_args(f);
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "%zu arguments: at most %d are supported yet", h->nargs, GT_MAX_ARGS);
		free(f);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		const struct tp_field *fl = policy_tp_field(f, h, h->args[i].index);
		struct gt_arg_cfg *c = &hi->cfg->args[i];
		enum tp_arg_type t = h->args[i].type;
		unsigned sz;
		bool sg;

		if (!fl) {
			snprintf(why, len, "line %u: argument index %u out of range", h->args[i].pos.line,
				 h->args[i].index);
			free(f);
			return why;
		}
		c->offset = (uint16_t)fl->offset;
		c->size = (uint8_t)(fl->size > 255 ? 255 : fl->size);
		if (t == TP_ARG_FD) {
			/* the path is resolved through the task's fd table */
			c->kind = GT_ARG_FD;
			c->is_signed = 1;
		} else if (t == TP_ARG_SYSCALL64) {
			c->kind = GT_ARG_SYSCALL64;
		} else if (t == TP_ARG_SOCKADDR || t == TP_ARG_SOCKADDR_UN || t == TP_ARG_CHAR_IOVEC ||
			   /* user buffers of syscalls; other char_buf read as strings */
			   (t == TP_ARG_CHAR_BUF && sys && (h->args[i].size_arg_index || h->args[i].return_copy))) {
			if (!fl->pointer && fl->size != 8) {
				snprintf(why, len, "line %u: type %s needs a pointer field, %s is %s",
					 h->args[i].pos.line, tp_arg_type_name(t), fl->name, fl->type);
				free(f);
				return why;
			}
			c->kind = t == TP_ARG_CHAR_BUF ? GT_ARG_BUF_USER :
				  t == TP_ARG_CHAR_IOVEC ? GT_ARG_IOVEC_USER : GT_ARG_SOCKADDR_USER;
			if (t == TP_ARG_CHAR_IOVEC && (!sys || !h->args[i].size_arg_index)) {
				snprintf(why, len, "line %u: char_iovec needs sizeArgIndex (the 1-based index of "
					 "the iovec count) on a syscall", h->args[i].pos.line);
				free(f);
				return why;
			}
			if (t != TP_ARG_CHAR_BUF && t != TP_ARG_CHAR_IOVEC) {
				/* a syscall's socklen_t follows its sockaddr (connect, bind, sendto) */
				const struct tp_field *nf = sys ? policy_tp_field(f, h, h->args[i].index + 1) : NULL;

				if (nf && !nf->pointer && !strchr(nf->type, '*') && nf->size >= 4) {
					c->flags |= GT_ARGF_SIZE_ARG;
					c->size_off = (uint16_t)nf->offset;
				}
			} else if (h->args[i].return_copy && t == TP_ARG_CHAR_BUF) {
				c->flags |= GT_ARGF_RETURN_COPY;
			} else {
				/* sizeArgIndex is 1-based, as upstream's */
				const struct tp_field *sf = policy_tp_field(f, h, h->args[i].size_arg_index - 1);

				if (!sf || (sf->size != 4 && sf->size != 8)) {
					snprintf(why, len, "line %u: sizeArgIndex %u does not name an integer argument",
						 h->args[i].pos.line, h->args[i].size_arg_index);
					free(f);
					return why;
				}
				c->flags |= GT_ARGF_SIZE_ARG | (sf->size == 4 ? GT_ARGF_SIZE32 : 0);
				c->size_off = (uint16_t)sf->offset;
				/* readv: the iovecs are filled by the syscall */
				if (h->args[i].return_copy)
					c->flags |= GT_ARGF_RETURN_COPY;
			}
		} else if (policy_int_type(t, &sz, &sg)) {
			c->kind = GT_ARG_INT;
			c->size = (uint8_t)(sz < fl->size ? sz : fl->size);
			c->is_signed = sg;
		} else if (t == TP_ARG_AUTO && long_array(fl)) {
			/* upstream's const_buf: every element an argument of its own */
			c->kind = GT_ARG_CONST_BUF;
			c->size_off = (uint16_t)(fl->size > GT_CONST_BUF_MAX ? GT_CONST_BUF_MAX : fl->size);
			t = TP_ARG_CONST_BUF;
		} else if (t == TP_ARG_DATA_LOC || fl->data_loc) {
			c->kind = GT_ARG_DATA_LOC;
			t = TP_ARG_STRING;
		} else if (fl->char_array) {
			c->kind = GT_ARG_CHAR_ARRAY;
			t = TP_ARG_STRING;
		} else if (t == TP_ARG_STRING || t == TP_ARG_CHAR_BUF ||
			   (t == TP_ARG_AUTO && fl->pointer && strstr(fl->type, "char"))) {
			c->kind = sys ? GT_ARG_STR_USER : GT_ARG_STR_KERNEL;
			t = TP_ARG_STRING;
		} else if (t == TP_ARG_AUTO || t == TP_ARG_NOP) {
			c->kind = GT_ARG_INT;
			c->size = (uint8_t)(fl->size > 8 ? 8 : fl->size);
			c->is_signed = fl->is_signed;
			if (fl->size == 8)
				t = fl->is_signed ? TP_ARG_INT64 : TP_ARG_UINT64;
			else
				t = fl->is_signed ? TP_ARG_INT : TP_ARG_UINT32;
		} else {
			snprintf(why, len, "line %u: type %s is not supported", h->args[i].pos.line,
				 tp_arg_type_name(t));
			free(f);
			return why;
		}
		hi->types[i] = t;
		hi->is_signed[i] = c->is_signed;
		hi->size[i] = c->size;
	}
	free(f);
	hi->cfg->nargs = (uint32_t)h->nargs;
	return NULL;
}

/* In-flight calls a return probe instance can hold (LRU: the oldest go first). */
#define RET_ENTRIES 1024

/* Return probes of a syscall kprobe instance: the exit program's parts, enabled and sized. */
static const char *return_prepare(struct hook_inst *hi, const char *tracefs, char *why, size_t len)
{
	struct generic_tracepoint_bpf *skel = hi->skel;
	const struct tp_hook *h = hi->h;
	struct tp_format *f;
	char ev[128];
	int err;

	hi->ret_type = TP_ARG_NOP;
	hi->has_return = h->kind == TP_HOOK_KPROBE && h->ret;
	for (size_t i = 0; i < h->nargs; i++)
		if (h->args[i].return_copy)
			hi->has_return = true;
	if (!hi->has_return) {
		bpf_program__set_autoload(skel->progs.generic_tracepoint_exit, false);
		return NULL;
	}
	if (h->kind != TP_HOOK_KPROBE) {
		snprintf(why, len, "returnCopy needs a return probe: only syscall kprobes have one here");
		return why;
	}
	if (h->ret && h->return_arg) {
		hi->ret_type = h->return_arg->type;
		if (hi->ret_type == TP_ARG_AUTO || hi->ret_type == TP_ARG_FD)
			hi->ret_type = TP_ARG_INT;
		if (!policy_ret_type_ok(hi->ret_type)) {
			snprintf(why, len, "line %u: returnArg type %s is not supported (integer types are)",
				 h->return_arg->pos.line, tp_arg_type_name(hi->ret_type));
			return why;
		}
	}
	f = malloc(sizeof(*f));
	if (!f)
		return "out of memory";
	snprintf(ev, sizeof(ev), "sys_exit_%s", hi->event + strlen("sys_enter_"));
	err = tp_format_load(tracefs, hi->subsys, ev, f);
	if (err) {
		snprintf(why, len, "return probe: tracepoint %s/%s: %s", hi->subsys, ev, strerror(-err));
		free(f);
		return why;
	}
	for (size_t i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, "ret") && f->fields[i].size == 8)
			skel->rodata->ret_offset = (uint32_t)f->fields[i].offset;
	free(f);
	hi->cfg->has_return = 1;
	if (bpf_map__set_max_entries(skel->maps.gt_ret, RET_ENTRIES)) {
		snprintf(why, len, "sizing gt_ret: %s", strerror(errno));
		return why;
	}
	return NULL;
}

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_tracepoint_bpf *skel = hi->skel;
	const char *tracefs = policy_tracefs(e->tracefs), *bad;

	bad = policy_tp_compile_args(hi, tracefs, why, len);
	if (!bad)
		bad = return_prepare(hi, tracefs, why, len);
	if (!bad && hi->generated) {
		const struct tp_list *l = &hi->p->lists[hi->h->call_list];

		skel->rodata->sys_filter = 1;
		if (l->type == TP_LIST_SYSCALLS) {
			/* the list's own syscalls (policy_syscall_list_raw() checked each has a number) */
			for (size_t i = 0; i < l->nvalues; i++) {
				int nr = syscall_nr_x86_64(policy_syscall_base(l->values[i]));

				if (nr >= 0 && nr < SYSCALL_NR_MAX)
					skel->rodata->sys_mask[nr / 64] |= 1ULL << (nr % 64);
			}
		} else {
			/* every x86_64 syscall this agent knows (a generated_syscalls list is all of them) */
			for (int nr = 0; nr < SYSCALL_NR_MAX; nr++)
				if (syscall_name_x86_64(nr))
					skel->rodata->sys_mask[nr / 64] |= 1ULL << (nr % 64);
		}
	}
	return bad;
}

static int load(struct hook_inst *hi)
{
	return generic_tracepoint_bpf__load(hi->skel);
}

static const char *attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_tracepoint_bpf *skel = hi->skel;
	struct bpf_link *l = bpf_program__attach_tracepoint(skel->progs.generic_tracepoint, hi->subsys, hi->event);
	char ev[128], what[256];

	if (!l) {
		int err = errno;

		snprintf(what, sizeof(what), "attaching to tracepoint %s/%s", hi->subsys, hi->event);
		return policy_attach_failed(e, hi->subsys, hi->event, err, why, len, what);
	}
	if (policy_inst_link(hi, l))
		return "out of memory";
	if (!hi->has_return)
		return NULL;
	snprintf(ev, sizeof(ev), "sys_exit_%s", hi->event + strlen("sys_enter_"));
	l = bpf_program__attach_tracepoint(skel->progs.generic_tracepoint_exit, hi->subsys, ev);
	if (!l) {
		int err = errno;

		snprintf(what, sizeof(what), "attaching the return probe to tracepoint %s/%s", hi->subsys, ev);
		return policy_attach_failed(e, hi->subsys, ev, err, why, len, what);
	}
	return policy_inst_link(hi, l) ? "out of memory" : NULL;
}

static void destroy(struct hook_inst *hi)
{
	generic_tracepoint_bpf__destroy(hi->skel);
}

/* A generated list's record names its syscall by number. */
static const char *syscall_function(const struct hook_inst *hi, const struct msg_generic *m, char *buf,
				    size_t len)
{
	const char *sc;

	if (!hi->generated)
		return hi->function;
	sc = syscall_name_x86_64((int)m->func_id);
	if (sc)
		snprintf(buf, len, "__x64_sys_%s", sc);
	else
		snprintf(buf, len, "__x64_sys_%u", m->func_id);
	return buf;
}

static void describe_syscall(const struct hook_inst *hi, struct strbuf *sb)
{
	strbuf_addf(sb, "%s/%s", hi->subsys, hi->event);
	if (hi->has_return)
		strbuf_addf(sb, " and %s/sys_exit_%s", hi->subsys, hi->event + strlen("sys_enter_"));
}

const struct policy_backend policy_be_tracepoint = {
	.name = "tracepoint",
	.section = TP_HOOK_TRACEPOINT,
	.msg_op = MSG_OP_GENERIC_TRACEPOINT,
	.event = POLICY_EV_TRACEPOINT,
	.sensor = "generic_tracepoint",
	.label = "tracepoint",
	.check = check_tp,
	.instances = instances_tp,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
};

const struct policy_backend policy_be_syscall_tp = {
	.name = "syscall tracepoint",
	.section = TP_HOOK_KPROBE,
	.msg_op = MSG_OP_GENERIC_KPROBE,
	.event = POLICY_EV_KPROBE,
	.sensor = "generic_kprobe",
	.label = "kprobe",
	.returns = true,
	.overrides = true,
	.check = policy_syscall_check,
	.instances = policy_syscall_instances,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
	.function_name = syscall_function,
	.describe = describe_syscall,
};
