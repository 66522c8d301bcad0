// SPDX-License-Identifier: Apache-2.0
#include "process/container.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "process/cache.h"

struct container_table {
	struct tg_cgroup **cg;
	size_t cg_buckets, ncg;
	struct container **ct;
	size_t ct_buckets, nct;
	struct container_table_stats st;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return mix64(h);
}

int container_table_new(struct container_table **ret)
{
	struct container_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->cg_buckets = t->ct_buckets = 256;
	t->cg = calloc(t->cg_buckets, sizeof(*t->cg));
	t->ct = calloc(t->ct_buckets, sizeof(*t->ct));
	if (!t->cg || !t->ct) {
		container_table_free(t);
		return -ENOMEM;
	}
	*ret = t;
	return 0;
}

void container_meta_free(struct container_meta *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->image);
	free(m->image_id);
	for (size_t i = 0; i < m->nlabels; i++) {
		free(m->labels[i].key);
		free(m->labels[i].value);
	}
	free(m->labels);
	for (size_t i = 0; i < m->npod_labels; i++) {
		free(m->pod_labels[i].key);
		free(m->pod_labels[i].value);
	}
	free(m->pod_labels);
	free(m->pod_name);
	free(m->pod_namespace);
	free(m->pod_uid);
	free(m);
}

static void container_free(struct container *c)
{
	container_meta_free(c->meta);
	if (c->pod && c->pod_free)
		c->pod_free(c->pod);
	free(c);
}

void container_table_free(struct container_table *t)
{
	if (!t)
		return;
	/* processes are gone by now: whatever is left is freed regardless of references */
	for (size_t i = 0; t->cg && i < t->cg_buckets; i++) {
		for (struct tg_cgroup *g = t->cg[i], *n; g; g = n) {
			n = g->next;
			free(g->path);
			free(g);
		}
	}
	for (size_t i = 0; t->ct && i < t->ct_buckets; i++) {
		for (struct container *c = t->ct[i], *n; c; c = n) {
			n = c->next;
			container_free(c);
		}
	}
	free(t->cg);
	free(t->ct);
	free(t);
}

static void cg_grow(struct container_table *t)
{
	size_t nb = t->cg_buckets * 2;
	struct tg_cgroup **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < t->cg_buckets; i++) {
		for (struct tg_cgroup *g = t->cg[i], *n; g; g = n) {
			size_t s = mix64(g->id) & (nb - 1);

			n = g->next;
			g->next = b[s];
			b[s] = g;
		}
	}
	free(t->cg);
	t->cg = b;
	t->cg_buckets = nb;
}

static void ct_grow(struct container_table *t)
{
	size_t nb = t->ct_buckets * 2;
	struct container **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < t->ct_buckets; i++) {
		for (struct container *c = t->ct[i], *n; c; c = n) {
			size_t s = str_hash(c->id) & (nb - 1);

			n = c->next;
			c->next = b[s];
			b[s] = c;
		}
	}
	free(t->ct);
	t->ct = b;
	t->ct_buckets = nb;
}

struct container *container_table_find(struct container_table *t, const char *id)
{
	if (!t || !id)
		return NULL;
	for (struct container *c = t->ct[str_hash(id) & (t->ct_buckets - 1)]; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

/* The container a parsed cgroup path names, with a new reference. */
static struct container *container_get(struct container_table *t, const struct cgroup_container *w)
{
	struct container *c = container_table_find(t, w->id);
	size_t s;

	if (c) {
		c->refcnt++;
		return c;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	memcpy(c->id, w->id, sizeof(c->id));
	memcpy(c->docker, w->id, CONTAINER_DOCKER_LEN);
	c->docker[CONTAINER_DOCKER_LEN] = '\0';
	c->where = *w;
	c->refcnt = 1;
	if (t->nct + 1 > t->ct_buckets)
		ct_grow(t);
	s = str_hash(c->id) & (t->ct_buckets - 1);
	c->next = t->ct[s];
	t->ct[s] = c;
	t->nct++;
	t->st.containers_seen++;
	return c;
}

static void container_put(struct container_table *t, struct container *c)
{
	struct container **pp;

	if (!c || --c->refcnt > 0)
		return;
	if (t) {
		for (pp = &t->ct[str_hash(c->id) & (t->ct_buckets - 1)]; *pp; pp = &(*pp)->next) {
			if (*pp == c) {
				*pp = c->next;
				t->nct--;
				break;
			}
		}
	}
	container_free(c);
}

struct tg_cgroup *container_table_find_cgroup(struct container_table *t, uint64_t id)
{
	if (!t || !id)
		return NULL;
	for (struct tg_cgroup *g = t->cg[mix64(id) & (t->cg_buckets - 1)]; g; g = g->next)
		if (g->id == id)
			return g;
	return NULL;
}

struct tg_cgroup *container_table_cgroup(struct container_table *t, uint64_t id, const char *path, size_t path_len,
					 uint32_t flags)
{
	struct tg_cgroup *g = container_table_find_cgroup(t, id);
	struct cgroup_container w;

	if (g) {
		/* known by id only until now: learn its path */
		if (!g->path[0] && path && path_len) {
			char *np = strndup(path, path_len);

			if (np) {
				free(g->path);
				g->path = np;
				if (!g->container && cgroup_parse_container(g->path, &w))
					g->container = container_get(t, &w);
			}
		}
		g->refcnt++;
		return g;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->id = id;
	g->flags = flags;
	g->path = path ? strndup(path, path_len) : strdup("");
	if (!g->path) {
		free(g);
		return NULL;
	}
	if (g->path[0] && cgroup_parse_container(g->path, &w))
		g->container = container_get(t, &w);
	g->refcnt = 1;
	g->table = t;
	if (id) {
		size_t s;

		if (t->ncg + 1 > t->cg_buckets)
			cg_grow(t);
		s = mix64(id) & (t->cg_buckets - 1);
		g->next = t->cg[s];
		t->cg[s] = g;
		t->ncg++;
	}
	return g;
}

struct tg_cgroup *tg_cgroup_get(struct tg_cgroup *g)
{
	if (g)
		g->refcnt++;
	return g;
}

void tg_cgroup_put(struct tg_cgroup *g)
{
	struct container_table *t;

	if (!g || --g->refcnt > 0)
		return;
	t = g->table;
	if (t && g->id) {
		for (struct tg_cgroup **pp = &t->cg[mix64(g->id) & (t->cg_buckets - 1)]; *pp; pp = &(*pp)->next) {
			if (*pp == g) {
				*pp = g->next;
				t->ncg--;
				break;
			}
		}
	}
	container_put(t, g->container);
	free(g->path);
	free(g);
}

void container_table_each(struct container_table *t, int (*fn)(void *ctx, struct container *c), void *ctx)
{
	for (size_t i = 0; t && i < t->ct_buckets; i++)
		for (struct container *c = t->ct[i], *n; c; c = n) {
			n = c->next;
			if (fn(ctx, c))
				return;
		}
}

void container_table_stats(const struct container_table *t, struct container_table_stats *ret)
{
	*ret = t->st;
	ret->cgroups = t->ncg;
	ret->containers = t->nct;
}

void container_set_meta(struct container *c, struct container_meta *m)
{
	container_meta_free(c->meta);
	c->meta = m;
	c->gen++;
}

void container_set_pod(struct container *c, void *pod, void (*free_fn)(void *pod))
{
	if (c->pod && c->pod_free)
		c->pod_free(c->pod);
	c->pod = pod;
	c->pod_free = free_fn;
	c->gen++;
}

void container_pending_add(struct container *c, unsigned what)
{
	c->pending |= what;
}

void container_pending_done(struct container *c, unsigned what)
{
	c->pending &= ~what;
}

struct container *process_container(const struct process *p)
{
	return p && p->cgroup ? p->cgroup->container : NULL;
}

const char *process_container_id(const struct process *p)
{
	struct container *c = process_container(p);

	return c ? c->id : NULL;
}

uint64_t process_cgroup_id(const struct process *p)
{
	return p && p->cgroup ? p->cgroup->id : 0;
}

const char *process_cgroup_path(const struct process *p)
{
	return p && p->cgroup ? p->cgroup->path : "";
}
