// SPDX-License-Identifier: Apache-2.0
/*
 * Raw tracepoints ("tracepoints:" with raw: true): the hook's args index the
 * tracepoint's TP_PROTO arguments, typed from the kernel's BTF (the
 * btf_trace_<event> typedef), and read by one generic_rawtp object per hook.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_rawtp.skel.h"
#include "kernel/bpf_errors.h"
#include "sensors/policy_internal.h"

#define RAWTP_MAX_ARGS 6

static struct btf *vmlinux_btf;
static pthread_once_t btf_once = PTHREAD_ONCE_INIT;

static void load_btf(void)
{
	struct btf *b = btf__load_vmlinux_btf();

	vmlinux_btf = libbpf_get_error(b) ? NULL : b;
}

/* What one raw argument is, from BTF. */
struct raw_arg {
	enum gt_arg_kind kind;
	unsigned size;
	bool is_signed;
	enum tp_arg_type report;	/* reporting type when the policy says auto */
	char what[64];			/* "struct file *", "int"... for messages */
};

static void describe(const struct btf *btf, __u32 id, struct raw_arg *ra)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	const char *name;

	memset(ra, 0, sizeof(*ra));
	ra->kind = GT_ARG_INT;
	ra->size = 8;
	ra->report = TP_ARG_UINT64;
	if (!t) {
		snprintf(ra->what, sizeof(ra->what), "unknown");
		return;
	}
	if (btf_is_int(t)) {
		ra->size = t->size;
		ra->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		ra->report = ra->size == 8 ? (ra->is_signed ? TP_ARG_INT64 : TP_ARG_UINT64) :
			     (ra->is_signed ? TP_ARG_INT : TP_ARG_UINT32);
		snprintf(ra->what, sizeof(ra->what), "%s", btf__name_by_offset(btf, t->name_off));
		return;
	}
	if (btf_is_enum(t)) {
		ra->size = 4;
		ra->report = TP_ARG_INT;
		snprintf(ra->what, sizeof(ra->what), "enum");
		return;
	}
	if (!btf_is_ptr(t)) {
		snprintf(ra->what, sizeof(ra->what), "a %u-byte value", t->size);
		return;
	}
	t = btf__type_by_id(btf, btf__resolve_type(btf, t->type));
	name = t ? btf__name_by_offset(btf, t->name_off) : "";
	if (t && btf_is_int(t) && t->size == 1) {
		ra->kind = GT_ARG_STR_KERNEL;
		ra->report = TP_ARG_STRING;
		snprintf(ra->what, sizeof(ra->what), "char *");
		return;
	}
	snprintf(ra->what, sizeof(ra->what), "%s%s *", t && btf_is_struct(t) ? "struct " : "", name ? name : "");
	if (t && btf_is_struct(t) && name) {
		if (!strcmp(name, "file")) {
			ra->kind = GT_ARG_FILE_PTR;
			ra->report = TP_ARG_FILE;
		} else if (!strcmp(name, "path")) {
			ra->kind = GT_ARG_PATH_PTR;
			ra->report = TP_ARG_PATH;
		} else if (!strcmp(name, "linux_binprm")) {
			ra->kind = GT_ARG_BINPRM_PTR;
			ra->report = TP_ARG_LINUX_BINPRM;
		}
	}
}

/* The TP_PROTO arguments of event; the count, or a reason in why. */
static int proto_args(const char *event, struct raw_arg *out, char *why, size_t len)
{
	char name[160];
	const struct btf_type *t;
	const struct btf_param *p;
	int id, n;

	pthread_once(&btf_once, load_btf);
	if (!vmlinux_btf) {
		snprintf(why, len, "raw tracepoints need the kernel's BTF (/sys/kernel/btf/vmlinux) to type "
			 "their arguments");
		return -ENOENT;
	}
	snprintf(name, sizeof(name), "btf_trace_%s", event);
	id = btf__find_by_name_kind(vmlinux_btf, name, BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(vmlinux_btf, id) : NULL;
	t = t ? btf__type_by_id(vmlinux_btf, t->type) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(vmlinux_btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t)) {
		snprintf(why, len, "raw tracepoint %s: the kernel's BTF has no %s (no such tracepoint here)",
			 event, name);
		return -ENOENT;
	}
	/* the first parameter is the tracepoint's private data pointer */
	n = btf_vlen(t) - 1;
	p = btf_params(t);
	for (int i = 0; i < n && i < RAWTP_MAX_ARGS; i++)
		describe(vmlinux_btf, p[i + 1].type, &out[i]);
	return n;
}

/* The kind to read for a declared type over BTF's view; false if they disagree. */
static bool arg_kind(enum tp_arg_type t, const struct raw_arg *ra, struct gt_arg_cfg *c, enum tp_arg_type *report)
{
	unsigned sz;
	bool sg;

	if (t == TP_ARG_AUTO) {
		c->kind = ra->kind;
		c->size = (uint8_t)ra->size;
		c->is_signed = ra->is_signed;
		*report = ra->report;
		return true;
	}
	if (policy_int_type(t, &sz, &sg)) {
		c->kind = GT_ARG_INT;
		c->size = (uint8_t)sz;
		c->is_signed = sg;
		*report = t;
		return true;
	}
	*report = t;
	switch (t) {
	case TP_ARG_STRING:
		c->kind = GT_ARG_STR_KERNEL;
		return ra->kind == GT_ARG_STR_KERNEL;
	case TP_ARG_FILE:
		c->kind = GT_ARG_FILE_PTR;
		return ra->kind == GT_ARG_FILE_PTR;
	case TP_ARG_PATH:
		c->kind = GT_ARG_PATH_PTR;
		return ra->kind == GT_ARG_PATH_PTR;
	case TP_ARG_LINUX_BINPRM:
		c->kind = GT_ARG_BINPRM_PTR;
		return ra->kind == GT_ARG_BINPRM_PTR;
	default:
		return false;
	}
}

const char *policy_rawtp_unsupported(const struct tp_hook *h, char *why, size_t len)
{
	struct raw_arg ra[RAWTP_MAX_ARGS];
	int n = proto_args(h->event, ra, why, len);

	if (n < 0)
		return why;
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "raw tracepoint %s: %zu arguments: at most %d are supported", h->event,
			 h->nargs, GT_MAX_ARGS);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		const struct tp_arg *a = &h->args[i];
		struct gt_arg_cfg c = { 0 };
		enum tp_arg_type rep;

		if ((int)a->index >= n || a->index >= RAWTP_MAX_ARGS) {
			snprintf(why, len, "line %u: raw tracepoint %s has %d arguments: index %u is out of range",
				 a->pos.line, h->event, n, a->index);
			return why;
		}
		if (!arg_kind(a->type, &ra[a->index], &c, &rep)) {
			snprintf(why, len, "line %u: raw tracepoint %s argument %u is %s: type %s cannot read it "
				 "(integers, string for char *, file, path and linux_binprm for those structs are "
				 "supported)", a->pos.line, h->event, a->index, ra[a->index].what,
				 tp_arg_type_name(a->type));
			return why;
		}
	}
	return NULL;
}

const char *policy_rawtp_attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	const struct tp_hook *h = hi->h;
	struct raw_arg ra[RAWTP_MAX_ARGS];
	struct gt_config *cfg;
	const char *bad = NULL;
	int n, err;

	n = proto_args(h->event, ra, why, len);
	if (n < 0)
		return why;
	hi->rskel = generic_rawtp_bpf__open();
	if (!hi->rskel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return why;
	}
	hi->obj = hi->rskel->obj;
	hi->id = e->next_id++;
	hi->rskel->rodata->hook_id = hi->id;
	hi->rskel->rodata->msg_op = MSG_OP_GENERIC_TRACEPOINT;
	hi->rskel->rodata->agent_tgid = (uint32_t)getpid();
	hi->rskel->rodata->raw_nargs = (uint32_t)(n < RAWTP_MAX_ARGS ? n : RAWTP_MAX_ARGS);
	for (size_t i = 0; i < h->nargs && i < GT_MAX_ARGS; i++) {
		struct gt_arg_cfg *c = (struct gt_arg_cfg *)&hi->rskel->rodata->args_cfg[i];
		enum tp_arg_type rep = TP_ARG_INT;

		if (h->args[i].index >= (unsigned)n || h->args[i].index >= RAWTP_MAX_ARGS ||
		    !arg_kind(h->args[i].type, &ra[h->args[i].index], c, &rep)) {
			snprintf(why, len, "line %u: raw tracepoint argument %u cannot be read",
				 h->args[i].pos.line, h->args[i].index);
			return why;
		}
		c->offset = (uint16_t)h->args[i].index;
		hi->types[i] = rep;
		hi->is_signed[i] = c->is_signed;
		hi->size[i] = c->size;
	}
	hi->rskel->rodata->nargs = (uint32_t)h->nargs;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return "out of memory";
	bad = policy_compile_selectors(hi, cfg, why, len);
	if (!bad)
		bad = policy_selectors_size(hi, hi->rskel->obj, why, len);
	if (!bad && (bpf_map__reuse_fd(hi->rskel->maps.events, e->events_fd) ||
		     bpf_map__reuse_fd(hi->rskel->maps.execve_map, e->execve_fd))) {
		snprintf(why, len, "sharing the lifecycle sensor's maps: %s", strerror(errno));
		bad = why;
	}
	if (!bad) {
		err = generic_rawtp_bpf__load(hi->rskel);
		if (err) {
			bpf_explain_error("policy engine: loading the generic raw tracepoint program", err);
			snprintf(why, len, "the kernel refused the BPF program (%s)", strerror(-err));
			bad = why;
		}
	}
	if (!bad)
		bad = policy_selectors_install(hi, hi->rskel->obj, cfg, why, len);
	free(cfg);
	if (bad)
		return bad;
	hi->link = bpf_program__attach_raw_tracepoint(hi->rskel->progs.generic_rawtp, h->event);
	if (!hi->link) {
		snprintf(why, len, "attaching to raw tracepoint %s: %s", h->event, strerror(errno));
		return why;
	}
	return NULL;
}

void policy_rawtp_destroy(struct hook_inst *hi)
{
	generic_rawtp_bpf__destroy(hi->rskel);
	hi->rskel = NULL;
}
