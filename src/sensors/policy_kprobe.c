// SPDX-License-Identifier: Apache-2.0
/*
 * Back-ends "kprobe" and "kprobe.multi" ("kprobes:" on kernel functions,
 * syscall: false or a generated_ftrace list): one generic_kprobe object per
 * hook, whatever the number of functions it names. On a kernel with
 * kprobe_multi links (fprobe) and without the policy's
 * disable-kprobe-multi option, its program is loaded as kprobe.multi and
 * attached to every function with one link; otherwise one kprobe per
 * function. The choice is made at load time and shown in the policy status.
 *
 * A function must exist (the kernel's BTF or available_filter_functions
 * names it) and be traceable (available_filter_functions lists it: not
 * inlined, not notrace); its arguments are typed from its BTF prototype
 * (policy_btf.c) and read from the registers. Each function's index in the
 * hook is its attach cookie, which the records carry (func_id) so that
 * process_kprobe names the function that was called.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "filters/regex.h"
#include "generic_kprobe.skel.h"
#include "kernel/features.h"
#include "sensors/core_btf.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"
#include "util/log.h"
#include "util/strbuf.h"

#define KP_NAME_MAX 128		/* a kernel symbol (KSYM_NAME_LEN is 512, real ones are short) */
#define KP_MAX_FUNCS 4096	/* functions of one hook (a generated_ftrace list) */

/* ---- available_filter_functions ------------------------------------------------ */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void policy_ftrace_free(struct ftrace_funcs *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int ftrace_load(struct policy_engine *e)
{
	struct ftrace_funcs *f = &e->ftrace;
	char path[512], line[KP_NAME_MAX + 128];
	size_t cap = 0, k = 0;
	FILE *fp;

	if (f->loaded)
		return f->err;
	f->loaded = true;
	snprintf(path, sizeof(path), "%s/available_filter_functions", policy_tracefs(e->tracefs));
	fp = fopen(path, "re");
	if (!fp)
		return f->err = -errno;
	while (fgets(line, sizeof(line), fp)) {
		size_t l = strcspn(line, " \t\n");
		char **v;

		/* "name", "name [module]"; longer lines are not kernel function names we probe */
		if (!l || l >= KP_NAME_MAX)
			continue;
		line[l] = 0;
		if (f->n == cap) {
			v = realloc(f->v, (cap ? cap * 2 : 4096) * sizeof(*v));
			if (!v) {
				fclose(fp);
				policy_ftrace_free(f);
				f->loaded = true;
				return f->err = -ENOMEM;
			}
			f->v = v;
			cap = cap ? cap * 2 : 4096;
		}
		f->v[f->n] = strdup(line);
		if (!f->v[f->n]) {
			fclose(fp);
			policy_ftrace_free(f);
			f->loaded = true;
			return f->err = -ENOMEM;
		}
		f->n++;
	}
	fclose(fp);
	if (f->n)
		qsort(f->v, f->n, sizeof(*f->v), cmp_name);
	/* a static function of several files is listed once per copy */
	for (size_t i = 0; i < f->n; i++) {
		if (k && !strcmp(f->v[k - 1], f->v[i])) {
			free(f->v[i]);
			continue;
		}
		f->v[k++] = f->v[i];
	}
	f->n = k;
	return 0;
}

int policy_ftrace_has(struct policy_engine *e, const char *name)
{
	int err = ftrace_load(e);

	if (err)
		return err;
	return bsearch(&name, e->ftrace.v, e->ftrace.n, sizeof(*e->ftrace.v), cmp_name) != NULL;
}

int policy_ftrace_match(struct policy_engine *e, const struct tg_regex *re, char ***out, size_t *n)
{
	int err = ftrace_load(e);
	char **v = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (err)
		return err;
	for (size_t i = 0; i < e->ftrace.n; i++) {
		if (!tg_regex_match(re, e->ftrace.v[i]))
			continue;
		if (k >= KP_MAX_FUNCS) {
			for (size_t j = 0; j < k; j++)
				free(v[j]);
			free(v);
			return -E2BIG;
		}
		if (!(k & (k - 1))) {
			char **nv = realloc(v, (k ? 2 * k : 1) * sizeof(*nv));

			if (!nv)
				goto oom;
			v = nv;
		}
		v[k] = strdup(e->ftrace.v[i]);
		if (!v[k])
			goto oom;
		k++;
	}
	*out = v;
	*n = k;
	return 0;
oom:
	for (size_t j = 0; j < k; j++)
		free(v[j]);
	free(v);
	return -ENOMEM;
}

/* ---- what a hook probes -------------------------------------------------------- */

/* A hook resolved against this kernel: its functions and how its arguments read. */
struct kp_plan {
	char **funcs;			/* owned */
	size_t nfuncs;
	size_t missing;			/* skipped by ignore: callNotFound */
	struct gt_arg_cfg args[GT_MAX_ARGS];
	struct gt_resolve res[GT_MAX_ARGS];
	enum tp_arg_type types[GT_MAX_ARGS];
	int nparams;			/* the first function's argument count */
	bool ret_sock;			/* every function returns a struct sock * */
	bool has_return;
	enum tp_arg_type ret_type;
};

static void plan_free(struct kp_plan *pl)
{
	for (size_t i = 0; i < pl->nfuncs; i++)
		free(pl->funcs[i]);
	free(pl->funcs);
	memset(pl, 0, sizeof(*pl));
}

static int plan_add(struct kp_plan *pl, const char *name)
{
	char **v;

	if (!(pl->nfuncs & (pl->nfuncs - 1))) {
		v = realloc(pl->funcs, (pl->nfuncs ? 2 * pl->nfuncs : 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		pl->funcs = v;
	}
	pl->funcs[pl->nfuncs] = strdup(name);
	if (!pl->funcs[pl->nfuncs])
		return -ENOMEM;
	pl->nfuncs++;
	return 0;
}

/* "kprobe on fd_install", "list ksys (generated_ftrace)": the hook, for messages */
static void hook_name(const struct tp_policy *p, const struct tp_hook *h, char *buf, size_t len)
{
	if (h->call_list >= 0 && (size_t)h->call_list < p->nlists)
		snprintf(buf, len, "kprobe on list %s%s%s%s", p->lists[h->call_list].name,
			 p->lists[h->call_list].type ? " (" : "", p->lists[h->call_list].type ?
			 tp_list_type_name(p->lists[h->call_list].type) : "", p->lists[h->call_list].type ? ")" : "");
	else
		snprintf(buf, len, "kprobe on %s", h->call);
}

/* The functions h names: its call, a list's values, or a generated_ftrace list's matches. */
static const char *plan_functions(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h,
				  struct kp_plan *pl, char *why, size_t len)
{
	const struct tp_list *l = h->call_list >= 0 && (size_t)h->call_list < p->nlists ? &p->lists[h->call_list] :
				  NULL;
	char err[256], **v = NULL;
	struct tg_regex *re = NULL;
	size_t n = 0;
	int r;

	if (!l)
		return plan_add(pl, h->call) ? "out of memory" : NULL;
	if (l->type != TP_LIST_GENERATED_FTRACE) {
		for (size_t i = 0; i < l->nvalues; i++)
			if (plan_add(pl, l->values[i]))
				return "out of memory";
		return NULL;
	}
	if (!l->pattern) {
		snprintf(why, len, "list %s (generated_ftrace) has no pattern", l->name);
		return why;
	}
	r = tg_regex_compile(&re, l->pattern, TG_REGEX_MAX_MEM, err, sizeof(err));
	if (r) {
		snprintf(why, len, "list %s (generated_ftrace): pattern %s", l->name, err);
		return why;
	}
	r = policy_ftrace_match(e, re, &v, &n);
	tg_regex_free(re);
	if (r == -E2BIG) {
		snprintf(why, len, "list %s (generated_ftrace): pattern \"%s\" matches more than %d functions",
			 l->name, l->pattern, KP_MAX_FUNCS);
		return why;
	}
	if (r) {
		snprintf(why, len, "list %s (generated_ftrace): reading %s/available_filter_functions: %s", l->name,
			 policy_tracefs(e->tracefs), strerror(-r));
		return why;
	}
	if (!n) {
		snprintf(why, len, "list %s (generated_ftrace): pattern \"%s\" matches no function of %s/"
			 "available_filter_functions", l->name, l->pattern, policy_tracefs(e->tracefs));
		return why;
	}
	pl->funcs = v;
	pl->nfuncs = n;
	return NULL;
}

/*
 * Can function name be probed, and how do its arguments read? Fills the
 * plan's argument layout from the first function; the others must agree.
 * -ENOENT (with why) when it does not exist or cannot be probed.
 */
static int plan_function(struct policy_engine *e, const struct tp_hook *h, struct kp_plan *pl, size_t k, char *why,
			 size_t len)
{
	const char *name = pl->funcs[k];
	struct btf_hook bh;
	char tmp[384];
	int in_ftrace, btf;

	if (strlen(name) >= KP_NAME_MAX) {
		snprintf(why, len, "function %s is longer than this agent supports (%d bytes)", name, KP_NAME_MAX - 1);
		return -EINVAL;
	}
	btf = policy_btf_func(name, &bh, tmp, sizeof(tmp));
	in_ftrace = policy_ftrace_has(e, name);
	if (in_ftrace <= 0 && btf == -ENOENT) {
		snprintf(why, len, "function %s does not exist on this kernel (the kernel's BTF and %s/"
			 "available_filter_functions do not name it%s)", name, policy_tracefs(e->tracefs),
			 in_ftrace < 0 ? ", or the latter cannot be read" : "");
		return -ENOENT;
	}
	if (in_ftrace == 0) {
		snprintf(why, len, "function %s cannot be probed: it is not in %s/available_filter_functions (it is "
			 "inlined into its callers or marked notrace)", name, policy_tracefs(e->tracefs));
		return -ENOENT;
	}
	/* no tracefs listing (no CONFIG_FUNCTION_TRACER): the attach will tell */
	if (btf && (h->nargs || (h->ret && h->return_arg))) {
		snprintf(why, len, "function %s: %s: its arguments cannot be typed", name, tmp);
		return -EINVAL;
	}
	if (btf)
		return 0;
	for (size_t i = 0; i < h->nargs; i++) {
		struct gt_arg_cfg c;
		struct gt_resolve res;
		enum tp_arg_type rep = TP_ARG_INT;

		if (policy_btf_arg(h, i, &bh, &c, &res, &rep, why, len))
			return -EINVAL;
		if (k == 0) {
			pl->args[i] = c;
			pl->res[i] = res;
			pl->types[i] = rep;
		} else if (memcmp(&pl->args[i], &c, sizeof(c)) || memcmp(&pl->res[i], &res, sizeof(res)) ||
			   pl->types[i] != rep) {
			/* one program reads every function of the hook the same way */
			snprintf(why, len, "line %u: argument %zu reads differently in %s and in %s: the functions "
				 "of one hook must agree on the arguments it reads; split the list",
				 h->args[i].pos.line, i, pl->funcs[0], name);
			return -EINVAL;
		}
	}
	if (k == 0)
		pl->nparams = bh.n;
	if (k == 0 || pl->ret_sock)
		pl->ret_sock = !strcmp(bh.ret.what, "struct sock *");
	return 0;
}

/* Resolve h against this kernel into pl (freed by the caller); a reason or NULL. */
static const char *plan_hook(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h,
			     struct kp_plan *pl, char *why, size_t len)
{
	char name[256];
	size_t k = 0;

	memset(pl, 0, sizeof(*pl));
	hook_name(p, h, name, sizeof(name));
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "%s: %zu arguments: at most %d are supported", name, h->nargs, GT_MAX_ARGS);
		return why;
	}
	if (plan_functions(e, p, h, pl, why, len))
		return why;
	while (k < pl->nfuncs) {
		char tmp[768];
		int err = plan_function(e, h, pl, k, tmp, sizeof(tmp));

		if (err == -ENOENT && h->ignore_call_not_found) {
			/* upstream's ignore: callNotFound: the others are probed, the hook says what was missing */
			log_warn("tracing policy %s: %s: %s (ignore.callNotFound)", p->name, name, tmp);
			free(pl->funcs[k]);
			memmove(&pl->funcs[k], &pl->funcs[k + 1], (pl->nfuncs - k - 1) * sizeof(*pl->funcs));
			pl->nfuncs--;
			pl->missing++;
			continue;
		}
		if (err) {
			snprintf(why, len, "%s: %s", name, tmp);
			return why;
		}
		k++;
	}
	pl->has_return = h->ret;
	for (size_t i = 0; i < h->nargs; i++)
		pl->has_return |= h->args[i].return_copy;
	pl->ret_type = TP_ARG_NOP;
	if (h->ret && h->return_arg) {
		pl->ret_type = h->return_arg->type == TP_ARG_AUTO || h->return_arg->type == TP_ARG_FD ? TP_ARG_INT :
			       h->return_arg->type;
		/* a returned struct sock * (sk_alloc) is read at the return, into the slot after the args */
		if (pl->ret_type == TP_ARG_SOCK && (!pl->ret_sock || h->nargs >= GT_MAX_ARGS)) {
			snprintf(why, len, "line %u: returnArg type sock needs a function that returns a struct sock * "
				 "%s", h->return_arg->pos.line,
				 pl->ret_sock ? "and fewer than 5 args (the sock takes a sixth slot)" :
				 "(BTF says otherwise)");
			return why;
		}
		if (!policy_ret_type_ok(pl->ret_type) && pl->ret_type != TP_ARG_SOCK) {
			snprintf(why, len, "line %u: returnArg type %s is not supported on kprobes yet (integer types "
				 "and sock are)", h->return_arg->pos.line, tp_arg_type_name(h->return_arg->type));
			return why;
		}
	}
	if (h->has_return_arg_action && pl->ret_type != TP_ARG_SOCK) {
		snprintf(why, len, "line %u: returnArgAction %s needs return: true and a returnArg of type sock",
			 h->pos.line, tp_action_name(h->return_arg_action));
		return why;
	}
	return NULL;
}

/* ---- the back-end ---------------------------------------------------------------- */

static const char *check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			 size_t len)
{
	const struct tp_list *l = h->call_list >= 0 && (size_t)h->call_list < p->nlists ? &p->lists[h->call_list] :
				  NULL;
	struct kp_plan pl;
	char name[256], fwhy[256];
	bool ret = h->ret;
	const char *bad;

	hook_name(p, h, name, sizeof(name));
	for (size_t i = 0; i < h->nargs; i++)
		ret |= h->args[i].return_copy;
	if (!policy_feature(KF_KPROBE, fwhy, sizeof(fwhy))) {
		if (l && l->type == TP_LIST_GENERATED_FTRACE)
			snprintf(why, len, "list %s is of type generated_ftrace: its kernel functions need kprobes, and "
				 "this kernel has no kprobes: %s", l->name, fwhy);
		else
			snprintf(why, len, "%s: this kernel has no kprobes: %s (syscall: true serves syscalls "
				 "through their tracepoints)", name, fwhy);
		return why;
	}
	if (ret && !policy_feature(KF_KRETPROBE, fwhy, sizeof(fwhy))) {
		snprintf(why, len, "%s: return probe: this kernel has no kretprobes: %s", name, fwhy);
		return why;
	}
	if (h->ret && !h->return_arg) {
		snprintf(why, len, "line %u: return: true needs a returnArg", h->pos.line);
		return why;
	}
	bad = plan_hook(e, p, h, &pl, why, len);
	if (!bad) {
		int m;

		/* how Override works on these functions here (policy_override.c) */
		bad = policy_ovr_hook(p, h, name, (const char *const *)pl.funcs, pl.nfuncs, false, &m, why, len);
	}
	plan_free(&pl);
	return bad;
}

static const char *instances(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, char *why,
			     size_t len)
{
	const struct policy_backend *be = policy_backend_of(e, p, h);
	struct hook_inst *hi;
	struct kp_plan pl;
	char name[256];

	if (plan_hook(e, p, h, &pl, why, len)) {
		plan_free(&pl);
		return why;
	}
	hi = policy_inst_new(e, p, h, be);
	if (!hi) {
		plan_free(&pl);
		return "out of memory";
	}
	hook_name(p, h, name, sizeof(name));
	if (policy_ovr_hook(p, h, name, (const char *const *)pl.funcs, pl.nfuncs, false, &hi->ovr, why, len)) {
		plan_free(&pl);
		policy_inst_free(hi);
		return why;
	}
	hi->funcs = pl.funcs;
	hi->nfuncs = pl.nfuncs;
	pl.funcs = NULL;
	pl.nfuncs = 0;
	hi->nmissing = pl.missing;
	snprintf(hi->subsys, sizeof(hi->subsys), "%s", be->name);
	snprintf(hi->event, sizeof(hi->event), "%s", h->call);
	snprintf(hi->function, sizeof(hi->function), "%s", hi->nfuncs ? hi->funcs[0] : h->call);
	/* every function missing, ignored: the hook loads nothing */
	hi->skipped = !hi->nfuncs;
	plan_free(&pl);
	return policy_inst_attach(e, hi, why, len);
}

static struct gt_prog_cfg *open_obj(struct hook_inst *hi, char *why, size_t len)
{
	struct generic_kprobe_bpf *skel = CORE_BTF_OPEN(generic_kprobe);

	if (!skel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return NULL;
	}
	hi->skel = skel;
	hi->obj = skel->obj;
	hi->xcfg = (struct gt_xcfg *)&skel->rodata->gt_xcfg;
	return (struct gt_prog_cfg *)&skel->rodata->gt_cfg;
}

/* Calls in flight a return probe instance holds (LRU: the oldest go first). */
#define RET_ENTRIES 4096

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_kprobe_bpf *skel = hi->skel;
	const struct tp_hook *h = hi->h;
	struct kp_plan pl;

	if (plan_hook(e, hi->p, h, &pl, why, len)) {
		plan_free(&pl);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		hi->cfg->args[i] = pl.args[i];
		hi->cfg->resolve[i] = pl.res[i];
		hi->types[i] = pl.types[i];
		hi->is_signed[i] = pl.args[i].is_signed;
		hi->size[i] = pl.args[i].size;
	}
	hi->cfg->nargs = (uint32_t)h->nargs;
	hi->cfg->raw_nargs = (uint32_t)(pl.nparams < 6 ? pl.nparams : 6);
	hi->has_return = pl.has_return;
	hi->ret_type = pl.ret_type;
	plan_free(&pl);
	if (hi->ret_type == TP_ARG_SOCK)
		hi->xcfg->ret_kind = GT_ARG_SOCK_PTR;
	if (h->has_return_arg_action)
		hi->xcfg->ret_track = h->return_arg_action == TP_ACTION_TRACKSOCK ? GT_TRACK_SOCK : GT_UNTRACK_SOCK;
	if (hi->be == &policy_be_kprobe_multi) {
		/* chosen here: the same object, loaded for kprobe_multi links */
		bpf_program__set_expected_attach_type(skel->progs.generic_kprobe, BPF_TRACE_KPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.generic_kretprobe, BPF_TRACE_KPROBE_MULTI);
	}
	if (!hi->has_return) {
		bpf_program__set_autoload(skel->progs.generic_kretprobe, false);
		return NULL;
	}
	hi->cfg->has_return = 1;
	if (bpf_map__set_max_entries(skel->maps.gt_ret, RET_ENTRIES)) {
		snprintf(why, len, "sizing gt_ret: %s", strerror(errno));
		return why;
	}
	return NULL;
}

static int load(struct hook_inst *hi)
{
	return generic_kprobe_bpf__load(hi->skel);
}

static const char *attach_err(const struct hook_inst *hi, const char *what, const char *func, int err, char *why,
			      size_t len)
{
	snprintf(why, len, "%s: attaching %s to %s: %s%s", hi->event, what, func, strerror(err),
		 err == EINVAL ? " (the function cannot be probed: on the kprobe blacklist, or not a function entry)" :
		 err == ENOENT || err == ESRCH ? " (no such function in /proc/kallsyms)" : "");
	return why;
}

static const char *attach_multi(struct hook_inst *hi, bool ret, char *why, size_t len)
{
	struct generic_kprobe_bpf *skel = hi->skel;
	LIBBPF_OPTS(bpf_kprobe_multi_opts, o);
	__u64 *cookies = calloc(hi->nfuncs, sizeof(*cookies));
	struct bpf_link *l;
	char what[64];
	int err;

	if (!cookies)
		return "out of memory";
	for (size_t k = 0; k < hi->nfuncs; k++)
		cookies[k] = k;
	o.syms = (const char **)hi->funcs;
	o.cookies = cookies;
	o.cnt = hi->nfuncs;
	o.retprobe = ret;
	l = bpf_program__attach_kprobe_multi_opts(ret ? skel->progs.generic_kretprobe : skel->progs.generic_kprobe,
						  NULL, &o);
	err = errno;
	free(cookies);
	if (!l) {
		snprintf(what, sizeof(what), "a kprobe_multi %slink", ret ? "return " : "");
		if (hi->nfuncs == 1)
			return attach_err(hi, what, hi->funcs[0], err, why, len);
		snprintf(why, len, "%s: attaching a kprobe_multi %slink to its %zu functions (%s...): %s", hi->event,
			 ret ? "return " : "", hi->nfuncs, hi->funcs[0], strerror(err));
		return why;
	}
	return policy_inst_link(hi, l) ? "out of memory" : NULL;
}

static const char *attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_kprobe_bpf *skel = hi->skel;

	(void)e;
	if (hi->be == &policy_be_kprobe_multi) {
		if (attach_multi(hi, false, why, len) || (hi->has_return && attach_multi(hi, true, why, len)))
			return why;
		return NULL;
	}
	for (size_t k = 0; k < hi->nfuncs; k++) {
		for (int ret = 0; ret <= (int)hi->has_return; ret++) {
			LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = k, .retprobe = ret);
			struct bpf_link *l;

			l = bpf_program__attach_kprobe_opts(ret ? skel->progs.generic_kretprobe :
							    skel->progs.generic_kprobe, hi->funcs[k], &o);
			if (!l)
				return attach_err(hi, ret ? "a kretprobe" : "a kprobe", hi->funcs[k], errno, why, len);
			if (policy_inst_link(hi, l))
				return "out of memory";
		}
		/* a long list takes a while: the agent reads its records meanwhile */
		if (e->pump && k % 64 == 63)
			e->pump(e->pump_ctx);
	}
	return NULL;
}

static void destroy(struct hook_inst *hi)
{
	generic_kprobe_bpf__destroy(hi->skel);
}

static const char *function_name(const struct hook_inst *hi, const struct msg_generic *m, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return m->func_id < hi->nfuncs ? hi->funcs[m->func_id] : hi->function;
}

static void describe(const struct hook_inst *hi, struct strbuf *sb)
{
	if (hi->nfuncs == 1)
		strbuf_addf(sb, "%s", hi->funcs[0]);
	else
		strbuf_addf(sb, "%zu functions", hi->nfuncs);
	if (hi->has_return)
		strbuf_addf(sb, ", with return probe%s", hi->nfuncs == 1 ? "" : "s");
	if (hi->nmissing)
		strbuf_addf(sb, ", %zu not found (ignored)", hi->nmissing);
}

const struct policy_backend policy_be_kprobe = {
	.name = "kprobe",
	.section = TP_HOOK_KPROBE,
	.msg_op = MSG_OP_GENERIC_KPROBE,
	.event = POLICY_EV_KPROBE,
	.sensor = "generic_kprobe",
	.label = "kprobe",
	.returns = true,
	.overrides = true,
	.check = check,
	.instances = instances,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
	.function_name = function_name,
	.describe = describe,
};

const struct policy_backend policy_be_kprobe_multi = {
	.name = "kprobe.multi",
	.section = TP_HOOK_KPROBE,
	.msg_op = MSG_OP_GENERIC_KPROBE,
	.event = POLICY_EV_KPROBE,
	.sensor = "generic_kprobe",
	.label = "kprobe",
	.returns = true,
	.overrides = true,
	.check = check,
	.instances = instances,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
	.function_name = function_name,
	.describe = describe,
};
