// SPDX-License-Identifier: Apache-2.0
#include "filters/labels.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op { OP_EXISTS, OP_NOT_EXISTS, OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_GT, OP_LT };

struct requirement {
	enum op op;
	char *key;
	char **values;
	size_t nvalues;
	long long num;
};

struct label_selector {
	struct requirement *reqs;
	size_t n;
};

void label_selector_free(struct label_selector *sel)
{
	size_t i, j;

	if (!sel)
		return;
	for (i = 0; i < sel->n; i++) {
		free(sel->reqs[i].key);
		for (j = 0; j < sel->reqs[i].nvalues; j++)
			free(sel->reqs[i].values[j]);
		free(sel->reqs[i].values);
	}
	free(sel->reqs);
	free(sel);
}

static bool key_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.' || c == '/';
}

static bool value_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

static void skip_ws(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

static char *take(const char **p, bool (*ok)(char))
{
	const char *s = *p;

	while (ok(**p))
		(*p)++;
	return strndup(s, (size_t)(*p - s));
}

static int perr(char *err, size_t errlen, const char *sel, const char *p, const char *why)
{
	snprintf(err, errlen, "label selector \"%s\": %s at offset %zu", sel, why, (size_t)(p - sel));
	return -EINVAL;
}

static int add_value(struct requirement *r, char *v)
{
	char **nv;

	if (!v)
		return -ENOMEM;
	nv = realloc(r->values, (r->nvalues + 1) * sizeof(*nv));
	if (!nv) {
		free(v);
		return -ENOMEM;
	}
	r->values = nv;
	r->values[r->nvalues++] = v;
	return 0;
}

static bool word_at(const char *p, const char *w)
{
	size_t l = strlen(w);

	return !strncmp(p, w, l) && (isspace((unsigned char)p[l]) || p[l] == '(');
}

static int parse_requirement(const char *sel, const char **pp, struct requirement *r, char *err, size_t errlen)
{
	const char *p = *pp;
	int e;

	skip_ws(&p);
	if (*p == '!') {
		p++;
		skip_ws(&p);
		r->op = OP_NOT_EXISTS;
	} else {
		r->op = OP_EXISTS;
	}
	if (!key_char(*p))
		return perr(err, errlen, sel, p, "expected a label key");
	r->key = take(&p, key_char);
	if (!r->key)
		return -ENOMEM;
	skip_ws(&p);
	if (r->op == OP_NOT_EXISTS || !*p || *p == ',')
		goto done;
	if (p[0] == '=' && p[1] == '=') {
		r->op = OP_EQ;
		p += 2;
	} else if (p[0] == '!' && p[1] == '=') {
		r->op = OP_NE;
		p += 2;
	} else if (p[0] == '=') {
		r->op = OP_EQ;
		p++;
	} else if (p[0] == '>' || p[0] == '<') {
		char *end;

		r->op = p[0] == '>' ? OP_GT : OP_LT;
		p++;
		skip_ws(&p);
		errno = 0;
		r->num = strtoll(p, &end, 10);
		if (end == p || errno)
			return perr(err, errlen, sel, p, "expected an integer");
		p = end;
		goto done;
	} else if (word_at(p, "in") || word_at(p, "notin")) {
		r->op = p[0] == 'i' ? OP_IN : OP_NOTIN;
		p += r->op == OP_IN ? 2 : 5;
		skip_ws(&p);
		if (*p != '(')
			return perr(err, errlen, sel, p, "expected (");
		p++;
		for (;;) {
			skip_ws(&p);
			e = add_value(r, take(&p, value_char));
			if (e)
				return e;
			skip_ws(&p);
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p == ')') {
				p++;
				break;
			}
			return perr(err, errlen, sel, p, "expected , or )");
		}
		goto done;
	} else {
		return perr(err, errlen, sel, p, "expected an operator (=, ==, !=, in, notin, >, <)");
	}
	skip_ws(&p);
	e = add_value(r, take(&p, value_char));
	if (e)
		return e;
done:
	skip_ws(&p);
	if (*p && *p != ',')
		return perr(err, errlen, sel, p, "unexpected character");
	*pp = p;
	return 0;
}

int label_selector_parse(const char *s, struct label_selector **out, char *err, size_t errlen)
{
	struct label_selector *sel = calloc(1, sizeof(*sel));
	const char *p = s;
	int e = 0;

	*out = NULL;
	if (!sel)
		return -ENOMEM;
	skip_ws(&p);
	while (*p) {
		struct requirement *nr = realloc(sel->reqs, (sel->n + 1) * sizeof(*nr));

		if (!nr) {
			e = -ENOMEM;
			break;
		}
		sel->reqs = nr;
		memset(&nr[sel->n], 0, sizeof(*nr));
		sel->n++;
		e = parse_requirement(s, &p, &nr[sel->n - 1], err, errlen);
		if (e)
			break;
		if (*p == ',') {
			p++;
			skip_ws(&p);
			if (!*p) {
				e = perr(err, errlen, s, p, "expected a requirement after ,");
				break;
			}
		}
	}
	if (e) {
		if (e == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		label_selector_free(sel);
		return e;
	}
	*out = sel;
	return 0;
}

static bool in_values(const struct requirement *r, const char *v)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++)
		if (!strcmp(r->values[i], v))
			return true;
	return false;
}

bool label_selector_match(const struct label_selector *sel, label_get_fn get, const void *labels)
{
	size_t i;

	for (i = 0; i < sel->n; i++) {
		const struct requirement *r = &sel->reqs[i];
		const char *v = get(labels, r->key);
		long long x;
		char *end;

		switch (r->op) {
		case OP_EXISTS:
			if (!v)
				return false;
			break;
		case OP_NOT_EXISTS:
			if (v)
				return false;
			break;
		case OP_EQ:
		case OP_IN:
			if (!v || !in_values(r, v))
				return false;
			break;
		case OP_NE:
		case OP_NOTIN:
			if (v && in_values(r, v))
				return false;
			break;
		case OP_GT:
		case OP_LT:
			if (!v)
				return false;
			errno = 0;
			x = strtoll(v, &end, 10);
			if (end == v || *end || errno)
				return false;
			if (r->op == OP_GT ? !(x > r->num) : !(x < r->num))
				return false;
			break;
		}
	}
	return true;
}
