// SPDX-License-Identifier: Apache-2.0
/*
 * Back-end "raw tracepoint" ("tracepoints:" with raw: true): the hook's args
 * index the tracepoint's TP_PROTO arguments, typed from the kernel's BTF
 * (the btf_trace_<event> typedef, policy_btf.c), and read by one
 * generic_rawtp object per hook.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_rawtp.skel.h"
#include "sensors/core_btf.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"

static const char *check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			 size_t len)
{
	struct btf_hook bh;

	(void)e;
	(void)p;
	if (policy_btf_rawtp(h->event, &bh, why, len))
		return why;
	return policy_btf_layout(h, &bh, bh.what, NULL, NULL, why, len);
}

static const char *instances(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, char *why,
			     size_t len)
{
	struct hook_inst *hi = policy_inst_new(e, p, h, &policy_be_rawtp);

	if (!hi)
		return "out of memory";
	snprintf(hi->subsys, sizeof(hi->subsys), "%s", h->subsystem);
	snprintf(hi->event, sizeof(hi->event), "%s", h->event);
	return policy_inst_attach(e, hi, why, len);
}

static struct gt_prog_cfg *open_obj(struct hook_inst *hi, char *why, size_t len)
{
	struct generic_rawtp_bpf *skel = CORE_BTF_OPEN(generic_rawtp);

	return POLICY_OPENED(hi, skel, why, len);
}

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct btf_hook bh;

	(void)e;
	if (policy_btf_rawtp(hi->h->event, &bh, why, len))
		return why;
	return policy_btf_layout(hi->h, &bh, bh.what, hi->cfg, hi, why, len);
}

static int load(struct hook_inst *hi)
{
	return generic_rawtp_bpf__load(hi->skel);
}

static const char *attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_rawtp_bpf *skel = hi->skel;
	struct bpf_link *l = bpf_program__attach_raw_tracepoint(skel->progs.generic_rawtp, hi->h->event);

	(void)e;
	if (!l) {
		snprintf(why, len, "attaching to raw tracepoint %s: %s", hi->h->event, strerror(errno));
		return why;
	}
	return policy_inst_link(hi, l) ? "out of memory" : NULL;
}

static void destroy(struct hook_inst *hi)
{
	generic_rawtp_bpf__destroy(hi->skel);
}

const struct policy_backend policy_be_rawtp = {
	.name = "raw tracepoint",
	.section = TP_HOOK_TRACEPOINT,
	.msg_op = MSG_OP_GENERIC_TRACEPOINT,
	.event = POLICY_EV_TRACEPOINT,
	.sensor = "generic_tracepoint",
	.label = "tracepoint",
	.check = check,
	.instances = instances,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
};
