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

#include "abi/gt_resolve.h"
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
	__u32 type_id;			/* its BTF type (proto_args) */
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

/* type id without typedefs and qualifiers */
static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	int r = btf__resolve_type(btf, *id);

	if (r < 0)
		return NULL;
	*id = (__u32)r;
	return btf__type_by_id(btf, *id);
}

/* The member of struct/union t named name (anonymous members searched too): its type and bit offset. */
static bool find_member(const struct btf *btf, const struct btf_type *t, const char *name, __u32 *type,
			__u32 *bits)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		__u32 mid = m->type, sub;
		const struct btf_type *mt;

		if (mn && mn[0] && !strcmp(mn, name)) {
			*type = m->type;
			*bits = btf_member_bit_offset(t, i);
			return true;
		}
		mt = (!mn || !mn[0]) ? skip_mods(btf, &mid) : NULL;
		if (mt && (btf_is_struct(mt) || btf_is_union(mt)) && find_member(btf, mt, name, type, &sub)) {
			*bits = btf_member_bit_offset(t, i) + sub;
			return true;
		}
	}
	return false;
}

/*
 * Walk a resolve: path ("mm.owner.pid", "fdt.fd[0]" on arrays) from an
 * argument of BTF type id into offsets (abi/gt_resolve.h); *final is the
 * field's type and *embedded tells it is read at its address (a char array
 * or an embedded struct). 0, or -EINVAL with the step at fault in why.
 */
static int resolve_path(const struct btf *btf, __u32 id, const char *path, struct gt_resolve *r, __u32 *final,
			char *why, size_t len)
{
	const struct btf_type *t = skip_mods(btf, &id);
	const char *s = path;
	__u32 off = 0;

	memset(r, 0, sizeof(*r));
	if (!t || !btf_is_ptr(t)) {
		snprintf(why, len, "resolve \"%s\" needs a pointer to a struct", path);
		return -EINVAL;
	}
	id = t->type;
	t = skip_mods(btf, &id);
	while (*s) {
		char name[128];
		size_t n = strcspn(s, ".[");
		__u32 mtype = 0, bits = 0;

		if (*s == '.') {
			s++;
			continue;
		}
		if (*s == '[') {
			char *end;
			unsigned long idx = strtoul(s + 1, &end, 0);
			const struct btf_array *a;
			__s64 esz;

			if (*end != ']' || !t || !btf_is_array(t)) {
				snprintf(why, len, "resolve \"%s\": %.*s indexes something that is not an array", path,
					 (int)(end - path + 1), path);
				return -EINVAL;
			}
			a = btf_array(t);
			esz = btf__resolve_size(btf, a->type);
			if (esz < 0 || idx >= a->nelems) {
				snprintf(why, len, "resolve \"%s\": index %lu out of range (%u elements)", path, idx,
					 a->nelems);
				return -EINVAL;
			}
			off += (__u32)(idx * (unsigned long)esz);
			id = a->type;
			t = skip_mods(btf, &id);
			s = end + 1;
			continue;
		}
		/* a member: of the struct we are in, or behind the pointer we hold */
		if (t && btf_is_ptr(t)) {
			if (r->n >= GT_RESOLVE_MAX - 1) {
				snprintf(why, len, "resolve \"%s\": more than %d pointers", path, GT_RESOLVE_MAX);
				return -EINVAL;
			}
			r->off[r->n++] = off;
			off = 0;
			id = t->type;
			t = skip_mods(btf, &id);
		}
		snprintf(name, sizeof(name), "%.*s", (int)n, s);
		if (!t || !(btf_is_struct(t) || btf_is_union(t)) || !find_member(btf, t, name, &mtype, &bits)) {
			snprintf(why, len, "resolve \"%s\": %s%s has no member %s", path,
				 t && btf_is_struct(t) ? "struct " : t && btf_is_union(t) ? "union " : "",
				 t ? btf__name_by_offset(btf, t->name_off) : "?", name);
			return -EINVAL;
		}
		if (bits % 8) {
			snprintf(why, len, "resolve \"%s\": %s is a bit field", path, name);
			return -EINVAL;
		}
		off += bits / 8;
		id = mtype;
		t = skip_mods(btf, &id);
		s += n;
	}
	r->off[r->n++] = off;
	*final = id;
	r->last = GT_RES_LOAD;
	r->size = 8;
	if (t && (btf_is_int(t) || btf_is_enum(t)))
		r->size = (__u8)(t->size < 8 ? t->size : 8);
	else if (t && (btf_is_array(t) || btf_is_struct(t) || btf_is_union(t)))
		r->last = GT_RES_ADDR;
	return 0;
}

/*
 * What a resolved field is: like describe(), and an embedded char array
 * reads as a string, an embedded struct path as a path.
 */
static int describe_resolved(const struct btf *btf, __u32 id, const char *path, struct gt_resolve *r,
			     struct raw_arg *ra, char *why, size_t len)
{
	const struct btf_type *t;
	__u32 final = 0;

	if (resolve_path(btf, id, path, r, &final, why, len))
		return -EINVAL;
	describe(btf, final, ra);
	if (r->last != GT_RES_ADDR)
		return 0;
	t = skip_mods(btf, &final);
	if (t && btf_is_array(t)) {
		__u32 eid = btf_array(t)->type;
		const struct btf_type *et = skip_mods(btf, &eid);

		if (et && btf_is_int(et) && et->size == 1) {
			ra->kind = GT_ARG_STR_KERNEL;
			ra->report = TP_ARG_STRING;
			snprintf(ra->what, sizeof(ra->what), "char[%u]", btf_array(t)->nelems);
			return 0;
		}
	}
	if (t && btf_is_struct(t) && !strcmp(btf__name_by_offset(btf, t->name_off), "path")) {
		ra->kind = GT_ARG_PATH_PTR;
		ra->report = TP_ARG_PATH;
		snprintf(ra->what, sizeof(ra->what), "struct path");
		return 0;
	}
	snprintf(why, len, "resolve \"%s\" ends on %s, an embedded struct or array: resolve to one of its "
		 "members (integers, char arrays and struct path can be read)", path, ra->what);
	return -EINVAL;
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
	for (int i = 0; i < n && i < RAWTP_MAX_ARGS; i++) {
		describe(vmlinux_btf, p[i + 1].type, &out[i]);
		out[i].type_id = p[i + 1].type;
	}
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

/*
 * Argument i of h over the tracepoint's n raw arguments ra: how to read it
 * (c, res) and how to report it (rep); a reason or NULL.
 */
static const char *arg_setup(const struct tp_hook *h, size_t i, const struct raw_arg *ra, int n,
			     struct gt_arg_cfg *c, struct gt_resolve *res, enum tp_arg_type *rep, char *why, size_t len)
{
	const struct tp_arg *a = &h->args[i];
	struct raw_arg rr;

	memset(res, 0, sizeof(*res));
	if ((int)a->index >= n || a->index >= RAWTP_MAX_ARGS) {
		snprintf(why, len, "line %u: raw tracepoint %s has %d arguments: index %u is out of range",
			 a->pos.line, h->event, n, a->index);
		return why;
	}
	rr = ra[a->index];
	if (a->resolve) {
		char tmp[384];

		if (describe_resolved(vmlinux_btf, ra[a->index].type_id, a->resolve, res, &rr, tmp, sizeof(tmp))) {
			snprintf(why, len, "line %u: raw tracepoint %s argument %u (%s): %s", a->pos.line, h->event,
				 a->index, ra[a->index].what, tmp);
			return why;
		}
	}
	if (!arg_kind(a->type, &rr, c, rep)) {
		snprintf(why, len, "line %u: raw tracepoint %s argument %u%s%s is %s: type %s cannot read it "
			 "(integers, string for char * and char arrays, file, path and linux_binprm for those "
			 "structs are supported)", a->pos.line, h->event, a->index, a->resolve ? " resolved to " : "",
			 a->resolve ? a->resolve : "", rr.what, tp_arg_type_name(a->type));
		return why;
	}
	c->offset = (uint16_t)a->index;
	return NULL;
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
		struct gt_arg_cfg c = { 0 };
		struct gt_resolve res;
		enum tp_arg_type rep;

		if (arg_setup(h, i, ra, n, &c, &res, &rep, why, len))
			return why;
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
		struct gt_resolve *res = (struct gt_resolve *)&hi->rskel->rodata->resolve_cfg[i];
		enum tp_arg_type rep = TP_ARG_INT;

		if (arg_setup(h, i, ra, n, c, res, &rep, why, len))
			return why;
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
	if (!bad && (bpf_map__reuse_fd(hi->rskel->maps.policy_events, e->events_fd) ||
		     bpf_map__reuse_fd(hi->rskel->maps.execve_map, e->execve_fd) ||
		     (e->missed_fd > 0 && bpf_map__reuse_fd(hi->rskel->maps.missed_events, e->missed_fd)))) {
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
