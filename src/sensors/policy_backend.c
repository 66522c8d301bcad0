// SPDX-License-Identifier: Apache-2.0
/*
 * The back-end table: which implementation serves a hook on this kernel,
 * and what every back-end is called in messages, metrics and the API. The
 * implemented back-ends are defined in their own files
 * (policy_tracepoint.c, policy_rawtp.c, policy_uprobe.c, policy_kprobe.c,
 * policy_fentry.c, policy_lsm.c, policy_usdt.c).
 */
#include "sensors/policy_backend.h"

#include <stdio.h>
#include <string.h>

#include "abi/msg_generic.h"
#include "kernel/features.h"
#include "sensors/generic_policy.h"
#include "sensors/policy_internal.h"
#include "util/strbuf.h"

static const struct policy_backend *const table[] = {
	&policy_be_tracepoint, &policy_be_syscall_tp, &policy_be_syscall_fentry, &policy_be_syscall_kprobe,
	&policy_be_rawtp, &policy_be_uprobe, &policy_be_kprobe,
	&policy_be_kprobe_multi, &policy_be_fentry, &policy_be_lsm, &policy_be_usdt,
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Kernel functions (not syscalls): a generated_ftrace list, or a kprobe with syscall: false. */
static bool kernel_function_hook(const struct tp_policy *p, const struct tp_hook *h)
{
	if (h->call_list >= 0 && (size_t)h->call_list < p->nlists) {
		enum tp_list_type t = p->lists[h->call_list].type;

		if (t == TP_LIST_GENERATED_FTRACE)
			return true;
		if (t == TP_LIST_SYSCALLS || t == TP_LIST_GENERATED_SYSCALLS)
			return false;
	}
	return !h->syscall;
}

/*
 * A syscall hook: its first syscall's function by fentry or kprobe where the
 * kernel allows (policy_syscall.c; each syscall of a list chooses its own),
 * else the tracepoints; a generated list, and a long syscalls list without
 * returns (policy_syscall_list_raw), is one program on
 * raw_syscalls/sys_enter. A forced syscall-attach names its back-end, whose
 * check refuses the hook if it cannot serve it.
 */
static const struct policy_backend *syscall_backend(struct policy_engine *e, const struct tp_policy *p,
						    const struct tp_hook *h)
{
	const struct tp_list *l = h->call_list >= 0 && (size_t)h->call_list < p->nlists ? &p->lists[h->call_list] :
				  NULL;
	const char *first = l ? (l->nvalues ? l->values[0] : NULL) : h->call;
	const struct policy_backend *be;
	char why[512];

	if ((l && l->type == TP_LIST_GENERATED_SYSCALLS) || policy_syscall_list_raw(p, h) || !first)
		return &policy_be_syscall_tp;
	switch (p->opts.syscall_attach) {
	case TP_SYSCALL_ATTACH_KPROBE: return &policy_be_syscall_kprobe;
	case TP_SYSCALL_ATTACH_FENTRY: return &policy_be_syscall_fentry;
	default: break;
	}
	be = policy_syscall_backend(e, p, h, first, why, sizeof(why));
	return be ? be : &policy_be_syscall_tp;
}

const struct policy_backend *policy_backend_of(struct policy_engine *e, const struct tp_policy *p,
					       const struct tp_hook *h)
{
	(void)e;
	switch (h->kind) {
	case TP_HOOK_TRACEPOINT:
		return h->raw ? &policy_be_rawtp : &policy_be_tracepoint;
	case TP_HOOK_UPROBE:
		return &policy_be_uprobe;
	case TP_HOOK_KPROBE:
		if (!kernel_function_hook(p, h))
			return syscall_backend(e, p, h);
		/* one link for all the hook's functions where the kernel has them, as upstream chooses */
		if (!p->opts.disable_kprobe_multi && policy_feature(KF_KPROBE_MULTI, NULL, 0))
			return &policy_be_kprobe_multi;
		return &policy_be_kprobe;
	case TP_HOOK_FENTRY:
		return &policy_be_fentry;
	case TP_HOOK_LSM:
		return &policy_be_lsm;
	case TP_HOOK_USDT:
		return &policy_be_usdt;
	default:
		return NULL;
	}
}

const char *policy_section_sensor(enum tp_hook_kind k)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i]->section == k)
			return table[i]->sensor;
	return "generic";
}

size_t policy_backend_msg_ops(uint32_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < NTABLE; i++) {
		uint32_t op = table[i]->msg_op;
		size_t k = 0;

		while (k < n && out[k] < op)
			k++;
		if ((k < n && out[k] == op) || n >= max)
			continue;
		memmove(&out[k + 1], &out[k], (n - k) * sizeof(*out));
		out[k] = op;
		n++;
	}
	return n;
}

bool policy_backend_owns_op(uint32_t op)
{
	/* on every ring buffer record: a mask of the implemented back-ends' opcodes, built once */
	static uint64_t mask;

	if (!mask) {
		for (size_t i = 0; i < NTABLE; i++)
			if (table[i]->check && table[i]->msg_op < 64)
				mask |= 1ULL << table[i]->msg_op;
	}
	return op < 64 && (mask >> op & 1);
}

bool policy_engine_record_op(uint32_t op)
{
	return op == MSG_OP_DATA || policy_backend_owns_op(op);
}

size_t policy_engine_msg_ops(uint32_t *out, size_t max)
{
	return policy_backend_msg_ops(out, max);
}

const char *policy_engine_sensor(int hook_kind)
{
	return policy_section_sensor((enum tp_hook_kind)hook_kind);
}

void policy_backend_hook_label(const struct tp_hook *h, char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	switch (h->kind) {
	case TP_HOOK_KPROBE: strbuf_addf(&sb, "kprobe:%s", h->call ? h->call : ""); break;
	case TP_HOOK_FENTRY: strbuf_addf(&sb, "fentry:%s", h->call ? h->call : ""); break;
	case TP_HOOK_TRACEPOINT:
		strbuf_addf(&sb, "tracepoint:%s/%s", h->subsystem ? h->subsystem : "", h->event ? h->event : "");
		break;
	case TP_HOOK_LSM: strbuf_addf(&sb, "lsm:%s", h->hook ? h->hook : ""); break;
	case TP_HOOK_USDT:
		strbuf_addf(&sb, "usdt:%s:%s/%s", h->path ? h->path : "", h->provider ? h->provider : "",
			    h->name ? h->name : "");
		break;
	case TP_HOOK_UPROBE:
		strbuf_addf(&sb, "uprobe:%s", h->path ? h->path : "");
		for (size_t k = 0; k < h->nsymbols; k++)
			strbuf_addf(&sb, "%s%s", k ? "," : ":", h->symbols[k]);
		for (size_t k = 0; k < h->noffsets; k++)
			strbuf_addf(&sb, "%s%llu", k ? "," : ":offsets=", (unsigned long long)h->offsets[k]);
		for (size_t k = 0; k < h->naddrs; k++)
			strbuf_addf(&sb, "%s%llu", k ? "," : ":addrs=", (unsigned long long)h->addrs[k]);
		break;
	default: break;
	}
	snprintf(buf, len, "%s", sb.buf ? sb.buf : "");
	strbuf_free(&sb);
}

/* ---- kernel features, probed once per process ----------------------------------- */

static bool (*feature_fn)(int f, char *why, size_t len);
static struct {
	bool probed, ok;
	char why[256];
} features[KF__COUNT];

static bool probe_real(int f, char *why, size_t len)
{
	return kfeature_probe((enum kfeature)f, why, len);
}

void policy_features_override(bool (*fn)(int f, char *why, size_t len))
{
	feature_fn = fn;
	memset(features, 0, sizeof(features));
}

bool policy_feature(int f, char *why, size_t len)
{
	if (f < 0 || f >= KF__COUNT)
		return false;
	if (!features[f].probed) {
		features[f].ok = (feature_fn ? feature_fn : probe_real)(f, features[f].why, sizeof(features[f].why));
		features[f].probed = true;
	}
	if (why && len)
		snprintf(why, len, "%s", features[f].why);
	return features[f].ok;
}
