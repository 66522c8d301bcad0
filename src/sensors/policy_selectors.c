// SPDX-License-Identifier: Apache-2.0
/*
 * A hook's selectors compiled for the kernel: the fixed part into gt_config,
 * the value sets into the per-hook maps gt_strs (LPM trie of strings) and
 * gt_ints (InMap integers), rateLimit into the gt_rate LRU's size, and
 * matchBinaries followChildren into the lifecycle sensor's mbset maps. The
 * layout is abi/msg_generic.h; the evaluation bpf/lib/gt_selectors.h.
 */
#include "sensors/generic_policy.h"
#include "sensors/policy_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "policy/policy.h"
#include "policy/policy_limits.h"
#include "process/procfs.h"
#include "sensors/syscall_table.h"
#include "util/log.h"

#define SEL_MAX_INTS TP_AGENT_MAX_INT_VALUES	/* InMap entries per hook, ranges expanded */
#define SEL_MAX_STRS TP_AGENT_MAX_STR_VALUES	/* string and binary values per hook */

/* the validator (src/policy/policy_agent.c) checks policies against these */
_Static_assert(GT_MAX_PIDS == TP_AGENT_MAX_PIDS && GT_MAX_RETF == TP_AGENT_MAX_RETURN_ARGS &&
		       GT_MAX_CAPF == TP_AGENT_MAX_CAPS && GT_MAX_VALS == TP_AGENT_MAX_FAMILY_VALUES &&
		       GT_STR_MAX - 1 == TP_AGENT_MAX_STR_LEN && GT_BIN_MAX - 1 == TP_AGENT_MAX_BINARY_PATH &&
		       GT_MAX_SEL == TP_MAX_SELECTORS && GT_MAX_ARGF == TP_MAX_MATCH_ARGS &&
		       GT_MAX_NSF == TP_MAX_NS_FILTERS && GT_MAX_NSVALS == TP_MAX_NS_VALUES,
	       "selector limits differ from policy_limits.h");
#define SEL_RATE_ENTRIES 8192	/* rateLimit LRU entries per hook */

static enum gt_op str_op(enum tp_op op)
{
	switch (op) {
	case TP_OP_EQUAL: case TP_OP_IN: return GT_OP_EQ;
	case TP_OP_NOT_EQUAL: case TP_OP_NOT_IN: return GT_OP_NEQ;
	case TP_OP_PREFIX: return GT_OP_PREFIX;
	case TP_OP_NOT_PREFIX: return GT_OP_NOT_PREFIX;
	case TP_OP_POSTFIX: return GT_OP_POSTFIX;
	case TP_OP_NOT_POSTFIX: return GT_OP_NOT_POSTFIX;
	case TP_OP_SUBSTRING: return GT_OP_SUBSTRING;
	case TP_OP_SUBSTRING_IGNCASE: return GT_OP_SUBSTRING_IGNCASE;
	default: return GT_OP_NONE;
	}
}

static enum gt_op int_op(enum tp_op op)
{
	switch (op) {
	case TP_OP_EQUAL: return GT_OP_EQ;
	case TP_OP_NOT_EQUAL: return GT_OP_NEQ;
	case TP_OP_GT: return GT_OP_GT;
	case TP_OP_LT: return GT_OP_LT;
	case TP_OP_MASK: return GT_OP_MASK;
	case TP_OP_IN_RANGE: return GT_OP_IN_RANGE;
	case TP_OP_NOT_IN_RANGE: return GT_OP_NOT_IN_RANGE;
	case TP_OP_IN_MAP: return GT_OP_IN_MAP;
	case TP_OP_NOT_IN_MAP: return GT_OP_NOT_IN_MAP;
	default: return GT_OP_NONE;
	}
}

/*
 * Room for element n of an array of n: the capacity doubles at powers of
 * two, so filling it costs linear time (one realloc per element made a
 * 65536-value policy take minutes on the event loop).
 */
static void *sel_grow(void *p, size_t n, size_t sz)
{
	if (n && (n & (n - 1)))
		return p;	/* capacity is the next power of two: room left */
	return realloc(p, (n ? 2 * n : 1) * sz);
}

static int add_str(struct sel_maps *m, uint8_t id, enum gt_op op, const char *b, size_t l)
{
	struct sel_str *v, *e;

	if (m->nstrs >= SEL_MAX_STRS)
		return -E2BIG;
	v = sel_grow(m->strs, m->nstrs, sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->strs = v;
	e = &v[m->nstrs++];
	memset(e, 0, sizeof(*e));
	e->key.prefixlen = (uint32_t)(8 * (1 + l));
	e->key.id = id;
	for (size_t i = 0; i < l; i++) {
		uint8_t ch = (uint8_t)(op == GT_OP_POSTFIX || op == GT_OP_NOT_POSTFIX ? b[l - 1 - i] : b[i]);

		/* the kernel folds the argument the same way (ASCII only, as tolower()) */
		if (op == GT_OP_SUBSTRING_IGNCASE && ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch + ('a' - 'A'));
		e->key.s[i] = ch;
	}
	e->val.len = (uint32_t)l;
	return 0;
}

static int add_int(struct sel_maps *m, uint8_t id, uint64_t val)
{
	struct gt_int_key *v;

	if (m->nints >= SEL_MAX_INTS)
		return -E2BIG;
	v = sel_grow(m->ints, m->nints, sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->ints = v;
	v[m->nints].id = id;
	v[m->nints].pad = 0;
	v[m->nints].val = val;
	m->nints++;
	return 0;
}

static const char *oom(char *why, size_t len, int err, unsigned line, const char *what)
{
	if (err == -E2BIG)
		snprintf(why, len, "line %u: too many %s values in one hook (at most %d)", line, what,
			 !strcmp(what, "InMap") ? SEL_MAX_INTS : SEL_MAX_STRS);
	else
		snprintf(why, len, "out of memory");
	return why;
}

/* Bit of a followChildren filter, shared by the instances of one hook. */
static int follow_bit(struct policy_engine *e, const struct tp_binary_filter *f, uint64_t *bit, bool *fresh)
{
	for (size_t i = 0; i < e->nfollow; i++)
		if (e->follow[i].f == f) {
			*bit = e->follow[i].bit;
			*fresh = false;
			return 0;
		}
	if (e->nfollow >= 64)
		return -ENOSPC;
	e->follow[e->nfollow].f = f;
	e->follow[e->nfollow].bit = 1ULL << e->nfollow;
	*bit = e->follow[e->nfollow].bit;
	e->nfollow++;
	*fresh = true;
	return 0;
}

static const char *compile_bin(struct hook_inst *hi, const struct tp_binary_filter *b, struct gt_binf *g,
			       uint8_t *next_id, bool parent, char *why, size_t len)
{
	struct sel_maps *m = &hi->sm;
	int err;

	g->op = (uint8_t)str_op(b->op);
	if (g->op == GT_OP_NONE) {
		snprintf(why, len, "line %u: match%sBinaries operator %s is not supported", b->pos.line,
			 parent ? "Parent" : "", tp_op_name(b->op));
		return why;
	}
	if (b->follow_children) {
		bool fresh = false;
		uint64_t bit = 0;

		if (parent) {
			snprintf(why, len, "line %u: matchParentBinaries followChildren is not supported",
				 b->pos.line);
			return why;
		}
		if (!hi->e || hi->e->mbset_fd <= 0) {
			snprintf(why, len, "line %u: followChildren needs the process lifecycle sensor's maps",
				 b->pos.line);
			return why;
		}
		if (follow_bit(hi->e, b, &bit, &fresh)) {
			snprintf(why, len, "line %u: more than 64 followChildren matchBinaries in the loaded "
				 "policies", b->pos.line);
			return why;
		}
		g->follow = 1;
		g->mbset_bit = bit;
		if (fresh) {
			void *v = realloc(m->follow, (m->nfollow + 1) * sizeof(*m->follow));

			if (!v)
				return "out of memory";
			m->follow = v;
			m->follow[m->nfollow].f = b;
			m->follow[m->nfollow].bit = g->mbset_bit;
			m->nfollow++;
		}
		return NULL;
	}
	g->id = (*next_id)++;
	for (size_t k = 0; k < b->nvalues; k++) {
		size_t l = strlen(b->values[k]);

		if (l >= GT_BIN_MAX) {
			snprintf(why, len, "line %u: binary path longer than %d bytes", b->pos.line, GT_BIN_MAX - 1);
			return why;
		}
		err = add_str(m, g->id, (enum gt_op)g->op, b->values[k], l);
		if (err)
			return oom(why, len, err, b->pos.line, "matchBinaries");
	}
	return NULL;
}

/* InMap "list:NAME": the x86_64 numbers of the list's syscalls. */
static const char *add_syscall_list(struct hook_inst *hi, uint8_t id, const struct tp_value *v, char *why,
				    size_t len)
{
	const struct tp_list *l = &hi->p->lists[v->u.list.index];

	if (l->type != TP_LIST_SYSCALLS) {
		snprintf(why, len, "line %u: InMap list %s: only lists of type syscalls are supported", v->pos.line,
			 l->name);
		return why;
	}
	for (size_t i = 0; i < l->nvalues; i++) {
		const char *name = l->values[i], *slash = strchr(name, '/');
		int nr, err;

		if (slash && !strncmp(name, "x86_64/", 7))
			name = slash + 1;
		if (strchr(name, '/') || !strncmp(name, "__ia32_", 7)) {
			snprintf(why, len, "line %u: InMap list %s: %s: only x86_64 syscalls are supported",
				 v->pos.line, l->name, l->values[i]);
			return why;
		}
		nr = syscall_nr_x86_64(policy_syscall_base(name));
		if (nr < 0) {
			snprintf(why, len, "line %u: InMap list %s: %s is not a known x86_64 syscall", v->pos.line,
				 l->name, l->values[i]);
			return why;
		}
		err = add_int(&hi->sm, id, (uint64_t)nr);
		if (err)
			return oom(why, len, err, v->pos.line, "InMap");
	}
	return NULL;
}

/* matchPIDs entries folded into one set (tp_fold_pids, shared with the validator). */
static const char *compile_pids(const struct tp_selector *s, struct gt_selector *g, char *why, size_t len)
{
	uint32_t v[GT_MAX_PIDS];
	size_t n;
	bool in;
	int err = tp_fold_pids(s, v, &n, &in);

	if (err == -EINVAL) {
		snprintf(why, len, "line %u: matchPIDs entries of one selector must agree on "
			 "followForks and isNamespacePID here", s->pos.line);
		return why;
	}
	if (err) {
		snprintf(why, len, "line %u: matchPIDs: at most %d distinct values per selector are supported",
			 s->pos.line, GT_MAX_PIDS);
		return why;
	}
	g->pid_flags = (s->pids[0].is_namespace_pid ? GT_PID_NS : 0) | (s->pids[0].follow_forks ? GT_PID_FOLLOW : 0);
	/* an empty In set matches nothing, as it should */
	g->pid_op = in ? GT_OP_IN : GT_OP_NOT_IN;
	g->npids = (uint8_t)n;
	memcpy(g->pids, v, n * sizeof(*v));
	return NULL;
}

static const char *compile_values(struct hook_inst *hi, const struct tp_arg_filter *a, struct gt_argf *gf,
				  uint8_t *next_id, char *why, size_t len);

/*
 * matchArgs on a sockaddr (upstream's semantics: the sockaddr's address and
 * port are the "source" ones, SAddr/SPort/SPortPriv and their Not forms, so
 * a connect's destination is matched with SAddr) and Family on sockaddr and
 * sockaddr_un. CIDRs go into gt_strs, ports inline or into gt_ints.
 */
static bool net_tuple_type(enum tp_arg_type t)
{
	return t == TP_ARG_SOCK || t == TP_ARG_SOCKET || t == TP_ARG_SKB;
}

/* The operator on a sock or skb argument (struct gt_net_tuple): which side or field, which test. */
static bool tuple_op(enum tp_op op, struct gt_argf *gf)
{
	switch (op) {
	case TP_OP_SADDR: gf->op = GT_OP_ADDR; gf->net = GT_NET_SRC; return true;
	case TP_OP_NOT_SADDR: gf->op = GT_OP_NOT_ADDR; gf->net = GT_NET_SRC; return true;
	case TP_OP_DADDR: gf->op = GT_OP_ADDR; gf->net = GT_NET_DST; return true;
	case TP_OP_NOT_DADDR: gf->op = GT_OP_NOT_ADDR; gf->net = GT_NET_DST; return true;
	case TP_OP_SPORT: gf->op = GT_OP_PORT; gf->net = GT_NET_SRC; return true;
	case TP_OP_NOT_SPORT: gf->op = GT_OP_NOT_PORT; gf->net = GT_NET_SRC; return true;
	case TP_OP_DPORT: gf->op = GT_OP_PORT; gf->net = GT_NET_DST; return true;
	case TP_OP_NOT_DPORT: gf->op = GT_OP_NOT_PORT; gf->net = GT_NET_DST; return true;
	case TP_OP_SPORT_PRIV: gf->op = GT_OP_PORT_PRIV; gf->net = GT_NET_SRC; return true;
	case TP_OP_NOT_SPORT_PRIV: gf->op = GT_OP_NOT_PORT_PRIV; gf->net = GT_NET_SRC; return true;
	case TP_OP_DPORT_PRIV: gf->op = GT_OP_PORT_PRIV; gf->net = GT_NET_DST; return true;
	case TP_OP_NOT_DPORT_PRIV: gf->op = GT_OP_NOT_PORT_PRIV; gf->net = GT_NET_DST; return true;
	case TP_OP_FAMILY: gf->op = GT_OP_NET_FIELD; gf->net = GT_NET_FAMILY; return true;
	case TP_OP_PROTOCOL: gf->op = GT_OP_NET_FIELD; gf->net = GT_NET_PROTOCOL; return true;
	case TP_OP_STATE: gf->op = GT_OP_NET_FIELD; gf->net = GT_NET_STATE; return true;
	default: return false;
	}
}

/*
 * matchArgs on a sockaddr (upstream's semantics: the sockaddr's address and
 * port are the "source" ones, SAddr/SPort/SPortPriv and their Not forms, so
 * a connect's destination is matched with SAddr), Family on sockaddr and
 * sockaddr_un, and the network operators on sock and skb (both sides,
 * Protocol, Family; State on sock). CIDRs go into gt_strs, ports inline or
 * into gt_ints.
 */
static const char *compile_sock(struct hook_inst *hi, const struct tp_arg_filter *a, struct gt_argf *gf,
				uint8_t *next_id, char *why, size_t len)
{
	struct sel_maps *m = &hi->sm;
	enum tp_arg_type t = hi->types[gf->slot];
	int err;

	gf->is_str = 0;
	if (net_tuple_type(t)) {
		if (!tuple_op(a->op, gf) || (a->op == TP_OP_STATE && t == TP_ARG_SKB)) {
			snprintf(why, len, "line %u: matchArgs operator %s is not supported on %s arguments (SAddr, "
				 "DAddr, SPort, DPort, SPortPriv, DPortPriv, their Not forms, Protocol, Family%s are)",
				 a->pos.line, tp_op_name(a->op), tp_arg_type_name(t), t == TP_ARG_SKB ? "" : " and State");
			return why;
		}
		if (gf->op == GT_OP_NET_FIELD && a->nvalues > GT_MAX_VALS) {
			snprintf(why, len, "line %u: at most %d values for operator %s", a->pos.line, GT_MAX_VALS,
				 tp_op_name(a->op));
			return why;
		}
		goto values;
	}
	switch (a->op) {
	case TP_OP_FAMILY: gf->op = GT_OP_IN_RANGE; break;
	case TP_OP_SADDR: gf->op = GT_OP_ADDR; break;
	case TP_OP_NOT_SADDR: gf->op = GT_OP_NOT_ADDR; break;
	case TP_OP_SPORT: gf->op = GT_OP_PORT; break;
	case TP_OP_NOT_SPORT: gf->op = GT_OP_NOT_PORT; break;
	case TP_OP_SPORT_PRIV: gf->op = GT_OP_PORT_PRIV; return NULL;
	case TP_OP_NOT_SPORT_PRIV: gf->op = GT_OP_NOT_PORT_PRIV; return NULL;
	default:
		snprintf(why, len, "line %u: matchArgs operator %s is not supported on %s arguments (%s)",
			 a->pos.line, tp_op_name(a->op),
			 hi->types[gf->slot] == TP_ARG_SOCKADDR ? "sockaddr" : "sockaddr_un",
			 hi->types[gf->slot] == TP_ARG_SOCKADDR ?
			 "SAddr, NotSAddr, SPort, NotSPort, SPortPriv, NotSPortPriv and Family: the address "
			 "a sockaddr holds is the \"source\" one, as upstream has it" : "Family");
		return why;
	}
	if (hi->types[gf->slot] == TP_ARG_SOCKADDR_UN && a->op != TP_OP_FAMILY) {
		snprintf(why, len, "line %u: matchArgs on sockaddr_un supports Family only here", a->pos.line);
		return why;
	}
values:
	if (gf->op == GT_OP_PORT_PRIV || gf->op == GT_OP_NOT_PORT_PRIV)
		return NULL;
	if (gf->op == GT_OP_ADDR || gf->op == GT_OP_NOT_ADDR || a->nvalues > GT_MAX_VALS)
		gf->id = (*next_id)++;
	gf->nvals = (uint8_t)(a->nvalues > GT_MAX_VALS ? 0 : a->nvalues);
	if ((gf->op == GT_OP_IN_RANGE || gf->op == GT_OP_NET_FIELD) && !gf->nvals) {
		snprintf(why, len, "line %u: at most %d values for operator %s", a->pos.line, GT_MAX_VALS,
			 tp_op_name(a->op));
		return why;
	}
	for (size_t k = 0; k < a->nvalues; k++) {
		const struct tp_value *v = &a->values[k];

		if (gf->op == GT_OP_ADDR || gf->op == GT_OP_NOT_ADDR) {
			struct sel_str *e;
			size_t alen;

			if (v->kind != TP_VAL_ADDR) {
				snprintf(why, len, "line %u: \"%s\" is not an IPv4/IPv6 address or CIDR", v->pos.line,
					 v->str);
				return why;
			}
			if (m->nstrs >= SEL_MAX_STRS)
				return oom(why, len, -E2BIG, v->pos.line, "address");
			e = sel_grow(m->strs, m->nstrs, sizeof(*e));
			if (!e)
				return "out of memory";
			m->strs = e;
			e = &e[m->nstrs++];
			memset(e, 0, sizeof(*e));
			alen = v->u.addr.family == 4 ? 4 : 16;
			e->key.id = gf->id;
			e->key.s[0] = v->u.addr.family;
			memcpy(&e->key.s[1], v->u.addr.addr, alen);
			e->key.prefixlen = 16u + (v->u.addr.prefix_len > 8 * alen ? 8 * (uint32_t)alen :
						  v->u.addr.prefix_len);
			e->val.len = (uint32_t)alen;
			continue;
		}
		if (v->kind != TP_VAL_UINT_RANGE) {
			snprintf(why, len, "line %u: \"%s\" is not a number or \"min:max\"", v->pos.line, v->str);
			return why;
		}
		if (gf->nvals) {
			gf->lo[k] = (int64_t)v->u.urange.lo;
			gf->hi[k] = (int64_t)v->u.urange.hi;
			continue;
		}
		for (uint64_t x = v->u.urange.lo; x <= v->u.urange.hi; x++) {
			err = add_int(m, gf->id, x);
			if (err)
				return oom(why, len, err, v->pos.line, "InMap");
		}
	}
	return NULL;
}

/* FileType/NotFileType on a path argument: the S_IFMT types as bits (1 << (mode >> 12)) in lo[0]. */
static const char *compile_file_type(struct hook_inst *hi, const struct tp_arg_filter *a, struct gt_argf *gf,
				     char *why, size_t len)
{
	enum tp_arg_type t = hi->types[gf->slot];

	if (t != TP_ARG_FILE && t != TP_ARG_PATH && t != TP_ARG_DENTRY && t != TP_ARG_FD &&
	    t != TP_ARG_LINUX_BINPRM) {
		snprintf(why, len, "line %u: %s needs a file, path, dentry, fd or linux_binprm argument, and "
			 "argument %u is %s", a->pos.line, tp_op_name(a->op), a->index, tp_arg_type_name(t));
		return why;
	}
	gf->is_str = 0;
	gf->op = a->op == TP_OP_FILE_TYPE ? GT_OP_FILE_TYPE : GT_OP_NOT_FILE_TYPE;
	for (size_t k = 0; k < a->nvalues; k++) {
		if (a->values[k].kind != TP_VAL_FILE_TYPE) {
			snprintf(why, len, "line %u: \"%s\" is not a file type", a->values[k].pos.line,
				 a->values[k].str);
			return why;
		}
		gf->lo[0] |= (int64_t)(1ULL << ((a->values[k].u.u >> 12) & 15));
	}
	return NULL;
}

/* CapabilitiesGained, args: [old, new]: the new set holds a capability the old one does not. */
static const char *compile_caps_gained(struct hook_inst *hi, const struct tp_arg_filter *a, struct gt_argf *gf,
				       char *why, size_t len)
{
	unsigned sz;
	bool sg;

	if (a->nargs != 2 || a->args[0] >= hi->h->nargs || a->args[1] >= hi->h->nargs || a->args[1] >= GT_MAX_ARGS) {
		snprintf(why, len, "line %u: CapabilitiesGained needs args: [OLD, NEW], two of the hook's "
			 "argument positions", a->pos.line);
		return why;
	}
	for (size_t k = 0; k < 2; k++) {
		enum tp_arg_type t = hi->types[a->args[k]];

		if (!policy_int_type(t, &sz, &sg) || sz != 8 || t == TP_ARG_INT64 || t == TP_ARG_SIZE_T) {
			snprintf(why, len, "line %u: CapabilitiesGained compares two capability sets "
				 "(kernel_cap_t, cap_inheritable, cap_permitted, cap_effective or uint64), and argument "
				 "%u is %s", a->pos.line, a->args[k], tp_arg_type_name(t));
			return why;
		}
	}
	gf->is_str = 0;
	gf->slot = (uint8_t)a->args[0];
	gf->op = GT_OP_CAPS_GAINED;
	gf->lo[0] = a->args[1];
	return NULL;
}

/* A matchArgs entry, or with data a matchData one (its slot: the data entry's, after the args). */
static const char *compile_argf(struct hook_inst *hi, const struct tp_arg_filter *a, bool data, struct gt_argf *gf,
				uint8_t *next_id, char *why, size_t len)
{
	const struct tp_hook *h = hi->h;
	int slot = a->slot;

	if (a->op == TP_OP_CAPABILITIES_GAINED && !data)
		return compile_caps_gained(hi, a, gf, why, len);
	if (data) {
		if (slot < 0 || (size_t)slot >= h->ndata || a->op == TP_OP_CAPABILITIES_GAINED) {
			snprintf(why, len, "line %u: matchData index %u is not one of the hook's data entries%s",
				 a->pos.line, a->index, slot >= 0 ? " (CapabilitiesGained compares two args)" : "");
			return why;
		}
		slot += (int)h->nargs;
	} else if (slot < 0) {
		for (size_t k = 0; k < h->nargs; k++)
			if (h->args[k].index == a->index)
				slot = (int)k;
	}
	if (slot < 0 || (size_t)slot >= h->nargs + (data ? h->ndata : 0) || slot >= GT_MAX_ARGS) {
		snprintf(why, len, "line %u: matchArgs index %u is not one of the hook's args", a->pos.line,
			 a->index);
		return why;
	}
	gf->slot = (uint8_t)slot;
	if (hi->types[slot] == TP_ARG_CONST_BUF || hi->types[slot] == TP_ARG_IOV_ITER) {
		/* upstream's selectors have no operator on them either */
		snprintf(why, len, "line %u: matchArgs index %u is a %s argument, which no operator reads", a->pos.line,
			 a->index, hi->types[slot] == TP_ARG_CONST_BUF ? "const_buf (an array of longs)" : "iov_iter");
		return why;
	}
	if (hi->types[slot] == TP_ARG_SOCKADDR || hi->types[slot] == TP_ARG_SOCKADDR_UN ||
	    net_tuple_type(hi->types[slot]))
		return compile_sock(hi, a, gf, next_id, why, len);
	if (a->op == TP_OP_FILE_TYPE || a->op == TP_OP_NOT_FILE_TYPE)
		return compile_file_type(hi, a, gf, why, len);
	/* paths walked in the kernel (fd ones too), buffers and device names compare as strings */
	gf->is_str = hi->types[slot] == TP_ARG_STRING || hi->types[slot] == TP_ARG_FILE ||
		     hi->types[slot] == TP_ARG_PATH || hi->types[slot] == TP_ARG_DENTRY ||
		     hi->types[slot] == TP_ARG_LINUX_BINPRM || hi->types[slot] == TP_ARG_KIOCB ||
		     hi->types[slot] == TP_ARG_FD || hi->types[slot] == TP_ARG_CHAR_BUF ||
		     hi->types[slot] == TP_ARG_CHAR_IOVEC || hi->types[slot] == TP_ARG_NET_DEVICE;
	return compile_values(hi, a, gf, next_id, why, len);
}

/* Operator and values of a matchArgs/matchReturnArgs entry whose slot and is_str are set. */
static const char *compile_values(struct hook_inst *hi, const struct tp_arg_filter *a, struct gt_argf *gf,
				  uint8_t *next_id, char *why, size_t len)
{
	struct sel_maps *m = &hi->sm;
	const char *bad;
	int err;

	gf->op = (uint8_t)(gf->is_str ? str_op(a->op) : int_op(a->op));
	if (gf->op == GT_OP_NONE || (gf->is_str && (a->op == TP_OP_IN || a->op == TP_OP_NOT_IN))) {
		snprintf(why, len, "line %u: matchArgs operator %s is not supported on %s arguments",
			 a->pos.line, tp_op_name(a->op), gf->is_str ? "string" : "integer");
		return why;
	}
	/* many Equal/NotEqual integers: a set in gt_ints, like InMap */
	if (!gf->is_str && a->nvalues > GT_MAX_VALS && (gf->op == GT_OP_EQ || gf->op == GT_OP_NEQ))
		gf->op = gf->op == GT_OP_EQ ? GT_OP_IN_MAP : GT_OP_NOT_IN_MAP;
	if (gf->is_str || gf->op == GT_OP_IN_MAP || gf->op == GT_OP_NOT_IN_MAP)
		gf->id = (*next_id)++;
	else if (a->nvalues > GT_MAX_VALS) {
		snprintf(why, len, "line %u: at most %d values for operator %s", a->pos.line, GT_MAX_VALS,
			 tp_op_name(a->op));
		return why;
	}
	gf->nvals = (uint8_t)(a->nvalues > GT_MAX_VALS ? 0 : a->nvalues);
	for (size_t k = 0; k < a->nvalues; k++) {
		const struct tp_value *v = &a->values[k];
		bool set = gf->op == GT_OP_IN_MAP || gf->op == GT_OP_NOT_IN_MAP;
		int64_t ilo = 0, ihi = 0;
		char *end;

		if (gf->is_str) {
			const char *b = v->kind == TP_VAL_STRING ? v->u.bytes.s : v->str;
			size_t l = v->kind == TP_VAL_STRING ? v->u.bytes.len : v->len;

			if (l >= GT_STR_MAX) {
				snprintf(why, len, "line %u: string value longer than %d bytes (selectors compare "
					 "that many: the first for Equal and Prefix, the last for Postfix)",
					 v->pos.line, GT_STR_MAX - 1);
				return why;
			}
			err = add_str(m, gf->id, (enum gt_op)gf->op, b, l);
			if (err)
				return oom(why, len, err, v->pos.line, "string");
			continue;
		}
		switch (v->kind) {
		case TP_VAL_INT: ilo = ihi = v->u.i; break;
		case TP_VAL_UINT: case TP_VAL_CAPS: ilo = ihi = (int64_t)v->u.u; break;
		case TP_VAL_INT_RANGE: ilo = v->u.irange.lo; ihi = v->u.irange.hi; break;
		case TP_VAL_UINT_RANGE: ilo = (int64_t)v->u.urange.lo; ihi = (int64_t)v->u.urange.hi; break;
		case TP_VAL_LIST:
			if (!set) {
				snprintf(why, len, "line %u: list: values need InMap or NotInMap", v->pos.line);
				return why;
			}
			if ((bad = add_syscall_list(hi, gf->id, v, why, len)))
				return bad;
			continue;
		default:
			errno = 0;
			ilo = ihi = strtoll(v->str, &end, 0);
			if (errno || end == v->str || *end) {
				snprintf(why, len, "line %u: \"%s\" is not an integer", v->pos.line, v->str);
				return why;
			}
		}
		if (!set) {
			gf->lo[k] = ilo;
			gf->hi[k] = ihi;
			continue;
		}
		if ((uint64_t)ihi - (uint64_t)ilo >= SEL_MAX_INTS) {
			snprintf(why, len, "line %u: range %s has more than %d values", v->pos.line, v->str,
				 SEL_MAX_INTS);
			return why;
		}
		for (uint64_t x = (uint64_t)ilo;; x++) {
			err = add_int(m, gf->id, x);
			if (err)
				return oom(why, len, err, v->pos.line, "InMap");
			if (x == (uint64_t)ihi)
				break;
		}
	}
	return NULL;
}

/* matchReturnArgs (integer operators on the return value) and matchReturnActions. */
static const char *compile_return(struct hook_inst *hi, const struct tp_selector *s, struct gt_selector *g,
				  uint8_t *next_id, char *why, size_t len)
{
	const char *bad;
	unsigned sz = 8;
	bool sg = true;

	g->ret_post = 1;
	g->ret_action = GT_ACT_POST;
	if ((s->nreturn_args || s->nreturn_actions) && !(hi->h->ret && hi->h->return_arg)) {
		snprintf(why, len, "line %u: matchReturnArgs/matchReturnActions need return: true and a returnArg",
			 s->pos.line);
		return why;
	}
	if (s->nreturn_args > GT_MAX_RETF) {
		snprintf(why, len, "line %u: at most %d matchReturnArgs entries per selector", s->pos.line,
			 GT_MAX_RETF);
		return why;
	}
	if (hi->ret_type != TP_ARG_NOP)
		policy_int_type(hi->ret_type, &sz, &sg);
	g->ret_signed = sg;
	g->nretf = (uint8_t)s->nreturn_args;
	for (size_t j = 0; j < s->nreturn_args; j++) {
		g->retf[j].is_str = 0;
		/* a uprobe's string returnArg is read into the slot after the args */
		if (hi->ret_type == TP_ARG_STRING) {
			g->retf[j].is_str = 1;
			g->retf[j].slot = (uint8_t)hi->h->nargs;
		}
		if ((bad = compile_values(hi, &s->return_args[j], &g->retf[j], next_id, why, len)))
			return bad;
	}
	for (size_t j = 0; j < s->nreturn_actions; j++) {
		const struct tp_action *a = &s->return_actions[j];

		switch (a->type) {
		case TP_ACTION_POST:
			break;
		case TP_ACTION_NOPOST:
			g->ret_post = 0;
			break;
		case TP_ACTION_SIGKILL:
			g->ret_action = GT_ACT_SIGKILL;
			break;
		case TP_ACTION_SIGNAL:
			if (g->ret_action != GT_ACT_SIGKILL) {
				g->ret_action = GT_ACT_SIGNAL;
				g->ret_sig = a->arg_sig;
			}
			break;
		default:
			snprintf(why, len, "line %u: matchReturnActions: action %s is not supported (Post, NoPost, "
				 "Sigkill, Signal are)", a->pos.line, tp_action_name(a->type));
			return why;
		}
	}
	return NULL;
}

/* Host namespace inum for host_ns (the agent's own when /proc/1/ns is unreadable). */
static int host_ns(struct hook_inst *hi, uint32_t *ret, enum tp_ns_type ns)
{
	struct policy_engine *e = hi->e;
	struct msg_ns tmp, *all = e ? &e->host_ns : &tmp;

	if (!e || !e->host_ns_done) {
		if (procfs_host_ns("/proc", all) < 0)
			return -ENOENT;
		if (e)
			e->host_ns_done = true;
	}
	*ret = ((const uint32_t *)all)[ns];
	return 0;
}

/* TrackSock/UntrackSock of selector i on its argSock argument (a sock or socket). */
static const char *compile_track(struct hook_inst *hi, const struct tp_action *a, size_t i, char *why, size_t len)
{
	uint32_t k = a->arg_sock;

	if (!hi->xcfg) {
		snprintf(why, len, "line %u: %s is not supported on this hook", a->pos.line, tp_action_name(a->type));
		return why;
	}
	if (k >= hi->h->nargs || k >= GT_MAX_ARGS ||
	    (hi->types[k] != TP_ARG_SOCK && hi->types[k] != TP_ARG_SOCKET)) {
		snprintf(why, len, "line %u: %s: argSock %u must name a sock or socket argument of the hook "
			 "(its position in args)", a->pos.line, tp_action_name(a->type), k);
		return why;
	}
	hi->xcfg->sel_track[i] = a->type == TP_ACTION_TRACKSOCK ? GT_TRACK_SOCK : GT_UNTRACK_SOCK;
	hi->xcfg->sel_sock[i] = (uint8_t)k;
	return NULL;
}

/*
 * The slot (1-based; 0: none) whose value names a notification in the
 * enforcer's missed counters: raw_syscalls/sys_enter's syscall id (its
 * field 4), as upstream's. Other hooks are named by the hook alone.
 */
static uint8_t enf_arg(const struct tp_hook *h)
{
	if (h->kind != TP_HOOK_TRACEPOINT || h->raw || !h->subsystem || !h->event ||
	    strcmp(h->subsystem, "raw_syscalls") || strcmp(h->event, "sys_enter"))
		return 0;
	for (size_t i = 0; i < h->nargs && i < GT_MAX_ARGS; i++)
		if (h->args[i].index == 4)
			return (uint8_t)(i + 1);
	return 0;
}

const char *policy_compile_selectors(struct hook_inst *hi, struct gt_config *cfg, char *why, size_t len)
{
	const struct tp_hook *h = hi->h;
	uint8_t next_id = 1;
	const char *bad;

	_Static_assert((int)TP_NS__COUNT == (int)GT_NS__COUNT && sizeof(struct msg_ns) == 4 * GT_NS__COUNT,
		       "namespace order");
	if (h->nselectors > GT_MAX_SEL) {
		snprintf(why, len, "%zu selectors: at most %d are supported", h->nselectors, GT_MAX_SEL);
		return why;
	}
	cfg->nsel = (uint32_t)h->nselectors;
	cfg->flags = hi->p->opts.policy_mode == TP_MODE_MONITOR ? GT_CFG_MONITOR : 0;
	for (size_t i = 0; i < h->nselectors; i++) {
		const struct tp_selector *s = &h->selectors[i];
		struct gt_selector *g = &cfg->sel[i];

		g->post = 1;
		g->action = GT_ACT_POST;
		for (size_t j = 0; j < s->nactions; j++) {
			const struct tp_action *a = &s->actions[j];

			switch (a->type) {
			case TP_ACTION_NOPOST: g->post = 0; break;
			case TP_ACTION_POST:
				g->stack |= (a->kernel_stack_trace ? GT_STACK_KERNEL : 0) |
					    (a->user_stack_trace ? GT_STACK_USER : 0);
				if (a->rate_limit_ms) {
					g->rate_ns = (uint64_t)a->rate_limit_ms * 1000000ULL;
					g->rate_scope = a->rate_limit_scope == TP_RATE_LIMIT_PROCESS ? GT_RATE_PROCESS :
							a->rate_limit_scope == TP_RATE_LIMIT_GLOBAL ? GT_RATE_GLOBAL :
							GT_RATE_THREAD;
					hi->sm.rate_entries = SEL_RATE_ENTRIES;
				}
				break;
			/* the strongest is reported; policy-mode monitor applies none (GT_CFG_MONITOR) */
			case TP_ACTION_SIGKILL:
				g->action = GT_ACT_SIGKILL;
				break;
			case TP_ACTION_SIGNAL:
				if (g->action != GT_ACT_SIGKILL) {
					g->action = GT_ACT_SIGNAL;
					g->sig = a->arg_sig;
				}
				break;
			case TP_ACTION_NOTIFY_ENFORCER:
				/* the policy's enforcer applies them at the syscall (policy_enforcer.c) */
				g->enf = GT_ENF_NOTIFY;
				g->enf_err = (int16_t)a->arg_error;
				g->enf_sig = (uint8_t)a->arg_sig;
				g->enf_arg = enf_arg(h);
				if (g->action == GT_ACT_POST)
					g->action = GT_ACT_NOTIFY_ENFORCER;
				break;
			case TP_ACTION_CLEANUP_ENFORCER_NOTIFICATION:
				g->enf = GT_ENF_CLEANUP;
				break;
			case TP_ACTION_SET:
				/* the USDT program writes it (policy_usdt.c: which argument, what value) */
				if (g->action == GT_ACT_POST)
					g->action = GT_ACT_SET;
				break;
			case TP_ACTION_GETURL: case TP_ACTION_DNSLOOKUP:
				/* the agent runs them from the record (agent_actions.c) */
				g->agent_act = 1;
				if (g->action == GT_ACT_POST)
					g->action = a->type == TP_ACTION_GETURL ? GT_ACT_GETURL : GT_ACT_DNSLOOKUP;
				break;
			case TP_ACTION_OVERRIDE:
				/* how is the back-end's (hi->ovr, policy_override.c); what is the selector's */
				g->override = 1;
				g->override_err = a->arg_error;
				if (g->action == GT_ACT_POST)
					g->action = GT_ACT_OVERRIDE;
				break;
			case TP_ACTION_TRACKSOCK:
			case TP_ACTION_UNTRACKSOCK:
				if ((bad = compile_track(hi, a, i, why, len)))
					return bad;
				break;
			default: break;
			}
		}
		if (s->npids) {
			bad = compile_pids(s, g, why, len);
			if (bad)
				return bad;
		}
		if (s->nbinaries > 1 || s->nparent_binaries > 1) {
			snprintf(why, len, "line %u: at most one matchBinaries and one matchParentBinaries "
				 "entry per selector", s->pos.line);
			return why;
		}
		if (s->nbinaries && (bad = compile_bin(hi, &s->binaries[0], &g->bin, &next_id, false, why, len)))
			return bad;
		if (s->nparent_binaries &&
		    (bad = compile_bin(hi, &s->parent_binaries[0], &g->pbin, &next_id, true, why, len)))
			return bad;
		if (s->nnamespaces > GT_MAX_NSF) {
			snprintf(why, len, "line %u: at most %d matchNamespaces entries per selector", s->pos.line,
				 GT_MAX_NSF);
			return why;
		}
		g->nnsf = (uint8_t)s->nnamespaces;
		for (size_t j = 0; j < s->nnamespaces; j++) {
			const struct tp_ns_filter *f = &s->namespaces[j];
			struct gt_nsf *gn = &g->nsf[j];

			if (f->nvalues > GT_MAX_NSVALS || (f->op != TP_OP_IN && f->op != TP_OP_NOT_IN)) {
				snprintf(why, len, "line %u: matchNamespaces takes In or NotIn with at most %d values",
					 f->pos.line, GT_MAX_NSVALS);
				return why;
			}
			gn->ns = (uint8_t)f->ns;
			gn->op = f->op == TP_OP_IN ? GT_OP_IN : GT_OP_NOT_IN;
			gn->nvals = (uint8_t)f->nvalues;
			for (size_t k = 0; k < f->nvalues; k++) {
				gn->vals[k] = f->values[k].inum;
				if (f->values[k].host_ns && host_ns(hi, &gn->vals[k], f->ns)) {
					snprintf(why, len, "line %u: host_ns: cannot read /proc/1/ns nor /proc/self/ns",
						 f->pos.line);
					return why;
				}
			}
		}
		if (s->ncaps + s->ncap_changes > GT_MAX_CAPF || s->ncap_changes > 1) {
			snprintf(why, len, "line %u: at most %d matchCapabilities and matchCapabilityChanges entries "
				 "per selector, one of them matchCapabilityChanges", s->pos.line, GT_MAX_CAPF);
			return why;
		}
		g->ncapf = (uint8_t)(s->ncaps + s->ncap_changes);
		/* matchCapabilityChanges after matchCapabilities: the same record, chg set */
		for (size_t j = 0; j < s->ncaps + s->ncap_changes; j++) {
			bool chg = j >= s->ncaps;
			const struct tp_caps_filter *f = chg ? &s->cap_changes[j - s->ncaps] : &s->caps[j];
			struct gt_capf *gc = &g->capf[j];

			if (f->op != TP_OP_IN && f->op != TP_OP_NOT_IN) {
				snprintf(why, len, "line %u: %s takes In or NotIn", f->pos.line,
					 chg ? "matchCapabilityChanges" : "matchCapabilities");
				return why;
			}
			gc->chg = chg;
			if (chg)
				hi->sm.nscaps = true;
			gc->set = f->type == TP_CAPS_PERMITTED ? GT_CAPS_PERMITTED :
				  f->type == TP_CAPS_INHERITABLE ? GT_CAPS_INHERITABLE : GT_CAPS_EFFECTIVE;
			gc->op = f->op == TP_OP_IN ? GT_OP_IN : GT_OP_NOT_IN;
			gc->mask = f->mask;
			if (f->is_namespace_capability && host_ns(hi, &gc->host_userns, TP_NS_USER)) {
				snprintf(why, len, "line %u: isNamespaceCapability: cannot read the host user "
					 "namespace from /proc", f->pos.line);
				return why;
			}
		}
		if (s->nns_changes > 1) {
			snprintf(why, len, "line %u: at most one matchNamespaceChanges entry per selector",
				 s->pos.line);
			return why;
		}
		if (s->nns_changes) {
			const struct tp_ns_change_filter *f = &s->ns_changes[0];

			if (f->op != TP_OP_IN && f->op != TP_OP_NOT_IN) {
				snprintf(why, len, "line %u: matchNamespaceChanges takes In or NotIn", f->pos.line);
				return why;
			}
			/* enum tp_ns_type and enum gt_ns_idx share upstream's order */
			g->nschg = (uint16_t)((f->ns_mask & GT_NSCHG_MASK) | GT_NSCHG_ON |
					      (f->op == TP_OP_NOT_IN ? GT_NSCHG_NOT_IN : 0));
			hi->sm.nscaps = true;
		}
		if (s->nargs + s->ndata > GT_MAX_ARGF) {
			snprintf(why, len, "line %u: at most %d matchArgs and matchData entries per selector",
				 s->pos.line, GT_MAX_ARGF);
			return why;
		}
		g->nargf = (uint8_t)(s->nargs + s->ndata);
		for (size_t j = 0; j < s->nargs; j++)
			if ((bad = compile_argf(hi, &s->args[j], false, &g->argf[j], &next_id, why, len)))
				return bad;
		for (size_t j = 0; j < s->ndata; j++)
			if ((bad = compile_argf(hi, &s->data[j], true, &g->argf[s->nargs + j], &next_id, why, len)))
				return bad;
		if ((bad = compile_return(hi, s, g, &next_id, why, len)))
			return bad;
	}
	return NULL;
}

static const char *set_size(struct bpf_object *obj, const char *name, size_t n, char *why, size_t len)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m) {
		snprintf(why, len, "BPF object has no %s map", name);
		return why;
	}
	if (bpf_map__set_max_entries(m, (uint32_t)(n ? n : 1))) {
		snprintf(why, len, "sizing %s: %s", name, strerror(errno));
		return why;
	}
	return NULL;
}

const char *policy_selectors_size(struct hook_inst *hi, struct bpf_object *obj, char *why, size_t len)
{
	const char *bad;

	struct bpf_map *bc = bpf_object__find_map_by_name(obj, "gt_bin_cache");

	struct bpf_map *st = bpf_object__find_map_by_name(obj, "gt_socktrack");

	if (bc && hi->e && hi->e->bin_cache_fd >= 0 && bpf_map__reuse_fd(bc, hi->e->bin_cache_fd)) {
		snprintf(why, len, "sharing the binary path cache: %s", strerror(errno));
		return why;
	}
	if (st && hi->e && hi->e->socktrack_fd >= 0 && bpf_map__reuse_fd(st, hi->e->socktrack_fd)) {
		snprintf(why, len, "sharing the socket tracking map: %s", strerror(errno));
		return why;
	}
	if ((bad = set_size(obj, "gt_strs", hi->sm.nstrs, why, len)) ||
	    (bad = set_size(obj, "gt_ints", hi->sm.nints, why, len)) ||
	    (bad = set_size(obj, "gt_rate", hi->sm.rate_entries, why, len)))
		return bad;
	return NULL;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

/*
 * Processes running before the policy: a process whose binary, or an
 * ancestor's, is one of f's values gets the bit in its execve_map entry.
 */
struct proc_ent {
	uint32_t pid, ppid;
	bool match;
};

static int cmp_pid(const void *a, const void *b)
{
	uint32_t x = ((const struct proc_ent *)a)->pid, y = ((const struct proc_ent *)b)->pid;

	return x < y ? -1 : x > y;
}

static void seed_follow(struct policy_engine *e, const struct tp_binary_filter *f, uint64_t bit)
{
	struct proc_ent *v = NULL;
	size_t n = 0, cap = 0, seeded = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[320], exe[GT_BIN_MAX + 16], stat[512];
		struct proc_ent *p;
		ssize_t l;
		FILE *fp;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (n == cap) {
			struct proc_ent *nv = realloc(v, (cap ? cap * 2 : 256) * sizeof(*nv));

			if (!nv)
				break;
			v = nv;
			cap = cap ? cap * 2 : 256;
		}
		p = &v[n];
		p->pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		p->ppid = 0;
		p->match = false;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fgets(stat, sizeof(stat), fp)) {
			char *rp = strrchr(stat, ')');

			if (rp)
				sscanf(rp + 1, " %*c %u", &p->ppid);
		}
		fclose(fp);
		snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
		l = readlink(path, exe, sizeof(exe) - 1);
		if (l > 0) {
			exe[l] = 0;
			for (size_t k = 0; k < f->nvalues; k++)
				if (!strcmp(exe, f->values[k]))
					p->match = true;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_pid);
	for (size_t i = 0; i < n; i++) {
		struct execve_map_value mv;
		struct proc_ent key = { .pid = v[i].pid }, *p;
		bool hit = false;

		/* self or an ancestor, a bounded walk (pid cycles cannot happen, depth guards anyway) */
		for (int depth = 0; depth < 64 && key.pid > 0 && !hit; depth++) {
			p = bsearch(&key, v, n, sizeof(*v), cmp_pid);
			if (!p)
				break;
			hit = p->match;
			key.pid = p->ppid;
		}
		if (!hit || bpf_map_lookup_elem(e->execve_fd, &v[i].pid, &mv))
			continue;
		mv.mbset |= bit;
		if (!bpf_map_update_elem(e->execve_fd, &v[i].pid, &mv, BPF_EXIST))
			seeded++;
	}
	free(v);
	if (seeded)
		log_debug("followChildren: %zu running process(es) already follow line %u's binaries", seeded,
			  f->pos.line);
}

static const char *install_follow(struct hook_inst *hi, char *why, size_t len)
{
	struct policy_engine *e = hi->e;
	uint32_t zero = 0, one = 1;

	for (size_t i = 0; i < hi->sm.nfollow; i++) {
		const struct tp_binary_filter *f = hi->sm.follow[i].f;
		uint64_t bit = hi->sm.follow[i].bit;

		for (size_t k = 0; k < f->nvalues; k++) {
			char key[GT_BIN_MAX] = { 0 };
			uint64_t bits = 0;
			size_t l = strlen(f->values[k]);

			if (l >= GT_BIN_MAX) {
				snprintf(why, len, "line %u: binary path longer than %d bytes", f->pos.line,
					 GT_BIN_MAX - 1);
				return why;
			}
			memcpy(key, f->values[k], l);
			bpf_map_lookup_elem(e->mbset_fd, key, &bits);
			bits |= bit;
			if (bpf_map_update_elem(e->mbset_fd, key, &bits, BPF_ANY)) {
				snprintf(why, len, "line %u: followChildren: adding %s: %s", f->pos.line,
					 f->values[k], strerror(errno));
				return why;
			}
		}
		if (bpf_map_update_elem(e->mbset_cfg_fd, &zero, &one, BPF_ANY)) {	/* TG_CFG_MBSET */
			snprintf(why, len, "followChildren: enabling it at exec: %s", strerror(errno));
			return why;
		}
		seed_follow(e, f, bit);
	}
	return NULL;
}

const char *policy_selectors_install(struct hook_inst *hi, struct bpf_object *obj, const struct gt_config *cfg,
				     char *why, size_t len)
{
	int cfd = map_fd(obj, "gt_config"), sfd = map_fd(obj, "gt_strs"), ifd = map_fd(obj, "gt_ints");
	uint32_t zero = 0;
	uint8_t one = 1;

	if (cfd < 0 || sfd < 0 || ifd < 0) {
		snprintf(why, len, "BPF object lacks the selector maps");
		return why;
	}
	for (size_t i = 0; i < hi->sm.nstrs; i++)
		if (bpf_map_update_elem(sfd, &hi->sm.strs[i].key, &hi->sm.strs[i].val, BPF_ANY)) {
			snprintf(why, len, "writing string selector values: %s", strerror(errno));
			return why;
		}
	for (size_t i = 0; i < hi->sm.nints; i++)
		if (bpf_map_update_elem(ifd, &hi->sm.ints[i], &one, BPF_ANY)) {
			snprintf(why, len, "writing InMap values: %s", strerror(errno));
			return why;
		}
	if (hi->sm.nfollow && install_follow(hi, why, len))
		return why;
	/* the lifecycle programs keep exec_nscaps from now on (never turned off: processes keep their records) */
	if (hi->sm.nscaps && hi->e && hi->e->mbset_cfg_fd > 0) {
		uint32_t k = TG_CFG_NSCAPS, on = 1;

		if (bpf_map_update_elem(hi->e->mbset_cfg_fd, &k, &on, BPF_ANY)) {
			snprintf(why, len, "matchNamespaceChanges/matchCapabilityChanges: enabling the records at "
				 "fork and exec: %s", strerror(errno));
			return why;
		}
	}
	/* the program is not attached yet: nothing runs with half a config */
	if (bpf_map_update_elem(cfd, &zero, cfg, BPF_ANY)) {
		snprintf(why, len, "writing the selectors: %s", strerror(errno));
		return why;
	}
	return NULL;
}

void policy_selectors_free(struct hook_inst *hi)
{
	free(hi->sm.strs);
	free(hi->sm.ints);
	free(hi->sm.follow);
	memset(&hi->sm, 0, sizeof(hi->sm));
}
