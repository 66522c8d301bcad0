// SPDX-License-Identifier: Apache-2.0
/*
 * Back-end "usdt" ("usdts:" hooks): the probe provider:name of the binary
 * path, found in its .note.stapsdt notes (src/sensors/usdt_notes.c). One
 * generic_usdt instance per probe site: a uprobe at the site's file offset,
 * with the site's semaphore (if it has one) counted by the kernel through
 * the uprobe's ref_ctr_offset, so a guarded probe fires while attached.
 * Argument i of the hook is the note's argument args[i].index, read as its
 * spec says (register, memory, constant) and reported as args[i].type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "abi/usdt_arg.h"
#include "generic_usdt.skel.h"
#include "sensors/core_btf.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_internal.h"
#include "sensors/usdt_notes.h"
#include "util/strbuf.h"

/* The probe sites of the hook, or a reason (every one naming provider:name and the binary). */
static const char *sites(const struct tp_hook *h, struct usdt_probe **v, size_t *n, char *why, size_t len)
{
	char r[384];

	if (usdt_find(h->path, h->provider, h->name, v, n, r, sizeof(r))) {
		snprintf(why, len, "usdt %s:%s: %s", h->provider, h->name, r);
		return why;
	}
	if (!*n) {
		snprintf(why, len, "usdt %s:%s not found in the binary %s (readelf -n %s lists its "
			 "probes; tetra tracingpolicy generate usdts -b %s writes a policy for them)", h->provider,
			 h->name, h->path, h->path, h->path);
		return why;
	}
	return NULL;
}

static const char *check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			 size_t len)
{
	struct usdt_probe *v = NULL;
	struct stat st;
	size_t n = 0;

	(void)e;
	(void)p;
	if (!h->path || stat(h->path, &st)) {
		snprintf(why, len, "usdt path %s: %s", h->path ? h->path : "(none)",
			 h->path ? strerror(errno) : "missing");
		return why;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "usdt path %s is not a regular file", h->path);
		return why;
	}
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "usdt %s:%s: %zu arguments: at most %d are supported", h->provider, h->name,
			 h->nargs, GT_MAX_ARGS);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		const struct tp_arg *a = &h->args[i];
		unsigned sz;
		bool sg;

		if (a->resolve || a->btf_type || h->btf_path) {
			snprintf(why, len, "line %u: usdt argument %s needs the binary's BTF (btfPath), which is "
				 "not supported on usdts yet", a->pos.line, a->resolve ? "resolve" : "btfType");
			return why;
		}
		if (!policy_int_type(a->type, &sz, &sg) && a->type != TP_ARG_STRING) {
			snprintf(why, len, "line %u: usdt argument type %s is not supported (integer types and "
				 "string are)", a->pos.line, tp_arg_type_name(a->type));
			return why;
		}
	}
	if (sites(h, &v, &n, why, len))
		return why;
	/* every site's spec must decode: they may differ where the compiler placed the operands differently */
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < h->nargs; i++) {
			struct usdt_arg_spec s;
			char r[256];

			if (usdt_arg_parse(v[k].args, h->args[i].index, &s, r, sizeof(r))) {
				snprintf(why, len, "line %u: usdt %s:%s in %s at %#llx: %s", h->args[i].pos.line,
					 h->provider, h->name, h->path, (unsigned long long)v[k].pc, r);
				usdt_probes_free(v, n);
				return why;
			}
		}
	usdt_probes_free(v, n);
	return NULL;
}

static const char *instances(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, char *why,
			     size_t len)
{
	struct usdt_probe *v = NULL;
	const char *bad = NULL;
	size_t n = 0;

	if (sites(h, &v, &n, why, len))
		return why;
	for (size_t k = 0; k < n && !bad; k++) {
		struct hook_inst *hi = policy_inst_new(e, p, h, &policy_be_usdt);

		if (!hi) {
			bad = "out of memory";
			break;
		}
		hi->uprobe_offset = v[k].pc_off;
		hi->ref_ctr_offset = v[k].sema_off;
		snprintf(hi->subsys, sizeof(hi->subsys), "usdt");
		snprintf(hi->event, sizeof(hi->event), "%s:%s", h->provider, h->name);
		for (size_t i = 0; i < h->nargs && !bad; i++)
			if (usdt_arg_parse(v[k].args, h->args[i].index, &hi->usdt_args[i], why, len))
				bad = why;
		if (bad) {
			free(hi);
			break;
		}
		bad = policy_inst_attach(e, hi, why, len);
	}
	usdt_probes_free(v, n);
	return bad;
}

static struct gt_prog_cfg *open_obj(struct hook_inst *hi, char *why, size_t len)
{
	struct generic_usdt_bpf *skel = CORE_BTF_OPEN(generic_usdt);

	if (!skel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return NULL;
	}
	hi->skel = skel;
	hi->obj = skel->obj;
	return (struct gt_prog_cfg *)&skel->rodata->gt_cfg;
}

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_usdt_bpf *skel = hi->skel;
	const struct tp_hook *h = hi->h;

	(void)e;
	(void)why;
	(void)len;
	for (size_t i = 0; i < h->nargs; i++) {
		struct gt_arg_cfg *c = &hi->cfg->args[i];
		enum tp_arg_type t = h->args[i].type;
		unsigned sz = 8;
		bool sg = false;

		/* the program computes slot i's value first: gt_fetch reads it by position */
		c->offset = (uint16_t)i;
		if (policy_int_type(t, &sz, &sg)) {
			c->kind = GT_ARG_INT;
			c->size = (uint8_t)sz;
			c->is_signed = sg;
		} else {
			c->kind = GT_ARG_STR_USER;
			c->size = 8;
			t = TP_ARG_STRING;
		}
		hi->types[i] = t;
		hi->is_signed[i] = sg;
		hi->size[i] = sz;
		skel->rodata->usdt_args[i] = hi->usdt_args[i];
	}
	hi->cfg->nargs = (uint32_t)h->nargs;
	return NULL;
}

static int load(struct hook_inst *hi)
{
	return generic_usdt_bpf__load(hi->skel);
}

static const char *attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct generic_usdt_bpf *skel = hi->skel;
	struct bpf_link *l;
	int err;

	/* the kernel counts the semaphore up in every process mapping the file while the probe is attached */
	uo.ref_ctr_offset = (size_t)hi->ref_ctr_offset;
	l = bpf_program__attach_uprobe_opts(skel->progs.generic_usdt, -1, hi->h->path, hi->uprobe_offset, &uo);
	if (!l) {
		err = -errno;
		if (err == -E2BIG) {
			char what[512];

			snprintf(what, sizeof(what), "usdt: %s %s", hi->h->path, hi->event);
			return policy_attach_failed(e, "uprobe", hi->event, -err, why, len, what);
		}
		snprintf(why, len, "usdt %s in %s: uprobe at offset %#llx%s: %s", hi->event, hi->h->path,
			 (unsigned long long)hi->uprobe_offset,
			 hi->ref_ctr_offset ? " with its semaphore (ref_ctr_offset, Linux 4.20+)" : "", strerror(-err));
		return why;
	}
	if (policy_inst_link(hi, l))
		return "out of memory";
	return NULL;
}

static void destroy(struct hook_inst *hi)
{
	generic_usdt_bpf__destroy(hi->skel);
}

static void describe(const struct hook_inst *hi, struct strbuf *sb)
{
	strbuf_addf(sb, "%s at offset %#llx", hi->event, (unsigned long long)hi->uprobe_offset);
	if (hi->ref_ctr_offset)
		strbuf_addf(sb, ", semaphore at %#llx", (unsigned long long)hi->ref_ctr_offset);
}

const struct policy_backend policy_be_usdt = {
	.name = "usdt",
	.section = TP_HOOK_USDT,
	.msg_op = MSG_OP_GENERIC_USDT,
	.event = POLICY_EV_USDT,
	.sensor = "generic_usdt",
	.label = "usdt",
	.check = check,
	.instances = instances,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
	.describe = describe,
};
