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
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "abi/usdt_arg.h"
#include "generic_usdt.skel.h"
#include "sensors/core_btf.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
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

/*
 * Set (argIndex: a slot of the hook's args) writes the probe argument's
 * memory: its spec at site pr must be a memory operand ("-4@-4(%rbp)"), not
 * a register or a constant, wherever the compiler placed it. One Set per
 * selector. A reason naming the selector and the spec, or NULL.
 */
static const char *set_bad(const struct tp_hook *h, size_t slot, const struct usdt_probe *pr,
			   const struct usdt_arg_spec *s, char *why, size_t len)
{
	for (size_t i = 0; i < h->nselectors; i++) {
		const struct tp_selector *sel = &h->selectors[i];
		size_t nset = 0;

		for (size_t j = 0; j < sel->nactions; j++) {
			const struct tp_action *a = &sel->actions[j];

			if (a->type != TP_ACTION_SET)
				continue;
			if (++nset > 1) {
				snprintf(why, len, "line %u: selector %zu has more than one Set action: one per "
					 "selector is supported", a->pos.line, i);
				return why;
			}
			if (a->arg_index != slot || s->kind == USDT_ARG_DEREF)
				continue;
			snprintf(why, len, "line %u: action Set: argIndex %u is usdt %s:%s argument %u, which "
				 "the probe at %#llx in %s passes as %s (\"%s\"), not in memory: Set can only write "
				 "an argument the probe reads from memory (a volatile variable, e.g. \"-4@-4(%%rbp)\")",
				 a->pos.line, a->arg_index, h->provider, h->name, h->args[slot].index,
				 (unsigned long long)pr->pc, h->path, s->kind == USDT_ARG_CONST ? "a constant" :
				 "a register", pr->args);
			return why;
		}
	}
	return NULL;
}

/*
 * Does the kernel give uprobe (kprobe-type) programs bpf_probe_write_user?
 * Lockdown in integrity mode withholds it, and libbpf 1.1's helper probe
 * does not read that verifier message ("cannot use helper"): load a
 * program that calls it, 8 bytes of stack to 0.
 */
static bool can_write_user(void)
{
	static int known = -1;
	struct bpf_insn prog[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = 8 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_probe_write_user },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	if (known < 0) {
		fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", prog, sizeof(prog) / sizeof(prog[0]), NULL);
		known = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return known;
}

static bool has_set(const struct tp_hook *h)
{
	for (size_t i = 0; i < h->nselectors; i++)
		for (size_t j = 0; j < h->selectors[i].nactions; j++)
			if (h->selectors[i].actions[j].type == TP_ACTION_SET)
				return true;
	return false;
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

		if (a->resolve) {
			struct gt_arg_cfg c;
			struct gt_resolve r;
			enum tp_arg_type rep;
			char what[160];

			snprintf(what, sizeof(what), "usdt %s:%s", h->provider, h->name);
			if (policy_btf_user_arg(h, i, NULL, what, &c, &r, &rep, why, len))
				return why;
			continue;
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
			if (set_bad(h, i, &v[k], &s, why, len)) {
				usdt_probes_free(v, n);
				return why;
			}
		}
	usdt_probes_free(v, n);
	if (has_set(h) && !can_write_user()) {
		snprintf(why, len, "usdt %s:%s: the Set action writes the probe's memory with the BPF helper "
			 "bpf_probe_write_user, which this kernel does not give uprobe programs (kernel lockdown, "
			 "/sys/kernel/security/lockdown, forbids it in integrity mode; or CAP_SYS_ADMIN is missing)",
			 h->provider, h->name);
		return why;
	}
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
	struct gt_prog_cfg *cfg = POLICY_OPENED(hi, skel, why, len);

	/* no socket tracking on usdts: without it TrackSock is refused (policy_selectors.c) */
	hi->xcfg = NULL;
	return cfg;
}

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_usdt_bpf *skel = hi->skel;
	const struct tp_hook *h = hi->h;
	char what[160];

	(void)e;
	snprintf(what, sizeof(what), "usdt %s", hi->event);
	/*
	 * The program computes slot i's value first (gt_fetch reads it by
	 * position); with resolve it is the pointer the walk starts from.
	 */
	for (size_t i = 0; i < h->nargs; i++) {
		if (policy_user_arg(hi, i, (uint16_t)i, NULL, what, why, len))
			return why;
		skel->rodata->usdt_args[i] = hi->usdt_args[i];
	}
	hi->cfg->nargs = (uint32_t)h->nargs;
	/* Set per selector (check() proved the argument a memory operand at every site) */
	for (size_t i = 0; i < h->nselectors && i < GT_MAX_SEL; i++)
		for (size_t j = 0; j < h->selectors[i].nactions; j++) {
			const struct tp_action *a = &h->selectors[i].actions[j];

			if (a->type == TP_ACTION_SET && a->arg_index < h->nargs) {
				skel->rodata->set_slot[i] = (uint8_t)(a->arg_index + 1);
				skel->rodata->set_val[i] = a->arg_value;
				skel->rodata->has_set = 1;
			}
		}
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
