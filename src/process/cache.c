// SPDX-License-Identifier: Apache-2.0
#include "process/cache.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/container.h"
#include "util/log.h"
#include "util/strbuf.h"

struct process_cache {
	char *node_name;
	void (*view_free)(void *view);
	struct process **by_key;
	struct process **by_pid;
	size_t nbuckets;	/* power of two, both tables */
	struct process_cache_stats st;
	/* exited entries kept for queued records, oldest first */
	uint64_t (*hold_pos)(void *ctx);
	void *hold_ctx;
	struct process *hold_head, *hold_tail;
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline size_t key_slot(const struct process_cache *c, uint32_t pid, uint64_t ktime)
{
	return mix64(((uint64_t)pid << 32) ^ ktime ^ pid) & (c->nbuckets - 1);
}

static inline size_t pid_slot(const struct process_cache *c, uint32_t pid)
{
	return mix64(pid) & (c->nbuckets - 1);
}

int process_cache_new(struct process_cache **ret, const struct process_cache_opts *o)
{
	struct process_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->node_name = strdup(o->node_name ? o->node_name : "");
	c->view_free = o->view_free;
	c->nbuckets = 4096;
	c->by_key = calloc(c->nbuckets, sizeof(*c->by_key));
	c->by_pid = calloc(c->nbuckets, sizeof(*c->by_pid));
	if (!c->node_name || !c->by_key || !c->by_pid) {
		process_cache_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void envs_put(struct envs_blob *b)
{
	if (b && !--b->refs)
		free(b);
}

static void entry_free(struct process_cache *c, struct process *p)
{
	if (p->view && c->view_free)
		c->view_free(p->view);
	free(p->exec_id);
	free(p->parent_exec_id);
	free(p->binary);
	free(p->arguments);
	free(p->cwd);
	envs_put(p->envs);
	free(p->user_name);
	tg_cgroup_put(p->cgroup);
	free(p);
}

void process_cache_free(struct process_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; c->by_key && i < c->nbuckets; i++) {
		struct process *p = c->by_key[i], *n;

		for (; p; p = n) {
			n = p->hnext;
			entry_free(c, p);
		}
	}
	free(c->by_key);
	free(c->by_pid);
	free(c->node_name);
	free(c);
}

char *process_cache_exec_id(const struct process_cache *c, uint32_t pid, uint64_t ktime)
{
	struct strbuf raw = STRBUF_INIT, out = STRBUF_INIT;

	strbuf_addf(&raw, "%s:%" PRIu64 ":%u", c->node_name, ktime, pid);
	strbuf_add_base64(&out, raw.buf ? raw.buf : "", raw.len);
	strbuf_free(&raw);
	if (out.oom) {
		strbuf_free(&out);
		return NULL;
	}
	return strbuf_detach(&out, NULL);
}

static void grow(struct process_cache *c)
{
	size_t n = c->nbuckets * 2;
	struct process **bk = calloc(n, sizeof(*bk)), **bp = calloc(n, sizeof(*bp));
	struct process_cache tmp = *c;

	if (!bk || !bp) {
		free(bk);
		free(bp);
		return;	/* keep working with longer chains */
	}
	tmp.nbuckets = n;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct process *p, *next;

		for (p = c->by_key[i]; p; p = next) {
			size_t s = key_slot(&tmp, p->pid, p->ktime);

			next = p->hnext;
			p->hnext = bk[s];
			bk[s] = p;
		}
		for (p = c->by_pid[i]; p; p = next) {
			size_t s = pid_slot(&tmp, p->pid);

			next = p->pnext;
			p->pnext = bp[s];
			bp[s] = p;
		}
	}
	free(c->by_key);
	free(c->by_pid);
	c->by_key = bk;
	c->by_pid = bp;
	c->nbuckets = n;
}

static struct process *find_key(struct process_cache *c, uint32_t pid, uint64_t ktime)
{
	struct process *p = c->by_key[key_slot(c, pid, ktime)];

	for (; p; p = p->hnext)
		if (p->pid == pid && p->ktime == ktime)
			return p;
	return NULL;
}

static struct process *find_pid(struct process_cache *c, uint32_t pid)
{
	struct process *p = c->by_pid[pid_slot(c, pid)];

	for (; p; p = p->pnext)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void unlink_pid(struct process_cache *c, struct process *e)
{
	struct process **pp = &c->by_pid[pid_slot(c, e->pid)];

	for (; *pp; pp = &(*pp)->pnext) {
		if (*pp == e) {
			*pp = e->pnext;
			e->pnext = NULL;
			return;
		}
	}
}

static void unlink_key(struct process_cache *c, struct process *e)
{
	struct process **pp = &c->by_key[key_slot(c, e->pid, e->ktime)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			return;
		}
	}
}

/* Iterative, so a long chain of dying ancestors cannot blow the stack. */
static void put(struct process_cache *c, struct process *p)
{
	while (p && --p->refcnt <= 0) {
		struct process *parent = p->parent;

		unlink_key(c, p);
		if (find_pid(c, p->pid) == p)
			unlink_pid(c, p);
		entry_free(c, p);
		c->st.size--;
		c->st.frees++;
		p = parent;
	}
}

static void drop_live(struct process_cache *c, struct process *p)
{
	uint64_t pos;

	if (!p->live)
		return;
	p->live = false;
	if (find_pid(c, p->pid) == p)
		unlink_pid(c, p);
	pos = c->hold_pos ? c->hold_pos(c->hold_ctx) : 0;
	if (!pos) {
		put(c, p);
		return;
	}
	/* the live reference goes at release */
	p->hold_pos = pos;
	p->hold_next = NULL;
	if (c->hold_tail)
		c->hold_tail->hold_next = p;
	else
		c->hold_head = p;
	c->hold_tail = p;
	c->st.held++;
}

void process_cache_set_hold(struct process_cache *c, uint64_t (*pos)(void *ctx), void *ctx)
{
	c->hold_pos = pos;
	c->hold_ctx = ctx;
}

void process_cache_release(struct process_cache *c, uint64_t consumed)
{
	/* positions only grow: the list is in release order */
	while (c->hold_head && c->hold_head->hold_pos <= consumed) {
		struct process *p = c->hold_head;

		c->hold_head = p->hold_next;
		if (!c->hold_head)
			c->hold_tail = NULL;
		p->hold_next = NULL;
		c->st.held--;
		put(c, p);
	}
}

struct process *process_cache_get(struct process_cache *c, uint32_t pid, uint64_t ktime)
{
	struct process *p = ktime ? find_key(c, pid, ktime) : find_pid(c, pid);

	if (!p)
		c->st.misses++;
	return p;
}

/* The current incarnation of pid if it began no later than before (0: any). */
static struct process *find_pid_before(struct process_cache *c, uint32_t pid, uint64_t before)
{
	struct process *p = find_pid(c, pid);

	return p && (!before || p->ktime <= before) ? p : NULL;
}

struct process *process_cache_find(struct process_cache *c, uint32_t pid, uint64_t ktime, uint64_t before)
{
	struct process *p = ktime ? find_key(c, pid, ktime) : NULL;

	if (!p)
		p = find_pid_before(c, pid, ktime ? ktime : before);
	if (!p)
		c->st.misses++;
	return p;
}

struct process *process_cache_find_at(struct process_cache *c, uint32_t pid, uint64_t t)
{
	struct process *p = find_pid(c, pid), *best = NULL;

	if (p && p->ktime <= t)
		return p;
	for (struct process *h = c->hold_head; h; h = h->hold_next)
		if (h->pid == pid && h->ktime <= t && (!best || h->ktime > best->ktime))
			best = h;
	return best ? best : p;
}

struct process *process_cache_add(struct process_cache *c, struct process *e,
				  const struct msg_execve_key *parent_key, uint32_t parent_pid,
				  const struct msg_execve_key *replaced)
{
	struct process *p, *parent = NULL, *old;

	p = malloc(sizeof(*p));
	if (!p)
		goto oom;
	*p = *e;
	p->exec_id = process_cache_exec_id(c, p->pid, p->ktime);
	if (!p->exec_id) {
		free(p);
		goto oom;
	}
	/* by pid only an incarnation older than the child: a later one reuses the pid */
	if (parent_key && parent_key->pid)
		parent = find_key(c, parent_key->pid, parent_key->ktime);
	if (!parent && parent_key && parent_key->pid)
		parent = find_pid_before(c, parent_key->pid, parent_key->ktime ? parent_key->ktime : p->ktime);
	if (!parent && parent_pid)
		parent = find_pid_before(c, parent_pid, p->ktime);
	p->parent = parent;
	if (parent) {
		parent->refcnt++;
		p->parent_exec_id = strdup(parent->exec_id);
	} else if (parent_key && parent_key->pid && parent_key->ktime) {
		p->parent_exec_id = process_cache_exec_id(c, parent_key->pid, parent_key->ktime);
	} else {
		/* Like upstream: an unknown parent reads as pid 0 at ktime 1. */
		p->parent_exec_id = process_cache_exec_id(c, 0, 1);
	}
	p->refcnt = 1;
	p->live = true;
	p->hnext = p->pnext = NULL;
	p->view = NULL;

	/* A duplicate key (procfs scan racing a live event) keeps the first. */
	old = find_key(c, p->pid, p->ktime);
	if (old) {
		p->refcnt = 0;
		p->parent = NULL;
		if (parent)
			parent->refcnt--;
		entry_free(c, p);
		e->binary = e->arguments = e->cwd = e->user_name = NULL;
		e->envs = NULL;
		e->cgroup = NULL;
		return old;
	}

	if (replaced && replaced->pid) {
		old = find_key(c, replaced->pid, replaced->ktime);
		if (old)
			drop_live(c, old);
	}
	/* Whatever still claims this pid is an earlier incarnation now. */
	old = find_pid(c, p->pid);
	if (old)
		drop_live(c, old);

	if (c->st.size + 1 > c->nbuckets)
		grow(c);
	size_t s = key_slot(c, p->pid, p->ktime);
	p->hnext = c->by_key[s];
	c->by_key[s] = p;
	s = pid_slot(c, p->pid);
	p->pnext = c->by_pid[s];
	c->by_pid[s] = p;
	c->st.size++;
	c->st.inserts++;
	e->binary = e->arguments = e->cwd = e->user_name = NULL;
	e->envs = NULL;
	e->cgroup = NULL;
	return p;
oom:
	log_error("process cache: out of memory adding pid %u", e->pid);
	return NULL;
}

void process_cache_ref(struct process *p)
{
	p->refcnt++;
}

void process_cache_unref(struct process_cache *c, struct process *p)
{
	put(c, p);
}

void process_cache_exit(struct process_cache *c, struct process *p)
{
	drop_live(c, p);
}

struct reap_key {
	uint32_t pid;
	uint64_t ktime;
};

void process_cache_reap(struct process_cache *c, const struct process_cache_sweep *sw)
{
	size_t n = 0, cap = 64;
	struct reap_key *dead = malloc(cap * sizeof(*dead));

	if (!dead)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		for (struct process *p = c->by_pid[i]; p; p = p->pnext) {
			if (!p->live || !sw->gone(sw->ctx, p))
				continue;
			if (n == cap) {
				struct reap_key *d = realloc(dead, 2 * cap * sizeof(*d));

				if (!d)
					goto drain;
				dead = d;
				cap *= 2;
			}
			dead[n].pid = p->pid;
			dead[n].ktime = p->ktime;
			n++;
		}
	}
drain:
	/*
	 * Their exit (or exec) records were queued before they were seen
	 * gone: handle everything queued so far, then drop what those records
	 * did not. Keys, not pointers: handling records frees entries.
	 */
	if (n && sw->drain && sw->drain(sw->ctx)) {
		c->st.reap_deferred++;
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct process *p = find_key(c, dead[i].pid, dead[i].ktime);

		if (p && p->live) {
			c->st.stale_reaped++;
			drop_live(c, p);
		}
	}
	free(dead);
}

void process_cache_trim(struct process_cache *c, size_t capacity, const struct process_cache_sweep *sw)
{
	size_t n = 0, cap = 64;
	struct process **links;

	if (c->st.size <= capacity)
		return;
	process_cache_reap(c, sw);
	if (c->st.size <= capacity)
		return;
	/*
	 * Still over: cut children loose from parents that already exited.
	 * They keep parent_exec_id, only the cached parent record goes.
	 */
	links = malloc(cap * sizeof(*links));
	if (!links)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		for (struct process *p = c->by_key[i]; p; p = p->hnext) {
			if (!p->parent || p->parent->live)
				continue;
			if (n == cap) {
				struct process **l = realloc(links, 2 * cap * sizeof(*l));

				if (!l)
					goto out;
				links = l;
				cap *= 2;
			}
			links[n++] = p;
		}
	}
out:
	/* Cut every link first, then drop the references: a put may free
	 * entries that are themselves in links[]. */
	for (size_t i = 0; i < n; i++) {
		struct process *parent = links[i]->parent;

		links[i]->parent = NULL;
		links[i] = parent;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t before = c->st.frees;

		put(c, links[i]);
		c->st.evictions += c->st.frees - before;
	}
	free(links);
}

void process_cache_stats(const struct process_cache *c, struct process_cache_stats *ret)
{
	*ret = c->st;
}
