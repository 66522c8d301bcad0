// SPDX-License-Identifier: Apache-2.0
#include "sensors/generic_policy.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "event/process_events.h"
#include "generic_tracepoint.skel.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "kernel/bpf_errors.h"
#include "policy/policy.h"
#include "tetragon/tetragon.pb-c.h"
#include "util/ktime.h"
#include "tracing/tp_format.h"
#include "util/log.h"
#include "util/strbuf.h"

struct loaded_policy {
	struct tp_policy *p;
	char *file;
};

/* One attached BPF object: a hook, or one syscall of a hook's list. */
struct hook_inst {
	struct tp_policy *p;
	const struct tp_hook *h;
	char subsys[64], event[96];
	char function[128];	/* kprobes: __x64_sys_<name> */
	enum tp_arg_type types[GT_MAX_ARGS];	/* reporting type per slot */
	bool is_signed[GT_MAX_ARGS];
	unsigned size[GT_MAX_ARGS];
	struct generic_tracepoint_bpf *skel;
	struct bpf_link *link;
	uint32_t id;		/* hook_id in records; never reused */
};

struct policy_engine {
	struct loaded_policy *v;
	size_t n;
	size_t refused;
	struct hook_inst **inst;
	size_t ninst;
	int events_fd, execve_fd;
	const char *tracefs;
	uint32_t next_id;
};

static const char *tracefs_of(const char *t)
{
	return t ? t : "/sys/kernel/tracing";
}

/* "sys_openat", "__x64_sys_openat", "openat" -> "openat" */
static const char *syscall_base(const char *call)
{
	if (!strncmp(call, "__x64_sys_", 10))
		return call + 10;
	if (!strncmp(call, "__ia32_sys_", 11))
		return call + 11;
	if (!strncmp(call, "sys_", 4))
		return call + 4;
	return call;
}

static bool arg_type_ok(enum tp_arg_type t)
{
	switch (t) {
	case TP_ARG_AUTO: case TP_ARG_INT: case TP_ARG_INT8: case TP_ARG_UINT8:
	case TP_ARG_INT16: case TP_ARG_UINT16: case TP_ARG_INT32: case TP_ARG_UINT32:
	case TP_ARG_INT64: case TP_ARG_UINT64: case TP_ARG_SIZE_T: case TP_ARG_STRING:
	case TP_ARG_FD: case TP_ARG_DATA_LOC: case TP_ARG_CHAR_BUF: case TP_ARG_NOP:
		return true;
	default:
		return false;
	}
}

static bool arg_op_ok(enum tp_op op)
{
	switch (op) {
	case TP_OP_EQUAL: case TP_OP_NOT_EQUAL: case TP_OP_PREFIX: case TP_OP_NOT_PREFIX:
	case TP_OP_POSTFIX: case TP_OP_NOT_POSTFIX: case TP_OP_GT: case TP_OP_LT:
	case TP_OP_MASK: case TP_OP_IN_RANGE:
		return true;
	default:
		return false;
	}
}

static const char *selectors_unsupported(const struct tp_hook *h, char *why, size_t len)
{
	for (size_t i = 0; i < h->nselectors; i++) {
		const struct tp_selector *s = &h->selectors[i];

		if (s->ndata || s->nreturn_args || s->nreturn_actions || s->nparent_binaries ||
		    s->nnamespaces || s->nns_changes || s->ncaps || s->ncap_changes || s->workloads) {
			snprintf(why, len, "line %u: selector %zu uses a filter this engine does not "
				 "evaluate yet (only matchArgs, matchBinaries, matchPIDs, matchActions); "
				 "remove it or run upstream Tetragon", s->pos.line, i);
			return why;
		}
		for (size_t j = 0; j < s->nargs; j++)
			if (!arg_op_ok(s->args[j].op)) {
				snprintf(why, len, "line %u: matchArgs operator %s is not supported yet "
					 "(Equal, NotEqual, Prefix, NotPrefix, Postfix, NotPostfix, GT, LT, "
					 "Mask, InRange are)", s->args[j].pos.line, tp_op_name(s->args[j].op));
				return why;
			}
		for (size_t j = 0; j < s->nbinaries; j++) {
			enum tp_op op = s->binaries[j].op;

			if (op != TP_OP_IN && op != TP_OP_NOT_IN && op != TP_OP_PREFIX && op != TP_OP_NOT_PREFIX) {
				snprintf(why, len, "line %u: matchBinaries operator %s is not supported yet "
					 "(In, NotIn, Prefix, NotPrefix are)", s->binaries[j].pos.line, tp_op_name(op));
				return why;
			}
			if (s->binaries[j].follow_children) {
				snprintf(why, len, "line %u: matchBinaries followChildren is not supported yet",
					 s->binaries[j].pos.line);
				return why;
			}
		}
		for (size_t j = 0; j < s->npids; j++)
			if (s->pids[j].is_namespace_pid || s->pids[j].follow_forks) {
				snprintf(why, len, "line %u: matchPIDs isNamespacePID/followForks are not "
					 "supported yet", s->pids[j].pos.line);
				return why;
			}
		for (size_t j = 0; j < s->nactions; j++) {
			enum tp_action_type a = s->actions[j].type;

			if (a != TP_ACTION_POST && a != TP_ACTION_NOPOST && a != TP_ACTION_SIGKILL &&
			    a != TP_ACTION_SIGNAL) {
				snprintf(why, len, "line %u: action %s is not supported yet (Post, NoPost, "
					 "Sigkill, Signal are)", s->actions[j].pos.line, tp_action_name(a));
				return why;
			}
		}
	}
	return NULL;
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
	err = tp_format_load(tracefs, subsys, event, f);
	if (err) {
		snprintf(why, len, "tracepoint %s/%s is not available on this kernel (%s/events/%s/%s/format: %s)",
			 subsys, event, tracefs, subsys, event, strerror(-err));
		free(f);
		return why;
	}
	/* syscalls/sys_enter_*: the first argument is __syscall_nr, skipped */
	size_t skip = !strcmp(subsys, "syscalls") && h->kind == TP_HOOK_KPROBE ? 1 : 0;

	for (size_t i = 0; i < h->nargs; i++) {
		if (!arg_type_ok(h->args[i].type)) {
			snprintf(why, len, "line %u: argument type %s is not supported by the tracepoint "
				 "engine yet (integers, string, char_buf, fd, data_loc are)",
				 h->args[i].pos.line, tp_arg_type_name(h->args[i].type));
			free(f);
			return why;
		}
		if (h->args[i].resolve || h->args[i].return_copy) {
			snprintf(why, len, "line %u: resolve/returnCopy need kprobes, not available here",
				 h->args[i].pos.line);
			free(f);
			return why;
		}
		if (h->args[i].index + skip >= tp_format_nargs(f)) {
			snprintf(why, len, "line %u: argument index %u is out of range: %s/%s has %zu arguments",
				 h->args[i].pos.line, h->args[i].index, subsys, event,
				 tp_format_nargs(f) - skip);
			free(f);
			return why;
		}
	}
	free(f);
	return NULL;
}

const char *policy_hook_unsupported(const void *policy, size_t hi, const char *tracefs,
				    char *why, size_t len)
{
	const struct tp_policy *p = policy;
	const struct tp_hook *h = &p->hooks[hi];
	char ev[128];

	tracefs = tracefs_of(tracefs);
	switch (h->kind) {
	case TP_HOOK_TRACEPOINT:
		if (h->raw) {
			snprintf(why, len, "raw tracepoints are not supported yet: set raw: false");
			return why;
		}
		if (selectors_unsupported(h, why, len))
			return why;
		return check_tracepoint(tracefs, h->subsystem, h->event, h, why, len);
	case TP_HOOK_KPROBE:
		if (!h->syscall || h->ret || h->ndata || h->return_arg) {
			snprintf(why, len, "kprobe on %s: this engine serves only syscall kprobes "
				 "(syscall: true, no return probe, no data) through the "
				 "syscalls/sys_enter_* tracepoints, and this kernel has no usable kprobes; "
				 "use a tracepoints: section instead", h->call);
			return why;
		}
		if (selectors_unsupported(h, why, len))
			return why;
		if (h->call_list >= 0) {
			const struct tp_list *l = &p->lists[h->call_list];

			if (l->type != TP_LIST_SYSCALLS) {
				snprintf(why, len, "list %s is not of type syscalls: only syscall lists can be "
					 "served by syscall tracepoints", l->name);
				return why;
			}
			for (size_t i = 0; i < l->nvalues; i++) {
				snprintf(ev, sizeof(ev), "sys_enter_%s", syscall_base(l->values[i]));
				if (check_tracepoint(tracefs, "syscalls", ev, h, why, len))
					return why;
			}
			return NULL;
		}
		snprintf(ev, sizeof(ev), "sys_enter_%s", syscall_base(h->call));
		if (check_tracepoint(tracefs, "syscalls", ev, h, why, len)) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%s: %s is not a syscall this kernel traces", why, h->call);
			snprintf(why, len, "%s", tmp);
			return why;
		}
		return NULL;
	default:
		snprintf(why, len, "%s hooks are not supported by this engine yet (only tracepoints: "
			 "and kprobes: with syscall: true); the policy must be rewritten or run with "
			 "upstream Tetragon", tp_hook_kind_name(h->kind));
		return why;
	}
}

/* ---- compile + attach ------------------------------------------------------ */

static bool is_int_type(enum tp_arg_type t, unsigned *size, bool *sgn)
{
	switch (t) {
	case TP_ARG_INT: case TP_ARG_INT32: case TP_ARG_FD: *size = 4; *sgn = true; return true;
	case TP_ARG_UINT32: *size = 4; *sgn = false; return true;
	case TP_ARG_INT8: *size = 1; *sgn = true; return true;
	case TP_ARG_UINT8: *size = 1; *sgn = false; return true;
	case TP_ARG_INT16: *size = 2; *sgn = true; return true;
	case TP_ARG_UINT16: *size = 2; *sgn = false; return true;
	case TP_ARG_INT64: *size = 8; *sgn = true; return true;
	case TP_ARG_UINT64: case TP_ARG_SIZE_T: *size = 8; *sgn = false; return true;
	default: return false;
	}
}

static enum gt_op map_op(enum tp_op op)
{
	switch (op) {
	case TP_OP_EQUAL: return GT_OP_EQ;
	case TP_OP_NOT_EQUAL: return GT_OP_NEQ;
	case TP_OP_PREFIX: return GT_OP_PREFIX;
	case TP_OP_NOT_PREFIX: return GT_OP_NOT_PREFIX;
	case TP_OP_POSTFIX: return GT_OP_POSTFIX;
	case TP_OP_NOT_POSTFIX: return GT_OP_NOT_POSTFIX;
	case TP_OP_GT: return GT_OP_GT;
	case TP_OP_LT: return GT_OP_LT;
	case TP_OP_MASK: return GT_OP_MASK;
	case TP_OP_IN_RANGE: return GT_OP_IN_RANGE;
	case TP_OP_IN: return GT_OP_EQ;
	case TP_OP_NOT_IN: return GT_OP_NEQ;
	default: return GT_OP_NONE;
	}
}

/* Argument layout of one instance into rodata; returns a reason or NULL. */
static const char *compile_args(struct hook_inst *hi, struct generic_tracepoint_bpf *skel,
				const char *tracefs, char *why, size_t len)
{
	const struct tp_hook *h = hi->h;
	bool sys = !strcmp(hi->subsys, "syscalls");
	size_t skip = h->kind == TP_HOOK_KPROBE ? 1 : 0;
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
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "%zu arguments: at most %d are supported yet", h->nargs, GT_MAX_ARGS);
		free(f);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		const struct tp_field *fl = tp_format_arg(f, h->args[i].index + skip);
		struct gt_arg_cfg *c = (struct gt_arg_cfg *)&skel->rodata->args_cfg[i];
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
		if (is_int_type(t, &sz, &sg)) {
			c->kind = GT_ARG_INT;
			c->size = (uint8_t)(sz < fl->size ? sz : fl->size);
			c->is_signed = sg;
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
	skel->rodata->nargs = (uint32_t)h->nargs;
	return NULL;
}

static const char *compile_selectors(struct hook_inst *hi, struct gt_config *cfg, char *why, size_t len)
{
	const struct tp_hook *h = hi->h;

	if (h->nselectors > GT_MAX_SEL) {
		snprintf(why, len, "%zu selectors: at most %d are supported yet", h->nselectors, GT_MAX_SEL);
		return why;
	}
	cfg->nsel = (uint32_t)h->nselectors;
	for (size_t i = 0; i < h->nselectors; i++) {
		const struct tp_selector *s = &h->selectors[i];
		struct gt_selector *g = &cfg->sel[i];

		g->post = 1;
		g->action = GT_ACT_POST;
		for (size_t j = 0; j < s->nactions; j++) {
			switch (s->actions[j].type) {
			case TP_ACTION_NOPOST: g->post = 0; break;
			/* policy-mode monitor: report, do not enforce */
			case TP_ACTION_SIGKILL:
				if (hi->p->opts.policy_mode != TP_MODE_MONITOR)
					g->action = GT_ACT_SIGKILL;
				break;
			case TP_ACTION_SIGNAL:
				if (g->action != GT_ACT_SIGKILL && hi->p->opts.policy_mode != TP_MODE_MONITOR) {
					g->action = GT_ACT_SIGNAL;
					g->sig = s->actions[j].arg_sig;
				}
				break;
			default: break;
			}
		}
		if (s->npids > 1 || (s->npids && s->pids[0].nvalues > GT_MAX_PIDS)) {
			snprintf(why, len, "line %u: at most one matchPIDs entry of %d values is supported yet",
				 s->pos.line, GT_MAX_PIDS);
			return why;
		}
		if (s->npids) {
			g->pid_op = s->pids[0].op == TP_OP_IN ? GT_OP_IN : GT_OP_NOT_IN;
			g->npids = (uint32_t)s->pids[0].nvalues;
			for (size_t k = 0; k < s->pids[0].nvalues; k++)
				g->pids[k] = s->pids[0].values[k];
		}
		if (s->nbinaries > 1 || (s->nbinaries && s->binaries[0].nvalues > GT_MAX_BINS)) {
			snprintf(why, len, "line %u: at most one matchBinaries entry of %d values is supported yet",
				 s->pos.line, GT_MAX_BINS);
			return why;
		}
		if (s->nbinaries) {
			const struct tp_binary_filter *b = &s->binaries[0];

			g->bin_op = map_op(b->op);
			g->nbins = (uint32_t)b->nvalues;
			for (size_t k = 0; k < b->nvalues; k++) {
				size_t l = strlen(b->values[k]);

				if (l >= GT_BIN_MAX) {
					snprintf(why, len, "line %u: binary path longer than %d bytes", b->pos.line,
						 GT_BIN_MAX - 1);
					return why;
				}
				memcpy(g->bins[k], b->values[k], l);
				g->bin_len[k] = (uint32_t)l;
			}
		}
		if (s->nargs > GT_MAX_ARGF) {
			snprintf(why, len, "line %u: at most %d matchArgs entries are supported yet", s->pos.line,
				 GT_MAX_ARGF);
			return why;
		}
		g->nargf = (uint32_t)s->nargs;
		for (size_t j = 0; j < s->nargs; j++) {
			const struct tp_arg_filter *a = &s->args[j];
			struct gt_argf *gf = &g->argf[j];
			int slot = a->slot;

			if (slot < 0)
				for (size_t k = 0; k < h->nargs; k++)
					if (h->args[k].index == a->index)
						slot = (int)k;
			if (slot < 0 || (size_t)slot >= h->nargs) {
				snprintf(why, len, "line %u: matchArgs index %u is not one of the hook's args",
					 a->pos.line, a->index);
				return why;
			}
			if (a->nvalues > GT_MAX_VALS) {
				snprintf(why, len, "line %u: at most %d values per matchArgs entry are supported yet",
					 a->pos.line, GT_MAX_VALS);
				return why;
			}
			gf->slot = (uint8_t)slot;
			gf->op = (uint8_t)map_op(a->op);
			gf->nvals = (uint8_t)a->nvalues;
			gf->is_str = hi->types[slot] == TP_ARG_STRING;
			for (size_t k = 0; k < a->nvalues; k++) {
				const struct tp_value *v = &a->values[k];
				char *end;

				if (gf->is_str) {
					const char *b = v->kind == TP_VAL_STRING ? v->u.bytes.s : v->str;
					size_t l = v->kind == TP_VAL_STRING ? v->u.bytes.len : v->len;

					if (l >= GT_STR_MAX) {
						snprintf(why, len, "line %u: string value longer than %d bytes",
							 v->pos.line, GT_STR_MAX - 1);
						return why;
					}
					memcpy(gf->str[k], b, l);
					gf->len[k] = (uint32_t)l;
					continue;
				}
				switch (v->kind) {
				case TP_VAL_INT: gf->lo[k] = v->u.i; break;
				case TP_VAL_UINT: case TP_VAL_CAPS: gf->lo[k] = (int64_t)v->u.u; break;
				case TP_VAL_INT_RANGE: gf->lo[k] = v->u.irange.lo; gf->hi[k] = v->u.irange.hi; break;
				case TP_VAL_UINT_RANGE:
					gf->lo[k] = (int64_t)v->u.urange.lo;
					gf->hi[k] = (int64_t)v->u.urange.hi;
					break;
				default:
					errno = 0;
					gf->lo[k] = strtoll(v->str, &end, 0);
					if (errno || end == v->str || *end) {
						snprintf(why, len, "line %u: \"%s\" is not an integer", v->pos.line, v->str);
						return why;
					}
				}
			}
		}
	}
	return NULL;
}

static void inst_free(struct hook_inst *hi)
{
	if (!hi)
		return;
	bpf_link__destroy(hi->link);
	generic_tracepoint_bpf__destroy(hi->skel);
	free(hi);
}

static const char *attach_one(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct gt_config *cfg = NULL;
	const char *bad;
	uint32_t zero = 0;
	int err;

	hi->skel = generic_tracepoint_bpf__open();
	if (!hi->skel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return why;
	}
	/* a torn-down instance's records may still be queued: ids are not reused */
	hi->id = e->next_id++;
	hi->skel->rodata->hook_id = hi->id;
	hi->skel->rodata->msg_op = hi->h->kind == TP_HOOK_KPROBE ? MSG_OP_GENERIC_KPROBE : MSG_OP_GENERIC_TRACEPOINT;
	hi->skel->rodata->agent_tgid = (uint32_t)getpid();
	bad = compile_args(hi, hi->skel, e->tracefs, why, len);
	if (bad)
		return bad;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return "out of memory";
	bad = compile_selectors(hi, cfg, why, len);
	if (bad) {
		free(cfg);
		return bad;
	}
	if (bpf_map__reuse_fd(hi->skel->maps.events, e->events_fd) ||
	    bpf_map__reuse_fd(hi->skel->maps.execve_map, e->execve_fd)) {
		snprintf(why, len, "sharing the lifecycle sensor's maps: %s", strerror(errno));
		free(cfg);
		return why;
	}
	err = generic_tracepoint_bpf__load(hi->skel);
	if (err) {
		bpf_explain_error("policy engine: loading the generic tracepoint program", err);
		snprintf(why, len, "the kernel refused the BPF program (%s)", strerror(-err));
		free(cfg);
		return why;
	}
	err = bpf_map_update_elem(bpf_map__fd(hi->skel->maps.gt_config), &zero, cfg, BPF_ANY);
	free(cfg);
	if (err) {
		snprintf(why, len, "writing the selectors: %s", strerror(errno));
		return why;
	}
	hi->link = bpf_program__attach_tracepoint(hi->skel->progs.generic_tracepoint, hi->subsys, hi->event);
	if (!hi->link) {
		snprintf(why, len, "attaching to tracepoint %s/%s: %s", hi->subsys, hi->event, strerror(errno));
		return why;
	}
	return NULL;
}

static const char *attach_hook(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h,
			       const char *name, char *why, size_t len)
{
	struct hook_inst *hi = calloc(1, sizeof(*hi));
	struct hook_inst **v;
	const char *bad;

	if (!hi)
		return "out of memory";
	hi->p = p;
	hi->h = h;
	if (h->kind == TP_HOOK_KPROBE) {
		snprintf(hi->subsys, sizeof(hi->subsys), "syscalls");
		snprintf(hi->event, sizeof(hi->event), "sys_enter_%s", syscall_base(name));
		snprintf(hi->function, sizeof(hi->function), "__x64_sys_%s", syscall_base(name));
	} else {
		snprintf(hi->subsys, sizeof(hi->subsys), "%s", h->subsystem);
		snprintf(hi->event, sizeof(hi->event), "%s", h->event);
	}
	bad = attach_one(e, hi, why, len);
	if (bad) {
		inst_free(hi);
		return bad;
	}
	v = realloc(e->inst, (e->ninst + 1) * sizeof(*v));
	if (!v) {
		inst_free(hi);
		return "out of memory";
	}
	e->inst = v;
	v[e->ninst++] = hi;
	return NULL;
}

/* All hooks of p, or none: on failure the instances of p are torn down. */
static const char *attach_policy(struct policy_engine *e, struct tp_policy *p, char *why, size_t len)
{
	size_t first = e->ninst;
	const char *bad = NULL;

	for (size_t i = 0; i < p->nhooks && !bad; i++) {
		const struct tp_hook *h = &p->hooks[i];

		if (h->kind == TP_HOOK_KPROBE && h->call_list >= 0) {
			const struct tp_list *l = &p->lists[h->call_list];

			for (size_t k = 0; k < l->nvalues && !bad; k++)
				bad = attach_hook(e, p, h, l->values[k], why, len);
		} else {
			bad = attach_hook(e, p, h, h->call, why, len);
		}
	}
	if (bad) {
		while (e->ninst > first)
			inst_free(e->inst[--e->ninst]);
	}
	return bad;
}

static int add_file(struct policy_engine *e, const char *path, const char *tracefs)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;
	char why[768];
	int err;

	err = tp_parse_file(path, &set, &d);
	for (size_t i = 0; i < d.n; i++) {
		strbuf_reset(&sb);
		tp_diag_format(&d.v[i], path, &sb);
		if (d.v[i].sev == TP_SEV_ERROR)
			log_error("tracing policy refused: %s", (sb.buf ? sb.buf : ""));
		else
			log_warn("tracing policy: %s", (sb.buf ? sb.buf : ""));
	}
	tp_diags_free(&d);
	strbuf_free(&sb);
	if (err == -ENOMEM)
		return err;
	if (err) {
		e->refused++;
		return 0;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct tp_policy *p = set->policies[i];
		const char *bad = NULL;
		size_t h;

		for (h = 0; h < p->nhooks && !bad; h++)
			bad = policy_hook_unsupported(p, h, tracefs, why, sizeof(why));
		if (!bad)
			bad = attach_policy(e, p, why, sizeof(why));
		if (bad) {
			log_error("tracing policy %s (%s) refused: %s", p->name, path, bad);
			e->refused++;
			continue;
		}
		struct loaded_policy *v = realloc(e->v, (e->n + 1) * sizeof(*v));

		if (!v) {
			tp_policy_set_free(set);
			return -ENOMEM;
		}
		e->v = v;
		v[e->n].file = strdup(path);
		v[e->n].p = tp_policy_set_take(set, i);
		e->n++;
		log_info("tracing policy %s (%s) accepted: %zu hook(s)", p->name, path, p->nhooks);
	}
	tp_policy_set_free(set);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(struct policy_engine *e, const char *dir, const char *tracefs)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int err = 0;

	if (!d) {
		log_error("--tracing-policy-dir %s: %s; no policy loaded from it", dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		if (!((l > 5 && !strcmp(de->d_name + l - 5, ".yaml")) ||
		      (l > 4 && !strcmp(de->d_name + l - 4, ".yml"))))
			continue;
		nv = realloc(names, (n + 1) * sizeof(*nv));
		if (!nv) {
			err = -ENOMEM;
			break;
		}
		names = nv;
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!err)
			err = add_file(e, names[i], tracefs);
		free(names[i]);
	}
	free(names);
	return err;
}

int policy_engine_open(struct policy_engine **ret, const struct policy_engine_opts *o)
{
	struct policy_engine *e = calloc(1, sizeof(*e));
	int err = 0;

	if (!e)
		return -ENOMEM;
	e->events_fd = o->events_fd;
	e->execve_fd = o->execve_fd;
	e->tracefs = tracefs_of(o->tracefs);
	for (size_t i = 0; i < o->nfiles && !err; i++)
		err = add_file(e, o->files[i], o->tracefs);
	if (!err && o->dir)
		err = add_dir(e, o->dir, o->tracefs);
	if (err) {
		policy_engine_close(e);
		return err;
	}
	if (e->n || e->refused)
		log_info("tracing policies: %zu accepted, %zu refused", e->n, e->refused);
	*ret = e;
	return 0;
}

size_t policy_engine_accepted(const struct policy_engine *e)
{
	return e ? e->n : 0;
}

static uint64_t stat_sum(struct hook_inst *hi, uint32_t idx)
{
	int n = libbpf_num_possible_cpus();
	uint64_t sum = 0;

	if (n <= 0)
		return 0;
	uint64_t vals[n];

	if (bpf_map_lookup_elem(bpf_map__fd(hi->skel->maps.gt_stats), &idx, vals))
		return 0;
	for (int i = 0; i < n; i++)
		sum += vals[i];
	return sum;
}

int policy_engine_stats(struct policy_engine *e, size_t i, struct policy_hook_stats *st)
{
	if (!e || i >= e->ninst)
		return -ENOENT;
	st->policy = e->inst[i]->p->name;
	st->subsys = e->inst[i]->subsys;
	st->event = e->inst[i]->event;
	st->matched = stat_sum(e->inst[i], GT_STAT_MATCHED);
	st->filtered = stat_sum(e->inst[i], GT_STAT_FILTERED);
	st->lost = stat_sum(e->inst[i], GT_STAT_LOST);
	return 0;
}

void policy_engine_close(struct policy_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->ninst; i++) {
		struct policy_hook_stats st;

		if (!policy_engine_stats(e, i, &st))
			log_info("policy %s hook %s/%s: matched=%llu filtered=%llu lost=%llu", st.policy,
				 st.subsys, st.event, (unsigned long long)st.matched,
				 (unsigned long long)st.filtered, (unsigned long long)st.lost);
		inst_free(e->inst[i]);
	}
	free(e->inst);
	for (size_t i = 0; i < e->n; i++) {
		tp_policy_free(e->v[i].p);
		free(e->v[i].file);
	}
	free(e->v);
	free(e);
}

/* ---- records -> events ----------------------------------------------------- */

static void set_ts(Google__Protobuf__Timestamp *ts, uint64_t wall_ns)
{
	google__protobuf__timestamp__init(ts);
	ts->seconds = (int64_t)(wall_ns / 1000000000ULL);
	ts->nanos = (int32_t)(wall_ns % 1000000000ULL);
}

static void fill_arg(Tetragon__KprobeArgument *a, const struct hook_inst *hi, const struct msg_generic *m,
		     size_t i, char *strbuf)
{
	int64_t v = m->args[i].ival;

	tetragon__kprobe_argument__init(a);
	a->label = hi->h->args[i].label;
	switch (hi->types[i]) {
	case TP_ARG_STRING: {
		size_t l = m->args[i].len < GT_STR_MAX ? m->args[i].len : GT_STR_MAX - 1;

		memcpy(strbuf, m->str[i], l);
		strbuf[l] = 0;
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_STRING_ARG;
		a->string_arg = strbuf;
		return;
	}
	case TP_ARG_UINT8: case TP_ARG_UINT16: case TP_ARG_UINT32:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_UINT_ARG;
		a->uint_arg = (uint32_t)v;
		return;
	case TP_ARG_INT64:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_LONG_ARG;
		a->long_arg = v;
		return;
	case TP_ARG_UINT64: case TP_ARG_SIZE_T:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SIZE_ARG;
		a->size_arg = (uint64_t)v;
		return;
	default:
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_INT_ARG;
		a->int_arg = (int32_t)v;
		return;
	}
}

static Tetragon__KprobeAction action_of(uint32_t a, bool post)
{
	switch (a) {
	case GT_ACT_SIGKILL: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_SIGKILL;
	case GT_ACT_SIGNAL: return TETRAGON__KPROBE_ACTION__KPROBE_ACTION_SIGNAL;
	default:
		return post ? TETRAGON__KPROBE_ACTION__KPROBE_ACTION_POST :
			      TETRAGON__KPROBE_ACTION__KPROBE_ACTION_NOPOST;
	}
}

int policy_engine_handle(struct policy_engine *e, struct process_events *pe, const void *data, size_t len)
{
	const struct msg_generic *m = data;
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Tetragon__ProcessTracepoint tp = TETRAGON__PROCESS_TRACEPOINT__INIT;
	Tetragon__KprobeArgument args[GT_MAX_ARGS], *argp[GT_MAX_ARGS];
	char strs[GT_MAX_ARGS][GT_STR_MAX];
	Google__Protobuf__Timestamp ts;
	const Tetragon__Process *proc = NULL, *parent = NULL;
	const struct hook_inst *hi;
	struct process *p;
	size_t nargs;

	hi = NULL;
	for (size_t i = 0; e && len >= sizeof(*m) && i < e->ninst; i++)
		if (e->inst[i]->id == m->hook_id)
			hi = e->inst[i];
	if (!hi) {
		if (pe)
			pe->bad_msgs++;
		return 0;
	}
	p = m->key.pid ? process_cache_get(pe->cache, m->key.pid, m->key.ktime) : NULL;
	if (!p)
		p = process_cache_get(pe->cache, m->tgid, 0);
	if (p) {
		proc = process_view(p, &pe->view);
		if (p->parent)
			parent = process_view(p->parent, &pe->view);
	}
	nargs = m->nargs < GT_MAX_ARGS ? m->nargs : GT_MAX_ARGS;
	if (nargs > hi->h->nargs)
		nargs = hi->h->nargs;
	for (size_t i = 0; i < nargs; i++) {
		fill_arg(&args[i], hi, m, i, strs[i]);
		argp[i] = &args[i];
	}
	Tetragon__KprobeAction act = action_of(m->action, true);

	if (hi->h->kind == TP_HOOK_KPROBE) {
		kp.process = (Tetragon__Process *)proc;
		kp.parent = (Tetragon__Process *)parent;
		kp.function_name = (char *)hi->function;
		kp.n_args = nargs;
		kp.args = argp;
		kp.action = act;
		kp.policy_name = hi->p->name;
		kp.message = hi->h->message;
		kp.n_tags = hi->h->ntags;
		kp.tags = hi->h->tags;
		ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
		ev.process_kprobe = &kp;
	} else {
		tp.process = (Tetragon__Process *)proc;
		tp.parent = (Tetragon__Process *)parent;
		tp.subsys = (char *)hi->subsys;
		tp.event = (char *)hi->event;
		tp.n_args = nargs;
		tp.args = argp;
		tp.action = act;
		tp.policy_name = hi->p->name;
		tp.message = hi->h->message;
		tp.n_tags = hi->h->ntags;
		tp.tags = hi->h->tags;
		ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT;
		ev.process_tracepoint = &tp;
	}
	ev.node_name = (char *)pe->node_name;
	set_ts(&ts, ktime_mono_to_wall(m->common.ktime));
	ev.time = &ts;
	pipeline_emit(pe->pipeline, &ev);
	return 0;
}
