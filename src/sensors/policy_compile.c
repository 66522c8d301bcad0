// SPDX-License-Identifier: Apache-2.0
/* A policy hook compiled into the generic program's rodata and selector map. */
#include "sensors/policy_internal.h"

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
const char *policy_compile_args(struct hook_inst *hi, struct generic_tracepoint_bpf *skel,
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

const char *policy_compile_selectors(struct hook_inst *hi, struct gt_config *cfg, char *why, size_t len)
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

