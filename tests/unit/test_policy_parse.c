// SPDX-License-Identifier: Apache-2.0
/*
 * TracingPolicy parser: YAML DOM, value syntaxes, the typed model, and every
 * rejection class. Fixtures live in tests/policy/{good,bad}; each ends with
 * "# expect: LINE:COL: PATH: MESSAGE" lines listing exactly the diagnostics
 * the parser must produce for it, in order. Upstream's example policies in
 * ../shared/upstream-policies (relative to the repository) must all pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy/policy_limits.h"
#include "policy/policy_values.h"
#include "policy/yaml_dom.h"
#include "util/strbuf.h"

static char root[PATH_MAX];

static int is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* The repository root: the cwd (tests/run.sh), or two levels above the binary. */
static int find_root(void **state)
{
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n;
	int up;

	(void)state;
	if (getcwd(root, sizeof(root))) {
		snprintf(probe, sizeof(probe), "%s/tests/policy/good", root);
		if (is_dir(probe))
			return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');

		if (!slash)
			return -1;
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/tests/policy/good", exe);
		if (is_dir(probe)) {
			snprintf(root, sizeof(root), "%s", exe);
			return 0;
		}
	}
	return -1;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the regular files in dir; NULL when dir does not exist. */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char *full;

		if (e->d_name[0] == '.')
			continue;
		full = join(dir, e->d_name);
		if (is_dir(full)) {
			free(full);
			continue;
		}
		free(full);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmpstr);
	return v ? v : calloc(1, sizeof(*v));
}

static void free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t r;

	assert_non_null(f);
	while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, r);
	fclose(f);
	strbuf_addc(&sb, '\0');
	if (len)
		*len = sb.len - 1;
	return strbuf_detach(&sb, NULL);
}

/* Diagnostics formatted like the CLI, minus the "FILE:" prefix. */
static char *diag_line(const struct tp_diag *d)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;

	tp_diag_format(d, "F", &sb);
	s = strdup(sb.buf + (d->line ? 2 : 3));	/* "F:" or "F: " */
	strbuf_free(&sb);
	return s;
}

static void dump_diags(const char *file, const struct tp_diags *d)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < d->n; i++) {
		strbuf_reset(&sb);
		tp_diag_format(&d->v[i], file, &sb);
		print_message("  %s\n", sb.buf);
	}
	strbuf_free(&sb);
}

/* Parse a fixture and compare its diagnostics with its "# expect:" lines. */
static void check_fixture(const char *path, int want_ok)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	char *src = slurp(path, NULL), *line, *save = NULL;
	char **exp = NULL;
	size_t nexp = 0, i;
	int rc;

	for (line = strtok_r(src, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# expect: ", 10))
			continue;
		exp = realloc(exp, (nexp + 1) * sizeof(*exp));
		exp[nexp++] = line + 10;
	}
	rc = tp_parse_file(path, &set, &d);
	if ((want_ok && rc) || (!want_ok && rc != -EINVAL) || d.n != nexp) {
		print_message("%s: rc=%d, %zu diagnostics, %zu expected:\n", path, rc, d.n, nexp);
		dump_diags(path, &d);
	}
	if (want_ok) {
		assert_int_equal(rc, 0);
		assert_non_null(set);
	} else {
		assert_int_equal(rc, -EINVAL);
		assert_null(set);
		assert_true(nexp > 0);
	}
	assert_int_equal(d.n, nexp);
	for (i = 0; i < nexp; i++) {
		char *got = diag_line(&d.v[i]);

		if (strcmp(got, exp[i]))
			print_message("%s: diagnostic %zu differs\n", path, i);
		assert_string_equal(got, exp[i]);
		free(got);
	}
	tp_policy_set_free(set);
	tp_diags_free(&d);
	free(exp);
	free(src);
}

static void run_fixture_dir(const char *sub, int want_ok, size_t min)
{
	char *dir = join(root, sub), *p;
	char **names;
	size_t n, i, checked = 0;

	names = list_dir(dir, &n);
	assert_non_null(names);
	for (i = 0; i < n; i++) {
		if (!strstr(names[i], ".yaml"))
			continue;
		p = join(dir, names[i]);
		check_fixture(p, want_ok);
		free(p);
		checked++;
	}
	assert_true(checked >= min);
	free_list(names, n);
	free(dir);
}

static void test_bad_fixtures(void **state)
{
	(void)state;
	run_fixture_dir("tests/policy/bad", 0, 12);
}

static void test_good_fixtures(void **state)
{
	(void)state;
	run_fixture_dir("tests/policy/good", 1, 6);
}

/* Every example policy of upstream Tetragon must be accepted. */
static void test_upstream_corpus(void **state)
{
	char *dir = join(root, "../shared/upstream-policies");
	char **names;
	size_t n, i, ok = 0;

	(void)state;
	names = list_dir(dir, &n);
	if (!names) {
		print_message("SKIP: %s not found (upstream example policies are not checked out next to the repo)\n",
			      dir);
		free(dir);
		skip();
		return;
	}
	for (i = 0; i < n; i++) {
		struct tp_diags d = TP_DIAGS_INIT;
		struct tp_policy_set *set = NULL;
		char *p = join(dir, names[i]);
		size_t j;
		int rc = tp_parse_file(p, &set, &d);

		if (rc) {
			print_message("%s rejected:\n", p);
			dump_diags(p, &d);
		}
		assert_int_equal(rc, 0);
		assert_true(set->n >= 1);
		for (j = 0; j < set->n; j++)
			assert_non_null(set->policies[j]->name);
		ok++;
		tp_policy_set_free(set);
		tp_diags_free(&d);
		free(p);
	}
	print_message("%zu upstream policy files accepted\n", ok);
	assert_true(ok > 0);
	free_list(names, n);
	free(dir);
}

/* ---- helpers for inline documents ------------------------------------------- */

static struct tp_policy_set *parse_ok(const char *yaml)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	int rc = tp_parse("inline.yaml", yaml, strlen(yaml), &set, &d);

	if (rc)
		dump_diags("inline.yaml", &d);
	assert_int_equal(rc, 0);
	tp_diags_free(&d);
	return set;
}

static struct tp_policy_set *parse_fixture(const char *name)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	char *p = join(root, name);
	int rc = tp_parse_file(p, &set, &d);

	if (rc)
		dump_diags(p, &d);
	assert_int_equal(rc, 0);
	tp_diags_free(&d);
	free(p);
	return set;
}

/* All diagnostics of an inline document, "FILE:L:C: ..." joined by newlines. */
static char *parse_diags(const char *yaml, int *rc)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	*rc = tp_parse("p.yaml", yaml, strlen(yaml), &set, &d);
	for (i = 0; i < d.n; i++) {
		if (i)
			strbuf_addc(&sb, '\n');
		tp_diag_format(&d.v[i], "p.yaml", &sb);
	}
	strbuf_addc(&sb, '\0');
	tp_policy_set_free(set);
	tp_diags_free(&d);
	return strbuf_detach(&sb, NULL);
}

static void expect_diags(const char *yaml, const char *want)
{
	int rc;
	char *got = parse_diags(yaml, &rc);

	assert_string_equal(got, want);
	free(got);
}

#define HDR                                \
	"apiVersion: cilium.io/v1alpha1\n" \
	"kind: TracingPolicy\n"            \
	"metadata:\n"                      \
	"  name: p\n"                      \
	"spec:\n"

/* ---- model ------------------------------------------------------------------ */

static void test_model_kprobe(void **state)
{
	struct tp_policy_set *set = parse_fixture("tests/policy/good/kprobe_features.yaml");
	const struct tp_policy *p;
	const struct tp_hook *h;
	const struct tp_selector *s;

	(void)state;
	assert_int_equal(set->n, 1);
	p = set->policies[0];
	assert_int_equal(p->kind, TP_KIND_TRACING_POLICY);
	assert_string_equal(p->name, "kprobe-features");
	assert_null(p->namespace);
	assert_int_equal(p->hook_kind, TP_HOOK_KPROBE);
	assert_int_equal(p->opts.policy_mode, TP_MODE_ENFORCE);
	assert_true(p->opts.disable_kprobe_multi);
	assert_int_equal(p->noptions, 2);

	assert_int_equal(p->nlists, 2);
	assert_string_equal(p->lists[0].name, "dups");
	assert_int_equal(p->lists[0].type, TP_LIST_SYSCALLS);
	assert_int_equal(p->lists[0].nvalues, 3);
	assert_string_equal(p->lists[0].values[1], "x64/sys_dup2");
	assert_int_equal(p->lists[1].type, TP_LIST_NONE);
	assert_int_equal(p->nenforcers, 1);
	assert_int_equal(p->enforcers[0].ncalls, 2);

	assert_non_null(p->pod_selector);
	assert_int_equal(p->pod_selector->nlabels, 1);
	assert_string_equal(p->pod_selector->labels[0].key, "app");
	assert_string_equal(p->pod_selector->labels[0].value, "web");
	assert_int_equal(p->pod_selector->nexprs, 2);
	assert_int_equal(p->pod_selector->exprs[0].op, TP_LABEL_IN);
	assert_int_equal(p->pod_selector->exprs[0].nvalues, 2);
	assert_int_equal(p->pod_selector->exprs[1].op, TP_LABEL_DOES_NOT_EXIST);
	assert_string_equal(p->container_selector->labels[0].key, "name");
	assert_string_equal(p->node_selector->labels[0].key, "kubernetes.io/arch");
	assert_null(p->host_selector);
	assert_int_equal(p->nmacros, 2);
	assert_string_equal(p->macros[0].name, "notInit");
	assert_int_equal(p->macros[0].sel.npids, 1);

	assert_int_equal(p->nhooks, 1);
	h = &p->hooks[0];
	assert_int_equal(h->kind, TP_HOOK_KPROBE);
	assert_string_equal(h->call, "sys_openat");
	assert_int_equal(h->call_list, -1);
	assert_true(h->syscall);
	assert_true(h->ret);
	assert_true(h->ignore_call_not_found);
	assert_string_equal(h->message, "openat called");
	assert_int_equal(h->ntags, 2);
	assert_string_equal(h->tags[1], "custom tag");
	assert_int_equal(h->nargs, 3);
	assert_string_equal(h->args[0].label, "dfd");
	assert_int_equal(h->args[1].type, TP_ARG_STRING);
	assert_int_equal(h->args[2].type, TP_ARG_UINT32);
	assert_non_null(h->return_arg);
	assert_int_equal(h->return_arg->type, TP_ARG_INT);
	assert_int_equal(h->pos.line, 51);
	assert_int_equal(h->pos.col, 5);
	assert_int_equal(h->nselectors, 3);

	/* selector 0: own filters plus the notInit macro */
	s = &h->selectors[0];
	assert_string_equal(s->label, "not-init");
	assert_int_equal(s->nmacros, 1);
	assert_int_equal(s->npids, 1);
	assert_int_equal(s->pids[0].op, TP_OP_NOT_IN);
	assert_true(s->pids[0].follow_forks);
	assert_true(s->pids[0].is_namespace_pid);
	assert_int_equal(s->pids[0].values[0], 1);
	assert_int_equal(s->nargs, 3);
	assert_int_equal(s->args[0].op, TP_OP_PREFIX);
	assert_int_equal(s->args[0].slot, 1);
	assert_int_equal(s->args[0].type, TP_ARG_STRING);
	assert_int_equal(s->args[0].values[0].kind, TP_VAL_STRING);
	assert_int_equal(s->args[0].values[0].u.bytes.len, 5);
	assert_memory_equal(s->args[0].values[0].u.bytes.s, "/etc/", 5);
	assert_int_equal(s->args[1].op, TP_OP_MASK);
	assert_int_equal(s->args[1].slot, 2);
	assert_int_equal(s->args[1].values[0].kind, TP_VAL_UINT);
	assert_int_equal(s->args[1].values[0].u.u, 0x41);
	assert_int_equal(s->args[1].values[1].u.u, 64);
	assert_int_equal(s->args[1].values[2].u.u, 2);
	assert_int_equal(s->args[2].op, TP_OP_EQUAL);
	assert_int_equal(s->args[2].slot, 0);
	assert_int_equal(s->args[2].values[0].kind, TP_VAL_INT);
	assert_int_equal(s->args[2].values[0].u.i, -100);
	assert_int_equal(s->nreturn_args, 1);
	assert_int_equal(s->return_args[0].op, TP_OP_GT);
	assert_int_equal(s->return_args[0].slot, 0);
	assert_int_equal(s->return_args[0].values[0].u.i, 0);
	assert_int_equal(s->nreturn_actions, 1);
	assert_int_equal(s->nactions, 1);
	assert_int_equal(s->actions[0].type, TP_ACTION_POST);
	assert_int_equal(s->actions[0].rate_limit_ms, 60000);
	assert_int_equal(s->actions[0].rate_limit_scope, TP_RATE_LIMIT_PROCESS);
	assert_true(s->actions[0].kernel_stack_trace && s->actions[0].user_stack_trace && s->actions[0].ima_hash);
	assert_true(s->actions[0].params & TP_AP_RATE_LIMIT);
	assert_false(s->actions[0].params & TP_AP_ARG_ERROR);

	/* selector 1: process filters; actions come from the killIt macro */
	s = &h->selectors[1];
	assert_string_equal(s->label, "binaries");
	assert_int_equal(s->nactions, 1);
	assert_int_equal(s->actions[0].type, TP_ACTION_SIGKILL);
	assert_int_equal(s->nbinaries, 1);
	assert_int_equal(s->binaries[0].op, TP_OP_IN);
	assert_true(s->binaries[0].follow_children);
	assert_int_equal(s->binaries[0].nvalues, 2);
	assert_int_equal(s->parent_binaries[0].op, TP_OP_POSTFIX);
	assert_int_equal(s->nnamespaces, 2);
	assert_int_equal(s->namespaces[0].ns, TP_NS_MNT);
	assert_int_equal(s->namespaces[0].op, TP_OP_NOT_IN);
	assert_true(s->namespaces[0].values[0].host_ns);
	assert_int_equal(s->namespaces[0].values[1].inum, 4026531840u);
	assert_int_equal(s->namespaces[1].ns, TP_NS_PID);
	assert_int_equal(s->nns_changes, 1);
	assert_int_equal(s->ns_changes[0].ns_mask, (1u << TP_NS_MNT) | (1u << TP_NS_NET));
	assert_int_equal(s->ncaps, 1);
	assert_int_equal(s->caps[0].type, TP_CAPS_EFFECTIVE);
	assert_int_equal(s->caps[0].mask, (UINT64_C(1) << 21) | (UINT64_C(1) << 13));
	assert_int_equal(s->cap_changes[0].type, TP_CAPS_PERMITTED);
	assert_int_equal(s->cap_changes[0].mask, UINT64_C(1) << 1);

	/* selector 2: strings with an escaped NUL, workloads, userspace actions */
	s = &h->selectors[2];
	assert_int_equal(s->args[0].op, TP_OP_SUBSTRING);
	assert_int_equal(s->args[1].op, TP_OP_NOT_POSTFIX);
	assert_int_equal(s->args[1].values[1].len, 5);
	assert_int_equal(s->args[1].values[1].u.bytes.len, 4);	/* trailing NUL dropped for "string" */
	assert_non_null(s->workloads);
	assert_string_equal(s->workloads->pod->labels[0].value, "a");
	assert_non_null(s->workloads->host);
	assert_int_equal(s->workloads->host->nlabels, 0);
	assert_null(s->workloads->container);
	assert_int_equal(s->nactions, 3);
	assert_int_equal(s->actions[0].type, TP_ACTION_NOTIFY_ENFORCER);
	assert_int_equal(s->actions[0].arg_error, -1);
	assert_int_equal(s->actions[0].arg_sig, 9);
	assert_string_equal(s->actions[1].arg_fqdn, "ebpf.io");
	assert_string_equal(s->actions[2].arg_url, "http://ebpf.io");
	tp_policy_set_free(set);
}

static void test_model_network(void **state)
{
	struct tp_policy_set *set = parse_fixture("tests/policy/good/network.yaml");
	const struct tp_hook *h = set->policies[0]->hooks;
	const struct tp_arg_filter *f = h[0].selectors[0].args;
	static const uint8_t v6_1[16] = { [15] = 1 };

	(void)state;
	assert_int_equal(set->policies[0]->nhooks, 4);
	assert_int_equal(f[0].op, TP_OP_NOT_DADDR);
	assert_int_equal(f[0].type, TP_ARG_SOCK);
	assert_int_equal(f[0].nvalues, 5);
	assert_int_equal(f[0].values[0].kind, TP_VAL_ADDR);
	assert_int_equal(f[0].values[0].u.addr.family, 4);
	assert_int_equal(f[0].values[0].u.addr.prefix_len, 32);
	assert_memory_equal(f[0].values[0].u.addr.addr, "\x7f\x00\x00\x01", 4);
	assert_int_equal(f[0].values[1].u.addr.prefix_len, 8);
	assert_int_equal(f[0].values[2].u.addr.family, 6);
	assert_int_equal(f[0].values[2].u.addr.prefix_len, 128);
	assert_memory_equal(f[0].values[2].u.addr.addr, v6_1, 16);
	/* host bits are kept, as upstream does */
	assert_int_equal(f[0].values[4].u.addr.prefix_len, 16);
	assert_memory_equal(f[0].values[4].u.addr.addr, "\xc0\xa8\x01\x07", 4);
	assert_int_equal(f[1].op, TP_OP_DPORT);
	assert_int_equal(f[1].values[0].kind, TP_VAL_UINT_RANGE);
	assert_int_equal(f[1].values[0].u.urange.lo, 53);
	assert_int_equal(f[1].values[0].u.urange.hi, 53);
	assert_int_equal(f[1].values[1].u.urange.lo, 8000);
	assert_int_equal(f[1].values[1].u.urange.hi, 8080);
	assert_int_equal(f[2].values[0].u.urange.lo, 6);	/* IPPROTO_TCP */
	assert_int_equal(f[2].values[1].u.urange.lo, 17);
	assert_int_equal(f[3].values[1].u.urange.lo, 10);	/* AF_INET6 */
	assert_int_equal(f[4].values[0].u.urange.lo, 2);	/* TCP_SYN_SENT */
	assert_int_equal(h[0].selectors[1].args[0].op, TP_OP_NOT_SPORT_PRIV);
	assert_int_equal(h[0].selectors[1].args[0].nvalues, 0);

	/* filters name arguments by index, not by position */
	f = h[1].selectors[0].args;
	assert_int_equal(f[0].slot, 0);
	assert_int_equal(f[0].type, TP_ARG_SOCKADDR);
	assert_int_equal(f[3].slot, 1);
	assert_int_equal(f[3].type, TP_ARG_SOCKET);
	assert_int_equal(h[1].selectors[0].actions[0].type, TP_ACTION_OVERRIDE);
	assert_int_equal(h[1].selectors[0].actions[0].arg_error, -1);

	assert_true(h[2].has_return_arg_action);
	assert_int_equal(h[2].return_arg_action, TP_ACTION_TRACKSOCK);
	assert_int_equal(h[2].return_arg->type, TP_ARG_SOCK);
	assert_int_equal(h[3].selectors[0].actions[0].type, TP_ACTION_UNTRACKSOCK);
	assert_true(h[3].selectors[0].actions[0].params & TP_AP_ARG_SOCK);
	tp_policy_set_free(set);
}

static void test_model_tracepoint(void **state)
{
	struct tp_policy_set *set = parse_fixture("tests/policy/good/tracepoint.yaml");
	const struct tp_policy *p = set->policies[0];
	const struct tp_hook *h = p->hooks;
	const struct tp_arg_filter *f = h[0].selectors[0].args;

	(void)state;
	assert_int_equal(p->hook_kind, TP_HOOK_TRACEPOINT);
	assert_string_equal(h[0].subsystem, "raw_syscalls");
	assert_string_equal(h[0].event, "sys_enter");
	assert_false(h[0].raw);
	assert_int_equal(h[0].args[1].type, TP_ARG_AUTO);
	assert_int_equal(p->lists[1].type, TP_LIST_GENERATED_SYSCALLS);
	assert_int_equal(f[0].op, TP_OP_IN_MAP);
	assert_int_equal(f[0].type, TP_ARG_SYSCALL64);
	assert_int_equal(f[0].values[0].kind, TP_VAL_LIST);
	assert_int_equal(f[0].values[0].u.list.index, 0);
	assert_int_equal(f[0].values[1].u.list.index, 1);
	assert_int_equal(f[0].values[2].kind, TP_VAL_INT);
	assert_int_equal(f[0].values[2].u.i, 59);
	assert_int_equal(f[0].values[3].kind, TP_VAL_INT_RANGE);
	assert_int_equal(f[0].values[3].u.irange.lo, 100);
	assert_int_equal(f[0].values[3].u.irange.hi, 200);
	/* no argument has index 1: tracepoints fall back to the position */
	assert_int_equal(f[1].slot, 1);
	assert_int_equal(f[1].type, TP_ARG_AUTO);
	assert_int_equal(f[1].values[0].u.irange.hi, 0xffff);
	assert_int_equal(f[1].values[1].u.irange.lo, -5);
	/* "auto": the value waits for the tracepoint format */
	f = h[1].selectors[0].args;
	assert_int_equal(f[0].type, TP_ARG_AUTO);
	assert_int_equal(f[0].values[0].kind, TP_VAL_RAW);
	assert_string_equal(f[0].values[0].str, "4");
	tp_policy_set_free(set);

	set = parse_fixture("tests/policy/good/rawtp.yaml");
	h = set->policies[0]->hooks;
	assert_true(h[0].raw);
	assert_string_equal(h[0].args[0].resolve, "pid");
	assert_int_equal(h[0].selectors[0].args[0].slot, 1);
	tp_policy_set_free(set);
}

static void test_model_uprobe_usdt_lsm_fentry(void **state)
{
	struct tp_policy_set *set = parse_fixture("tests/policy/good/uprobe.yaml");
	const struct tp_policy *p = set->policies[0];
	const struct tp_hook *h = p->hooks;
	const struct tp_selector *s;

	(void)state;
	assert_int_equal(p->hook_kind, TP_HOOK_UPROBE);
	assert_true(p->opts.disable_uprobe_multi);
	assert_int_equal(p->opts.sleepable_preload_size, 8);
	assert_string_equal(h[0].path, "/bin/bash");
	assert_int_equal(h[0].nsymbols, 2);
	assert_int_equal(h[0].nref_ctr_offsets, 2);
	assert_int_equal(h[0].ndigests, 2);
	assert_int_equal(h[0].digests[0].algo, TP_DIGEST_SHA256);
	assert_int_equal(h[0].digests[1].algo, TP_DIGEST_BUILD_ID);
	assert_string_equal(h[0].digests[1].hex, "abcdef0123");
	assert_true(h[0].ignore_digest_failure);
	assert_int_equal(h[0].ndata, 1);
	assert_int_equal(h[0].data[0].source, TP_SRC_CURRENT_TASK);
	s = &h[0].selectors[0];
	assert_int_equal(s->binaries[0].op, TP_OP_NOT_PREFIX);
	assert_int_equal(s->return_args[0].type, TP_ARG_STRING);
	assert_int_equal(s->actions[0].narg_regs, 2);
	assert_string_equal(s->actions[0].arg_new_symbol, "other");
	assert_int_equal(h[1].noffsets, 1);
	assert_int_equal(h[1].offsets[0], 0x1234);
	tp_policy_set_free(set);

	set = parse_fixture("tests/policy/good/usdt_lsm_fentry.yaml");
	assert_int_equal(set->n, 3);
	p = set->policies[0];
	assert_int_equal(p->doc_index, 0);
	assert_string_equal(p->hooks[0].provider, "myapp");
	s = &p->hooks[0].selectors[0];
	assert_int_equal(s->args[0].type, TP_ARG_UINT64);
	assert_int_equal(s->args[0].values[0].kind, TP_VAL_UINT);
	assert_true(s->args[0].values[0].u.u == UINT64_MAX);
	assert_int_equal(s->actions[0].type, TP_ACTION_SET);
	assert_int_equal(s->actions[0].arg_value, 7);
	p = set->policies[1];
	assert_int_equal(p->doc_index, 1);
	assert_int_equal(p->hook_kind, TP_HOOK_LSM);
	assert_string_equal(p->hooks[0].hook, "bprm_check_security");
	s = &p->hooks[0].selectors[0];
	/* BTF decides the type of a resolved argument */
	assert_int_equal(s->args[0].type, TP_ARG_AUTO);
	assert_int_equal(s->args[0].values[0].kind, TP_VAL_RAW);
	assert_int_equal(s->actions[0].type, TP_ACTION_OVERRIDE);	/* "override" */
	assert_int_equal(s->actions[1].type, TP_ACTION_POST);	/* "POST" */
	p = set->policies[2];
	assert_int_equal(p->hook_kind, TP_HOOK_FENTRY);
	assert_int_equal(p->hooks[0].args[1].size_arg_index, 3);
	assert_true(p->hooks[0].args[1].return_copy);
	s = &p->hooks[0].selectors[0];
	assert_int_equal(s->args[0].values[0].kind, TP_VAL_FILE_TYPE);
	assert_int_equal(s->args[0].values[0].u.u, S_IFREG);
	assert_int_equal(s->args[0].values[1].u.u, S_IFDIR);
	tp_policy_set_free(set);
}

static void test_model_aliases(void **state)
{
	struct tp_policy_set *set = parse_fixture("tests/policy/good/aliases.yaml");
	const struct tp_policy *p = set->policies[0];
	const struct tp_selector *s = &p->hooks[0].selectors[0];

	(void)state;
	assert_int_equal(p->kind, TP_KIND_TRACING_POLICY_NAMESPACED);
	assert_string_equal(p->namespace, "team-a");
	assert_int_equal(p->hooks[0].call_list, 0);
	assert_true(p->hooks[0].syscall);	/* "yes" */
	assert_int_equal(p->hooks[0].args[0].type, TP_ARG_INT32);	/* sint32 */
	assert_int_equal(p->hooks[0].args[1].type, TP_ARG_UINT64);	/* ulong */
	assert_int_equal(s->args[0].op, TP_OP_EQUAL);	/* eq */
	assert_int_equal(s->args[0].values[0].u.i, 127);
	assert_int_equal(s->args[0].values[1].u.i, -1);
	assert_int_equal(s->args[0].values[2].u.i, 1000);
	assert_int_equal(s->args[1].op, TP_OP_GT);
	assert_int_equal(s->args[1].values[0].u.u, 255);
	assert_int_equal(s->args[2].op, TP_OP_SADDR);
	assert_int_equal(s->args[3].op, TP_OP_NOT_SPORT_PRIV);
	assert_int_equal(s->args[4].op, TP_OP_CAPABILITIES_GAINED);
	assert_int_equal(s->args[4].nargs, 2);
	assert_int_equal(s->args[4].args[1], 4);
	assert_int_equal(s->actions[0].type, TP_ACTION_SIGKILL);
	assert_int_equal(s->namespaces[0].ns, TP_NS_PID);
	assert_int_equal(s->caps[0].type, TP_CAPS_INHERITABLE);
	assert_int_equal(s->caps[0].mask, (UINT64_C(1) << 39) | (UINT64_C(1) << 1));
	assert_int_equal(s->binaries[0].op, TP_OP_PREFIX);
	tp_policy_set_free(set);
}

/* ---- inline rejections (one per class, exact text) -------------------------- */

static void test_reject_operator_example(void **state)
{
	(void)state;
	expect_diags(HDR "  kprobes:\n"
			 "  - call: sys_write\n"
			 "    args:\n"
			 "    - index: 0\n"
			 "      type: int\n"
			 "    selectors:\n"
			 "    - matchArgs:\n"
			 "      - index: 0\n"
			 "        operator: NotEqual\n"
			 "        values: [\"1\"]\n"
			 "    - matchArgs:\n"
			 "      - index: 0\n"
			 "        operator: Equl\n",
		     "p.yaml:18:19: spec.kprobes[0].selectors[1].matchArgs[0].operator: unknown operator \"Equl\" "
		     "(did you mean \"Equal\"? want one of Equal, NotEqual, Prefix, NotPrefix, Postfix, NotPostfix, "
		     "GreaterThan, LessThan, GT, LT, Mask, SPort, NotSPort, SPortPriv, NotSportPriv, DPort, NotDPort, "
		     "DPortPriv, NotDPortPriv, SAddr, NotSAddr, DAddr, NotDAddr, Protocol, Family, State, InMap, "
		     "NotInMap, CapabilitiesGained, InRange, NotInRange, SubString, SubStringIgnCase, CelExpr, "
		     "FileType, NotFileType)");
}

static void test_reject_classes(void **state)
{
	(void)state;
	/* return without returnArg */
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    return: true\n",
		     "p.yaml:8:13: spec.kprobes[0].return: return: true needs a returnArg");
	/* more than one hook section */
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    args: [{index: 0, type: int}]\n"
			 "  tracepoints:\n  - {subsystem: sched, event: sched_switch}\n",
		     "p.yaml:10:3: spec.tracepoints: a policy can only have one hook section, and it already has "
		     "kprobes (line 7); put these hooks in a separate policy");
	/* sizeArgIndex out of range */
	expect_diags(HDR "  kprobes:\n  - call: sys_write\n    args:\n    - {index: 1, type: char_buf, sizeArgIndex: 9}\n",
		     "p.yaml:9:48: spec.kprobes[0].args[0].sizeArgIndex: sizeArgIndex 9 is out of range (it is the "
		     "1-based position of the size argument: 1..5)");
	/* list:NAME not defined */
	expect_diags(HDR "  kprobes:\n  - call: \"list:nope\"\n",
		     "p.yaml:7:11: spec.kprobes[0].call: \"list:nope\" refers to an undefined list (see spec.lists)");
	/* undefined macro */
	expect_diags(HDR "  selectorsMacros:\n    a: {matchPIDs: [{operator: In, values: [1]}]}\n"
			 "  kprobes:\n  - call: sys_read\n    selectors:\n    - macros: [a, b]\n",
		     "p.yaml:11:19: spec.kprobes[0].selectors[0].macros[1]: undefined macro \"b\" (see "
		     "spec.selectorsMacros)");
	/* limits: selectors per hook */
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    selectors: [{}, {}, {}, {}, {}, {}]\n",
		     "p.yaml:8:16: spec.kprobes[0].selectors: at most 5 selectors per hook are supported, got 6");
	/* limits: actions per selector */
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    selectors:\n"
			 "    - matchActions: [{action: Post}, {action: Post}, {action: Post}, {action: NoPost}]\n",
		     "p.yaml:9:21: spec.kprobes[0].selectors[0].matchActions: at most 3 actions per selector are "
		     "supported, got 4");
	/* operator / type combination */
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    args: [{index: 0, type: string}]\n"
			 "    selectors:\n    - matchArgs: [{index: 0, operator: DPort, values: [\"80\"]}]\n",
		     "p.yaml:10:40: spec.kprobes[0].selectors[0].matchArgs[0].operator: operator DPort is not "
		     "supported for argument type string");
	/* wrong scalar type */
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    syscall: \"true\"\n",
		     "p.yaml:8:14: spec.kprobes[0].syscall: expected a boolean (true or false), got the string \"true\"");
	/* unknown field with a suggestion, at the key */
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    selector: []\n",
		     "p.yaml:8:5: spec.kprobes[0]: unknown field \"selector\" (did you mean \"selectors\"?)");
	/* matchArgs naming an argument the hook does not read */
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    args: [{index: 0, type: int}]\n"
			 "    selectors:\n    - matchArgs: [{index: 2, operator: Equal, values: [\"1\"]}]\n",
		     "p.yaml:10:27: spec.kprobes[0].selectors[0].matchArgs[0].index: index 2 does not match any "
		     "argument (args[].index: 0)");
	/* NotifyEnforcer without enforcers */
	expect_diags(HDR "  tracepoints:\n  - subsystem: raw_syscalls\n    event: sys_enter\n    selectors:\n"
			 "    - matchActions: [{action: NotifyEnforcer}]\n",
		     "p.yaml:10:31: spec.tracepoints[0].selectors[0].matchActions[0].action: the NotifyEnforcer "
		     "action needs spec.enforcers");
	/* an enforcer call that is neither a syscall nor an LSM hook */
	expect_diags(HDR "  enforcers:\n  - calls: [vfs_read]\n",
		     "p.yaml:7:13: spec.enforcers[0].calls[0]: enforcer call \"vfs_read\" is neither a syscall "
		     "(sys_*) nor a security_ function");
	/* generated list with values, ftrace list without pattern */
	expect_diags(HDR "  lists:\n  - {name: a, type: generated_syscalls, values: [sys_read]}\n"
			 "  - {name: b, type: generated_ftrace}\n",
		     "p.yaml:7:49: spec.lists[0].values: a generated_syscalls list is generated and must not have values\n"
		     "p.yaml:8:5: spec.lists[1]: a generated_ftrace list needs a pattern");
}

static void test_reject_yaml(void **state)
{
	int rc;
	char *got;

	(void)state;
	expect_diags("a: *x\n", "p.yaml:1:4: YAML aliases (*x) are not supported in policies");
	expect_diags("a: &x 1\n", "p.yaml:1:4: YAML anchors (&x) are not supported in policies");
	expect_diags("a: 1\nb: 2\na: 3\n", "p.yaml:3:1: duplicate key \"a\" (first defined at line 1, column 1)");
	expect_diags("a:\n\t- b\n", "p.yaml:2:1: YAML syntax error: found character that cannot start any token "
				   "while scanning for the next token at line 2, column 1");
	expect_diags("", "p.yaml: no policy found (the file has no YAML document)");
	expect_diags("---\n---\n", "p.yaml: no policy found (the file has no YAML document)");
	expect_diags("a: \xc3\x28\n", "p.yaml:1:5: YAML error: invalid trailing UTF-8 octet (byte 0x28)");
	expect_diags("a: !foo bar\n", "p.yaml:1:4: YAML tag !foo is not supported in policies");
	expect_diags(HDR "  kprobes:\n  - call: sys_read\n    syscall: !!str true\n    args:\n"
			 "    - {index: !!int \"0\", type: int}\n",
		     "p.yaml:8:14: spec.kprobes[0].syscall: expected a boolean (true or false), got the string \"true\"");
	expect_diags(HDR "  hostSelector: {matchLabels: {}}\n",
		     "p.yaml:6:17: spec.hostSelector: the hostSelector should be either null or {}");
	expect_diags("? [a]\n: b\n", "p.yaml:1:1: missing required field \"apiVersion\" (want cilium.io/v1alpha1)\n"
				       "p.yaml:1:1: missing required field \"kind\" (want TracingPolicy or "
				       "TracingPolicyNamespaced)\n"
				       "p.yaml:1:3: mapping keys must be strings, got a list");
	/* deep nesting is cut off before it can hurt */
	{
		struct strbuf sb = STRBUF_INIT;
		int i;

		for (i = 0; i < 200; i++)
			strbuf_addc(&sb, '[');
		strbuf_addc(&sb, '\0');
		got = parse_diags(sb.buf, &rc);
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(got, "p.yaml:1:65: nesting deeper than 64 levels");
		free(got);
		strbuf_free(&sb);
	}
}

/* Errors of every document are listed; the cap keeps output bounded. */
static void test_all_errors_and_cap(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	int i, rc;

	(void)state;
	strbuf_adds(&sb, HDR "  kprobes:\n  - call: sys_read\n");
	for (i = 0; i < 60; i++)
		strbuf_addf(&sb, "    bogus%d: 1\n", i);
	rc = tp_parse("big.yaml", sb.buf, sb.len, &set, &d);
	assert_int_equal(rc, -EINVAL);
	assert_null(set);
	assert_int_equal(d.n, TP_MAX_DIAGS);
	assert_int_equal(d.dropped, 10);
	assert_int_equal(d.nerrors, 60);
	assert_int_equal(d.v[0].line, 8);
	assert_int_equal(d.v[49].line, 57);
	tp_diags_free(&d);
	strbuf_free(&sb);
}

static void test_multi_doc_and_take(void **state)
{
	struct tp_policy_set *set;
	struct tp_policy *p;

	(void)state;
	set = parse_ok("---\n" HDR "  loader: true\n---\n"
		       "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\n"
		       "metadata: {name: p, namespace: ns1}\nspec: {}\n---\n");
	assert_int_equal(set->n, 2);
	assert_true(set->policies[0]->loader);
	assert_int_equal(set->policies[0]->hook_kind, TP_HOOK_NONE);
	assert_int_equal(set->policies[0]->pos.line, 1);
	assert_int_equal(set->policies[1]->doc_index, 1);
	/* same name, different namespace: no clash */
	assert_string_equal(set->policies[1]->namespace, "ns1");
	p = tp_policy_set_take(set, 1);
	assert_non_null(p);
	assert_null(set->policies[1]);
	tp_policy_set_free(set);
	assert_string_equal(p->name, "p");
	tp_policy_free(p);
}

static void test_warnings_keep_policy(void **state)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	const char *y = HDR "  kprobes:\n  - call: sys_read\n    selectors:\n"
			    "    - matchActions: [{action: Sigkill, argError: -1}]\n";
	char *line;

	(void)state;
	assert_int_equal(tp_parse("w.yaml", y, strlen(y), &set, &d), 0);
	assert_non_null(set);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 1);
	line = diag_line(&d.v[0]);
	assert_string_equal(line, "9:50: warning: spec.kprobes[0].selectors[0].matchActions[0].argError: argError "
				  "is ignored by the Sigkill action");
	free(line);
	tp_policy_set_free(set);
	tp_diags_free(&d);
}

static void test_io_errors(void **state)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(tp_parse_file("/nonexistent/policy.yaml", &set, &d), -ENOENT);
	assert_null(set);
	assert_int_equal(d.n, 1);
	tp_diag_format(&d.v[0], "x.yaml", &sb);
	assert_string_equal(sb.buf, "x.yaml: No such file or directory");
	strbuf_free(&sb);
	tp_diags_free(&d);
}

/* ---- DOM and value syntaxes ------------------------------------------------- */

static void test_dom(void **state)
{
	static const char y[] = "# c\nk: \"a\\0b\"\nl:\n  - 1\n  - {x: y}\n---\n...\n---\n'q': ~\n";
	struct ydom_stream *s;
	struct ydom_error err;
	const struct ydom_node *r, *n;

	(void)state;
	assert_int_equal(ydom_parse(y, sizeof(y) - 1, &s, &err), 0);
	assert_int_equal(s->ndocs, 3);
	r = s->docs[0].root;
	assert_int_equal(r->kind, YDOM_MAP);
	assert_int_equal(r->npairs, 2);
	n = ydom_map_get(r, "k");
	assert_int_equal(n->style, YDOM_DOUBLE_QUOTED);
	assert_int_equal(n->len, 3);
	assert_memory_equal(n->str, "a\0b", 3);
	assert_int_equal(n->line, 2);
	assert_int_equal(n->col, 4);
	n = ydom_map_get(r, "l");
	assert_int_equal(n->kind, YDOM_SEQ);
	assert_int_equal(n->nitems, 2);
	assert_int_equal(n->items[1]->kind, YDOM_MAP);
	assert_int_equal(n->items[1]->style, YDOM_FLOW);
	assert_int_equal(n->items[1]->line, 5);
	assert_int_equal(n->items[1]->col, 5);
	assert_true(ydom_is_null(s->docs[1].root));
	assert_true(ydom_is_null(ydom_map_get(s->docs[2].root, "q")));
	assert_null(ydom_map_get(r, "missing"));
	ydom_stream_free(s);
}

static void test_go_ints(void **state)
{
	int64_t i;
	uint64_t u;

	(void)state;
	assert_int_equal(tp_parse_go_int("0x10", 4, 0, 32, &i), 0);
	assert_int_equal(i, 16);
	assert_int_equal(tp_parse_go_int("-0b101", 6, 0, 32, &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(tp_parse_go_int("017", 3, 0, 32, &i), 0);	/* leading 0 = octal */
	assert_int_equal(i, 15);
	assert_int_equal(tp_parse_go_int("0o17", 4, 0, 32, &i), 0);
	assert_int_equal(i, 15);
	assert_int_equal(tp_parse_go_int("0", 1, 0, 32, &i), 0);
	assert_int_equal(i, 0);
	assert_int_equal(tp_parse_go_int("1_000", 5, 0, 32, &i), 0);
	assert_int_equal(i, 1000);
	assert_int_equal(tp_parse_go_int("1__0", 4, 0, 32, &i), -EINVAL);
	assert_int_equal(tp_parse_go_int("_1", 2, 0, 32, &i), -EINVAL);
	assert_int_equal(tp_parse_go_int("1_", 2, 0, 32, &i), -EINVAL);
	assert_int_equal(tp_parse_go_int("1_0", 3, 10, 32, &i), -EINVAL);	/* base 10: no '_' */
	assert_int_equal(tp_parse_go_int("0x", 2, 0, 32, &i), -EINVAL);
	assert_int_equal(tp_parse_go_int("08", 2, 0, 32, &i), -EINVAL);
	assert_int_equal(tp_parse_go_int("", 0, 0, 32, &i), -EINVAL);
	assert_int_equal(tp_parse_go_int("-", 1, 0, 32, &i), -EINVAL);
	assert_int_equal(tp_parse_go_int("2147483647", 10, 0, 32, &i), 0);
	assert_int_equal(tp_parse_go_int("2147483648", 10, 0, 32, &i), -ERANGE);
	assert_int_equal(tp_parse_go_int("-2147483648", 11, 0, 32, &i), 0);
	assert_int_equal(i, INT32_MIN);
	assert_int_equal(tp_parse_go_int("-9223372036854775808", 20, 10, 64, &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(tp_parse_go_uint("18446744073709551615", 20, 10, 64, &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(tp_parse_go_uint("18446744073709551616", 20, 10, 64, &u), -ERANGE);
	assert_int_equal(tp_parse_go_uint("-1", 2, 0, 64, &u), -EINVAL);
	assert_int_equal(tp_parse_go_uint("4294967296", 10, 0, 32, &u), -ERANGE);
	assert_int_equal(tp_parse_go_uint("0x10", 4, 10, 64, &u), -EINVAL);
}

static void test_ip_and_names(void **state)
{
	uint8_t fam, len, a[16];

	(void)state;
	assert_int_equal(tp_parse_ip_prefix("10.1.2.3/8", 10, &fam, a, &len), 0);
	assert_int_equal(fam, 4);
	assert_int_equal(len, 8);
	assert_memory_equal(a, "\x0a\x01\x02\x03", 4);
	assert_int_equal(tp_parse_ip_prefix("::ffff:1.2.3.4", 14, &fam, a, &len), 0);
	assert_int_equal(fam, 6);
	assert_int_equal(len, 128);
	assert_int_equal(tp_parse_ip_prefix("1.2.3.4/33", 10, &fam, a, &len), -ERANGE);
	assert_int_equal(tp_parse_ip_prefix("1.2.3.4/08", 10, &fam, a, &len), -EINVAL);
	assert_int_equal(tp_parse_ip_prefix("1.2.3.04", 8, &fam, a, &len), -EINVAL);
	assert_int_equal(tp_parse_ip_prefix("1.2.3", 5, &fam, a, &len), -EINVAL);
	assert_int_equal(tp_parse_ip_prefix("1.2.3.4/", 8, &fam, a, &len), -EINVAL);

	assert_true(tp_valid_dns_subdomain("a.b-c.d0"));
	assert_false(tp_valid_dns_subdomain("A"));
	assert_false(tp_valid_dns_subdomain("a..b"));
	assert_false(tp_valid_dns_subdomain("-a"));
	assert_true(tp_valid_dns_label("kube-system"));
	assert_false(tp_valid_dns_label("a.b"));
	assert_true(tp_valid_label_key("app.kubernetes.io/name"));
	assert_false(tp_valid_label_key("a/b/c"));
	assert_true(tp_valid_label_value(""));
	assert_false(tp_valid_label_value("a b"));

	assert_int_equal(tp_resolve_path_depth("mm.owner.real_parent.comm"), 4);
	assert_int_equal(tp_resolve_path_depth("f[12].g"), 3);
	assert_int_equal(tp_resolve_path_depth("a..b"), -1);
	assert_int_equal(tp_resolve_path_depth("a[1"), -1);
	assert_int_equal(tp_resolve_path_depth("a[]"), -1);
	assert_int_equal(tp_edit_distance("Equl", "Equal"), 1);
	assert_int_equal(tp_edit_distance("abc", "ABC"), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tp_op_name(TP_OP_GT), "GreaterThan");
	assert_string_equal(tp_op_name(TP_OP_NOT_IN), "NotIn");
	assert_string_equal(tp_arg_type_name(TP_ARG_INT64), "int64");
	assert_string_equal(tp_action_name(TP_ACTION_NOTIFY_ENFORCER), "NotifyEnforcer");
	assert_string_equal(tp_hook_kind_name(TP_HOOK_LSM), "lsmhooks");
	assert_string_equal(tp_ns_type_name(TP_NS_TIME_FOR_CHILDREN), "TimeForChildren");
	assert_string_equal(tp_capability_name(40), "CAP_CHECKPOINT_RESTORE");
	assert_null(tp_capability_name(41));
	assert_string_equal(tp_kind_name(TP_KIND_TRACING_POLICY_NAMESPACED), "TracingPolicyNamespaced");
}

/* ---- the CLI ---------------------------------------------------------------- */

/* build/tests/test_policy_parse -> build/bin/tetra */
static int tetra_path(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	snprintf(out, len, "%s/../bin/tetra", exe);
	return access(out, X_OK);
}

static int run_cli(const char *tetra, const char *args, char **out, char **err)
{
	char cmd[PATH_MAX * 3], o[] = "/tmp/tp_cli_outXXXXXX", e[] = "/tmp/tp_cli_errXXXXXX";
	int fo = mkstemp(o), fe = mkstemp(e), st;

	assert_true(fo >= 0 && fe >= 0);
	close(fo);
	close(fe);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >%s 2>%s", root, tetra, args, o, e);
	st = system(cmd);
	*out = slurp(o, NULL);
	*err = slurp(e, NULL);
	unlink(o);
	unlink(e);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_cli(void **state)
{
	char tetra[PATH_MAX + 32], *out, *err;

	(void)state;
	if (tetra_path(tetra, sizeof(tetra))) {
		print_message("SKIP: %s not built\n", tetra);
		skip();
		return;
	}
	assert_int_equal(run_cli(tetra, "tp validate tests/policy/good/network.yaml tests/policy/good/usdt_lsm_fentry.yaml",
				 &out, &err), 0);
	assert_string_equal(out, "tests/policy/good/network.yaml: ok (1 policy)\n"
				 "tests/policy/good/usdt_lsm_fentry.yaml: ok (3 policies)\n");
	assert_string_equal(err, "");
	free(out);
	free(err);

	/* any invalid file makes the run fail; valid ones are still reported */
	assert_int_equal(run_cli(tetra, "tracingpolicy validate tests/policy/bad/yaml_dupkey.yaml "
					"tests/policy/good/rawtp.yaml", &out, &err), 1);
	assert_string_equal(out, "tests/policy/good/rawtp.yaml: ok (1 policy)\n");
	assert_string_equal(err, "tests/policy/bad/yaml_dupkey.yaml:9:5: duplicate key \"call\" (first defined at "
				 "line 7, column 5)\n");
	free(out);
	free(err);

	assert_int_equal(run_cli(tetra, "tp validate -q tests/policy/good/rawtp.yaml", &out, &err), 0);
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_int_equal(run_cli(tetra, "tp validate < tests/policy/good/rawtp.yaml -", &out, &err), 0);
	assert_string_equal(out, "<stdin>: ok (1 policy)\n");
	free(out);
	free(err);
	assert_int_equal(run_cli(tetra, "tp validate /nonexistent.yaml", &out, &err), 1);
	assert_string_equal(err, "/nonexistent.yaml: No such file or directory\n");
	free(out);
	free(err);

	/* usage errors */
	assert_int_equal(run_cli(tetra, "tp validate", &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run_cli(tetra, "tp validate --bogus x.yaml", &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run_cli(tetra, "tp frobnicate", &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run_cli(tetra, "", &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run_cli(tetra, "nosuchcommand", &out, &err), 2);
	free(out);
	free(err);

	/* help goes to stdout and succeeds */
	assert_int_equal(run_cli(tetra, "--help", &out, &err), 0);
	assert_non_null(strstr(out, "tracingpolicy, tp"));
	free(out);
	free(err);
	assert_int_equal(run_cli(tetra, "help tp validate", &out, &err), 0);
	assert_non_null(strstr(out, "Usage: tetra tracingpolicy validate [-q] [--parse-only] FILE..."));
	free(out);
	free(err);
	assert_int_equal(run_cli(tetra, "tp validate --help", &out, &err), 0);
	assert_non_null(strstr(out, "Exit status"));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_good_fixtures),
		cmocka_unit_test(test_upstream_corpus),
		cmocka_unit_test(test_model_kprobe),
		cmocka_unit_test(test_model_network),
		cmocka_unit_test(test_model_tracepoint),
		cmocka_unit_test(test_model_uprobe_usdt_lsm_fentry),
		cmocka_unit_test(test_model_aliases),
		cmocka_unit_test(test_reject_operator_example),
		cmocka_unit_test(test_reject_classes),
		cmocka_unit_test(test_reject_yaml),
		cmocka_unit_test(test_all_errors_and_cap),
		cmocka_unit_test(test_multi_doc_and_take),
		cmocka_unit_test(test_warnings_keep_policy),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_dom),
		cmocka_unit_test(test_go_ints),
		cmocka_unit_test(test_ip_and_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, find_root, NULL);
}
