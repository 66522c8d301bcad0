// SPDX-License-Identifier: Apache-2.0
/*
 * What this agent refuses in a policy that parses, decided without the
 * kernel (policy.h, tp_check_agent). The agent and "tetra tracingpolicy
 * validate" both run it, so a policy the validator accepts is not refused
 * later for one of these reasons, and both say the same thing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_limits.h"

struct actx {
	const struct tp_policy *p;
	struct tp_diags *d;
	size_t nerr;
	char path[256];
};

static void __attribute__((format(printf, 3, 4))) refuse(struct actx *c, const struct tp_pos *pos, const char *fmt,
							   ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tp_diag_add(c->d, TP_SEV_ERROR, pos ? pos->line : 0, pos ? pos->col : 0, c->path, msg);
	c->nerr++;
}

/* The field path: its first len bytes kept, then fmt. */
static void __attribute__((format(printf, 3, 4))) path_at(struct actx *c, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len >= sizeof(c->path))
		len = sizeof(c->path) - 1;
	va_start(ap, fmt);
	vsnprintf(c->path + len, sizeof(c->path) - len, fmt, ap);
	va_end(ap);
}

#define set_path(c, ...) path_at(c, 0, __VA_ARGS__)

/* ---- workload scoping and features ------------------------------------------ */

static void check_scope(struct actx *c)
{
	const struct tp_policy *p = c->p;

	/*
	 * Namespaced policies, podSelector, containerSelector and hostSelector
	 * are scoped in the kernel (src/k8s/scope.c); the namespace is the one
	 * the policy acts in.
	 */
	if (p->kind == TP_KIND_TRACING_POLICY_NAMESPACED && !p->namespace) {
		set_path(c, "metadata.namespace");
		refuse(c, &p->kind_pos, "a TracingPolicyNamespaced needs metadata.namespace: the Kubernetes "
					"namespace whose pods it acts on");
	}
	/* {} selects every node; anything else needs the node's labels */
	if (p->node_selector && (p->node_selector->nlabels || p->node_selector->nexprs)) {
		set_path(c, "spec.nodeSelector");
		refuse(c, &p->node_selector->pos, "nodeSelector is not supported yet: this agent does not know its "
						  "node's labels, so it cannot tell whether the policy is meant for this "
						  "node and would load it on every node; remove it (or make it {}) to "
						  "load the policy here");
	}
}

/* ---- selector limits -------------------------------------------------------- */

int tp_fold_pids(const struct tp_selector *s, uint32_t *out, size_t *nout, bool *is_in)
{
	enum { CAP = TP_AGENT_MAX_PIDS * 4 };
	uint32_t in[CAP], ex[CAP];
	size_t nin = 0, nex = 0, n = 0;
	bool any_in = false;

	if (!s->npids) {
		*nout = 0;
		*is_in = false;
		return 0;
	}
	for (size_t i = 0; i < s->npids; i++) {
		const struct tp_pid_filter *pf = &s->pids[i];

		if (pf->is_namespace_pid != s->pids[0].is_namespace_pid || pf->follow_forks != s->pids[0].follow_forks)
			return -EINVAL;
		if (pf->op == TP_OP_IN) {
			uint32_t keep[CAP];
			size_t nkeep = 0;

			if (!any_in) {
				if (pf->nvalues > CAP)
					return -E2BIG;
				for (size_t k = 0; k < pf->nvalues; k++) {
					size_t j = 0;

					while (j < nkeep && keep[j] != pf->values[k])
						j++;
					if (j == nkeep)
						keep[nkeep++] = pf->values[k];
				}
			} else {
				/* In A and In B: the values in both */
				for (size_t k = 0; k < nin; k++)
					for (size_t j = 0; j < pf->nvalues; j++)
						if (pf->values[j] == in[k]) {
							keep[nkeep++] = in[k];
							break;
						}
			}
			memcpy(in, keep, nkeep * sizeof(*keep));
			nin = nkeep;
			any_in = true;
		} else {
			for (size_t k = 0; k < pf->nvalues; k++) {
				size_t j = 0;

				while (j < nex && ex[j] != pf->values[k])
					j++;
				if (j < nex)
					continue;
				if (nex >= CAP)
					return -E2BIG;
				ex[nex++] = pf->values[k];
			}
		}
	}
	if (any_in) {
		/* In A and NotIn B: A without B */
		for (size_t k = 0; k < nin; k++) {
			size_t j = 0;

			while (j < nex && ex[j] != in[k])
				j++;
			if (j == nex)
				in[n++] = in[k];
		}
		if (n > TP_AGENT_MAX_PIDS)
			return -E2BIG;
		memcpy(out, in, n * sizeof(*in));
	} else {
		if (nex > TP_AGENT_MAX_PIDS)
			return -E2BIG;
		n = nex;
		memcpy(out, ex, n * sizeof(*ex));
	}
	*nout = n;
	*is_in = any_in;
	return 0;
}

struct hook_counts {
	size_t strs, ints;
	bool strs_over, ints_over;
};

static bool is_prefix_postfix(enum tp_op op)
{
	return op == TP_OP_PREFIX || op == TP_OP_NOT_PREFIX || op == TP_OP_POSTFIX || op == TP_OP_NOT_POSTFIX;
}

static void count_str(struct actx *c, struct hook_counts *hc, const struct tp_pos *pos)
{
	if (++hc->strs > TP_AGENT_MAX_STR_VALUES && !hc->strs_over) {
		hc->strs_over = true;
		refuse(c, pos, "too many string values in one hook: at most %d string, binary path and address "
			       "values are supported per hook (they share one BPF map)", TP_AGENT_MAX_STR_VALUES);
	}
}

/* n values (span: n - 1, so that a full 64-bit range does not wrap to 0) */
static void count_ints(struct actx *c, struct hook_counts *hc, const struct tp_pos *pos, uint64_t span)
{
	if (hc->ints_over)
		return;
	hc->ints += span >= TP_AGENT_MAX_INT_VALUES ? TP_AGENT_MAX_INT_VALUES + 1 : (size_t)span + 1;
	if (hc->ints > TP_AGENT_MAX_INT_VALUES) {
		hc->ints_over = true;
		refuse(c, pos, "too many InMap values in one hook: at most %d integers are supported per hook, "
			       "ranges and syscall lists counted value by value", TP_AGENT_MAX_INT_VALUES);
	}
}

/* The values of one matchArgs/matchReturnArgs entry the selector maps hold. */
static void check_arg_filter(struct actx *c, struct hook_counts *hc, const struct tp_arg_filter *f, size_t len0)
{
	bool sock = f->type == TP_ARG_SOCKADDR || f->type == TP_ARG_SOCKADDR_UN;
	bool set = f->op == TP_OP_IN_MAP || f->op == TP_OP_NOT_IN_MAP;

	bool net = f->type == TP_ARG_SOCK || f->type == TP_ARG_SOCKET || f->type == TP_ARG_SKB;

	if (f->op == TP_OP_FAMILY && sock && f->nvalues > TP_AGENT_MAX_FAMILY_VALUES) {
		refuse(c, &f->pos, "at most %d values for operator Family are supported", TP_AGENT_MAX_FAMILY_VALUES);
		return;
	}
	/* sock and skb fields are compared inline (bpf/lib/gt_selectors.h) */
	if ((f->op == TP_OP_FAMILY || f->op == TP_OP_PROTOCOL || f->op == TP_OP_STATE) && net &&
	    f->nvalues > TP_AGENT_MAX_FAMILY_VALUES) {
		refuse(c, &f->pos, "at most %d values for operator %s on %s arguments are supported",
		       TP_AGENT_MAX_FAMILY_VALUES, tp_op_name(f->op), tp_arg_type_name(f->type));
		return;
	}
	for (size_t k = 0; k < f->nvalues; k++) {
		const struct tp_value *v = &f->values[k];

		path_at(c, len0, ".values[%zu]", f->value_items ? f->value_items[k] : k);
		if (v->kind == TP_VAL_ADDR) {
			count_str(c, hc, &v->pos);
		} else if (!sock && (v->kind == TP_VAL_STRING || (v->kind == TP_VAL_RAW && is_prefix_postfix(f->op)))) {
			size_t l = v->kind == TP_VAL_STRING ? v->u.bytes.len : v->len;

			if (l > TP_AGENT_MAX_STR_LEN)
				refuse(c, &v->pos, "string value is %zu bytes long: this agent compares at most %d "
						   "(the first for Equal and Prefix, the last for Postfix)", l,
				       TP_AGENT_MAX_STR_LEN);
			count_str(c, hc, &v->pos);
		} else if (set || ((sock || net) && (f->op == TP_OP_SPORT || f->op == TP_OP_NOT_SPORT ||
						    f->op == TP_OP_DPORT || f->op == TP_OP_NOT_DPORT) &&
				   f->nvalues > TP_AGENT_MAX_FAMILY_VALUES)) {
			switch (v->kind) {
			case TP_VAL_INT_RANGE:
				count_ints(c, hc, &v->pos, (uint64_t)v->u.irange.hi - (uint64_t)v->u.irange.lo);
				break;
			case TP_VAL_UINT_RANGE:
				count_ints(c, hc, &v->pos, v->u.urange.hi - v->u.urange.lo);
				break;
			case TP_VAL_LIST:
				/* an empty list adds nothing */
				if (c->p->lists[v->u.list.index].nvalues)
					count_ints(c, hc, &v->pos, c->p->lists[v->u.list.index].nvalues - 1);
				break;
			default:
				count_ints(c, hc, &v->pos, 0);
			}
		}
		c->path[len0] = '\0';
	}
}

static void check_binaries(struct actx *c, struct hook_counts *hc, const struct tp_binary_filter *b, size_t n,
			   bool parent, size_t len0)
{
	for (size_t i = 0; i < n; i++) {
		path_at(c, len0, ".match%sBinaries[%zu]", parent ? "Parent" : "", i);
		if (b[i].follow_children && parent)
			refuse(c, &b[i].pos, "followChildren on matchParentBinaries is not supported by this agent");
		if (b[i].follow_children)
			continue;
		for (size_t k = 0; k < b[i].nvalues; k++) {
			size_t l = strlen(b[i].values[k]);

			if (l > TP_AGENT_MAX_BINARY_PATH)
				refuse(c, &b[i].pos, "binary path is %zu bytes long: this agent supports at most %d", l,
				       TP_AGENT_MAX_BINARY_PATH);
			count_str(c, hc, &b[i].pos);
		}
		c->path[len0] = '\0';
	}
}

static void check_selector(struct actx *c, struct hook_counts *hc, const struct tp_selector *s)
{
	size_t len0 = strlen(c->path), nfold;
	uint32_t fold[TP_AGENT_MAX_PIDS];
	bool in;
	int err;

	if (s->workloads) {
		path_at(c, len0, ".matchWorkloads");
		refuse(c, &s->workloads->pos, "matchWorkloads is not supported yet: this agent does not know which "
					      "pod or container a process runs in, so it cannot limit the selector to "
					      "them and it would match on the whole host");
	}
	err = tp_fold_pids(s, fold, &nfold, &in);
	path_at(c, len0, ".matchPIDs");
	if (err == -EINVAL)
		refuse(c, &s->pids[0].pos, "matchPIDs entries of one selector must agree on followForks and "
					   "isNamespacePID in this agent");
	else if (err)
		refuse(c, &s->pids[0].pos, "at most %d distinct matchPIDs values per selector are supported "
					   "(its entries folded into one set)", TP_AGENT_MAX_PIDS);
	if (s->nreturn_args > TP_AGENT_MAX_RETURN_ARGS) {
		path_at(c, len0, ".matchReturnArgs");
		refuse(c, &s->return_args[0].pos, "at most %d matchReturnArgs entries per selector are supported, "
						  "got %zu", TP_AGENT_MAX_RETURN_ARGS, s->nreturn_args);
	}
	if (s->ncaps > TP_AGENT_MAX_CAPS) {
		path_at(c, len0, ".matchCapabilities");
		refuse(c, &s->caps[0].pos, "at most %d matchCapabilities entries per selector are supported, got %zu",
		       TP_AGENT_MAX_CAPS, s->ncaps);
	} else if (s->ncap_changes > 1) {
		/* upstream's program reads only the first one: the others would be ignored */
		path_at(c, len0, ".matchCapabilityChanges");
		refuse(c, &s->cap_changes[1].pos, "only one matchCapabilityChanges entry per selector is "
						  "evaluated (upstream reads the first only), got %zu: put the "
						  "capabilities in one entry's values", s->ncap_changes);
	} else if (s->ncaps + s->ncap_changes > TP_AGENT_MAX_CAPS) {
		path_at(c, len0, ".matchCapabilityChanges");
		refuse(c, &s->cap_changes[0].pos, "at most %d matchCapabilities and matchCapabilityChanges entries "
						  "per selector are supported together, got %zu",
		       TP_AGENT_MAX_CAPS, s->ncaps + s->ncap_changes);
	}
	c->path[len0] = '\0';
	check_binaries(c, hc, s->binaries, s->nbinaries, false, len0);
	check_binaries(c, hc, s->parent_binaries, s->nparent_binaries, true, len0);
	for (size_t j = 0; j < s->nargs; j++) {
		path_at(c, len0, ".matchArgs[%zu]", j);
		check_arg_filter(c, hc, &s->args[j], strlen(c->path));
		c->path[len0] = '\0';
	}
	for (size_t j = 0; j < s->nreturn_args; j++) {
		path_at(c, len0, ".matchReturnArgs[%zu]", j);
		check_arg_filter(c, hc, &s->return_args[j], strlen(c->path));
		c->path[len0] = '\0';
	}
}

static void check_hook(struct actx *c, size_t i)
{
	const struct tp_hook *h = &c->p->hooks[i];
	struct hook_counts hc = { 0 };
	const char *section = tp_hook_kind_name(h->kind);

	for (size_t k = 0; k < h->nsymbols; k++)
		if (strlen(h->symbols[k]) > TP_AGENT_MAX_UPROBE_SYMBOL) {
			set_path(c, "spec.%s[%zu].symbols[%zu]", section, i, k);
			refuse(c, &h->pos, "symbol is %zu bytes long: this agent supports at most %d",
			       strlen(h->symbols[k]), TP_AGENT_MAX_UPROBE_SYMBOL);
		}
	/* a uprobe's string return value is read into the argument slot after the args */
	if (h->kind == TP_HOOK_UPROBE && h->ret && h->return_arg && h->return_arg->type == TP_ARG_STRING &&
	    h->nargs >= TP_MAX_ARGS) {
		set_path(c, "spec.%s[%zu].returnArg", section, i);
		refuse(c, &h->return_arg->pos, "a string returnArg needs a free argument slot: at most %d args with it",
		       TP_MAX_ARGS - 1);
	}
	for (size_t j = 0; j < h->nselectors; j++) {
		set_path(c, "spec.%s[%zu].selectors[%zu]", section, i, j);
		check_selector(c, &hc, &h->selectors[j]);
	}
}

size_t tp_check_agent(const struct tp_policy *p, struct tp_diags *d)
{
	struct actx c = { .p = p, .d = d };
	size_t from = d->n;

	check_scope(&c);
	for (size_t i = 0; i < p->nhooks; i++)
		check_hook(&c, i);
	/* in file order, like the parser's (stable: equal positions keep their order) */
	for (size_t i = from + 1; i < d->n; i++) {
		struct tp_diag t = d->v[i];
		size_t j = i;

		for (; j > from && (d->v[j - 1].line > t.line || (d->v[j - 1].line == t.line && d->v[j - 1].col > t.col));
		     j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = t;
	}
	return c.nerr;
}
