// SPDX-License-Identifier: Apache-2.0
/*
 * YAML DOM -> typed TracingPolicy model, with the validation upstream
 * performs when it loads a policy (CRD schema, CEL rules, and the checks of
 * its sensors and selector compiler that do not need a kernel). Every
 * problem is reported with file:line:col and a field path; parsing goes on
 * after an error so that one run lists all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/arena.h"
#include "policy/policy.h"
#include "policy/policy_limits.h"
#include "policy/policy_names.h"
#include "policy/policy_values.h"
#include "policy/yaml_dom.h"
#include "util/strbuf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- diagnostics ------------------------------------------------------------ */

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	return d ? memcpy(d, s, n) : NULL;
}

void tp_diag_add(struct tp_diags *d, enum tp_severity sev, unsigned line, unsigned col, const char *path,
		 const char *msg)
{
	size_t i, max = d->max ? d->max : TP_MAX_DIAGS;
	struct tp_diag *e;

	/* a macro used by several selectors must not repeat its errors */
	for (i = 0; i < d->n; i++) {
		e = &d->v[i];
		if (e->sev == sev && e->line == line && e->col == col && !strcmp(e->path, path) &&
		    !strcmp(e->msg, msg))
			return;
	}
	if (sev == TP_SEV_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
	if (d->n >= max) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct tp_diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v) {
			d->dropped++;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	e = &d->v[d->n];
	e->sev = sev;
	e->line = line;
	e->col = col;
	e->path = xstrdup(path);
	e->msg = xstrdup(msg);
	if (!e->path || !e->msg) {
		free(e->path);
		free(e->msg);
		d->dropped++;
		return;
	}
	d->n++;
}

void tp_diags_free(struct tp_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
	d->nerrors = d->nwarnings = d->dropped = 0;
}

void tp_diag_format(const struct tp_diag *d, const char *file, struct strbuf *sb)
{
	strbuf_adds(sb, file);
	if (d->line)
		strbuf_addf(sb, ":%u:%u", d->line, d->col);
	strbuf_adds(sb, ": ");
	if (d->sev == TP_SEV_WARNING)
		strbuf_adds(sb, "warning: ");
	if (d->path && d->path[0])
		strbuf_addf(sb, "%s: ", d->path);
	strbuf_adds(sb, d->msg);
}

/* ---- parse context ---------------------------------------------------------- */

struct macro_def {
	const char *name;
	const struct ydom_node *node;
	const struct ydom_node *key;
	size_t cost;	/* YAML nodes under node */
};

/*
 * Macros are re-parsed for every selector that uses them, so like YAML
 * aliases they could multiply a small file into a huge amount of work.
 * Expansions share one budget per document.
 */
#define MACRO_EXPANSION_BUDGET YDOM_MAX_NODES

struct pctx {
	struct tp_diags *d;
	struct strbuf path;
	struct strbuf msg;
	/* set while parsing a macro's filters for a hook selector ("spec.kprobes[0].selectors[1]") */
	const char *via;
	bool oom;

	/* per policy */
	struct tp_policy *pol;
	struct tp_arena *a;
	struct macro_def *macros;	/* sorted by name */
	size_t nmacros;
	size_t macro_expanded;		/* YAML nodes re-parsed through macros */
	size_t *list_order;		/* policy lists sorted by name, for lookups */
	size_t *list_items;		/* YAML item of each kept list */
	size_t ncel;
	size_t nfollow_children;
	bool has_enforcers;	/* spec.enforcers is set (parsed before any action) */

	char qbuf[4][96];	/* quote() results, a few alive at once */
	unsigned qslot;
};

/* The hook a selector is parsed for; NULL while parsing macros on their own. */
struct hookctx {
	struct tp_hook *hook;
	size_t nsubstrings;
};

static void vreport(struct pctx *c, enum tp_severity sev, const struct ydom_node *n, bool ctx,
		    const char *fmt, va_list ap)
{
	strbuf_reset(&c->msg);
	strbuf_vaddf(&c->msg, fmt, ap);
	if (ctx && c->via)
		strbuf_addf(&c->msg, " (macro used by %s)", c->via);
	if (c->msg.oom || c->path.oom) {
		c->oom = true;
		return;
	}
	tp_diag_add(c->d, sev, n ? n->line : 0, n ? n->col : 0, c->path.buf ? c->path.buf : "",
		 c->msg.buf ? c->msg.buf : "");
}

/* An error that only depends on the node itself. */
static void __attribute__((format(printf, 3, 4))) perr(struct pctx *c, const struct ydom_node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, TP_SEV_ERROR, n, false, fmt, ap);
	va_end(ap);
}

/* An error that depends on the hook the node is used in (macros say which). */
static void __attribute__((format(printf, 3, 4))) perr_ctx(struct pctx *c, const struct ydom_node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, TP_SEV_ERROR, n, true, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4))) pwarn(struct pctx *c, const struct ydom_node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, TP_SEV_WARNING, n, true, fmt, ap);
	va_end(ap);
}

static size_t path_key(struct pctx *c, const char *key)
{
	size_t mark = c->path.len;
	bool plain = key[0] != '\0';
	const char *k;

	for (k = key; *k && plain; k++)
		plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
			*k == '_' || *k == '-';
	if (plain) {
		if (mark)
			strbuf_addc(&c->path, '.');
		strbuf_adds(&c->path, key);
		return mark;
	}
	/* label keys like app.kubernetes.io/name */
	strbuf_addc(&c->path, '[');
	strbuf_addc(&c->path, '"');
	for (k = key; *k; k++) {
		if (*k == '"' || *k == '\\')
			strbuf_addc(&c->path, '\\');
		if ((unsigned char)*k < 0x20)
			strbuf_addf(&c->path, "\\x%02x", (unsigned char)*k);
		else
			strbuf_addc(&c->path, *k);
	}
	strbuf_adds(&c->path, "\"]");
	return mark;
}

static size_t path_idx(struct pctx *c, size_t i)
{
	size_t mark = c->path.len;

	strbuf_addf(&c->path, "[%zu]", i);
	return mark;
}

static void path_pop(struct pctx *c, size_t mark)
{
	if (c->path.buf && mark <= c->path.len) {
		c->path.len = mark;
		c->path.buf[mark] = '\0';
	}
}

/* Replace the whole path (for macro filters), returning the old one to restore. */
static char *path_swap(struct pctx *c, const char *newpath)
{
	char *old = xstrdup(c->path.buf ? c->path.buf : "");

	if (!old) {
		c->oom = true;
		return NULL;
	}
	strbuf_reset(&c->path);
	strbuf_adds(&c->path, newpath);
	return old;
}

static void path_restore(struct pctx *c, char *old)
{
	strbuf_reset(&c->path);
	strbuf_adds(&c->path, old);
	free(old);
}

static void *xalloc(struct pctx *c, size_t n, size_t size)
{
	void *p = tp_arena_calloc(c->a, n ? n : 1, size);

	if (!p)
		c->oom = true;
	return p;
}

static char *xmemdup(struct pctx *c, const char *s, size_t n)
{
	char *p = tp_arena_memdup(c->a, s, n);

	if (!p)
		c->oom = true;
	return p;
}

/* ---- scalar helpers --------------------------------------------------------- */

/* Quote a scalar for a message, shortened and with control bytes escaped. */
static const char *quote(struct pctx *c, const struct ydom_node *n)
{
	char *out = c->qbuf[c->qslot++ % 4];
	const size_t cap = sizeof(c->qbuf[0]);
	size_t i, o = 0;

	if (!n)
		return "\"\"";
	if (n->kind != YDOM_SCALAR)
		return n->kind == YDOM_SEQ ? "a list" : "a mapping";
	out[o++] = '"';
	/* room for the longest escape (8), "...", the quote and the NUL */
	for (i = 0; i < n->len && o + 13 <= cap; i++) {
		unsigned char ch = (unsigned char)n->str[i];

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
		} else if (ch == 0xc2 && i + 1 < n->len && (unsigned char)n->str[i + 1] >= 0x80 &&
			   (unsigned char)n->str[i + 1] <= 0x9f) {
			/* a C1 control (U+0080..U+009F): terminals may obey it */
			o += (size_t)snprintf(out + o, cap - o, "\\xc2\\x%02x", (unsigned char)n->str[++i]);
		} else {
			out[o++] = (char)ch;
		}
	}
	if (i < n->len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

static bool is_scalar(const struct ydom_node *n)
{
	return n && n->kind == YDOM_SCALAR;
}

static bool scalar_eq(const struct ydom_node *n, const char *s)
{
	return is_scalar(n) && n->len == strlen(s) && !memcmp(n->str, s, n->len);
}

/* Value of key, with an explicit null treated as absent. */
static const struct ydom_node *field(const struct ydom_node *map, const char *key)
{
	const struct ydom_node *n = ydom_map_get(map, key);

	return ydom_is_null(n) ? NULL : n;
}

static bool want_map(struct pctx *c, const struct ydom_node *n)
{
	if (n->kind == YDOM_MAP)
		return true;
	if (n->kind == YDOM_SCALAR)
		perr(c, n, "expected a mapping, got %s", ydom_is_null(n) ? "null" : quote(c, n));
	else
		perr(c, n, "expected a mapping, got a list");
	return false;
}

static bool want_seq(struct pctx *c, const struct ydom_node *n)
{
	if (n->kind == YDOM_SEQ)
		return true;
	if (n->kind == YDOM_SCALAR)
		perr(c, n, "expected a list, got %s", quote(c, n));
	else
		perr(c, n, "expected a list, got a mapping");
	return false;
}

/* Lower-case a bounded copy for case-insensitive lookups. */
static int lookup(const struct tp_name_map *m, const struct ydom_node *n, bool icase)
{
	for (; m->name; m++) {
		if (n->len != strlen(m->name) || memchr(n->str, '\0', n->len))
			continue;
		if (icase ? !strcasecmp(n->str, m->name) : !strcmp(n->str, m->name))
			return m->value;
	}
	return -1;
}

static void list_names(struct strbuf *sb, const struct tp_name_map *m)
{
	bool first = true;

	for (; m->name; m++) {
		if (m->alias)
			continue;
		strbuf_addf(sb, "%s%s", first ? "" : ", ", m->name);
		first = false;
	}
}

/* Closest known spelling for "did you mean" hints, or NULL. */
static const char *suggest(const char *got, const char *const *names, size_t n)
{
	unsigned best = 3, d;
	const char *res = NULL;
	size_t i;

	if (strlen(got) < 3)
		return NULL;
	for (i = 0; i < n; i++) {
		d = tp_edit_distance(got, names[i]);
		if (d < best) {
			best = d;
			res = names[i];
		}
	}
	return res;
}

static const char *suggest_map(const char *got, const struct tp_name_map *m)
{
	const char *names[64];
	size_t n = 0;

	for (; m->name && n < N(names); m++)
		names[n++] = m->name;
	return suggest(got, names, n);
}

/*
 * Check a mapping's keys against the schema: non-scalar keys and unknown
 * fields are errors, reported at the key. Returns false if n is no mapping.
 */
static bool check_fields(struct pctx *c, const struct ydom_node *n, const char *const *fields, size_t nfields)
{
	size_t i, j;

	if (!want_map(c, n))
		return false;
	for (i = 0; i < n->npairs; i++) {
		const struct ydom_node *k = n->pairs[i].key;
		const char *hint;

		if (k->kind != YDOM_SCALAR) {
			perr(c, k, "mapping keys must be strings, got %s", ydom_kind_name(k));
			continue;
		}
		for (j = 0; j < nfields; j++)
			if (scalar_eq(k, fields[j]))
				break;
		if (j < nfields)
			continue;
		hint = memchr(k->str, '\0', k->len) ? NULL : suggest(k->str, fields, nfields);
		if (hint)
			perr(c, k, "unknown field %s (did you mean \"%s\"?)", quote(c, k), hint);
		else
			perr(c, k, "unknown field %s", quote(c, k));
	}
	return true;
}

#define CHECK_FIELDS(c, n, arr) check_fields(c, n, arr, N(arr))

static void missing(struct pctx *c, const struct ydom_node *map, const char *key)
{
	perr(c, map, "missing required field \"%s\"", key);
}

enum {
	F_REQUIRED = 1,
	F_NONEMPTY = 2,
	F_ALLOW_NUL = 4,
	/* what the string names; checked before it reaches a path, the kernel or a log */
	F_TRACEFS = 8,		/* tracefs subsystem or event */
	F_KSYM = 16,		/* kernel symbol */
	F_USYM = 32,		/* uprobe symbol */
	F_USDT = 64,		/* USDT provider or name */
	F_TEXT = 128,		/* text shown to people: no control characters */
};

/* The naming rules of flags; false (after reporting) when v breaks them. */
static bool check_name(struct pctx *c, const struct ydom_node *v, unsigned flags)
{
	if ((flags & F_TRACEFS) && !tp_valid_tracefs_name(v->str)) {
		perr(c, v, "invalid tracefs name %s: want at most %d letters, digits, '_' or '-', not starting "
			   "with '-'", quote(c, v), TP_MAX_TRACEFS_NAME_LEN);
		return false;
	}
	if ((flags & F_KSYM) && !tp_valid_ksym(v->str)) {
		perr(c, v, "invalid kernel symbol %s: want at most %d letters, digits, '_' or '.'", quote(c, v),
		     TP_MAX_KSYM_LEN);
		return false;
	}
	if ((flags & (F_USYM | F_USDT)) &&
	    !tp_valid_symbol(v->str, flags & F_USYM ? TP_MAX_UPROBE_SYMBOL_LEN : TP_MAX_USDT_NAME_LEN)) {
		perr(c, v, "invalid %s %s: want at most %d bytes without spaces or control characters",
		     flags & F_USYM ? "symbol" : "USDT name", quote(c, v),
		     flags & F_USYM ? TP_MAX_UPROBE_SYMBOL_LEN : TP_MAX_USDT_NAME_LEN);
		return false;
	}
	if ((flags & F_TEXT) && tp_has_control(v->str, v->len)) {
		perr(c, v, "must not contain control characters (newlines, tabs, escape codes...), got %s",
		     quote(c, v));
		return false;
	}
	return true;
}

/*
 * Read a scalar as a string (any scalar: plain numbers and booleans are
 * strings when the schema says so). Returns 1 if set, 0 if absent, -1 on error.
 */
static int str_node(struct pctx *c, const struct ydom_node *v, unsigned flags, char **out, size_t *lenp)
{
	if (v->kind != YDOM_SCALAR) {
		perr(c, v, "expected a string, got %s", ydom_kind_name(v));
		return -1;
	}
	if (!(flags & F_ALLOW_NUL) && memchr(v->str, '\0', v->len)) {
		perr(c, v, "must not contain NUL bytes");
		return -1;
	}
	if ((flags & F_NONEMPTY) && !v->len) {
		perr(c, v, "must not be empty");
		return -1;
	}
	if (v->len && !check_name(c, v, flags))
		return -1;
	*out = xmemdup(c, v->str, v->len);
	if (lenp)
		*lenp = v->len;
	return *out ? 1 : -1;
}

static int get_str(struct pctx *c, const struct ydom_node *map, const char *key, unsigned flags, char **out)
{
	const struct ydom_node *v = field(map, key);
	size_t mark;
	int rc;

	if (!v) {
		if (flags & F_REQUIRED)
			missing(c, map, key);
		return 0;
	}
	mark = path_key(c, key);
	rc = str_node(c, v, flags, out, NULL);
	path_pop(c, mark);
	return rc;
}

/* A scalar YAML would resolve by content (not quoted, not tagged !!str). */
static bool is_plain(const struct ydom_node *v)
{
	if (v->tag)
		return !strcmp(v->tag, "tag:yaml.org,2002:int") || !strcmp(v->tag, "tag:yaml.org,2002:bool");
	return v->style == YDOM_PLAIN;
}

/* YAML 1.1 booleans, as the Go YAML decoder upstream uses accepts them. */
static int bool_node(struct pctx *c, const struct ydom_node *v, bool *out)
{
	static const char *const t[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y" };
	static const char *const f[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N" };
	size_t i;

	if (v->kind == YDOM_SCALAR && is_plain(v)) {
		for (i = 0; i < N(t); i++) {
			if (scalar_eq(v, t[i])) {
				*out = true;
				return 1;
			}
			if (scalar_eq(v, f[i])) {
				*out = false;
				return 1;
			}
		}
	}
	if (v->kind != YDOM_SCALAR)
		perr(c, v, "expected a boolean (true or false), got %s", ydom_kind_name(v));
	else if (!is_plain(v))
		perr(c, v, "expected a boolean (true or false), got the string %s", quote(c, v));
	else
		perr(c, v, "expected a boolean (true or false), got %s", quote(c, v));
	return -1;
}

static int get_bool(struct pctx *c, const struct ydom_node *map, const char *key, bool *out)
{
	const struct ydom_node *v = field(map, key);
	size_t mark;
	int rc;

	if (!v)
		return 0;
	mark = path_key(c, key);
	rc = bool_node(c, v, out);
	path_pop(c, mark);
	return rc;
}

/* Integer fields take plain YAML integers only; "3" in quotes is a string. */
static int int_node(struct pctx *c, const struct ydom_node *v, bool sign, int bits, int64_t *s, uint64_t *u)
{
	int rc = -EINVAL;

	if (v->kind == YDOM_SCALAR && is_plain(v) && !memchr(v->str, '\0', v->len)) {
		if (sign)
			rc = tp_parse_go_int(v->str, v->len, 0, bits, s);
		else if (v->len && v->str[0] == '-')
			rc = -ERANGE;
		else
			rc = tp_parse_go_uint(v->str + (v->len && v->str[0] == '+'),
					      v->len - (v->len && v->str[0] == '+'), 0, bits, u);
	}
	if (!rc)
		return 1;
	if (rc == -ERANGE) {
		if (sign)
			perr(c, v, "integer %s out of range (%lld..%lld)", quote(c, v),
			     (long long)(bits == 64 ? INT64_MIN : -(INT64_C(1) << (bits - 1))),
			     (long long)(bits == 64 ? INT64_MAX : (INT64_C(1) << (bits - 1)) - 1));
		else
			perr(c, v, "integer %s out of range (0..%llu)", quote(c, v),
			     (unsigned long long)(bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1));
	} else if (v->kind != YDOM_SCALAR) {
		perr(c, v, "expected an integer, got %s", ydom_kind_name(v));
	} else if (!is_plain(v)) {
		perr(c, v, "expected an integer, got the string %s", quote(c, v));
	} else {
		perr(c, v, "expected an integer, got %s", quote(c, v));
	}
	return -1;
}

static int get_u32(struct pctx *c, const struct ydom_node *map, const char *key, uint32_t *out)
{
	const struct ydom_node *v = field(map, key);
	uint64_t u = 0;
	size_t mark;
	int rc;

	if (!v)
		return 0;
	mark = path_key(c, key);
	rc = int_node(c, v, false, 32, NULL, &u);
	path_pop(c, mark);
	if (rc > 0)
		*out = (uint32_t)u;
	return rc;
}

static int get_i32(struct pctx *c, const struct ydom_node *map, const char *key, int32_t *out)
{
	const struct ydom_node *v = field(map, key);
	int64_t s = 0;
	size_t mark;
	int rc;

	if (!v)
		return 0;
	mark = path_key(c, key);
	rc = int_node(c, v, true, 32, &s, NULL);
	path_pop(c, mark);
	if (rc > 0)
		*out = (int32_t)s;
	return rc;
}

static int get_u64(struct pctx *c, const struct ydom_node *map, const char *key, uint64_t *out)
{
	const struct ydom_node *v = field(map, key);
	size_t mark;
	int rc;

	if (!v)
		return 0;
	mark = path_key(c, key);
	rc = int_node(c, v, false, 64, NULL, out);
	path_pop(c, mark);
	return rc;
}

static int get_i64(struct pctx *c, const struct ydom_node *map, const char *key, int64_t *out)
{
	const struct ydom_node *v = field(map, key);
	size_t mark;
	int rc;

	if (!v)
		return 0;
	mark = path_key(c, key);
	rc = int_node(c, v, true, 64, out, NULL);
	path_pop(c, mark);
	return rc;
}

/* A list of strings; returns the list node (or NULL when absent/invalid). */
static const struct ydom_node *get_str_list(struct pctx *c, const struct ydom_node *map, const char *key,
					    unsigned flags, char ***out, size_t *nout)
{
	const struct ydom_node *v = field(map, key);
	size_t mark, i, n = 0;
	char **arr;

	*out = NULL;
	*nout = 0;
	if (!v) {
		if (flags & F_REQUIRED)
			missing(c, map, key);
		return NULL;
	}
	mark = path_key(c, key);
	if (!want_seq(c, v)) {
		path_pop(c, mark);
		return NULL;
	}
	arr = xalloc(c, v->nitems, sizeof(*arr));
	if (!arr) {
		path_pop(c, mark);
		return NULL;
	}
	for (i = 0; i < v->nitems; i++) {
		size_t m2 = path_idx(c, i);

		if (str_node(c, v->items[i], flags & ~F_REQUIRED, &arr[n], NULL) > 0)
			n++;
		path_pop(c, m2);
	}
	path_pop(c, mark);
	*out = arr;
	*nout = n;
	return v;
}

/* A list of integers; each item is checked like an integer field. */
static const struct ydom_node *get_u64_list(struct pctx *c, const struct ydom_node *map, const char *key,
					    int bits, uint64_t **out, size_t *nout)
{
	const struct ydom_node *v = field(map, key);
	size_t mark, i, n = 0;
	uint64_t *arr;

	*out = NULL;
	*nout = 0;
	if (!v)
		return NULL;
	mark = path_key(c, key);
	if (!want_seq(c, v)) {
		path_pop(c, mark);
		return NULL;
	}
	arr = xalloc(c, v->nitems, sizeof(*arr));
	if (!arr) {
		path_pop(c, mark);
		return NULL;
	}
	for (i = 0; i < v->nitems; i++) {
		size_t m2 = path_idx(c, i);

		if (int_node(c, v->items[i], false, bits, NULL, &arr[n]) > 0)
			n++;
		path_pop(c, m2);
	}
	path_pop(c, mark);
	*out = arr;
	*nout = n;
	return v;
}

static int get_enum(struct pctx *c, const struct ydom_node *map, const char *key, const struct tp_name_map *m,
		    bool icase, const char *what, unsigned flags, int *out)
{
	const struct ydom_node *v = field(map, key);
	size_t mark;
	int val, rc = -1;

	if (!v) {
		if (flags & F_REQUIRED)
			missing(c, map, key);
		return 0;
	}
	mark = path_key(c, key);
	if (v->kind != YDOM_SCALAR) {
		perr(c, v, "expected a string, got %s", ydom_kind_name(v));
	} else if ((val = lookup(m, v, icase)) < 0) {
		struct strbuf sb = STRBUF_INIT;
		const char *hint = memchr(v->str, '\0', v->len) ? NULL : suggest_map(v->str, m);

		list_names(&sb, m);
		if (hint)
			perr(c, v, "unknown %s %s (did you mean \"%s\"? want one of %s)", what, quote(c, v), hint,
			     sb.buf ? sb.buf : "");
		else
			perr(c, v, "unknown %s %s (want one of %s)", what, quote(c, v), sb.buf ? sb.buf : "");
		strbuf_free(&sb);
	} else {
		*out = val;
		rc = 1;
	}
	path_pop(c, mark);
	return rc;
}

static void set_pos(struct tp_pos *p, const struct ydom_node *n)
{
	p->line = n->line;
	p->col = n->col;
}

static bool has_items(const struct ydom_node *n)
{
	return n && ((n->kind == YDOM_SEQ && n->nitems) || (n->kind == YDOM_MAP && n->npairs) ||
		     (n->kind == YDOM_SCALAR && !ydom_is_null(n)));
}

/* ---- label selectors -------------------------------------------------------- */

static const char *const label_selector_fields[] = { "matchLabels", "matchExpressions" };
static const char *const label_req_fields[] = { "key", "operator", "values" };

/* A label key, or upstream's "k8s:" pseudo-labels (k8s:io.kubernetes.pod.namespace in a podSelector). */
static bool selector_key_ok(const char *k)
{
	return tp_valid_label_key(k) || (!strncmp(k, "k8s:", 4) && tp_valid_label_key(k + 4));
}

static struct tp_label_selector *parse_label_selector(struct pctx *c, const struct ydom_node *n)
{
	struct tp_label_selector *ls;
	const struct ydom_node *v;
	size_t i, mark;

	if (!CHECK_FIELDS(c, n, label_selector_fields))
		return NULL;
	ls = xalloc(c, 1, sizeof(*ls));
	if (!ls)
		return NULL;
	set_pos(&ls->pos, n);

	v = field(n, "matchLabels");
	if (v) {
		mark = path_key(c, "matchLabels");
		if (want_map(c, v)) {
			ls->labels = xalloc(c, v->npairs, sizeof(*ls->labels));
			for (i = 0; ls->labels && i < v->npairs; i++) {
				const struct ydom_node *k = v->pairs[i].key, *val = v->pairs[i].value;
				struct tp_label *l = &ls->labels[ls->nlabels];
				size_t m2;

				if (k->kind != YDOM_SCALAR || memchr(k->str, '\0', k->len)) {
					perr(c, k, "label keys must be strings");
					continue;
				}
				m2 = path_key(c, k->str);
				if (!selector_key_ok(k->str))
					perr(c, k, "invalid label key %s (want [prefix/]name, name up to 63 "
						   "alphanumerics, '-', '_' or '.')", quote(c, k));
				else if (ydom_is_null(val) ? !!(l->value = xmemdup(c, "", 0))
							   : str_node(c, val, 0, &l->value, NULL) > 0) {
					if (!tp_valid_label_value(l->value))
						perr(c, val, "invalid label value %s (want up to %d alphanumerics, "
							     "'-', '_' or '.', starting and ending with an alphanumeric)",
						     quote(c, val), TP_MAX_LABEL_VALUE_LEN);
					else if ((l->key = xmemdup(c, k->str, k->len)))
						ls->nlabels++;
				}
				path_pop(c, m2);
			}
		}
		path_pop(c, mark);
	}

	v = field(n, "matchExpressions");
	if (v) {
		mark = path_key(c, "matchExpressions");
		if (want_seq(c, v)) {
			ls->exprs = xalloc(c, v->nitems, sizeof(*ls->exprs));
			for (i = 0; ls->exprs && i < v->nitems; i++) {
				struct tp_label_req *r = &ls->exprs[ls->nexprs];
				const struct ydom_node *e = v->items[i];
				size_t m2 = path_idx(c, i);
				int op = -1;
				bool ok = true;

				if (!CHECK_FIELDS(c, e, label_req_fields)) {
					path_pop(c, m2);
					continue;
				}
				set_pos(&r->pos, e);
				if (get_str(c, e, "key", F_REQUIRED | F_NONEMPTY, &r->key) <= 0)
					ok = false;
				else if (!selector_key_ok(r->key)) {
					perr(c, field(e, "key"), "invalid label key \"%s\"", r->key);
					ok = false;
				}
				if (get_enum(c, e, "operator", tp_label_op_map, false, "operator", F_REQUIRED, &op) <= 0)
					ok = false;
				get_str_list(c, e, "values", 0, &r->values, &r->nvalues);
				if (op >= 0) {
					r->op = (enum tp_label_op)op;
					if ((op == TP_LABEL_IN || op == TP_LABEL_NOT_IN) && !r->nvalues) {
						perr(c, e, "operator %s needs at least one value", tp_label_op_map[op].name);
						ok = false;
					} else if ((op == TP_LABEL_EXISTS || op == TP_LABEL_DOES_NOT_EXIST) && r->nvalues) {
						perr(c, field(e, "values"), "operator %s takes no values",
						     tp_label_op_map[op].name);
						ok = false;
					}
				}
				if (ok)
					ls->nexprs++;
				path_pop(c, m2);
			}
		}
		path_pop(c, mark);
	}
	return ls;
}

static struct tp_label_selector *get_label_selector(struct pctx *c, const struct ydom_node *map, const char *key)
{
	const struct ydom_node *v = ydom_map_get(map, key);
	struct tp_label_selector *ls;
	size_t mark;

	if (!v || ydom_is_null(v))
		return NULL;
	mark = path_key(c, key);
	ls = parse_label_selector(c, v);
	path_pop(c, mark);
	return ls;
}

/* hostSelector: only null (no host workloads) or {} (all of them) exist so far. */
static struct tp_label_selector *get_host_selector(struct pctx *c, const struct ydom_node *map)
{
	const struct ydom_node *v = field(map, "hostSelector");
	struct tp_label_selector *ls = get_label_selector(c, map, "hostSelector");

	if (ls && (field(v, "matchLabels") || field(v, "matchExpressions"))) {
		size_t mark = path_key(c, "hostSelector");

		perr(c, v, "the hostSelector should be either null or {}");
		path_pop(c, mark);
	}
	return ls;
}

/* ---- arguments -------------------------------------------------------------- */

static const char *const arg_fields[] = {
	"index", "type", "resolve", "sizeArgIndex", "returnCopy", "maxData", "label", "source", "btfType",
	"btfTypeModule",
};

enum argrole { ROLE_ARG, ROLE_DATA, ROLE_RETURN };

static bool kprobe_like(enum tp_hook_kind k)
{
	return k == TP_HOOK_KPROBE || k == TP_HOOK_FENTRY || k == TP_HOOK_UPROBE || k == TP_HOOK_LSM ||
	       k == TP_HOOK_USDT;
}

static void parse_arg(struct pctx *c, const struct ydom_node *n, struct tp_hook *h, enum argrole role,
		      struct tp_arg *a, bool *ok)
{
	const struct ydom_node *tn = field(n, "type"), *in = field(n, "index");
	const char *src = NULL;
	char *source = NULL;
	int t = TP_ARG_AUTO;

	*ok = false;
	if (!CHECK_FIELDS(c, n, arg_fields))
		return;
	set_pos(&a->pos, n);
	*ok = true;
	if (!in) {
		missing(c, n, "index");
		*ok = false;
	} else if (get_u32(c, n, "index", &a->index) < 0) {
		*ok = false;
	}
	if (tn && get_enum(c, n, "type", tp_arg_type_map, false, "argument type", 0, &t) < 0) {
		*ok = false;
		t = -1;
	}
	a->type = t < 0 ? TP_ARG_AUTO : (enum tp_arg_type)t;
	if (get_str(c, n, "resolve", 0, &a->resolve) < 0 || get_u32(c, n, "sizeArgIndex", &a->size_arg_index) < 0 ||
	    get_bool(c, n, "returnCopy", &a->return_copy) < 0 || get_bool(c, n, "maxData", &a->max_data) < 0 ||
	    get_str(c, n, "label", F_TEXT, &a->label) < 0 || get_str(c, n, "source", 0, &source) < 0 ||
	    get_str(c, n, "btfType", 0, &a->btf_type) < 0 || get_str(c, n, "btfTypeModule", 0, &a->btf_type_module) < 0)
		*ok = false;
	if (a->resolve && !a->resolve[0])
		a->resolve = NULL;
	if (a->label && !a->label[0])
		a->label = NULL;
	if (a->btf_type && !a->btf_type[0])
		a->btf_type = NULL;
	if (a->btf_type_module && !a->btf_type_module[0])
		a->btf_type_module = NULL;

	/* where the value comes from */
	if (source && source[0]) {
		size_t mark = path_key(c, "source");

		if (!strcmp(source, "current_task"))
			a->source = TP_SRC_CURRENT_TASK;
		else if (!strcmp(source, "pt_regs"))
			a->source = TP_SRC_PT_REGS;
		else {
			perr(c, field(n, "source"), "unknown source \"%s\" (want one of current_task, pt_regs)", source);
			*ok = false;
		}
		src = source;
		path_pop(c, mark);
	}
	if (role == ROLE_DATA) {
		if (!src) {
			perr(c, n, "data entries need a source (current_task or pt_regs)");
			*ok = false;
		}
		if (!a->resolve) {
			perr(c, n, "data entries need a resolve path");
			*ok = false;
		}
	} else if (src) {
		size_t mark = path_key(c, "source");

		perr(c, field(n, "source"), "only data entries may set a source");
		path_pop(c, mark);
		*ok = false;
	}

	/* resolve syntax; for pt_regs it names a register instead */
	if (a->resolve && a->source != TP_SRC_PT_REGS) {
		int depth = tp_resolve_path_depth(a->resolve);
		size_t mark = path_key(c, "resolve");

		if (depth < 0) {
			perr(c, field(n, "resolve"), "malformed resolve path \"%s\"", a->resolve);
			*ok = false;
		} else if (depth > TP_MAX_RESOLVE_DEPTH) {
			perr(c, field(n, "resolve"), "resolve path \"%s\" has %d steps, at most %d are supported",
			     a->resolve, depth, TP_MAX_RESOLVE_DEPTH);
			*ok = false;
		}
		path_pop(c, mark);
	}
	if (a->btf_type_module && !a->btf_type) {
		perr(c, field(n, "btfTypeModule"), "btfTypeModule needs btfType");
		*ok = false;
	}

	/* argument types each hook kind can read (BTF may supply the type of resolved ones) */
	if (t >= 0) {
		bool btf = a->resolve && a->source != TP_SRC_PT_REGS;
		const char *where = tp_hook_kind_name(h->kind);
		bool bad = false;

		if (role == ROLE_RETURN) {
			bad = t == TP_ARG_AUTO || t == TP_ARG_BPF_CMD;
			where = "a returnArg";
		} else {
			switch (h->kind) {
			case TP_HOOK_KPROBE:
			case TP_HOOK_FENTRY:
				/* upstream refuses these for args even with resolve; data may use BTF */
				bad = t == TP_ARG_SYSCALL64 ? role == ROLE_ARG
				      : t == TP_ARG_AUTO    ? role == ROLE_ARG || !btf
							    : false;
				break;
			case TP_HOOK_TRACEPOINT:
				if (t == TP_ARG_CONST_BUF) {
					bad = true;
					where = "tracepoints (it is derived from the tracepoint format)";
				} else if (t == TP_ARG_BPF_CMD) {
					bad = true;
				} else if (t == TP_ARG_AUTO && h->raw) {
					bad = true;
					where = "raw tracepoints";
				}
				break;
			default:
				bad = (t == TP_ARG_AUTO || t == TP_ARG_BPF_CMD) && !btf;
				break;
			}
		}
		if (bad && !tn) {
			perr(c, n, "missing required field \"type\" (the default \"auto\" is not valid for %s)", where);
			*ok = false;
		} else if (bad) {
			size_t mark = path_key(c, "type");

			perr(c, tn, "argument type %s is not valid for %s", tp_arg_type_name((enum tp_arg_type)t), where);
			path_pop(c, mark);
			*ok = false;
		}
	}

	/* positions the BPF programs can read */
	if (in && role != ROLE_RETURN) {
		size_t mark = path_key(c, "index");

		if (h->kind == TP_HOOK_TRACEPOINT && h->raw && a->index > TP_MAX_RAW_TP_ARG_INDEX) {
			perr(c, in, "index %u is out of range: raw tracepoints can read arguments 0..%d", a->index,
			     TP_MAX_RAW_TP_ARG_INDEX);
			*ok = false;
		} else if ((h->kind == TP_HOOK_KPROBE || h->kind == TP_HOOK_FENTRY || h->kind == TP_HOOK_UPROBE ||
			    h->kind == TP_HOOK_LSM) &&
			   a->index > TP_MAX_ARG_INDEX) {
			perr(c, in, "index %u is out of range: %s can read arguments 0..%d", a->index,
			     tp_hook_kind_name(h->kind), TP_MAX_ARG_INDEX);
			*ok = false;
		}
		path_pop(c, mark);
	}
	if (a->size_arg_index && kprobe_like(h->kind) && a->size_arg_index > TP_MAX_SIZE_ARG_INDEX) {
		size_t mark = path_key(c, "sizeArgIndex");

		perr(c, field(n, "sizeArgIndex"),
		     "sizeArgIndex %u is out of range (it is the 1-based position of the size argument: 1..%d)",
		     a->size_arg_index, TP_MAX_SIZE_ARG_INDEX);
		path_pop(c, mark);
		*ok = false;
	}
	if (a->size_arg_index && tn && t != TP_ARG_CHAR_BUF && t != TP_ARG_CHAR_IOVEC && t != TP_ARG_AUTO) {
		size_t mark = path_key(c, "sizeArgIndex");

		pwarn(c, field(n, "sizeArgIndex"), "sizeArgIndex is only used by char_buf and char_iovec arguments");
		path_pop(c, mark);
	}
}

static void parse_args(struct pctx *c, const struct ydom_node *map, const char *key, struct tp_hook *h,
		       enum argrole role, struct tp_arg **out, size_t *nout)
{
	const struct ydom_node *v = field(map, key);
	size_t mark, i;
	struct tp_arg *arr;

	*out = NULL;
	*nout = 0;
	if (!v)
		return;
	mark = path_key(c, key);
	if (want_seq(c, v) && (arr = xalloc(c, v->nitems, sizeof(*arr)))) {
		for (i = 0; i < v->nitems; i++) {
			size_t m2 = path_idx(c, i);
			bool ok;

			/* keep invalid entries too so that positions stay right */
			parse_arg(c, v->items[i], h, role, &arr[i], &ok);
			path_pop(c, m2);
		}
		*out = arr;
		*nout = v->nitems;
	}
	path_pop(c, mark);
}

/* ---- argument filters (matchArgs, matchData, matchReturnArgs) ------------------ */

enum tclass {
	TC_UNKNOWN,	/* auto / BTF-resolved: decided at load time */
	TC_INT,
	TC_CAPS,
	TC_STRING,	/* string, char_buf, data_loc, net_device */
	TC_FILE,	/* fd, file, path, dentry, linux_binprm, kiocb */
	TC_NET,		/* skb, sock, socket, sockaddr */
	TC_SOCKADDR_UN,
	TC_OTHER,	/* no BPF filter support */
};

static enum tclass type_class(enum tp_arg_type t)
{
	switch (t) {
	case TP_ARG_AUTO:
		return TC_UNKNOWN;
	case TP_ARG_INT:
	case TP_ARG_INT8:
	case TP_ARG_UINT8:
	case TP_ARG_INT16:
	case TP_ARG_UINT16:
	case TP_ARG_INT32:
	case TP_ARG_UINT32:
	case TP_ARG_INT64:
	case TP_ARG_UINT64:
	case TP_ARG_SIZE_T:
	case TP_ARG_SYSCALL64:
	case TP_ARG_BPF_CMD:
		return TC_INT;
	case TP_ARG_KERNEL_CAP_T:
	case TP_ARG_CAP_INHERITABLE:
	case TP_ARG_CAP_PERMITTED:
	case TP_ARG_CAP_EFFECTIVE:
		return TC_CAPS;
	case TP_ARG_STRING:
	case TP_ARG_CHAR_BUF:
	case TP_ARG_DATA_LOC:
	case TP_ARG_NET_DEVICE:
		return TC_STRING;
	case TP_ARG_FD:
	case TP_ARG_FILE:
	case TP_ARG_PATH:
	case TP_ARG_DENTRY:
	case TP_ARG_LINUX_BINPRM:
	case TP_ARG_KIOCB:
		return TC_FILE;
	case TP_ARG_SKB:
	case TP_ARG_SOCK:
	case TP_ARG_SOCKET:
	case TP_ARG_SOCKADDR:
		return TC_NET;
	case TP_ARG_SOCKADDR_UN:
		return TC_SOCKADDR_UN;
	default:
		return TC_OTHER;
	}
}

/* Width and signedness upstream parses Equal/GT/LT/Mask values with. */
static void int_shape(enum tp_arg_type t, bool *sign, int *bits)
{
	switch (t) {
	case TP_ARG_UINT8:
	case TP_ARG_UINT16:
	case TP_ARG_UINT32:
		*sign = false;
		*bits = 32;
		break;
	case TP_ARG_UINT64:
		*sign = false;
		*bits = 64;
		break;
	case TP_ARG_INT64:
	case TP_ARG_SYSCALL64:
		*sign = true;
		*bits = 64;
		break;
	default:
		*sign = true;
		*bits = 32;
		break;
	}
}

static bool is_unsigned_type(enum tp_arg_type t)
{
	return t == TP_ARG_UINT8 || t == TP_ARG_UINT16 || t == TP_ARG_UINT32 || t == TP_ARG_UINT64;
}

static bool is_64bit_type(enum tp_arg_type t)
{
	return t == TP_ARG_INT64 || t == TP_ARG_UINT64 || t == TP_ARG_SYSCALL64;
}

static bool is_placeholder(const struct ydom_node *v)
{
	size_t i;

	if (v->len < 4 || v->str[0] != '$' || v->str[1] != '{' || v->str[v->len - 1] != '}')
		return false;
	for (i = 2; i < v->len - 1; i++) {
		char ch = v->str[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
		      (i > 2 && ch >= '0' && ch <= '9')))
			return false;
	}
	return v->len > 3;
}

/* Capability masks: a number, or CAP_ names separated by commas (upstream's parseCapabilitiesMask). */
static int parse_caps_names(const char *s, size_t n, uint64_t *mask, char *bad, size_t badlen)
{
	size_t i = 0;

	*mask = 0;
	while (i <= n) {
		size_t j = i, b, e;
		unsigned cap;
		bool found = false;

		while (j < n && s[j] != ',')
			j++;
		b = i;
		e = j;
		while (b < e && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		for (cap = 0; cap < tp_capability_count(); cap++) {
			const char *name = tp_capability_name(cap);

			if ((e - b == strlen(name) && !strncasecmp(s + b, name, e - b)) ||
			    (e - b == strlen(name) - 4 && !strncasecmp(s + b, name + 4, e - b) && cap == 1)) {
				found = true;
				break;
			}
		}
		if (!found) {
			snprintf(bad, badlen, "%.*s", (int)(e - b > 64 ? 64 : e - b), s + b);
			return -EINVAL;
		}
		*mask |= UINT64_C(1) << cap;
		i = j + 1;
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned mode;
} file_types[] = {
	{ "reg", S_IFREG }, { "regular", S_IFREG }, { "dir", S_IFDIR }, { "lnk", S_IFLNK },
	{ "link", S_IFLNK }, { "sock", S_IFSOCK }, { "socket", S_IFSOCK }, { "blk", S_IFBLK },
	{ "block", S_IFBLK }, { "chr", S_IFCHR }, { "char", S_IFCHR }, { "fifo", S_IFIFO },
	{ "pipe", S_IFIFO },
};

/* Linux numbering; upstream's tables in pkg/reader/network. */
static const struct {
	const char *name;
	unsigned num;
} inet_names[] = {
	{ "AF_UNSPEC", 0 }, { "AF_UNIX", 1 }, { "AF_INET", 2 }, { "AF_AX25", 3 }, { "AF_IPX", 4 },
	{ "AF_APPLETALK", 5 }, { "AF_NETROM", 6 }, { "AF_BRIDGE", 7 }, { "AF_ATMPVC", 8 }, { "AF_X25", 9 },
	{ "AF_INET6", 10 }, { "AF_ROSE", 11 }, { "AF_DECnet", 12 }, { "AF_NETBEUI", 13 }, { "AF_SECURITY", 14 },
	{ "AF_KEY", 15 }, { "AF_NETLINK", 16 }, { "AF_PACKET", 17 }, { "AF_ASH", 18 }, { "AF_ECONET", 19 },
	{ "AF_ATMSVC", 20 }, { "AF_RDS", 21 }, { "AF_IRDA", 23 }, { "AF_PPPOX", 24 }, { "AF_WANPIPE", 25 },
	{ "AF_LLC", 26 }, { "AF_IB", 27 }, { "AF_MPLS", 28 }, { "AF_CAN", 29 }, { "AF_TIPC", 30 },
	{ "AF_BLUETOOTH", 31 }, { "AF_IUCV", 32 }, { "AF_RXRPC", 33 }, { "AF_ISDN", 34 }, { "AF_PHONET", 35 },
	{ "AF_IEEE802154", 36 }, { "AF_CAIF", 37 }, { "AF_ALG", 38 }, { "AF_NFC", 39 }, { "AF_VSOCK", 40 },
	{ "AF_KCM", 41 }, { "AF_QIPCRTR", 42 }, { "AF_SMC", 43 }, { "AF_XDP", 44 }, { "AF_MCTP", 45 },
	{ "IPPROTO_IP", 0 }, { "IPPROTO_ICMP", 1 }, { "IPPROTO_IGMP", 2 }, { "IPPROTO_IPIP", 4 },
	{ "IPPROTO_TCP", 6 }, { "IPPROTO_EGP", 8 }, { "IPPROTO_PUP", 12 }, { "IPPROTO_UDP", 17 },
	{ "IPPROTO_IDP", 22 }, { "IPPROTO_TP", 29 }, { "IPPROTO_DCCP", 33 }, { "IPPROTO_IPV6", 41 },
	{ "IPPROTO_RSVP", 46 }, { "IPPROTO_GRE", 47 }, { "IPPROTO_ESP", 50 }, { "IPPROTO_AH", 51 },
	{ "IPPROTO_MTP", 92 }, { "IPPROTO_BEETPH", 94 }, { "IPPROTO_ENCAP", 98 }, { "IPPROTO_PIM", 103 },
	{ "IPPROTO_COMP", 108 }, { "IPPROTO_SCTP", 132 }, { "IPPROTO_UDPLITE", 136 }, { "IPPROTO_MPLS", 137 },
	{ "IPPROTO_ETHERNET", 143 }, { "IPPROTO_RAW", 255 }, { "IPPROTO_MPTCP", 262 },
	{ "TCP_ESTABLISHED", 1 }, { "TCP_SYN_SENT", 2 }, { "TCP_SYN_RECV", 3 }, { "TCP_FIN_WAIT1", 4 },
	{ "TCP_FIN_WAIT2", 5 }, { "TCP_TIME_WAIT", 6 }, { "TCP_CLOSE", 7 }, { "TCP_CLOSE_WAIT", 8 },
	{ "TCP_LAST_ACK", 9 }, { "TCP_LISTEN", 10 }, { "TCP_CLOSING", 11 }, { "TCP_NEW_SYN_RECV", 12 },
};

static int inet_name(const char *prefix, const struct ydom_node *v, unsigned *num)
{
	size_t i, pl = strlen(prefix);

	for (i = 0; i < N(inet_names); i++) {
		if (!strncmp(inet_names[i].name, prefix, pl) && scalar_eq(v, inet_names[i].name)) {
			*num = inet_names[i].num;
			return 0;
		}
	}
	return -1;
}

static bool is_port_op(enum tp_op op)
{
	return op == TP_OP_SPORT || op == TP_OP_NOT_SPORT || op == TP_OP_DPORT || op == TP_OP_NOT_DPORT;
}

static bool is_priv_op(enum tp_op op)
{
	return op == TP_OP_SPORT_PRIV || op == TP_OP_NOT_SPORT_PRIV || op == TP_OP_DPORT_PRIV ||
	       op == TP_OP_NOT_DPORT_PRIV;
}

static bool is_dest_op(enum tp_op op)
{
	return op == TP_OP_DPORT || op == TP_OP_NOT_DPORT || op == TP_OP_DPORT_PRIV || op == TP_OP_NOT_DPORT_PRIV ||
	       op == TP_OP_DADDR || op == TP_OP_NOT_DADDR;
}

/* Order of names: bytes, then length (so "a" < "a\0b" works with NULs too). */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static long find_list(struct pctx *c, const char *name, size_t len)
{
	size_t lo = 0, hi = c->list_order ? c->pol->nlists : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, idx = c->list_order[mid];
		const char *ln = c->pol->lists[idx].name;
		int r = name_cmp(ln, strlen(ln), name, len);

		if (!r)
			return (long)idx;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Operator-intrinsic syntax of one value (no argument type needed): ranges,
 * ports, addresses, names... Returns false on error. v->kind stays RAW for
 * values whose meaning depends on the argument type.
 */
static bool value_intrinsic(struct pctx *c, enum tp_op op, const struct ydom_node *n, struct tp_value *v)
{
	const char *s = n->str;
	size_t len = n->len;
	const char *colon = memchr(s, ':', len);

	v->kind = TP_VAL_RAW;
	switch (op) {
	case TP_OP_PREFIX:
	case TP_OP_NOT_PREFIX:
		if (len > TP_MAX_PREFIX_LEN) {
			perr(c, n, "prefix value is %zu bytes long, at most %d are supported", len, TP_MAX_PREFIX_LEN);
			return false;
		}
		return true;
	case TP_OP_SUBSTRING:
	case TP_OP_SUBSTRING_IGNCASE:
		if (len > TP_MAX_SUBSTRING_LEN) {
			perr(c, n, "substring value is %zu bytes long, at most %d are supported", len,
			     TP_MAX_SUBSTRING_LEN);
			return false;
		}
		return true;
	case TP_OP_IN_RANGE:
	case TP_OP_NOT_IN_RANGE: {
		int64_t lo, hi;

		if (!colon || memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) ||
		    tp_parse_go_int(s, (size_t)(colon - s), 0, 64, &lo) ||
		    tp_parse_go_int(colon + 1, len - (size_t)(colon - s) - 1, 0, 64, &hi)) {
			perr(c, n, "invalid range %s (want \"min:max\" with integers)", quote(c, n));
			return false;
		}
		v->kind = TP_VAL_INT_RANGE;
		v->u.irange.lo = lo;
		v->u.irange.hi = hi;
		return true;
	}
	case TP_OP_SPORT:
	case TP_OP_NOT_SPORT:
	case TP_OP_DPORT:
	case TP_OP_NOT_DPORT:
	case TP_OP_PROTOCOL:
	case TP_OP_FAMILY:
	case TP_OP_STATE: {
		uint64_t lo, hi, max = is_port_op(op) ? 65535 : op == TP_OP_STATE ? 255 : 65535;
		unsigned num;

		if (!colon && ((op == TP_OP_PROTOCOL && !inet_name("IPPROTO_", n, &num)) ||
			       (op == TP_OP_FAMILY && !inet_name("AF_", n, &num)) ||
			       (op == TP_OP_STATE && !inet_name("TCP_", n, &num)))) {
			lo = hi = num;
		} else if (colon) {
			if (memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) ||
			    tp_parse_go_uint(s, (size_t)(colon - s), 10, 64, &lo) ||
			    tp_parse_go_uint(colon + 1, len - (size_t)(colon - s) - 1, 10, 64, &hi)) {
				perr(c, n, "invalid range %s (want \"min:max\" with decimal numbers)", quote(c, n));
				return false;
			}
		} else if (tp_parse_go_uint(s, len, 10, 64, &lo)) {
			if (op == TP_OP_PROTOCOL)
				perr(c, n, "invalid protocol %s (want a number or an IPPROTO_ name)", quote(c, n));
			else if (op == TP_OP_FAMILY)
				perr(c, n, "invalid address family %s (want a number or an AF_ name)", quote(c, n));
			else if (op == TP_OP_STATE)
				perr(c, n, "invalid TCP state %s (want a number or a TCP_ name)", quote(c, n));
			else
				perr(c, n, "invalid port %s (want a number or \"min:max\")", quote(c, n));
			return false;
		} else {
			hi = lo;
		}
		if (lo > max || hi > max) {
			perr(c, n, "value %s out of range (0..%llu)", quote(c, n), (unsigned long long)max);
			return false;
		}
		v->kind = TP_VAL_UINT_RANGE;
		v->u.urange.lo = lo < hi ? lo : hi;
		v->u.urange.hi = lo < hi ? hi : lo;
		return true;
	}
	case TP_OP_SADDR:
	case TP_OP_NOT_SADDR:
	case TP_OP_DADDR:
	case TP_OP_NOT_DADDR: {
		int rc;

		if (is_placeholder(n)) {
			v->kind = TP_VAL_PLACEHOLDER;
			pwarn(c, n, "%s looks like an unexpanded template variable; substitute it before loading",
			      quote(c, n));
			return true;
		}
		rc = tp_parse_ip_prefix(s, len, &v->u.addr.family, v->u.addr.addr, &v->u.addr.prefix_len);
		if (rc) {
			perr(c, n, "invalid address %s (want an IPv4/IPv6 address or CIDR)", quote(c, n));
			return false;
		}
		v->kind = TP_VAL_ADDR;
		return true;
	}
	case TP_OP_FILE_TYPE:
	case TP_OP_NOT_FILE_TYPE: {
		size_t i;

		for (i = 0; i < N(file_types); i++) {
			if (scalar_eq(n, file_types[i].name)) {
				v->kind = TP_VAL_FILE_TYPE;
				v->u.u = file_types[i].mode;
				return true;
			}
		}
		perr(c, n, "unknown file type %s (want one of reg, dir, lnk, sock, blk, chr, fifo, or the "
			   "aliases regular, link, socket, block, char, pipe)", quote(c, n));
		return false;
	}
	case TP_OP_CEL_EXPR:
		v->kind = TP_VAL_CEL;
		return true;
	case TP_OP_IN_MAP:
	case TP_OP_NOT_IN_MAP:
		if (len >= 5 && !memcmp(s, "list:", 5)) {
			long li = find_list(c, s + 5, len - 5);

			if (li < 0) {
				perr(c, n, "%s refers to an undefined list (see spec.lists)", quote(c, n));
				return false;
			}
			v->kind = TP_VAL_LIST;
			v->u.list.index = (size_t)li;
		}
		return true;
	default:
		return true;
	}
}

/* A decimal integer or "lo:hi" range for InMap/NotInMap, signed or not as the argument. */
static bool value_in_map(struct pctx *c, const struct ydom_node *n, enum tp_arg_type t, struct tp_value *v)
{
	const char *s = n->str, *colon = memchr(s, ':', n->len);
	bool sign = !is_unsigned_type(t);
	size_t l1 = colon ? (size_t)(colon - s) : n->len;
	int rc;

	if (v->kind == TP_VAL_LIST) {
		const struct tp_list *l = &c->pol->lists[v->u.list.index];

		if (l->type != TP_LIST_SYSCALLS && l->type != TP_LIST_GENERATED_SYSCALLS) {
			perr(c, n, "list \"%s\" is not a syscall list; only syscalls and generated_syscalls lists "
				   "can be used in InMap/NotInMap", l->name);
			return false;
		}
		/* upstream's list reader insists on syscall64; its own example uses uint64 */
		if (t != TP_ARG_SYSCALL64)
			pwarn(c, n, "syscall list %s is meant for syscall64 arguments; upstream refuses it on %s "
				    "(and without syscall64 the 32-bit ABI bit is not matched)",
			      quote(c, n), tp_arg_type_name(t));
		return true;
	}
	if (sign) {
		int64_t lo, hi;

		rc = tp_parse_go_int(s, l1, 10, 64, &lo);
		if (!rc && colon && memchr(colon + 1, ':', n->len - l1 - 1))
			rc = -EINVAL;
		if (!rc && colon)
			rc = tp_parse_go_int(colon + 1, n->len - l1 - 1, 10, 64, &hi);
		if (!rc) {
			if (colon) {
				v->kind = TP_VAL_INT_RANGE;
				v->u.irange.lo = lo < hi ? lo : hi;
				v->u.irange.hi = lo < hi ? hi : lo;
			} else {
				v->kind = TP_VAL_INT;
				v->u.i = lo;
			}
			return true;
		}
	} else {
		uint64_t lo, hi;

		rc = tp_parse_go_uint(s, l1, 10, 64, &lo);
		if (!rc && colon && memchr(colon + 1, ':', n->len - l1 - 1))
			rc = -EINVAL;
		if (!rc && colon)
			rc = tp_parse_go_uint(colon + 1, n->len - l1 - 1, 10, 64, &hi);
		if (!rc) {
			if (colon) {
				v->kind = TP_VAL_UINT_RANGE;
				v->u.urange.lo = lo < hi ? lo : hi;
				v->u.urange.hi = lo < hi ? hi : lo;
			} else {
				v->kind = TP_VAL_UINT;
				v->u.u = lo;
			}
			return true;
		}
	}
	perr_ctx(c, n, "invalid %s value %s for argument type %s (want a decimal number, \"min:max\" or "
		       "\"list:NAME\")", sign ? "signed" : "unsigned", quote(c, n), tp_arg_type_name(t));
	return false;
}

/* Equal/NotEqual/GT/LT/Mask on integer and capability arguments. */
static bool value_number(struct pctx *c, const struct ydom_node *n, enum tp_arg_type t, struct tp_value *v)
{
	bool sign;
	int bits, rc;

	if (type_class(t) == TC_CAPS) {
		char bad[80];

		if (!tp_parse_go_uint(n->str, n->len, 0, 64, &v->u.u)) {
			v->kind = TP_VAL_CAPS;
			return true;
		}
		if (memchr(n->str, '\0', n->len) || parse_caps_names(n->str, n->len, &v->u.u, bad, sizeof(bad))) {
			perr(c, n, "invalid capability mask %s (want a number or CAP_ names separated by commas)",
			     quote(c, n));
			return false;
		}
		v->kind = TP_VAL_CAPS;
		return true;
	}
	int_shape(t, &sign, &bits);
	if (sign) {
		rc = tp_parse_go_int(n->str, n->len, 0, bits, &v->u.i);
		v->kind = TP_VAL_INT;
	} else {
		rc = tp_parse_go_uint(n->str, n->len, 0, bits, &v->u.u);
		v->kind = TP_VAL_UINT;
	}
	if (!rc)
		return true;
	v->kind = TP_VAL_RAW;
	if (rc == -ERANGE)
		perr_ctx(c, n, "value %s out of range for a %d-bit %s number (argument type %s)", quote(c, n), bits,
			 sign ? "signed" : "unsigned", tp_arg_type_name(t));
	else
		perr_ctx(c, n, "invalid number %s for argument type %s", quote(c, n), tp_arg_type_name(t));
	return false;
}

/* Which operators the BPF filters implement for a type class (pkg/selectors/kernel.go). */
static bool op_supported(enum tp_op op, enum tp_arg_type t)
{
	enum tclass tc = type_class(t);

	switch (op) {
	case TP_OP_EQUAL:
	case TP_OP_NOT_EQUAL:
		return tc == TC_INT || tc == TC_CAPS || tc == TC_STRING || tc == TC_FILE || tc == TC_SOCKADDR_UN;
	case TP_OP_PREFIX:
	case TP_OP_NOT_PREFIX:
	case TP_OP_POSTFIX:
	case TP_OP_NOT_POSTFIX:
	case TP_OP_SUBSTRING:
	case TP_OP_SUBSTRING_IGNCASE:
		return tc == TC_STRING || tc == TC_FILE || tc == TC_SOCKADDR_UN;
	case TP_OP_GT:
	case TP_OP_LT:
	case TP_OP_MASK:
		return tc == TC_INT || tc == TC_CAPS;
	case TP_OP_IN_RANGE:
	case TP_OP_NOT_IN_RANGE:
	case TP_OP_IN_MAP:
	case TP_OP_NOT_IN_MAP:
		return tc == TC_INT;
	case TP_OP_SPORT:
	case TP_OP_NOT_SPORT:
	case TP_OP_DPORT:
	case TP_OP_NOT_DPORT:
	case TP_OP_PROTOCOL:
	case TP_OP_STATE:
		return tc == TC_NET && !(t == TP_ARG_SOCKADDR && (is_dest_op(op) || op == TP_OP_PROTOCOL ||
								    op == TP_OP_STATE));
	case TP_OP_FAMILY:
		return tc == TC_NET || tc == TC_SOCKADDR_UN;
	case TP_OP_SADDR:
	case TP_OP_NOT_SADDR:
	case TP_OP_DADDR:
	case TP_OP_NOT_DADDR:
	case TP_OP_SPORT_PRIV:
	case TP_OP_NOT_SPORT_PRIV:
	case TP_OP_DPORT_PRIV:
	case TP_OP_NOT_DPORT_PRIV:
		return tc == TC_NET && !(t == TP_ARG_SOCKADDR && is_dest_op(op));
	case TP_OP_FILE_TYPE:
	case TP_OP_NOT_FILE_TYPE:
		return t == TP_ARG_FILE || t == TP_ARG_PATH;
	case TP_OP_CAPABILITIES_GAINED:
		return tc == TC_CAPS;
	case TP_OP_CEL_EXPR:
		return true;
	default:
		return false;
	}
}

static const char *const arg_filter_fields[] = { "index", "args", "operator", "values" };

/* Which argument a filter reads; sets f->slot/f->type. Reports hook-dependent errors. */
static void resolve_filter_arg(struct pctx *c, const struct ydom_node *n, struct tp_arg_filter *f, enum argrole role,
			       struct hookctx *hc)
{
	struct tp_hook *h = hc->hook;
	const struct tp_arg *sig;
	size_t nsig, i;
	const struct ydom_node *in = field(n, "index"), *an = field(n, "args");

	f->slot = -1;
	f->type = TP_ARG_AUTO;
	if (role == ROLE_ARG) {
		sig = h->args;
		nsig = h->nargs;
	} else if (role == ROLE_DATA) {
		sig = h->data;
		nsig = h->ndata;
	} else {
		sig = h->return_arg;
		nsig = h->return_arg ? 1 : 0;
	}
	if (f->op == TP_OP_CEL_EXPR)
		return;	/* reads every argument by name (arg0, arg1...) */

	if (f->nargs) {
		for (i = 0; i < f->nargs; i++) {
			if (f->args[i] < nsig)
				continue;
			{
				size_t mark = path_key(c, "args"), m2 = path_idx(c, i);

				perr_ctx(c, an && an->kind == YDOM_SEQ && i < an->nitems ? an->items[i] : n,
					 "args entry %u is out of range: the hook has %zu %s", f->args[i], nsig,
					 role == ROLE_DATA ? "data entries" : "arguments");
				path_pop(c, m2);
				path_pop(c, mark);
			}
			return;
		}
		f->slot = (int)f->args[0];
	} else if (role == ROLE_DATA) {
		if (f->index >= nsig) {
			size_t mark = path_key(c, "index");

			perr_ctx(c, in ? in : n, "index %u is out of range: the hook has %zu data entries", f->index,
				 nsig);
			path_pop(c, mark);
			return;
		}
		f->slot = (int)f->index;
	} else if (role == ROLE_RETURN && !nsig) {
		return;	/* reported on the hook or the selector already */
	} else {
		for (i = 0; i < nsig; i++)
			if (sig[i].index == f->index)
				break;
		/* tracepoint filters may also name the argument by its position in args */
		if (i == nsig && h->kind == TP_HOOK_TRACEPOINT && f->index < nsig)
			i = f->index;
		if (i == nsig) {
			struct strbuf sb = STRBUF_INIT;
			size_t mark = path_key(c, "index");

			for (i = 0; i < nsig; i++)
				strbuf_addf(&sb, "%s%u", i ? ", " : "", sig[i].index);
			if (role == ROLE_RETURN)
				perr_ctx(c, in ? in : n, "index %u does not match the returnArg index %s", f->index,
					 sb.buf ? sb.buf : "");
			else if (!nsig)
				perr_ctx(c, in ? in : n, "index %u does not match any argument: the hook has no args",
					 f->index);
			else
				perr_ctx(c, in ? in : n, "index %u does not match any argument (args[].index: %s)",
					 f->index, sb.buf ? sb.buf : "");
			strbuf_free(&sb);
			path_pop(c, mark);
			return;
		}
		f->slot = (int)i;
	}
	/* BTF decides the type of resolved arguments at load time */
	if (!sig[f->slot].resolve)
		f->type = sig[f->slot].type;
}

static void parse_arg_filter(struct pctx *c, const struct ydom_node *n, enum argrole role, struct hookctx *hc,
			     struct tp_arg_filter *f, bool *ok)
{
	const struct ydom_node *vn, *on = field(n, "operator");
	uint64_t *args64 = NULL;
	size_t i, nargs64 = 0, mark;
	int op = -1;
	enum tclass tc;
	const char *opname;

	*ok = false;
	if (!CHECK_FIELDS(c, n, arg_filter_fields))
		return;
	set_pos(&f->pos, n);
	f->slot = -1;
	if (get_enum(c, n, "operator", tp_arg_op_map, false, "operator", F_REQUIRED, &op) <= 0)
		return;
	f->op = (enum tp_op)op;
	opname = on->str;	/* messages use the spelling the user wrote */
	if (get_u32(c, n, "index", &f->index) < 0)
		return;
	if (field(n, "args")) {
		if (!get_u64_list(c, n, "args", 32, &args64, &nargs64))
			return;
		f->args = xalloc(c, nargs64, sizeof(*f->args));
		if (!f->args)
			return;
		for (i = 0; i < nargs64; i++)
			f->args[i] = (uint32_t)args64[i];
		f->nargs = nargs64;
	}

	/* values: operator-intrinsic syntax first */
	*ok = true;
	vn = field(n, "values");
	mark = path_key(c, "values");
	if (vn && want_seq(c, vn)) {
		f->values = xalloc(c, vn->nitems, sizeof(*f->values));
		f->value_items = xalloc(c, vn->nitems, sizeof(*f->value_items));
		for (i = 0; f->values && f->value_items && i < vn->nitems; i++) {
			const struct ydom_node *e = vn->items[i];
			struct tp_value *v = &f->values[f->nvalues];
			size_t m2 = path_idx(c, i);

			f->value_items[f->nvalues] = i;
			if (e->kind != YDOM_SCALAR) {
				perr(c, e, "expected a string, got %s", ydom_kind_name(e));
				*ok = false;
			} else {
				set_pos(&v->pos, e);
				v->str = xmemdup(c, e->str, e->len);
				v->len = e->len;
				if (!v->str || !value_intrinsic(c, f->op, e, v))
					*ok = false;
				else
					f->nvalues++;
			}
			path_pop(c, m2);
		}
	} else if (vn) {
		*ok = false;
	}
	path_pop(c, mark);

	/* operator-intrinsic counts */
	switch (f->op) {
	case TP_OP_GT:
	case TP_OP_LT:
	case TP_OP_MASK:
	case TP_OP_IN_RANGE:
	case TP_OP_NOT_IN_RANGE:
	case TP_OP_FILE_TYPE:
	case TP_OP_NOT_FILE_TYPE:
		if (vn && vn->kind == YDOM_SEQ && vn->nitems > TP_MAX_MATCH_VALUES) {
			mark = path_key(c, "values");
			perr(c, vn, "%s supports at most %d values, got %zu (use InMap/NotInMap for larger sets)",
			     opname, TP_MAX_MATCH_VALUES, vn->nitems);
			path_pop(c, mark);
			*ok = false;
		}
		break;
	case TP_OP_CEL_EXPR:
		if (!vn || vn->kind != YDOM_SEQ || vn->nitems != 1) {
			perr(c, vn ? vn : n, "CelExpr takes exactly one value (the expression)");
			*ok = false;
		}
		break;
	case TP_OP_CAPABILITIES_GAINED:
		if (f->nargs != 2) {
			perr(c, field(n, "args") ? field(n, "args") : n,
			     "CapabilitiesGained needs args with exactly two entries: the new and the old capabilities");
			*ok = false;
		}
		break;
	default:
		break;
	}
	if (!vn && f->op != TP_OP_CAPABILITIES_GAINED && !is_priv_op(f->op) && f->op != TP_OP_CEL_EXPR) {
		perr(c, n, "operator %s needs values", opname);
		*ok = false;
	}
	if (vn && vn->kind == YDOM_SEQ && vn->nitems && (is_priv_op(f->op) || f->op == TP_OP_CAPABILITIES_GAINED)) {
		mark = path_key(c, "values");
		pwarn(c, vn, "operator %s takes no values; they are ignored", opname);
		path_pop(c, mark);
	}

	if (!hc)
		return;	/* a macro on its own: the argument type is not known */

	resolve_filter_arg(c, n, f, role, hc);
	if (f->op == TP_OP_CEL_EXPR || f->slot < 0) {
		if (f->slot < 0 && f->op != TP_OP_CEL_EXPR)
			*ok = false;
		return;
	}
	if (f->op == TP_OP_CAPABILITIES_GAINED && f->nargs == 2) {
		const struct tp_arg *sig = role == ROLE_DATA ? hc->hook->data
					   : role == ROLE_ARG ? hc->hook->args
							      : hc->hook->return_arg;
		size_t nsig = role == ROLE_DATA ? hc->hook->ndata
			      : role == ROLE_ARG ? hc->hook->nargs
						 : !!hc->hook->return_arg;

		for (i = 0; i < 2; i++) {
			if (f->args[i] < nsig && !sig[f->args[i]].resolve &&
			    type_class(sig[f->args[i]].type) != TC_CAPS) {
				perr_ctx(c, field(n, "args"), "CapabilitiesGained needs two capability arguments "
							     "(kernel_cap_t, cap_inheritable, cap_permitted or cap_effective), "
							     "but argument %u is %s",
					 f->args[i], tp_arg_type_name(sig[f->args[i]].type));
				*ok = false;
				return;
			}
		}
		return;
	}
	tc = type_class(f->type);
	if (tc == TC_UNKNOWN)
		return;
	if (!op_supported(f->op, f->type)) {
		mark = path_key(c, "operator");
		if (f->type == TP_ARG_SOCKADDR && type_class(f->type) == TC_NET)
			perr_ctx(c, on, "operator %s is not supported for argument type sockaddr (it supports "
					"SAddr, SPort, SPortPriv, their Not variants and Family)", opname);
		else if (f->type == TP_ARG_SOCKADDR_UN)
			perr_ctx(c, on, "operator %s is not supported for argument type sockaddr_un (it supports "
					"Equal, NotEqual, Prefix, NotPrefix, Postfix, NotPostfix, SubString and Family)",
				 opname);
		else
			perr_ctx(c, on, "operator %s is not supported for argument type %s", opname,
				 tp_arg_type_name(f->type));
		path_pop(c, mark);
		*ok = false;
		return;
	}

	/* type-dependent values */
	if (!vn || vn->kind != YDOM_SEQ || !f->values || !f->value_items)
		return;
	mark = path_key(c, "values");
	if ((f->op == TP_OP_EQUAL || f->op == TP_OP_NOT_EQUAL) && (tc == TC_INT || tc == TC_CAPS) &&
	    vn->nitems > TP_MAX_MATCH_VALUES) {
		perr_ctx(c, vn, "%s on %s arguments supports at most %d values, got %zu (use InMap/NotInMap for "
				"larger sets)", opname, tp_arg_type_name(f->type), TP_MAX_MATCH_VALUES,
			 vn->nitems);
		*ok = false;
	}
	for (i = 0; i < f->nvalues; i++) {
		struct tp_value *v = &f->values[i];
		const struct ydom_node *e = vn->items[f->value_items[i]];
		size_t m2 = path_idx(c, f->value_items[i]);

		switch (f->op) {
		case TP_OP_EQUAL:
		case TP_OP_NOT_EQUAL:
			if (tc == TC_INT || tc == TC_CAPS) {
				if (!value_number(c, e, f->type, v))
					*ok = false;
			} else {
				size_t blen = v->len;

				/* upstream drops trailing NULs from "string" values ("foo\0") */
				if (f->type == TP_ARG_STRING)
					while (blen && !v->str[blen - 1])
						blen--;
				if (blen > TP_MAX_STRING_MATCH_LEN) {
					perr(c, e, "string value is %zu bytes long, at most %d are supported", blen,
					     TP_MAX_STRING_MATCH_LEN);
					*ok = false;
				}
				v->kind = TP_VAL_STRING;
				v->u.bytes.s = v->str;
				v->u.bytes.len = blen;
			}
			break;
		case TP_OP_GT:
		case TP_OP_LT:
		case TP_OP_MASK:
			if (!value_number(c, e, f->type, v))
				*ok = false;
			break;
		case TP_OP_POSTFIX:
		case TP_OP_NOT_POSTFIX: {
			size_t blen = v->len;

			if (f->type != TP_ARG_CHAR_BUF)
				while (blen && !v->str[blen - 1])
					blen--;
			if (blen > TP_MAX_POSTFIX_LEN) {
				perr(c, e, "postfix value is %zu bytes long, at most %d are supported", blen,
				     TP_MAX_POSTFIX_LEN);
				*ok = false;
			}
			v->kind = TP_VAL_STRING;
			v->u.bytes.s = v->str;
			v->u.bytes.len = blen;
			break;
		}
		case TP_OP_PREFIX:
		case TP_OP_NOT_PREFIX:
		case TP_OP_SUBSTRING:
		case TP_OP_SUBSTRING_IGNCASE:
			v->kind = TP_VAL_STRING;
			v->u.bytes.s = v->str;
			v->u.bytes.len = v->len;
			break;
		case TP_OP_IN_RANGE:
		case TP_OP_NOT_IN_RANGE:
			if (!is_64bit_type(f->type) &&
			    (v->u.irange.lo > (int64_t)UINT32_MAX || v->u.irange.hi > (int64_t)UINT32_MAX)) {
				perr_ctx(c, e, "range %s exceeds %u, the largest value of a 32-bit argument (%s)",
					 quote(c, e), UINT32_MAX, tp_arg_type_name(f->type));
				*ok = false;
			}
			break;
		case TP_OP_IN_MAP:
		case TP_OP_NOT_IN_MAP:
			if (!value_in_map(c, e, f->type, v))
				*ok = false;
			break;
		default:
			break;
		}
		path_pop(c, m2);
	}
	path_pop(c, mark);

	if (f->op == TP_OP_SUBSTRING || f->op == TP_OP_SUBSTRING_IGNCASE) {
		hc->nsubstrings += f->nvalues;
		if (hc->nsubstrings > TP_MAX_SUBSTRINGS && hc->nsubstrings - f->nvalues <= TP_MAX_SUBSTRINGS) {
			mark = path_key(c, "values");
			perr_ctx(c, vn, "more than %d SubString/SubStringIgnCase values in one hook", TP_MAX_SUBSTRINGS);
			path_pop(c, mark);
			*ok = false;
		}
	}
}

static void parse_arg_filters(struct pctx *c, const struct ydom_node *v, enum argrole role, struct hookctx *hc,
			      struct tp_arg_filter **out, size_t *nout)
{
	size_t i;

	if (!want_seq(c, v))
		return;
	*out = xalloc(c, v->nitems, sizeof(**out));
	if (!*out)
		return;
	for (i = 0; i < v->nitems; i++) {
		size_t mark = path_idx(c, i);
		bool ok;

		parse_arg_filter(c, v->items[i], role, hc, &(*out)[*nout], &ok);
		if (ok)
			(*nout)++;
		else
			memset(&(*out)[*nout], 0, sizeof(**out));
		path_pop(c, mark);
	}
}

/* ---- actions ---------------------------------------------------------------- */

static const char *const action_fields[] = {
	"action", "argUrl", "argFqdn", "argError", "argSig", "argSock", "argIndex", "argValue", "argRegs",
	"argNewSymbol", "argNewAddr", "argNewOffset", "rateLimit", "rateLimitScope", "kernelStackTrace",
	"userStackTrace", "imaHash",
};

/* Parameters each action reads; anything else is ignored upstream. */
static unsigned action_params(enum tp_action_type a)
{
	switch (a) {
	case TP_ACTION_POST:
		return TP_AP_RATE_LIMIT | TP_AP_RATE_LIMIT_SCOPE | TP_AP_KERNEL_STACK_TRACE | TP_AP_USER_STACK_TRACE |
		       TP_AP_IMA_HASH;
	case TP_ACTION_OVERRIDE:
		return TP_AP_ARG_ERROR | TP_AP_ARG_REGS | TP_AP_ARG_NEW_SYMBOL | TP_AP_ARG_NEW_ADDR |
		       TP_AP_ARG_NEW_OFFSET;
	case TP_ACTION_GETURL:
		return TP_AP_ARG_URL;
	case TP_ACTION_DNSLOOKUP:
		return TP_AP_ARG_FQDN;
	case TP_ACTION_SIGNAL:
		return TP_AP_ARG_SIG;
	case TP_ACTION_TRACKSOCK:
	case TP_ACTION_UNTRACKSOCK:
		return TP_AP_ARG_SOCK;
	case TP_ACTION_NOTIFY_ENFORCER:
		return TP_AP_ARG_ERROR | TP_AP_ARG_SIG;
	case TP_ACTION_SET:
		return TP_AP_ARG_INDEX | TP_AP_ARG_VALUE;
	default:
		return 0;
	}
}

/* "5", "5s", "10m", "1h" -> milliseconds, saturating at 2^32-1 like upstream. */
static int parse_rate_limit(const char *s, uint32_t *ms)
{
	size_t n = strlen(s);
	uint64_t v, mult = 1;

	if (!n)
		return -EINVAL;
	switch (s[n - 1]) {
	case 's':
	case 'S':
		n--;
		break;
	case 'm':
	case 'M':
		mult = 60;
		n--;
		break;
	case 'h':
	case 'H':
		mult = 3600;
		n--;
		break;
	default:
		break;
	}
	if (!n || tp_parse_go_uint(s, n, 10, 32, &v))
		return -EINVAL;
	v = v * mult * 1000;
	*ms = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	return 0;
}

static bool is_enforcement(enum tp_action_type a)
{
	return a == TP_ACTION_SIGKILL || a == TP_ACTION_SIGNAL || a == TP_ACTION_NOTIFY_ENFORCER ||
	       a == TP_ACTION_OVERRIDE || a == TP_ACTION_SET;
}

static void parse_action(struct pctx *c, const struct ydom_node *n, struct hookctx *hc, struct tp_action *a, bool *ok)
{
	static const struct {
		const char *name;
		unsigned bit;
	} pnames[] = {
		{ "argUrl", TP_AP_ARG_URL }, { "argFqdn", TP_AP_ARG_FQDN }, { "argError", TP_AP_ARG_ERROR },
		{ "argSig", TP_AP_ARG_SIG }, { "argSock", TP_AP_ARG_SOCK }, { "argIndex", TP_AP_ARG_INDEX },
		{ "argValue", TP_AP_ARG_VALUE }, { "argRegs", TP_AP_ARG_REGS },
		{ "argNewSymbol", TP_AP_ARG_NEW_SYMBOL }, { "argNewAddr", TP_AP_ARG_NEW_ADDR },
		{ "argNewOffset", TP_AP_ARG_NEW_OFFSET }, { "rateLimit", TP_AP_RATE_LIMIT },
		{ "rateLimitScope", TP_AP_RATE_LIMIT_SCOPE }, { "kernelStackTrace", TP_AP_KERNEL_STACK_TRACE },
		{ "userStackTrace", TP_AP_USER_STACK_TRACE }, { "imaHash", TP_AP_IMA_HASH },
	};
	const struct ydom_node *an = field(n, "action");
	char *rate = NULL, *scope = NULL;
	int act = -1, rc = 0;
	unsigned extra;
	size_t i, mark;

	*ok = false;
	if (!CHECK_FIELDS(c, n, action_fields))
		return;
	set_pos(&a->pos, n);
	if (get_enum(c, n, "action", tp_action_map, true, "action", F_REQUIRED, &act) <= 0)
		return;
	a->type = (enum tp_action_type)act;
	*ok = true;

	for (i = 0; i < N(pnames); i++)
		if (field(n, pnames[i].name))
			a->params |= pnames[i].bit;
	if (get_str(c, n, "argUrl", 0, &a->arg_url) < 0 || get_str(c, n, "argFqdn", 0, &a->arg_fqdn) < 0 ||
	    get_i32(c, n, "argError", &a->arg_error) < 0 || get_u32(c, n, "argSig", &a->arg_sig) < 0 ||
	    get_u32(c, n, "argSock", &a->arg_sock) < 0 || get_u32(c, n, "argIndex", &a->arg_index) < 0 ||
	    get_u32(c, n, "argValue", &a->arg_value) < 0 || get_str(c, n, "argNewSymbol", 0, &a->arg_new_symbol) < 0 ||
	    get_u64(c, n, "argNewAddr", &a->arg_new_addr) < 0 || get_i64(c, n, "argNewOffset", &a->arg_new_offset) < 0 ||
	    get_str(c, n, "rateLimit", 0, &rate) < 0 || get_str(c, n, "rateLimitScope", 0, &scope) < 0 ||
	    get_bool(c, n, "kernelStackTrace", &a->kernel_stack_trace) < 0 ||
	    get_bool(c, n, "userStackTrace", &a->user_stack_trace) < 0 || get_bool(c, n, "imaHash", &a->ima_hash) < 0)
		*ok = false;
	if (field(n, "argRegs") && !get_str_list(c, n, "argRegs", F_NONEMPTY, &a->arg_regs, &a->narg_regs))
		*ok = false;
	for (i = 0; i < a->narg_regs; i++) {
		if (!strchr(a->arg_regs[i], '=')) {
			mark = path_key(c, "argRegs");
			perr(c, field(n, "argRegs"), "argRegs entry \"%s\" is not of the form register=value",
			     a->arg_regs[i]);
			path_pop(c, mark);
			*ok = false;
		}
	}

	/* rate limiting: Post only (upstream refuses it elsewhere) */
	if (rate && rate[0]) {
		mark = path_key(c, "rateLimit");
		if (a->type != TP_ACTION_POST) {
			perr(c, field(n, "rateLimit"), "rateLimit can only be used with the Post action");
			*ok = false;
		} else if (parse_rate_limit(rate, &a->rate_limit_ms)) {
			perr(c, field(n, "rateLimit"), "invalid rateLimit \"%s\" (want a number of seconds, optionally "
						       "followed by s, m or h)", rate);
			*ok = false;
		}
		path_pop(c, mark);
	}
	if (scope && scope[0]) {
		const struct ydom_node *sn = field(n, "rateLimitScope");
		int sc;

		mark = path_key(c, "rateLimitScope");
		sc = lookup(tp_rate_limit_scope_map, sn, false);
		if (sc < 0) {
			perr(c, sn, "unknown rateLimitScope \"%s\" (want one of thread, process, global)", scope);
			*ok = false;
		} else {
			a->rate_limit_scope = (enum tp_rate_limit_scope)sc;
			if (!rate || !rate[0])
				pwarn(c, sn, "rateLimitScope has no effect without rateLimit");
		}
		path_pop(c, mark);
	}
	if ((a->kernel_stack_trace || a->user_stack_trace) && a->type != TP_ACTION_POST) {
		perr(c, n, "kernelStackTrace and userStackTrace can only be used with the Post action");
		*ok = false;
	}
	if (!!(a->params & TP_AP_ARG_NEW_SYMBOL) + !!(a->params & TP_AP_ARG_NEW_ADDR) +
		    !!(a->params & TP_AP_ARG_NEW_OFFSET) > 1) {
		perr(c, n, "override action needs at most one of argNewSymbol, argNewAddr or argNewOffset");
		*ok = false;
	}

	/* required parameters */
	switch (a->type) {
	case TP_ACTION_GETURL:
		if (!a->arg_url || !a->arg_url[0]) {
			perr(c, n, "the GetUrl action needs argUrl");
			*ok = false;
		}
		break;
	case TP_ACTION_DNSLOOKUP:
		if (!a->arg_fqdn || !a->arg_fqdn[0]) {
			perr(c, n, "the DnsLookup action needs argFqdn");
			*ok = false;
		}
		break;
	case TP_ACTION_SIGNAL:
		if (!(a->params & TP_AP_ARG_SIG)) {
			perr(c, n, "the Signal action needs argSig");
			*ok = false;
		} else if (a->arg_sig < 1 || a->arg_sig > TP_MAX_SIGNAL) {
			mark = path_key(c, "argSig");
			perr(c, field(n, "argSig"), "signal %u out of range (1..%d)", a->arg_sig, TP_MAX_SIGNAL);
			path_pop(c, mark);
			*ok = false;
		}
		break;
	case TP_ACTION_NOTIFY_ENFORCER:
		if ((a->params & TP_AP_ARG_SIG) && a->arg_sig > TP_MAX_SIGNAL) {
			mark = path_key(c, "argSig");
			perr(c, field(n, "argSig"), "signal %u out of range (0..%d)", a->arg_sig, TP_MAX_SIGNAL);
			path_pop(c, mark);
			*ok = false;
		}
		if (!c->has_enforcers) {
			size_t m2 = path_key(c, "action");

			perr(c, an, "the NotifyEnforcer action needs spec.enforcers");
			path_pop(c, m2);
			*ok = false;
		}
		break;
	default:
		break;
	}

	/* parameters this action does not read */
	extra = a->params & ~action_params(a->type);
	for (i = 0; extra && i < N(pnames); i++) {
		if (!(extra & pnames[i].bit))
			continue;
		/* these two are hard errors above */
		if (pnames[i].bit == TP_AP_RATE_LIMIT && rate && rate[0])
			continue;
		if ((pnames[i].bit == TP_AP_KERNEL_STACK_TRACE && a->kernel_stack_trace) ||
		    (pnames[i].bit == TP_AP_USER_STACK_TRACE && a->user_stack_trace))
			continue;
		mark = path_key(c, pnames[i].name);
		pwarn(c, field(n, pnames[i].name), "%s is ignored by the %s action", pnames[i].name,
		      tp_action_name(a->type));
		path_pop(c, mark);
	}

	if (!hc)
		return;

	/* what each hook kind can do */
	mark = path_key(c, "action");
	switch (hc->hook->kind) {
	case TP_HOOK_LSM:
		if (a->type != TP_ACTION_POST && a->type != TP_ACTION_SIGKILL && a->type != TP_ACTION_SIGNAL &&
		    a->type != TP_ACTION_NOPOST && a->type != TP_ACTION_OVERRIDE) {
			perr_ctx(c, an, "the %s action is not supported on lsmhooks (supported: Post, NoPost, Sigkill, "
					"Signal, Override)", tp_action_name(a->type));
			rc = -1;
		} else if (a->kernel_stack_trace || a->user_stack_trace) {
			perr_ctx(c, an, "stack traces are not supported on lsmhooks");
			rc = -1;
		}
		break;
	case TP_HOOK_UPROBE:
	case TP_HOOK_USDT:
		if (a->type == TP_ACTION_GETURL || a->type == TP_ACTION_DNSLOOKUP) {
			perr_ctx(c, an, "the %s action is not supported on %s", tp_action_name(a->type),
				 tp_hook_kind_name(hc->hook->kind));
			rc = -1;
		}
		break;
	case TP_HOOK_FENTRY:
		if (is_enforcement(a->type)) {
			perr_ctx(c, an, "enforcement actions (%s) are not supported on fentries",
				 tp_action_name(a->type));
			rc = -1;
		}
		break;
	case TP_HOOK_KPROBE:
		if (a->type == TP_ACTION_OVERRIDE && !hc->hook->syscall && hc->hook->call_list < 0 &&
		    hc->hook->call && strncmp(hc->hook->call, "security_", 9)) {
			perr_ctx(c, an, "the Override action can only be used on syscalls (syscall: true) and "
					"security_ functions, not on \"%s\"", hc->hook->call);
			rc = -1;
		}
		break;
	default:
		break;
	}
	path_pop(c, mark);
	if (a->type == TP_ACTION_SET) {
		if (hc->hook->kind != TP_HOOK_USDT) {
			mark = path_key(c, "action");
			perr_ctx(c, an, "the Set action is only supported on usdts");
			path_pop(c, mark);
			rc = -1;
		} else if (a->arg_index >= hc->hook->nargs) {
			const struct ydom_node *in = field(n, "argIndex");

			mark = in ? path_key(c, "argIndex") : c->path.len;
			perr_ctx(c, in ? in : n, "argIndex %u is out of range: the usdt has %zu args", a->arg_index,
				 hc->hook->nargs);
			path_pop(c, mark);
			rc = -1;
		}
	}
	if (hc->hook->kind != TP_HOOK_UPROBE && a->type == TP_ACTION_OVERRIDE &&
	    (a->params & (TP_AP_ARG_REGS | TP_AP_ARG_NEW_SYMBOL | TP_AP_ARG_NEW_ADDR | TP_AP_ARG_NEW_OFFSET)))
		pwarn(c, n, "argRegs, argNewSymbol, argNewAddr and argNewOffset only apply to uprobes; they are "
			    "ignored here");
	if (rc)
		*ok = false;
}

static void parse_actions(struct pctx *c, const struct ydom_node *v, struct hookctx *hc, struct tp_action **out,
			  size_t *nout)
{
	size_t i;

	if (!want_seq(c, v))
		return;
	if (v->nitems > TP_MAX_ACTIONS)
		perr(c, v, "at most %d actions per selector are supported, got %zu", TP_MAX_ACTIONS, v->nitems);
	*out = xalloc(c, v->nitems, sizeof(**out));
	if (!*out)
		return;
	for (i = 0; i < v->nitems; i++) {
		size_t mark = path_idx(c, i);
		bool ok;

		parse_action(c, v->items[i], hc, &(*out)[*nout], &ok);
		if (ok)
			(*nout)++;
		else
			memset(&(*out)[*nout], 0, sizeof(**out));
		path_pop(c, mark);
	}
}

/* ---- process filters -------------------------------------------------------- */

static const char *const pid_fields[] = { "operator", "values", "isNamespacePID", "followForks" };
static const char *const binary_fields[] = { "operator", "values", "followChildren" };
static const char *const ns_fields[] = { "namespace", "operator", "values" };
static const char *const ns_change_fields[] = { "operator", "values" };
static const char *const caps_fields[] = { "type", "operator", "isNamespaceCapability", "values" };

static void parse_pids(struct pctx *c, const struct ydom_node *v, struct tp_selector *s)
{
	size_t i;

	if (!want_seq(c, v) || !(s->pids = xalloc(c, v->nitems, sizeof(*s->pids))))
		return;
	for (i = 0; i < v->nitems; i++) {
		const struct ydom_node *e = v->items[i], *vals;
		struct tp_pid_filter *p = &s->pids[s->npids];
		size_t mark = path_idx(c, i), j;
		uint64_t *u = NULL;
		int op = -1;
		bool ok = true;

		if (!CHECK_FIELDS(c, e, pid_fields)) {
			path_pop(c, mark);
			continue;
		}
		set_pos(&p->pos, e);
		if (get_enum(c, e, "operator", tp_in_op_map, false, "operator", F_REQUIRED, &op) <= 0)
			ok = false;
		p->op = (enum tp_op)op;
		if (get_bool(c, e, "isNamespacePID", &p->is_namespace_pid) < 0 ||
		    get_bool(c, e, "followForks", &p->follow_forks) < 0)
			ok = false;
		vals = field(e, "values");
		if (!vals) {
			missing(c, e, "values");
			ok = false;
		} else if (get_u64_list(c, e, "values", 32, &u, &p->nvalues)) {
			size_t m2 = path_key(c, "values");

			if (p->nvalues != vals->nitems)
				ok = false;
			if (!vals->nitems) {
				perr(c, vals, "matchPIDs needs at least one PID");
				ok = false;
			} else if (vals->nitems > TP_MAX_PID_VALUES) {
				perr(c, vals, "at most %d PIDs per matchPIDs entry are supported, got %zu",
				     TP_MAX_PID_VALUES, vals->nitems);
				ok = false;
			}
			path_pop(c, m2);
			p->values = xalloc(c, p->nvalues, sizeof(*p->values));
			for (j = 0; p->values && j < p->nvalues; j++)
				p->values[j] = (uint32_t)u[j];
		} else {
			ok = false;
		}
		if (ok)
			s->npids++;
		else
			memset(p, 0, sizeof(*p));
		path_pop(c, mark);
	}
}

static void parse_binaries(struct pctx *c, const struct ydom_node *v, struct tp_binary_filter **out, size_t *nout,
			   const char *what)
{
	size_t i;

	if (!want_seq(c, v))
		return;
	if (v->nitems > TP_MAX_MATCH_BINARIES)
		perr(c, v, "only %d %s entry per selector is supported, got %zu", TP_MAX_MATCH_BINARIES, what,
		     v->nitems);
	if (!(*out = xalloc(c, v->nitems, sizeof(**out))))
		return;
	for (i = 0; i < v->nitems; i++) {
		const struct ydom_node *e = v->items[i], *vals;
		struct tp_binary_filter *b = &(*out)[*nout];
		size_t mark = path_idx(c, i), j;
		int op = -1;
		bool ok = true;

		if (!CHECK_FIELDS(c, e, binary_fields)) {
			path_pop(c, mark);
			continue;
		}
		set_pos(&b->pos, e);
		if (get_enum(c, e, "operator", tp_binary_op_map, false, "operator", F_REQUIRED, &op) <= 0)
			ok = false;
		b->op = (enum tp_op)op;
		if (get_bool(c, e, "followChildren", &b->follow_children) < 0)
			ok = false;
		vals = get_str_list(c, e, "values", F_REQUIRED | F_NONEMPTY, &b->values, &b->nvalues);
		if (!vals || b->nvalues != vals->nitems)
			ok = false;
		if (b->follow_children && op >= 0 && op != TP_OP_IN && op != TP_OP_NOT_IN) {
			size_t m2 = path_key(c, "followChildren");

			perr(c, field(e, "followChildren"), "followChildren only works with the In and NotIn operators");
			path_pop(c, m2);
			ok = false;
		}
		if (b->follow_children)
			c->nfollow_children++;
		for (j = 0; vals && op >= 0 && j < b->nvalues; j++) {
			size_t len = strlen(b->values[j]), m2;
			size_t max = op == TP_OP_PREFIX || op == TP_OP_NOT_PREFIX	  ? TP_MAX_PREFIX_LEN
				     : op == TP_OP_POSTFIX || op == TP_OP_NOT_POSTFIX ? TP_MAX_POSTFIX_LEN
										      : TP_MAX_BINARY_PATH;

			if (len <= max)
				continue;
			m2 = path_key(c, "values");
			path_idx(c, j);
			perr(c, vals->items[j], "value is %zu bytes long, at most %zu are supported for %s", len, max,
			     tp_op_name((enum tp_op)op));
			path_pop(c, m2);
			ok = false;
		}
		if (ok)
			(*nout)++;
		else
			memset(b, 0, sizeof(*b));
		path_pop(c, mark);
	}
}

static void parse_namespaces(struct pctx *c, const struct ydom_node *v, struct tp_selector *s)
{
	size_t i;

	if (!want_seq(c, v))
		return;
	if (v->nitems > TP_MAX_NS_FILTERS)
		perr(c, v, "at most %d matchNamespaces entries per selector are supported, got %zu", TP_MAX_NS_FILTERS,
		     v->nitems);
	if (!(s->namespaces = xalloc(c, v->nitems, sizeof(*s->namespaces))))
		return;
	for (i = 0; i < v->nitems; i++) {
		const struct ydom_node *e = v->items[i], *vals;
		struct tp_ns_filter *f = &s->namespaces[s->nnamespaces];
		size_t mark = path_idx(c, i), j, nv;
		char **strs = NULL;
		int ns = -1, op = -1;
		bool ok = true;

		if (!CHECK_FIELDS(c, e, ns_fields)) {
			path_pop(c, mark);
			continue;
		}
		set_pos(&f->pos, e);
		if (get_enum(c, e, "namespace", tp_ns_map, true, "namespace", F_REQUIRED, &ns) <= 0)
			ok = false;
		if (get_enum(c, e, "operator", tp_in_op_map, false, "operator", F_REQUIRED, &op) <= 0)
			ok = false;
		f->ns = (enum tp_ns_type)ns;
		f->op = (enum tp_op)op;
		vals = get_str_list(c, e, "values", F_REQUIRED, &strs, &nv);
		if (!vals || nv != vals->nitems)
			ok = false;
		if (vals) {
			size_t m2 = path_key(c, "values");

			if (vals->nitems > TP_MAX_NS_VALUES) {
				perr(c, vals, "at most %d values per matchNamespaces entry are supported, got %zu",
				     TP_MAX_NS_VALUES, vals->nitems);
				ok = false;
			}
			f->values = xalloc(c, nv, sizeof(*f->values));
			for (j = 0; f->values && j < nv; j++) {
				uint64_t inum;

				if (!strcmp(strs[j], "host_ns")) {
					f->values[j].host_ns = true;
				} else if (!tp_parse_go_uint(strs[j], strlen(strs[j]), 10, 32, &inum)) {
					f->values[j].inum = (uint32_t)inum;
				} else {
					size_t m3 = path_idx(c, j);

					perr(c, vals->items[j], "namespace value %s must be an inode number or \"host_ns\"",
					     quote(c, vals->items[j]));
					path_pop(c, m3);
					ok = false;
				}
			}
			f->nvalues = nv;
			path_pop(c, m2);
		}
		if (ok)
			s->nnamespaces++;
		else
			memset(f, 0, sizeof(*f));
		path_pop(c, mark);
	}
}

static void parse_ns_changes(struct pctx *c, const struct ydom_node *v, struct tp_selector *s)
{
	size_t i;

	if (!want_seq(c, v))
		return;
	if (v->nitems > TP_MAX_NS_CHANGES)
		perr(c, v, "only %d matchNamespaceChanges entry per selector is supported, got %zu", TP_MAX_NS_CHANGES,
		     v->nitems);
	if (!(s->ns_changes = xalloc(c, v->nitems, sizeof(*s->ns_changes))))
		return;
	for (i = 0; i < v->nitems; i++) {
		const struct ydom_node *e = v->items[i], *vals;
		struct tp_ns_change_filter *f = &s->ns_changes[s->nns_changes];
		size_t mark = path_idx(c, i), j;
		int op = -1;
		bool ok = true;

		if (!CHECK_FIELDS(c, e, ns_change_fields)) {
			path_pop(c, mark);
			continue;
		}
		set_pos(&f->pos, e);
		if (get_enum(c, e, "operator", tp_in_op_map, false, "operator", F_REQUIRED, &op) <= 0)
			ok = false;
		f->op = (enum tp_op)op;
		vals = field(e, "values");
		if (!vals) {
			missing(c, e, "values");
			ok = false;
		} else {
			size_t m2 = path_key(c, "values");

			if (want_seq(c, vals)) {
				for (j = 0; j < vals->nitems; j++) {
					int ns = lookup(tp_ns_map, vals->items[j], true);

					if (ns < 0) {
						struct strbuf sb = STRBUF_INIT;
						size_t m3 = path_idx(c, j);

						list_names(&sb, tp_ns_map);
						perr(c, vals->items[j], "unknown namespace %s (want one of %s)",
						     quote(c, vals->items[j]), sb.buf ? sb.buf : "");
						strbuf_free(&sb);
						path_pop(c, m3);
						ok = false;
					} else {
						f->ns_mask |= 1u << ns;
					}
				}
			} else {
				ok = false;
			}
			path_pop(c, m2);
		}
		if (ok)
			s->nns_changes++;
		else
			memset(f, 0, sizeof(*f));
		path_pop(c, mark);
	}
}

static void parse_caps(struct pctx *c, const struct ydom_node *v, struct tp_caps_filter **out, size_t *nout)
{
	size_t i;

	if (!want_seq(c, v) || !(*out = xalloc(c, v->nitems, sizeof(**out))))
		return;
	for (i = 0; i < v->nitems; i++) {
		const struct ydom_node *e = v->items[i], *vals;
		struct tp_caps_filter *f = &(*out)[*nout];
		size_t mark = path_idx(c, i), j;
		int op = -1, type = TP_CAPS_EFFECTIVE;
		bool ok = true;

		if (!CHECK_FIELDS(c, e, caps_fields)) {
			path_pop(c, mark);
			continue;
		}
		set_pos(&f->pos, e);
		if (get_enum(c, e, "type", tp_cap_set_map, true, "capability set", 0, &type) < 0)
			ok = false;
		if (get_enum(c, e, "operator", tp_in_op_map, false, "operator", F_REQUIRED, &op) <= 0)
			ok = false;
		f->type = (enum tp_cap_set)type;
		f->op = (enum tp_op)op;
		if (get_bool(c, e, "isNamespaceCapability", &f->is_namespace_capability) < 0)
			ok = false;
		vals = field(e, "values");
		if (!vals) {
			missing(c, e, "values");
			ok = false;
		} else {
			size_t m2 = path_key(c, "values");

			if (want_seq(c, vals)) {
				for (j = 0; j < vals->nitems; j++) {
					const struct ydom_node *cv = vals->items[j];
					uint64_t m;
					char bad[80];

					if (cv->kind != YDOM_SCALAR || memchr(cv->str, '\0', cv->len) ||
					    memchr(cv->str, ',', cv->len) ||
					    parse_caps_names(cv->str, cv->len, &m, bad, sizeof(bad))) {
						size_t m3 = path_idx(c, j);

						perr(c, cv, "unknown capability %s (want a name like CAP_SYS_ADMIN)",
						     quote(c, cv));
						path_pop(c, m3);
						ok = false;
					} else {
						f->mask |= m;
					}
				}
			} else {
				ok = false;
			}
			path_pop(c, m2);
		}
		if (ok)
			(*nout)++;
		else
			memset(f, 0, sizeof(*f));
		path_pop(c, mark);
	}
}

static const char *const workloads_fields[] = { "podSelector", "containerSelector", "hostSelector" };

static void parse_workloads(struct pctx *c, const struct ydom_node *v, struct tp_selector *s)
{
	struct tp_workloads *w;

	if (!CHECK_FIELDS(c, v, workloads_fields) || !(w = xalloc(c, 1, sizeof(*w))))
		return;
	set_pos(&w->pos, v);
	w->pod = get_label_selector(c, v, "podSelector");
	w->container = get_label_selector(c, v, "containerSelector");
	w->host = get_host_selector(c, v);
	s->workloads = w;
}

/* ---- selectors -------------------------------------------------------------- */

enum sel_field_id {
	SF_PIDS,
	SF_ARGS,
	SF_DATA,
	SF_ACTIONS,
	SF_RETURN_ARGS,
	SF_RETURN_ACTIONS,
	SF_BINARIES,
	SF_PARENT_BINARIES,
	SF_NAMESPACES,
	SF_NS_CHANGES,
	SF_CAPS,
	SF_CAP_CHANGES,
	SF_WORKLOADS,
	SF__COUNT,
};

static const char *const sel_field_names[SF__COUNT] = {
	"matchPIDs", "matchArgs", "matchData", "matchActions", "matchReturnArgs", "matchReturnActions",
	"matchBinaries", "matchParentBinaries", "matchNamespaces", "matchNamespaceChanges", "matchCapabilities",
	"matchCapabilityChanges", "matchWorkloads",
};

static const char *const selector_fields[] = {
	"label", "macros", "matchPIDs", "matchArgs", "matchData", "matchActions", "matchReturnArgs",
	"matchReturnActions", "matchBinaries", "matchParentBinaries", "matchNamespaces", "matchNamespaceChanges",
	"matchCapabilities", "matchCapabilityChanges", "matchWorkloads",
};

static void parse_sel_field(struct pctx *c, enum sel_field_id id, const struct ydom_node *v, struct tp_selector *s,
			    struct hookctx *hc)
{
	switch (id) {
	case SF_PIDS:
		parse_pids(c, v, s);
		break;
	case SF_ARGS:
		parse_arg_filters(c, v, ROLE_ARG, hc, &s->args, &s->nargs);
		break;
	case SF_DATA:
		parse_arg_filters(c, v, ROLE_DATA, hc, &s->data, &s->ndata);
		break;
	case SF_ACTIONS:
		parse_actions(c, v, hc, &s->actions, &s->nactions);
		break;
	case SF_RETURN_ARGS:
		parse_arg_filters(c, v, ROLE_RETURN, hc, &s->return_args, &s->nreturn_args);
		break;
	case SF_RETURN_ACTIONS:
		parse_actions(c, v, hc, &s->return_actions, &s->nreturn_actions);
		break;
	case SF_BINARIES:
		parse_binaries(c, v, &s->binaries, &s->nbinaries, "matchBinaries");
		break;
	case SF_PARENT_BINARIES:
		parse_binaries(c, v, &s->parent_binaries, &s->nparent_binaries, "matchParentBinaries");
		break;
	case SF_NAMESPACES:
		parse_namespaces(c, v, s);
		break;
	case SF_NS_CHANGES:
		parse_ns_changes(c, v, s);
		break;
	case SF_CAPS:
		parse_caps(c, v, &s->caps, &s->ncaps);
		break;
	case SF_CAP_CHANGES:
		parse_caps(c, v, &s->cap_changes, &s->ncap_changes);
		break;
	case SF_WORKLOADS:
		parse_workloads(c, v, s);
		break;
	default:
		break;
	}
}

static size_t count_nodes(const struct ydom_node *n)
{
	size_t i, total = 1;

	if (n->kind == YDOM_SEQ)
		for (i = 0; i < n->nitems; i++)
			total += count_nodes(n->items[i]);
	else if (n->kind == YDOM_MAP)
		for (i = 0; i < n->npairs; i++)
			total += count_nodes(n->pairs[i].key) + count_nodes(n->pairs[i].value);
	return total;
}

static int macro_cmp(const void *pa, const void *pb)
{
	const struct macro_def *a = pa, *b = pb;

	return name_cmp(a->key->str, a->key->len, b->key->str, b->key->len);
}

static const struct macro_def *find_macro(struct pctx *c, const struct ydom_node *name)
{
	size_t lo = 0, hi = c->nmacros;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ydom_node *k = c->macros[mid].key;
		int r = name_cmp(k->str, k->len, name->str, name->len);

		if (!r)
			return &c->macros[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Parse one selector. With hc == NULL this is a macro definition checked on
 * its own; with hc set, macros named in "macros" are expanded in place (as
 * upstream does before compiling), re-checking their filters against hook.
 */
static void parse_selector(struct pctx *c, const struct ydom_node *n, struct hookctx *hc, struct tp_selector *s)
{
	const char *from[SF__COUNT] = { 0 };	/* "" = the selector itself, else the macro name */
	const struct ydom_node *mv;
	unsigned char *seen = NULL;
	size_t i, j, mark, nfilters = 0;

	if (!CHECK_FIELDS(c, n, selector_fields))
		return;
	set_pos(&s->pos, n);
	get_str(c, n, "label", F_TEXT, &s->label);
	if (s->label && !s->label[0])
		s->label = NULL;

	for (i = 0; i < SF__COUNT; i++) {
		const struct ydom_node *v = field(n, sel_field_names[i]);

		if (!v)
			continue;
		if (!hc && i == SF_WORKLOADS) {
			mark = path_key(c, sel_field_names[i]);
			perr(c, v, "matchWorkloads cannot be used in selectorsMacros (upstream does not expand it)");
			path_pop(c, mark);
			continue;
		}
		mark = path_key(c, sel_field_names[i]);
		parse_sel_field(c, (enum sel_field_id)i, v, s, hc);
		path_pop(c, mark);
		if (has_items(v))
			from[i] = "";
		if ((i == SF_ARGS || i == SF_DATA) && v->kind == YDOM_SEQ)
			nfilters += v->nitems;
	}

	mv = field(n, "macros");
	if (mv) {
		char **names = NULL;
		size_t nnames = 0;

		get_str_list(c, n, "macros", F_NONEMPTY, &names, &nnames);
		s->macros = names;
		s->nmacros = nnames;
		mark = path_key(c, "macros");
		seen = c->nmacros ? calloc(c->nmacros, 1) : NULL;
		if (c->nmacros && !seen)
			c->oom = true;
		if (!hc && mv->kind == YDOM_SEQ && mv->nitems) {
			perr(c, mv, "a macro cannot use other macros");
		} else if (mv->kind == YDOM_SEQ) {
			for (j = 0; j < mv->nitems; j++) {
				const struct ydom_node *name = mv->items[j];
				const struct macro_def *m;
				size_t m2 = path_idx(c, j);

				if (!is_scalar(name)) {
					path_pop(c, m2);
					continue;
				}
				m = find_macro(c, name);
				if (m && seen && seen[m - c->macros]) {
					perr(c, name, "macro %s is listed more than once", quote(c, name));
					path_pop(c, m2);
					continue;
				}
				if (m && seen)
					seen[m - c->macros] = 1;
				if (!m) {
					if (!c->nmacros)
						perr(c, name, "macro %s is used, but spec.selectorsMacros defines no macros",
						     quote(c, name));
					else
						perr(c, name, "undefined macro %s (see spec.selectorsMacros)", quote(c, name));
					path_pop(c, m2);
					continue;
				}
				if (m->node->kind != YDOM_MAP || field(m->node, "macros")) {
					path_pop(c, m2);
					continue;	/* reported where the macro is defined */
				}
				if (m->cost > MACRO_EXPANSION_BUDGET - c->macro_expanded) {
					perr(c, name, "macros expand to more than %u YAML nodes in this document; use "
						      "them less", MACRO_EXPANSION_BUDGET);
					c->macro_expanded = MACRO_EXPANSION_BUDGET;
					path_pop(c, m2);
					continue;
				}
				c->macro_expanded += m->cost;
				if (!s->label) {
					const struct ydom_node *ln = field(m->node, "label");

					if (is_scalar(ln) && ln->len && !memchr(ln->str, '\0', ln->len))
						s->label = xmemdup(c, ln->str, ln->len);
				}
				for (i = 0; i < SF__COUNT; i++) {
					const struct ydom_node *v = field(m->node, sel_field_names[i]);
					struct strbuf mp = STRBUF_INIT;
					char *saved, *via;

					if (!has_items(v) || i == SF_WORKLOADS)
						continue;
					if (from[i]) {
						if (from[i][0])
							perr(c, name, "%s is defined both in macro \"%s\" and in macro \"%s\"",
							     sel_field_names[i], from[i], m->name);
						else
							perr(c, name, "%s is defined both in this selector and in macro \"%s\"",
							     sel_field_names[i], m->name);
						continue;
					}
					from[i] = m->name;
					/* the macro's own path, so errors point at its definition */
					saved = path_swap(c, "spec.selectorsMacros");
					if (saved) {
						path_key(c, m->name);
						path_key(c, sel_field_names[i]);
						strbuf_adds(&mp, c->path.buf ? c->path.buf : "");
						path_restore(c, saved);
					}
					via = xstrdup(c->path.buf ? c->path.buf : "");
					if (via) {
						char *p = strrchr(via, '.');

						if (p && !strncmp(p, ".macros", 7))
							*p = '\0';	/* ".../selectors[1]" */
					}
					saved = path_swap(c, mp.buf ? mp.buf : "");
					if (saved && via) {
						const char *old_via = c->via;

						c->via = via;
						parse_sel_field(c, (enum sel_field_id)i, v, s, hc);
						c->via = old_via;
						if ((i == SF_ARGS || i == SF_DATA) && v->kind == YDOM_SEQ)
							nfilters += v->nitems;
					}
					if (saved)
						path_restore(c, saved);
					free(via);
					strbuf_free(&mp);
				}
				path_pop(c, m2);
			}
		}
		free(seen);
		path_pop(c, mark);
	}

	if (nfilters > TP_MAX_MATCH_ARGS)
		perr_ctx(c, n, "at most %d matchArgs and matchData filters per selector are supported, got %zu",
			 TP_MAX_MATCH_ARGS, nfilters);
	if (!hc)
		return;

	/* return-probe filters need a return probe */
	for (i = SF_RETURN_ARGS; i <= SF_RETURN_ACTIONS; i++) {
		const struct tp_hook *h = hc->hook;
		const struct ydom_node *v = field(n, sel_field_names[i]);

		if (!from[i])
			continue;
		if (!v)
			v = n;
		mark = path_key(c, sel_field_names[i]);
		if (h->kind == TP_HOOK_KPROBE || h->kind == TP_HOOK_FENTRY || h->kind == TP_HOOK_UPROBE) {
			if (!h->ret)
				perr(c, v, "%s needs return: true on the hook (otherwise it is ignored)",
				     sel_field_names[i]);
		} else {
			perr(c, v, "%s is not supported on %s", sel_field_names[i], tp_hook_kind_name(h->kind));
		}
		path_pop(c, mark);
	}
}

static void parse_selectors(struct pctx *c, const struct ydom_node *map, struct tp_hook *h)
{
	const struct ydom_node *v = field(map, "selectors");
	struct hookctx hc = { .hook = h };
	size_t mark, i;

	if (!v)
		return;
	mark = path_key(c, "selectors");
	if (want_seq(c, v)) {
		if (v->nitems > TP_MAX_SELECTORS)
			perr(c, v, "at most %d selectors per hook are supported, got %zu", TP_MAX_SELECTORS, v->nitems);
		h->selectors = xalloc(c, v->nitems, sizeof(*h->selectors));
		for (i = 0; h->selectors && i < v->nitems; i++) {
			size_t m2 = path_idx(c, i);

			parse_selector(c, v->items[i], &hc, &h->selectors[i]);
			path_pop(c, m2);
		}
		if (h->selectors)
			h->nselectors = v->nitems;
	}
	path_pop(c, mark);
}

/* ---- hooks ------------------------------------------------------------------ */

static const char *const kprobe_fields[] = {
	"call", "return", "syscall", "message", "args", "data", "returnArg", "returnArgAction", "selectors",
	"tags", "ignore",
};
static const char *const tracepoint_fields[] = {
	"subsystem", "event", "message", "args", "selectors", "tags", "raw",
};
static const char *const uprobe_fields[] = {
	"path", "btfPath", "symbols", "offsets", "addrs", "refCtrOffsets", "message", "selectors", "args", "data",
	"tags", "return", "returnArg", "binaryDigests", "ignore",
};
static const char *const usdt_fields[] = {
	"path", "btfPath", "provider", "name", "tags", "message", "args", "selectors",
};
static const char *const lsm_fields[] = { "hook", "message", "args", "selectors", "tags" };
static const char *const kprobe_ignore_fields[] = { "callNotFound" };
static const char *const uprobe_ignore_fields[] = { "digestVerificationFailure" };

static void parse_message_tags(struct pctx *c, const struct ydom_node *n, struct tp_hook *h)
{
	const struct ydom_node *tv;
	size_t i, mark;

	if (get_str(c, n, "message", F_TEXT, &h->message) > 0) {
		size_t len = strlen(h->message);

		mark = path_key(c, "message");
		if (!len) {
			h->message = NULL;
		} else if (len < TP_MIN_MESSAGE_LEN) {
			perr(c, field(n, "message"), "message is too short (at least %d characters)", TP_MIN_MESSAGE_LEN);
		} else if (len > TP_MAX_MESSAGE_LEN) {
			pwarn(c, field(n, "message"), "message is %zu bytes long and will be truncated to %d", len,
			      TP_MAX_MESSAGE_LEN);
		}
		path_pop(c, mark);
	}
	tv = get_str_list(c, n, "tags", F_TEXT, &h->tags, &h->ntags);
	if (tv) {
		mark = path_key(c, "tags");
		if (tv->nitems > TP_MAX_TAGS)
			perr(c, tv, "at most %d tags are supported, got %zu", TP_MAX_TAGS, tv->nitems);
		for (i = 0; i < h->ntags && i < tv->nitems; i++) {
			size_t len = strlen(h->tags[i]), m2;

			if (len >= TP_MIN_TAG_LEN && len <= TP_MAX_TAG_LEN)
				continue;
			m2 = path_idx(c, i);
			if (len < TP_MIN_TAG_LEN)
				perr(c, tv->items[i], "tag is too short (at least %d characters)", TP_MIN_TAG_LEN);
			else
				pwarn(c, tv->items[i], "tag is %zu bytes long and will be truncated to %d", len,
				      TP_MAX_TAG_LEN);
			path_pop(c, m2);
		}
		path_pop(c, mark);
	}
}

static void parse_return(struct pctx *c, const struct ydom_node *n, struct tp_hook *h)
{
	const struct ydom_node *rv = field(n, "returnArg");

	get_bool(c, n, "return", &h->ret);
	if (rv) {
		size_t mark = path_key(c, "returnArg");
		bool ok;

		h->return_arg = xalloc(c, 1, sizeof(*h->return_arg));
		if (h->return_arg)
			parse_arg(c, rv, h, ROLE_RETURN, h->return_arg, &ok);
		path_pop(c, mark);
		if (!h->ret) {
			mark = path_key(c, "returnArg");
			pwarn(c, rv, "returnArg is ignored without return: true");
			path_pop(c, mark);
		}
	} else if (h->ret) {
		size_t mark = path_key(c, "return");

		perr(c, field(n, "return"), "return: true needs a returnArg");
		path_pop(c, mark);
	}
}

static void check_arg_count(struct pctx *c, const struct ydom_node *n, const struct tp_hook *h)
{
	if (h->nargs + h->ndata > TP_MAX_ARGS) {
		if (h->ndata)
			perr(c, n, "at most %d args and data entries per hook are supported, got %zu + %zu", TP_MAX_ARGS,
			     h->nargs, h->ndata);
		else {
			size_t mark = path_key(c, "args");

			perr(c, field(n, "args"), "at most %d args per hook are supported, got %zu", TP_MAX_ARGS,
			     h->nargs);
			path_pop(c, mark);
		}
	}
}

static bool is_syscall_list_value(const char *v)
{
	const char *slash = strchr(v, '/');

	if (slash) {
		size_t alen = (size_t)(slash - v);

		if (strchr(slash + 1, '/'))
			return false;
		if (!((alen == 3 && !strncmp(v, "x64", 3)) || (alen == 4 && !strncmp(v, "i386", 4)) ||
		      (alen == 5 && !strncmp(v, "arm64", 5)) || (alen == 5 && !strncmp(v, "arm32", 5))))
			return false;
		v = slash + 1;
	}
	return tp_valid_ksym(v);
}

static void parse_kprobe(struct pctx *c, const struct ydom_node *n, struct tp_hook *h)
{
	const struct ydom_node *cn, *iv;
	char *action = NULL;
	size_t mark;

	if (!CHECK_FIELDS(c, n, kprobe_fields))
		return;
	h->syscall = true;	/* CRD default */
	h->call_list = -1;
	if (get_str(c, n, "call", F_REQUIRED | F_NONEMPTY | F_TEXT, &h->call) > 0) {
		cn = field(n, "call");
		mark = path_key(c, "call");
		if (!strncmp(h->call, "list:", 5)) {
			h->call_list = find_list(c, h->call + 5, strlen(h->call + 5));
			if (h->call_list < 0)
				perr(c, cn, "%s refers to an undefined list (see spec.lists)", quote(c, cn));
		} else {
			check_name(c, cn, F_KSYM);
		}
		path_pop(c, mark);
	}
	get_bool(c, n, "syscall", &h->syscall);
	parse_message_tags(c, n, h);
	parse_args(c, n, "args", h, ROLE_ARG, &h->args, &h->nargs);
	parse_args(c, n, "data", h, ROLE_DATA, &h->data, &h->ndata);
	check_arg_count(c, n, h);
	parse_return(c, n, h);
	if (get_str(c, n, "returnArgAction", 0, &action) > 0 && action[0]) {
		int a;

		mark = path_key(c, "returnArgAction");
		a = lookup(tp_action_map, field(n, "returnArgAction"), true);
		if (a != TP_ACTION_TRACKSOCK && a != TP_ACTION_UNTRACKSOCK)
			perr(c, field(n, "returnArgAction"), "unsupported returnArgAction \"%s\" (want TrackSock or "
							     "UntrackSock)", action);
		else {
			h->has_return_arg_action = true;
			h->return_arg_action = (enum tp_action_type)a;
		}
		path_pop(c, mark);
	}
	iv = field(n, "ignore");
	if (iv) {
		mark = path_key(c, "ignore");
		if (CHECK_FIELDS(c, iv, kprobe_ignore_fields))
			get_bool(c, iv, "callNotFound", &h->ignore_call_not_found);
		path_pop(c, mark);
	}
	parse_selectors(c, n, h);
}

static void parse_tracepoint(struct pctx *c, const struct ydom_node *n, struct tp_hook *h)
{
	if (!CHECK_FIELDS(c, n, tracepoint_fields))
		return;
	h->call_list = -1;
	get_str(c, n, "subsystem", F_REQUIRED | F_NONEMPTY | F_TRACEFS, &h->subsystem);
	get_str(c, n, "event", F_REQUIRED | F_NONEMPTY | F_TRACEFS, &h->event);
	get_bool(c, n, "raw", &h->raw);
	parse_message_tags(c, n, h);
	parse_args(c, n, "args", h, ROLE_ARG, &h->args, &h->nargs);
	check_arg_count(c, n, h);
	parse_selectors(c, n, h);
}

static void parse_digests(struct pctx *c, const struct ydom_node *n, struct tp_hook *h)
{
	static const struct {
		const char *name;
		enum tp_digest_algo algo;
		size_t hexlen;
	} algos[] = {
		{ "sha1", TP_DIGEST_SHA1, 40 },	    { "sha256", TP_DIGEST_SHA256, 64 },
		{ "sha384", TP_DIGEST_SHA384, 96 }, { "sha512", TP_DIGEST_SHA512, 128 },
		{ "build-id", TP_DIGEST_BUILD_ID, 0 },
	};
	const struct ydom_node *v;
	char **strs;
	size_t nstr, i, j, mark;

	v = get_str_list(c, n, "binaryDigests", 0, &strs, &nstr);
	if (!v || !nstr)
		return;
	h->digests = xalloc(c, nstr, sizeof(*h->digests));
	if (!h->digests)
		return;
	mark = path_key(c, "binaryDigests");
	for (i = 0; i < nstr; i++) {
		char *s = strs[i], *colon, *end, *hex;
		size_t alen, hlen;

		/* upstream trims spaces and lower-cases both halves */
		while (*s == ' ' || *s == '\t')
			s++;
		end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		colon = strchr(s, ':');
		for (j = 0; j < N(algos) && colon; j++) {
			alen = (size_t)(colon - s);
			if (strlen(algos[j].name) == alen && !strncasecmp(s, algos[j].name, alen))
				break;
		}
		hex = colon ? colon + 1 : NULL;
		while (hex && (*hex == ' ' || *hex == '\t'))
			hex++;
		hlen = hex ? strlen(hex) : 0;
		if (!colon || j == N(algos) || !hlen || hlen % 2 || strspn(hex, "0123456789abcdefABCDEF") != hlen ||
		    (algos[j].hexlen && hlen != algos[j].hexlen)) {
			size_t m2 = path_idx(c, i);

			if (!colon || j == N(algos))
				perr(c, v->items[i], "invalid binary digest %s (want ALGO:HEX with ALGO one of sha1, "
						     "sha256, sha384, sha512, build-id)", quote(c, v->items[i]));
			else
				perr(c, v->items[i], "invalid %s digest %s (want %zu hex digits)", algos[j].name,
				     quote(c, v->items[i]), algos[j].hexlen ? algos[j].hexlen : (size_t)2);
			path_pop(c, m2);
			continue;
		}
		for (j = 0; j < hlen; j++)
			hex[j] = (char)(hex[j] | (hex[j] >= 'A' ? 0x20 : 0));
		for (j = 0; j < N(algos); j++)
			if (strlen(algos[j].name) == (size_t)(colon - s) && !strncasecmp(s, algos[j].name, (size_t)(colon - s)))
				break;
		h->digests[h->ndigests].algo = algos[j].algo;
		h->digests[h->ndigests].hex = hex;
		h->ndigests++;
	}
	path_pop(c, mark);
}

static void parse_uprobe(struct pctx *c, const struct ydom_node *n, struct tp_hook *h)
{
	const struct ydom_node *iv;
	size_t mark, methods;

	if (!CHECK_FIELDS(c, n, uprobe_fields))
		return;
	h->call_list = -1;
	get_str(c, n, "path", F_REQUIRED | F_NONEMPTY, &h->path);
	get_str(c, n, "btfPath", 0, &h->btf_path);
	if (h->btf_path && !h->btf_path[0])
		h->btf_path = NULL;
	get_str_list(c, n, "symbols", F_NONEMPTY | F_USYM, &h->symbols, &h->nsymbols);
	get_u64_list(c, n, "offsets", 64, &h->offsets, &h->noffsets);
	get_u64_list(c, n, "addrs", 64, &h->addrs, &h->naddrs);
	get_u64_list(c, n, "refCtrOffsets", 64, &h->ref_ctr_offsets, &h->nref_ctr_offsets);
	methods = !!has_items(field(n, "symbols")) + !!has_items(field(n, "offsets")) + !!has_items(field(n, "addrs"));
	if (methods != 1)
		perr(c, n, "a uprobe needs exactly one of symbols, offsets or addrs");
	if (h->nref_ctr_offsets && ((h->nsymbols && h->nsymbols != h->nref_ctr_offsets) ||
				    (h->noffsets && h->noffsets != h->nref_ctr_offsets))) {
		mark = path_key(c, "refCtrOffsets");
		perr(c, field(n, "refCtrOffsets"), "refCtrOffsets has %zu entries but %s has %zu", h->nref_ctr_offsets,
		     h->nsymbols ? "symbols" : "offsets", h->nsymbols ? h->nsymbols : h->noffsets);
		path_pop(c, mark);
	}
	parse_digests(c, n, h);
	iv = field(n, "ignore");
	if (iv) {
		mark = path_key(c, "ignore");
		if (CHECK_FIELDS(c, iv, uprobe_ignore_fields))
			get_bool(c, iv, "digestVerificationFailure", &h->ignore_digest_failure);
		path_pop(c, mark);
	}
	parse_message_tags(c, n, h);
	parse_args(c, n, "args", h, ROLE_ARG, &h->args, &h->nargs);
	parse_args(c, n, "data", h, ROLE_DATA, &h->data, &h->ndata);
	check_arg_count(c, n, h);
	parse_return(c, n, h);
	parse_selectors(c, n, h);
}

static void parse_usdt(struct pctx *c, const struct ydom_node *n, struct tp_hook *h)
{
	if (!CHECK_FIELDS(c, n, usdt_fields))
		return;
	h->call_list = -1;
	get_str(c, n, "path", F_REQUIRED | F_NONEMPTY, &h->path);
	get_str(c, n, "btfPath", 0, &h->btf_path);
	if (h->btf_path && !h->btf_path[0])
		h->btf_path = NULL;
	get_str(c, n, "provider", F_REQUIRED | F_NONEMPTY | F_USDT, &h->provider);
	get_str(c, n, "name", F_REQUIRED | F_NONEMPTY | F_USDT, &h->name);
	parse_message_tags(c, n, h);
	parse_args(c, n, "args", h, ROLE_ARG, &h->args, &h->nargs);
	check_arg_count(c, n, h);
	parse_selectors(c, n, h);
}

static void parse_lsm(struct pctx *c, const struct ydom_node *n, struct tp_hook *h)
{
	if (!CHECK_FIELDS(c, n, lsm_fields))
		return;
	h->call_list = -1;
	get_str(c, n, "hook", F_REQUIRED | F_NONEMPTY | F_KSYM, &h->hook);
	parse_message_tags(c, n, h);
	parse_args(c, n, "args", h, ROLE_ARG, &h->args, &h->nargs);
	check_arg_count(c, n, h);
	parse_selectors(c, n, h);
}

static const struct {
	const char *key;
	enum tp_hook_kind kind;
	void (*parse)(struct pctx *c, const struct ydom_node *n, struct tp_hook *h);
} hook_sections[] = {
	{ "kprobes", TP_HOOK_KPROBE, parse_kprobe },	     { "fentries", TP_HOOK_FENTRY, parse_kprobe },
	{ "tracepoints", TP_HOOK_TRACEPOINT, parse_tracepoint }, { "uprobes", TP_HOOK_UPROBE, parse_uprobe },
	{ "lsmhooks", TP_HOOK_LSM, parse_lsm },		     { "usdts", TP_HOOK_USDT, parse_usdt },
};

/* ---- spec ------------------------------------------------------------------- */

static const char *const spec_fields[] = {
	"kprobes", "tracepoints", "loader", "uprobes", "lsmhooks", "usdts", "fentries", "podSelector",
	"containerSelector", "hostSelector", "nodeSelector", "lists", "enforcers", "options", "selectorsMacros",
};
static const char *const list_fields[] = { "name", "values", "type", "pattern", "validated" };
static const char *const option_fields[] = { "name", "value" };
static const char *const enforcer_fields[] = { "calls" };

static int list_order_cmp(const void *pa, const void *pb, void *arg)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct tp_list *lists = arg;
	int r = strcmp(lists[a].name, lists[b].name);

	return r ? r : (a < b ? -1 : a > b);
}

/* Sort the lists by name for lookups, reporting names defined twice. */
static void index_lists(struct pctx *c, const struct ydom_node *seq)
{
	struct tp_policy *p = c->pol;
	size_t i;

	if (!p->nlists || !(c->list_order = xalloc(c, p->nlists, sizeof(*c->list_order))))
		return;
	for (i = 0; i < p->nlists; i++)
		c->list_order[i] = i;
	qsort_r(c->list_order, p->nlists, sizeof(*c->list_order), list_order_cmp, p->lists);
	for (i = 1; i < p->nlists; i++) {
		size_t first = c->list_order[i - 1], dup = c->list_order[i], item = c->list_items[dup], m2, m3;

		if (strcmp(p->lists[first].name, p->lists[dup].name))
			continue;
		/* the earliest definition heads its run of equal names */
		while (i < p->nlists && !strcmp(p->lists[first].name, p->lists[c->list_order[i]].name)) {
			dup = c->list_order[i++];
			item = c->list_items[dup];
			m2 = path_idx(c, item);
			m3 = path_key(c, "name");
			perr(c, field(seq->items[item], "name"), "duplicate list name \"%s\" (first defined at line %u)",
			     p->lists[dup].name, p->lists[first].pos.line);
			path_pop(c, m3);
			path_pop(c, m2);
		}
	}
}

static void parse_lists(struct pctx *c, const struct ydom_node *spec)
{
	const struct ydom_node *v = field(spec, "lists");
	struct tp_policy *p = c->pol;
	size_t mark, i, j;

	if (!v)
		return;
	mark = path_key(c, "lists");
	if (!want_seq(c, v) || !(p->lists = xalloc(c, v->nitems, sizeof(*p->lists))) ||
	    !(c->list_items = xalloc(c, v->nitems, sizeof(*c->list_items)))) {
		path_pop(c, mark);
		return;
	}
	for (i = 0; i < v->nitems; i++) {
		const struct ydom_node *e = v->items[i];
		struct tp_list *l = &p->lists[p->nlists];
		size_t m2 = path_idx(c, i);
		int type = TP_LIST_NONE;
		bool ok = true;

		if (!CHECK_FIELDS(c, e, list_fields)) {
			path_pop(c, m2);
			continue;
		}
		set_pos(&l->pos, e);
		if (get_str(c, e, "name", F_REQUIRED | F_NONEMPTY | F_TEXT, &l->name) <= 0)
			ok = false;
		if (get_enum(c, e, "type", tp_list_type_map, false, "list type", 0, &type) < 0)
			ok = false;
		l->type = (enum tp_list_type)type;
		/* plain lists hold kernel functions; syscall entries are checked below */
		if (field(e, "values") && !get_str_list(c, e, "values", F_NONEMPTY | (type == TP_LIST_NONE ? F_KSYM : F_TEXT),
							 &l->values, &l->nvalues))
			ok = false;
		if (get_str(c, e, "pattern", 0, &l->pattern) < 0 || get_bool(c, e, "validated", &l->validated) < 0)
			ok = false;
		if ((type == TP_LIST_GENERATED_SYSCALLS || type == TP_LIST_GENERATED_FTRACE) && has_items(field(e, "values"))) {
			size_t m3 = path_key(c, "values");

			perr(c, field(e, "values"), "a %s list is generated and must not have values",
			     tp_list_type_name(l->type));
			path_pop(c, m3);
			ok = false;
		}
		if (type == TP_LIST_GENERATED_FTRACE && (!l->pattern || !l->pattern[0])) {
			perr(c, e, "a generated_ftrace list needs a pattern");
			ok = false;
		}
		if (type == TP_LIST_SYSCALLS) {
			const struct ydom_node *vals = field(e, "values");

			for (j = 0; j < l->nvalues; j++) {
				size_t m3;

				if (is_syscall_list_value(l->values[j]))
					continue;
				m3 = path_key(c, "values");
				path_idx(c, j);
				perr(c, vals->items[j], "invalid syscall list entry %s (want [ABI/]NAME, ABI one of "
							"x64, i386, arm64, arm32, NAME a kernel symbol)", quote(c, vals->items[j]));
				path_pop(c, m3);
				ok = false;
			}
		}
		if (ok)
			c->list_items[p->nlists++] = i;
		else
			memset(l, 0, sizeof(*l));
		path_pop(c, m2);
	}
	index_lists(c, v);
	path_pop(c, mark);
}

static void parse_options(struct pctx *c, const struct ydom_node *spec)
{
	const struct ydom_node *v = field(spec, "options");
	struct tp_policy *p = c->pol;
	size_t mark, i;

	if (!v)
		return;
	mark = path_key(c, "options");
	if (!want_seq(c, v) || !(p->options = xalloc(c, v->nitems, sizeof(*p->options)))) {
		path_pop(c, mark);
		return;
	}
	for (i = 0; i < v->nitems; i++) {
		const struct ydom_node *e = v->items[i], *vn;
		struct tp_option *o = &p->options[p->noptions];
		size_t m2 = path_idx(c, i), m3;
		const char *val;
		bool ok = true;

		if (!CHECK_FIELDS(c, e, option_fields)) {
			path_pop(c, m2);
			continue;
		}
		set_pos(&o->pos, e);
		if (get_str(c, e, "name", F_REQUIRED | F_NONEMPTY, &o->name) <= 0 ||
		    get_str(c, e, "value", 0, &o->value) < 0) {
			path_pop(c, m2);
			continue;
		}
		if (!o->value)
			o->value = xmemdup(c, "", 0);
		val = o->value ? o->value : "";
		vn = field(e, "value") ? field(e, "value") : e;
		m3 = path_key(c, "value");
		if (!strcmp(o->name, "disable-kprobe-multi") || !strcmp(o->name, "disable-uprobe-multi")) {
			/* strconv.ParseBool */
			static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
			static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
			bool b = false, found = false;
			size_t j;

			for (j = 0; j < N(t); j++) {
				if (!strcmp(val, t[j]))
					b = found = true;
				if (!strcmp(val, f[j]))
					found = true;
			}
			if (!found) {
				perr(c, vn, "option %s needs a boolean value (true/false/1/0), got \"%s\"", o->name, val);
				ok = false;
			} else if (o->name[8] == 'k') {
				p->opts.disable_kprobe_multi = b;
			} else {
				p->opts.disable_uprobe_multi = b;
			}
		} else if (!strcmp(o->name, "policy-mode")) {
			if (!strcmp(val, "enforce"))
				p->opts.policy_mode = TP_MODE_ENFORCE;
			else if (!strcmp(val, "monitor"))
				p->opts.policy_mode = TP_MODE_MONITOR;
			else {
				perr(c, vn, "invalid policy-mode \"%s\" (want enforce or monitor)", val);
				ok = false;
			}
		} else if (!strcmp(o->name, "override-method")) {
			if (!strcmp(val, "override-return"))
				p->opts.override_method = TP_OVERRIDE_RETURN;
			else if (!strcmp(val, "fmod-ret"))
				p->opts.override_method = TP_OVERRIDE_FMOD_RET;
			else {
				perr(c, vn, "invalid override-method \"%s\" (want override-return or fmod-ret)", val);
				ok = false;
			}
		} else if (!strcmp(o->name, "syscall-attach")) {
			static const char *const v[] = { "auto", "tracepoint", "kprobe", "fentry" };
			size_t j;

			for (j = 0; j < N(v) && strcmp(val, v[j]); j++)
				;
			if (j < N(v)) {
				p->opts.syscall_attach = (enum tp_syscall_attach)j;
			} else {
				perr(c, vn, "invalid syscall-attach \"%s\" (want auto, tracepoint, kprobe or fentry)", val);
				ok = false;
			}
		} else if (!strcmp(o->name, "sleepable-preload-size")) {
			int64_t sz;

			if (tp_parse_go_int(val, strlen(val), 10, 32, &sz) || sz <= 0) {
				perr(c, vn, "sleepable-preload-size must be a positive integer, got \"%s\"", val);
				ok = false;
			} else {
				p->opts.sleepable_preload_size = (uint32_t)sz;
			}
		} else {
			path_pop(c, m3);
			m3 = path_key(c, "name");
			pwarn(c, field(e, "name"), "unknown option \"%s\" is ignored (known: disable-kprobe-multi, "
						   "disable-uprobe-multi, policy-mode, override-method, "
						   "sleepable-preload-size, syscall-attach)", o->name);
		}
		path_pop(c, m3);
		if (ok)
			p->noptions++;
		path_pop(c, m2);
	}
	path_pop(c, mark);
}

static void parse_enforcers(struct pctx *c, const struct ydom_node *spec)
{
	const struct ydom_node *v = field(spec, "enforcers");
	struct tp_policy *p = c->pol;
	size_t mark, i, j;

	if (!v)
		return;
	mark = path_key(c, "enforcers");
	if (!want_seq(c, v) || !(p->enforcers = xalloc(c, v->nitems, sizeof(*p->enforcers)))) {
		path_pop(c, mark);
		return;
	}
	if (v->nitems > TP_MAX_ENFORCERS)
		perr(c, v, "only %d enforcer is supported, got %zu", TP_MAX_ENFORCERS, v->nitems);
	for (i = 0; i < v->nitems; i++) {
		const struct ydom_node *e = v->items[i], *calls;
		struct tp_enforcer *en = &p->enforcers[p->nenforcers];
		size_t m2 = path_idx(c, i);
		bool ok = true;

		if (!CHECK_FIELDS(c, e, enforcer_fields)) {
			path_pop(c, m2);
			continue;
		}
		set_pos(&en->pos, e);
		calls = get_str_list(c, e, "calls", F_REQUIRED | F_NONEMPTY | F_TEXT, &en->calls, &en->ncalls);
		if (!calls || en->ncalls != calls->nitems)
			ok = false;
		for (j = 0; calls && j < en->ncalls; j++) {
			const char *call = en->calls[j];
			size_t m3;

			if (!strncmp(call, "list:", 5) ? find_list(c, call + 5, strlen(call + 5)) >= 0
						       : tp_valid_ksym(call) && (strstr(call, "sys_") == call || !strncmp(call, "__x64_sys_", 10) ||
							  !strncmp(call, "__ia32_sys_", 11) ||
							  !strncmp(call, "__arm64_sys_", 12) ||
							  !strncmp(call, "security_", 9)))
				continue;
			m3 = path_key(c, "calls");
			path_idx(c, j);
			if (!strncmp(call, "list:", 5))
				perr(c, calls->items[j], "%s refers to an undefined list (see spec.lists)",
				     quote(c, calls->items[j]));
			else
				perr(c, calls->items[j], "enforcer call %s is neither a syscall (sys_*) nor a "
							 "security_ function", quote(c, calls->items[j]));
			path_pop(c, m3);
			ok = false;
		}
		if (ok)
			p->nenforcers++;
		path_pop(c, m2);
	}
	path_pop(c, mark);
}

static void parse_macros(struct pctx *c, const struct ydom_node *spec)
{
	const struct ydom_node *v = field(spec, "selectorsMacros");
	struct tp_policy *p = c->pol;
	size_t mark, i;

	if (!v)
		return;
	mark = path_key(c, "selectorsMacros");
	if (!want_map(c, v)) {
		path_pop(c, mark);
		return;
	}
	c->macros = calloc(v->npairs ? v->npairs : 1, sizeof(*c->macros));
	p->macros = xalloc(c, v->npairs, sizeof(*p->macros));
	if (!c->macros || !p->macros) {
		c->oom = true;
		path_pop(c, mark);
		return;
	}
	for (i = 0; i < v->npairs; i++) {
		const struct ydom_node *k = v->pairs[i].key, *sel = v->pairs[i].value;
		struct tp_macro *m = &p->macros[p->nmacros];
		size_t m2;

		if (k->kind != YDOM_SCALAR || !k->len || memchr(k->str, '\0', k->len)) {
			perr(c, k, "macro names must be non-empty strings");
			continue;
		}
		c->macros[c->nmacros].name = k->str;
		c->macros[c->nmacros].node = sel;
		c->macros[c->nmacros].key = k;
		c->macros[c->nmacros].cost = count_nodes(sel);
		c->nmacros++;
		m2 = path_key(c, k->str);
		set_pos(&m->pos, k);
		m->name = xmemdup(c, k->str, k->len);
		if (ydom_is_null(sel)) {
			perr(c, sel, "expected a mapping, got null");
		} else {
			parse_selector(c, sel, NULL, &m->sel);
			p->nmacros++;
		}
		path_pop(c, m2);
	}
	/* keys are unique (the DOM refuses duplicates), so a sorted array is a set */
	qsort(c->macros, c->nmacros, sizeof(*c->macros), macro_cmp);
	path_pop(c, mark);
}

static void parse_spec(struct pctx *c, const struct ydom_node *spec)
{
	struct tp_policy *p = c->pol;
	const struct ydom_node *first = NULL;
	size_t i, j;

	if (!CHECK_FIELDS(c, spec, spec_fields))
		return;
	/* lists first: hooks, enforcers and InMap values refer to them */
	parse_lists(c, spec);
	parse_options(c, spec);
	parse_enforcers(c, spec);
	c->has_enforcers = has_items(field(spec, "enforcers"));
	parse_macros(c, spec);

	for (i = 0; i < N(hook_sections); i++) {
		const struct ydom_node *v = field(spec, hook_sections[i].key);
		struct tp_hook *hooks;
		size_t mark;

		if (!v)
			continue;
		mark = path_key(c, hook_sections[i].key);
		if (!want_seq(c, v)) {
			path_pop(c, mark);
			continue;
		}
		if (v->nitems && first) {
			perr(c, v, "a policy can only have one hook section, and it already has %s (line %u); "
				   "put these hooks in a separate policy", tp_hook_kind_name(p->hook_kind), first->line);
		}
		hooks = xalloc(c, v->nitems, sizeof(*hooks));
		for (j = 0; hooks && j < v->nitems; j++) {
			size_t m2 = path_idx(c, j);

			hooks[j].kind = hook_sections[i].kind;
			set_pos(&hooks[j].pos, v->items[j]);
			hook_sections[i].parse(c, v->items[j], &hooks[j]);
			path_pop(c, m2);
		}
		/* only the first section is kept; later ones were checked above */
		if (v->nitems && !first && hooks) {
			first = v;
			p->hook_kind = hook_sections[i].kind;
			p->hooks = hooks;
			p->nhooks = v->nitems;
		}
		path_pop(c, mark);
	}

	p->pod_selector = get_label_selector(c, spec, "podSelector");
	p->container_selector = get_label_selector(c, spec, "containerSelector");
	p->host_selector = get_host_selector(c, spec);
	p->node_selector = get_label_selector(c, spec, "nodeSelector");
	if (get_bool(c, spec, "loader", &p->loader) > 0)
		set_pos(&p->loader_pos, field(spec, "loader"));

	if (p->kind == TP_KIND_TRACING_POLICY_NAMESPACED) {
		static const char *const forbidden[] = { "uprobes", "usdts" };

		for (i = 0; i < N(forbidden); i++) {
			const struct ydom_node *v = field(spec, forbidden[i]);

			if (has_items(v)) {
				size_t mark = path_key(c, forbidden[i]);

				perr(c, v, "%s are not supported in a TracingPolicyNamespaced", forbidden[i]);
				path_pop(c, mark);
			}
		}
		if (field(spec, "hostSelector")) {
			size_t mark = path_key(c, "hostSelector");

			perr(c, field(spec, "hostSelector"), "a TracingPolicyNamespaced must not set hostSelector");
			path_pop(c, mark);
		}
	}
	if (c->nfollow_children > TP_MAX_FOLLOW_CHILDREN)
		perr(c, spec, "at most %d binaries selectors with followChildren are supported, got %zu",
		     TP_MAX_FOLLOW_CHILDREN, c->nfollow_children);
	for (i = 0; i < p->nhooks; i++)
		for (j = 0; j < p->hooks[i].nselectors; j++) {
			const struct tp_selector *s = &p->hooks[i].selectors[j];
			size_t k;

			for (k = 0; k < s->nargs; k++)
				c->ncel += s->args[k].op == TP_OP_CEL_EXPR;
			for (k = 0; k < s->ndata; k++)
				c->ncel += s->data[k].op == TP_OP_CEL_EXPR;
			for (k = 0; k < s->nreturn_args; k++)
				c->ncel += s->return_args[k].op == TP_OP_CEL_EXPR;
		}
	if (c->ncel > TP_MAX_CEL_EXPRS)
		perr(c, spec, "at most %d CelExpr filters per policy are supported, got %zu", TP_MAX_CEL_EXPRS, c->ncel);
}

/* ---- document --------------------------------------------------------------- */

static const char *const top_fields[] = { "apiVersion", "kind", "metadata", "spec" };
static const char *const meta_fields[] = {
	"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
	"ownerReferences", "finalizers", "managedFields",
};

static void parse_string_map(struct pctx *c, const struct ydom_node *meta, const char *key, bool labels)
{
	const struct ydom_node *v = field(meta, key);
	size_t mark, i;

	if (!v)
		return;
	mark = path_key(c, key);
	if (want_map(c, v)) {
		for (i = 0; i < v->npairs; i++) {
			const struct ydom_node *k = v->pairs[i].key, *val = v->pairs[i].value;
			size_t m2;

			if (k->kind != YDOM_SCALAR || memchr(k->str, '\0', k->len)) {
				perr(c, k, "%s keys must be strings", labels ? "label" : "annotation");
				continue;
			}
			m2 = path_key(c, k->str);
			if (!tp_valid_label_key(k->str))
				perr(c, k, "invalid %s key %s", labels ? "label" : "annotation", quote(c, k));
			if (val->kind != YDOM_SCALAR)
				perr(c, val, "expected a string, got %s", ydom_kind_name(val));
			else if (labels && !ydom_is_null(val) && !tp_valid_label_value(val->str))
				perr(c, val, "invalid label value %s", quote(c, val));
			path_pop(c, m2);
		}
	}
	path_pop(c, mark);
}

static void parse_metadata(struct pctx *c, const struct ydom_node *doc)
{
	const struct ydom_node *m = field(doc, "metadata");
	struct tp_policy *p = c->pol;
	size_t mark;

	if (!m) {
		perr(c, doc, "missing required field \"metadata\"");
		return;
	}
	mark = path_key(c, "metadata");
	if (CHECK_FIELDS(c, m, meta_fields)) {
		if (get_str(c, m, "name", F_REQUIRED, &p->name) > 0) {
			size_t m2 = path_key(c, "name");

			set_pos(&p->name_pos, field(m, "name"));
			if (!tp_valid_dns_subdomain(p->name))
				perr(c, field(m, "name"),
				     "invalid name %s: want at most %d lower case alphanumerics, '-' or '.', "
				     "starting and ending with an alphanumeric", quote(c, field(m, "name")), TP_MAX_NAME_LEN);
			path_pop(c, m2);
		}
		if (get_str(c, m, "namespace", 0, &p->namespace) > 0) {
			size_t m2 = path_key(c, "namespace");

			if (!p->namespace[0]) {
				p->namespace = NULL;
			} else if (p->kind == TP_KIND_TRACING_POLICY) {
				perr(c, field(m, "namespace"), "a TracingPolicy is cluster-scoped and cannot have a "
							       "namespace (use kind TracingPolicyNamespaced)");
			} else if (!tp_valid_dns_label(p->namespace)) {
				perr(c, field(m, "namespace"),
				     "invalid namespace %s: want at most %d lower case alphanumerics or '-', "
				     "starting and ending with an alphanumeric", quote(c, field(m, "namespace")),
				     TP_MAX_NAMESPACE_LEN);
			}
			path_pop(c, m2);
		}
		parse_string_map(c, m, "labels", true);
		parse_string_map(c, m, "annotations", false);
	}
	path_pop(c, mark);
}

static void parse_document(struct pctx *c, const struct ydom_node *doc)
{
	const struct ydom_node *av, *kv, *spec;

	if (!CHECK_FIELDS(c, doc, top_fields))
		return;
	av = field(doc, "apiVersion");
	kv = field(doc, "kind");
	if (!av) {
		perr(c, doc, "missing required field \"apiVersion\" (want cilium.io/v1alpha1)");
	} else if (!scalar_eq(av, "cilium.io/v1alpha1")) {
		size_t mark = path_key(c, "apiVersion");

		perr(c, av, "unsupported apiVersion %s (want cilium.io/v1alpha1)", quote(c, av));
		path_pop(c, mark);
	}
	if (!kv) {
		perr(c, doc, "missing required field \"kind\" (want TracingPolicy or TracingPolicyNamespaced)");
		return;
	}
	set_pos(&c->pol->kind_pos, kv);
	if (scalar_eq(kv, "TracingPolicy")) {
		c->pol->kind = TP_KIND_TRACING_POLICY;
	} else if (scalar_eq(kv, "TracingPolicyNamespaced")) {
		c->pol->kind = TP_KIND_TRACING_POLICY_NAMESPACED;
	} else {
		size_t mark = path_key(c, "kind");

		perr(c, kv, "unknown kind %s (want TracingPolicy or TracingPolicyNamespaced)", quote(c, kv));
		path_pop(c, mark);
		return;
	}
	parse_metadata(c, doc);
	spec = field(doc, "spec");
	if (!spec) {
		perr(c, doc, "missing required field \"spec\"");
		return;
	}
	{
		size_t mark = path_key(c, "spec");

		parse_spec(c, spec);
		path_pop(c, mark);
	}
}

/* ---- entry points ----------------------------------------------------------- */

/* Report in file order; insertion sort keeps equal positions in emission order. */
static void sort_diags(struct tp_diags *d, size_t from)
{
	size_t i, j;

	for (i = from + 1; i < d->n; i++) {
		struct tp_diag t = d->v[i];

		for (j = i; j > from && (d->v[j - 1].line > t.line ||
					 (d->v[j - 1].line == t.line && d->v[j - 1].col > t.col));
		     j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = t;
	}
}

void tp_policy_free(struct tp_policy *p)
{
	if (p)
		tp_arena_free(p->arena);
}

void tp_policy_set_free(struct tp_policy_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		tp_policy_free(s->policies[i]);
	free(s->policies);
	free(s);
}

struct tp_policy *tp_policy_set_take(struct tp_policy_set *s, size_t i)
{
	struct tp_policy *p;

	if (!s || i >= s->n)
		return NULL;
	p = s->policies[i];
	s->policies[i] = NULL;
	return p;
}

static struct tp_policy *policy_new(void)
{
	struct tp_arena *a = tp_arena_new();
	struct tp_policy *p;

	if (!a)
		return NULL;
	p = tp_arena_alloc(a, sizeof(*p));
	if (!p) {
		tp_arena_free(a);
		return NULL;
	}
	p->arena = a;
	return p;
}

static int policy_name_cmp(const void *pa, const void *pb)
{
	const struct tp_policy *a = *(const struct tp_policy *const *)pa, *b = *(const struct tp_policy *const *)pb;
	int r = strcmp(a->namespace ? a->namespace : "", b->namespace ? b->namespace : "");

	if (!r)
		r = strcmp(a->name, b->name);
	return r ? r : (a->doc_index < b->doc_index ? -1 : a->doc_index > b->doc_index);
}

/* Two documents with one name (and namespace) would clash when loaded. */
static void check_duplicate_names(const struct tp_policy_set *set, struct tp_diags *d)
{
	const struct tp_policy **v;
	size_t i, n = 0;

	if (set->n < 2 || !(v = malloc(set->n * sizeof(*v))))
		return;
	for (i = 0; i < set->n; i++)
		if (set->policies[i]->name)
			v[n++] = set->policies[i];
	qsort(v, n, sizeof(*v), policy_name_cmp);
	for (i = 1; i < n; i++) {
		size_t first = i - 1;
		char msg[512];

		while (i < n && !strcmp(v[first]->name, v[i]->name) &&
		       !strcmp(v[first]->namespace ? v[first]->namespace : "", v[i]->namespace ? v[i]->namespace : "")) {
			snprintf(msg, sizeof(msg), "duplicate policy name \"%.300s\" (document at line %u has it too)",
				 v[i]->name, v[first]->pos.line);
			tp_diag_add(d, TP_SEV_ERROR, v[i]->name_pos.line, v[i]->name_pos.col, "metadata.name", msg);
			i++;
		}
	}
	free(v);
}

int tp_parse(const char *file, const char *buf, size_t len, struct tp_policy_set **out, struct tp_diags *d)
{
	struct pctx c = { .d = d };
	struct tp_policy_set *set;
	struct ydom_stream *ys = NULL;
	struct ydom_error yerr;
	size_t errors_before = d->nerrors, diags_before = d->n, i, npol = 0;
	int rc;

	(void)file;
	*out = NULL;
	rc = ydom_parse(buf, len, &ys, &yerr);
	if (rc == -ENOMEM)
		return -ENOMEM;
	if (rc) {
		tp_diag_add(d, TP_SEV_ERROR, yerr.line, yerr.col, "", yerr.msg);
		return -EINVAL;
	}
	set = calloc(1, sizeof(*set));
	if (!set || !(set->policies = calloc(ys->ndocs ? ys->ndocs : 1, sizeof(*set->policies)))) {
		free(set);
		ydom_stream_free(ys);
		return -ENOMEM;
	}
	for (i = 0; i < ys->ndocs && !c.oom; i++) {
		const struct ydom_node *root = ys->docs[i].root;
		struct tp_policy *p;

		/* an empty document (e.g. after a trailing "---") holds no policy */
		if (ydom_is_null(root))
			continue;
		p = policy_new();
		if (!p) {
			c.oom = true;
			break;
		}
		p->doc_index = (unsigned)i;
		p->pos.line = ys->docs[i].line;
		p->pos.col = ys->docs[i].col;
		c.pol = p;
		c.a = p->arena;
		c.nmacros = 0;
		c.ncel = 0;
		c.nfollow_children = 0;
		c.has_enforcers = false;
		c.list_order = NULL;
		c.list_items = NULL;
		c.macro_expanded = 0;
		strbuf_reset(&c.path);
		parse_document(&c, root);
		free(c.macros);
		c.macros = NULL;

		set->policies[set->n++] = p;
		npol++;
	}
	if (!c.oom)
		check_duplicate_names(set, d);
	strbuf_free(&c.path);
	strbuf_free(&c.msg);
	ydom_stream_free(ys);
	if (c.oom) {
		tp_policy_set_free(set);
		return -ENOMEM;
	}
	sort_diags(d, diags_before);
	if (!npol && d->nerrors == errors_before)
		tp_diag_add(d, TP_SEV_ERROR, 0, 0, "", "no policy found (the file has no YAML document)");
	if (d->nerrors != errors_before) {
		tp_policy_set_free(set);
		return -EINVAL;
	}
	*out = set;
	return 0;
}

int tp_parse_file(const char *path, struct tp_policy_set **out, struct tp_diags *d)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[65536];
	int fd, rc = 0;
	ssize_t r;

	*out = NULL;
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0) {
		rc = -errno;
		tp_diag_add(d, TP_SEV_ERROR, 0, 0, "", strerror(-rc));
		return rc;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (!r)
			break;
		if (sb.len + (size_t)r > YDOM_MAX_INPUT) {
			rc = -EFBIG;
			break;
		}
		strbuf_add(&sb, chunk, (size_t)r);
		if (sb.oom) {
			rc = -ENOMEM;
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc == -EFBIG) {
		char msg[96];

		snprintf(msg, sizeof(msg), "file too large (limit %u bytes)", YDOM_MAX_INPUT);
		tp_diag_add(d, TP_SEV_ERROR, 0, 0, "", msg);
	} else if (rc) {
		tp_diag_add(d, TP_SEV_ERROR, 0, 0, "", strerror(-rc));
	} else {
		rc = tp_parse(path, sb.buf ? sb.buf : "", sb.len, out, d);
	}
	strbuf_free(&sb);
	return rc;
}
