// SPDX-License-Identifier: Apache-2.0
#include "metrics/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mtable_entry {
	uint64_t hash;
	uint64_t v;
	const char *vals[MTABLE_MAX_LABELS];	/* point into data */
	char data[];
};

static const char *val(const char *const *vals, size_t i)
{
	return vals[i] ? vals[i] : "";
}

/* FNV-1a over the values, each ended by its NUL so ("a","bc") != ("ab","c") */
static uint64_t hash_vals(const struct mtable *t, const char *const *vals)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < t->nlabels; i++) {
		const unsigned char *p = (const unsigned char *)val(vals, i);

		do {
			h ^= *p;
			h *= 0x100000001b3ULL;
		} while (*p++);
	}
	return h;
}

static bool same(const struct mtable *t, const struct mtable_entry *e, uint64_t h, const char *const *vals)
{
	if (e->hash != h)
		return false;
	for (size_t i = 0; i < t->nlabels; i++)
		if (strcmp(e->vals[i], val(vals, i)))
			return false;
	return true;
}

int mtable_init(struct mtable *t, const char *const *label_names, size_t nlabels, size_t max_entries)
{
	memset(t, 0, sizeof(*t));
	if (nlabels > MTABLE_MAX_LABELS)
		return -EINVAL;
	t->nlabels = nlabels;
	t->label_names = label_names;
	t->max_entries = max_entries;
	return 0;
}

void mtable_free(struct mtable *t)
{
	for (size_t i = 0; i < t->nslots; i++)
		free(t->slots[i]);
	free(t->slots);
	t->slots = NULL;
	t->nslots = t->n = 0;
}

static struct mtable_entry **find(const struct mtable *t, uint64_t h, const char *const *vals)
{
	size_t mask = t->nslots - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask)
		if (!t->slots[i] || same(t, t->slots[i], h, vals))
			return &t->slots[i];
}

/* Keep the load under one half (nslots is a power of two). */
static int grow(struct mtable *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 16;
	struct mtable_entry **old = t->slots, **s = calloc(n, sizeof(*s));
	size_t oldn = t->nslots;

	if (!s)
		return -ENOMEM;
	t->slots = s;
	t->nslots = n;
	for (size_t i = 0; i < oldn; i++) {
		size_t j;

		if (!old[i])
			continue;
		for (j = old[i]->hash & (n - 1); s[j]; j = (j + 1) & (n - 1))
			;
		s[j] = old[i];
	}
	free(old);
	return 0;
}

int mtable_add(struct mtable *t, const char *const *vals, uint64_t v, bool force)
{
	uint64_t h = hash_vals(t, vals);
	struct mtable_entry **slot, *e;
	size_t size = 0;
	char *p;

	if (t->nslots) {
		slot = find(t, h, vals);
		if (*slot) {
			(*slot)->v += v;
			return 0;
		}
	}
	if (t->n >= t->max_entries && !force)
		return -ENOSPC;
	if ((t->n + 1) * 2 > t->nslots && grow(t))
		return -ENOMEM;
	for (size_t i = 0; i < t->nlabels; i++)
		size += strlen(val(vals, i)) + 1;
	e = malloc(sizeof(*e) + size);
	if (!e)
		return -ENOMEM;
	e->hash = h;
	e->v = v;
	p = e->data;
	for (size_t i = 0; i < t->nlabels; i++) {
		size_t l = strlen(val(vals, i)) + 1;

		memcpy(p, val(vals, i), l);
		e->vals[i] = p;
		p += l;
	}
	*find(t, h, vals) = e;
	t->n++;
	return 0;
}

uint64_t mtable_get(const struct mtable *t, const char *const *vals)
{
	struct mtable_entry *e;

	if (!t->nslots)
		return 0;
	e = *find(t, hash_vals(t, vals), vals);
	return e ? e->v : 0;
}

static int cmp_entries(const void *a, const void *b, void *nlabels)
{
	const struct mtable_entry *x = *(const struct mtable_entry *const *)a;
	const struct mtable_entry *y = *(const struct mtable_entry *const *)b;

	for (size_t i = 0; i < *(const size_t *)nlabels; i++) {
		int c = strcmp(x->vals[i], y->vals[i]);

		if (c)
			return c;
	}
	return 0;
}

void mtable_render(const struct mtable *t, struct strbuf *sb, const char *name)
{
	struct mtable_entry **v;
	size_t n = 0;

	if (!t->n)
		return;
	v = malloc(t->n * sizeof(*v));
	if (!v) {
		sb->oom = 1;	/* an incomplete page is not published */
		return;
	}
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i])
			v[n++] = t->slots[i];
	qsort_r(v, n, sizeof(*v), cmp_entries, (void *)&t->nlabels);
	for (size_t i = 0; i < n; i++) {
		struct metric_label l[MTABLE_MAX_LABELS];

		for (size_t k = 0; k < t->nlabels; k++) {
			l[k].name = t->label_names[k];
			l[k].value = v[i]->vals[k];
		}
		metrics_sample_u64(sb, name, l, t->nlabels, v[i]->v);
	}
	free(v);
}
