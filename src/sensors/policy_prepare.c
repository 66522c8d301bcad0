// SPDX-License-Identifier: Apache-2.0
/*
 * What the hook back-ends' open and prepare steps share (policy_backend.h):
 * taking an opened skeleton into the instance, laying out BTF-typed and
 * user-space arguments, the return probe's configuration, and naming the
 * attach targets of trampoline and LSM programs before the load.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"

struct gt_prog_cfg *policy_inst_opened(struct hook_inst *hi, void *skel, struct bpf_object *obj, void *cfg,
				       void *xcfg, char *why, size_t len)
{
	if (!skel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return NULL;
	}
	hi->skel = skel;
	hi->obj = obj;
	hi->xcfg = xcfg;
	return cfg;
}

const char *policy_btf_layout(const struct tp_hook *h, const struct btf_hook *bh, const char *what,
			      struct gt_prog_cfg *pc, struct hook_inst *hi, char *why, size_t len)
{
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "%s: %zu arguments: at most %d are supported", what, h->nargs, GT_MAX_ARGS);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		struct gt_arg_cfg c;
		struct gt_resolve res;
		enum tp_arg_type rep = TP_ARG_INT;

		if (policy_btf_arg(h, i, bh, &c, &res, &rep, why, len))
			return why;
		if (pc) {
			pc->args[i] = c;
			pc->resolve[i] = res;
		}
		if (hi) {
			hi->types[i] = rep;
			hi->is_signed[i] = c.is_signed;
			hi->size[i] = c.size;
		}
	}
	if (pc) {
		pc->raw_nargs = (uint32_t)(bh->n < BTF_HOOK_MAX_ARGS ? bh->n : BTF_HOOK_MAX_ARGS);
		pc->nargs = (uint32_t)h->nargs;
	}
	return NULL;
}

const char *policy_user_arg(struct hook_inst *hi, size_t i, uint16_t offset, const char *fn, const char *what,
			    char *why, size_t len)
{
	const struct tp_hook *h = hi->h;
	struct gt_arg_cfg *c = &hi->cfg->args[i];
	enum tp_arg_type t = h->args[i].type;
	unsigned sz = 8;
	bool sg = false;

	if (h->args[i].resolve) {
		/* the binary's BTF types the walk (btfPath) */
		if (policy_btf_user_arg(h, i, fn, what, c, &hi->cfg->resolve[i], &t, why, len))
			return why;
		c->offset = offset;
		sz = c->size;
		sg = c->is_signed;
	} else if (policy_int_type(t, &sz, &sg)) {
		c->offset = offset;
		c->kind = GT_ARG_INT;
		c->size = (uint8_t)sz;
		c->is_signed = sg;
	} else {
		c->offset = offset;
		c->kind = GT_ARG_STR_USER;
		c->size = 8;
		t = TP_ARG_STRING;
	}
	hi->types[i] = t;
	hi->is_signed[i] = sg;
	hi->size[i] = sz;
	return NULL;
}

bool policy_hook_has_return(const struct tp_hook *h)
{
	bool ret = h->ret;

	for (size_t i = 0; i < h->nargs; i++)
		ret |= h->args[i].return_copy;
	return ret;
}

enum tp_arg_type policy_hook_ret_type(const struct tp_hook *h)
{
	if (!h->ret || !h->return_arg)
		return TP_ARG_NOP;
	/* an fd's return value is the integer itself */
	return h->return_arg->type == TP_ARG_AUTO || h->return_arg->type == TP_ARG_FD ? TP_ARG_INT :
	       h->return_arg->type;
}

const char *policy_hook_int_ret(const struct tp_hook *h, enum tp_arg_type *t, char *why, size_t len)
{
	*t = policy_hook_ret_type(h);
	if (h->ret && h->return_arg && !policy_ret_type_ok(*t)) {
		snprintf(why, len, "line %u: returnArg type %s is not supported (integer types are)",
			 h->return_arg->pos.line, tp_arg_type_name(*t));
		return why;
	}
	return NULL;
}

const char *policy_ret_prepare(struct hook_inst *hi, struct bpf_program *ret_prog, struct bpf_map *gt_ret,
			       uint32_t entries, char *why, size_t len)
{
	if (!hi->has_return) {
		if (ret_prog)
			bpf_program__set_autoload(ret_prog, false);
		return NULL;
	}
	hi->cfg->has_return = 1;
	if (bpf_map__set_max_entries(gt_ret, entries)) {
		snprintf(why, len, "sizing gt_ret: %s", strerror(errno));
		return why;
	}
	return NULL;
}

int policy_attach_targets(const char *fn, struct bpf_program *entry, struct bpf_program *ret)
{
	int err = bpf_program__set_attach_target(entry, 0, fn);

	if (!err && ret)
		err = bpf_program__set_attach_target(ret, 0, fn);
	return err;
}
