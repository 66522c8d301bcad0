// SPDX-License-Identifier: Apache-2.0
/* maxData chunks waiting for their record (policy_chunks.h). */
#include "sensors/policy_chunks.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct chunk_pending {
	uint64_t ktime;		/* the record's */
	uint64_t stamp;		/* last fed (0: free) */
	uint32_t hook_id, tid, slot;
	uint32_t nchunks;	/* taken, in order */
	uint32_t start;		/* the first chunk's offset in the argument */
	uint32_t end;		/* bytes [0, end) of buf are the argument's from start on */
	uint32_t cap;
	bool broken;		/* a chunk out of order: what follows the gap is no use */
	uint8_t *buf;		/* at the argument's own offsets: [0, start) is left for the record's bytes */
};

struct policy_chunks {
	struct chunk_pending p[CHUNKS_PENDING];
	uint64_t clock;
	uint8_t *out[GT_MAX_ARGS];	/* the last joined argument of each slot */
	struct policy_data_stats st;
};

struct policy_chunks *policy_chunks_new(void)
{
	return calloc(1, sizeof(struct policy_chunks));
}

static void release(struct chunk_pending *e)
{
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

void policy_chunks_free(struct policy_chunks *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CHUNKS_PENDING; i++)
		release(&c->p[i]);
	for (size_t i = 0; i < GT_MAX_ARGS; i++)
		free(c->out[i]);
	free(c);
}

static struct chunk_pending *find(struct policy_chunks *c, uint32_t hook_id, uint32_t tid, uint64_t ktime,
				  uint32_t slot)
{
	for (size_t i = 0; i < CHUNKS_PENDING; i++) {
		struct chunk_pending *e = &c->p[i];

		if (e->stamp && e->hook_id == hook_id && e->tid == tid && e->ktime == ktime && e->slot == slot)
			return e;
	}
	return NULL;
}

/* Room for bytes up to end (at most GT_MAXDATA_MAX); false without memory. */
static bool reserve(struct chunk_pending *e, uint32_t end)
{
	uint32_t cap = e->cap ? e->cap : 16384;
	uint8_t *b;

	if (end <= e->cap)
		return true;
	while (cap < end)
		cap *= 2;
	if (cap > GT_MAXDATA_MAX)
		cap = GT_MAXDATA_MAX;
	b = realloc(e->buf, cap);
	if (!b)
		return false;
	e->buf = b;
	e->cap = cap;
	return true;
}

void policy_chunks_add(struct policy_chunks *c, const void *rec, size_t len)
{
	struct msg_gt_chunk r;
	struct chunk_pending *e;
	size_t hdr = offsetof(struct msg_gt_chunk, data);

	if (!c)
		return;
	c->st.received++;
	if (len < hdr) {
		c->st.bad++;
		return;
	}
	memcpy(&r, rec, len < sizeof(r) ? len : sizeof(r));
	if (!r.len || r.len > GT_CHUNK_MAX || r.len > len - hdr || r.slot >= GT_MAX_ARGS || r.off > GT_MAXDATA_MAX ||
	    r.len > GT_MAXDATA_MAX - r.off) {
		c->st.bad++;
		return;
	}
	e = find(c, r.hook_id, r.tid, r.common.ktime, r.slot);
	if (e) {
		c->st.appended++;
		e->stamp = ++c->clock;
		if (e->broken)
			return;
		if (r.off != e->end || r.seq != e->nchunks || !reserve(e, r.off + r.len)) {
			e->broken = true;
			return;
		}
		memcpy(e->buf + r.off, r.data, r.len);
		e->end = r.off + r.len;
		e->nchunks++;
		return;
	}
	/* the start of this argument's chunks went missing: the rest are no use */
	if (r.seq) {
		c->st.not_matched++;
		return;
	}
	/*
	 * A call of this hook by this thread whose record never came (a return
	 * probe's matchReturnArgs filtered it): its chunks go, this one's take over.
	 */
	for (size_t i = 0; i < CHUNKS_PENDING; i++) {
		struct chunk_pending *o = &c->p[i];

		if (o->stamp && o->hook_id == r.hook_id && o->tid == r.tid && o->ktime != r.common.ktime) {
			c->st.not_matched++;
			release(o);
		}
	}
	for (size_t i = 0; i < CHUNKS_PENDING; i++)
		if (!c->p[i].stamp || !e || c->p[i].stamp < e->stamp) {
			e = &c->p[i];
			if (!e->stamp)
				break;
		}
	if (e->stamp) {
		/* the least recently fed argument makes room */
		c->st.not_matched++;
		release(e);
	}
	c->st.added++;
	e->ktime = r.common.ktime;
	e->stamp = ++c->clock;
	e->hook_id = r.hook_id;
	e->tid = r.tid;
	e->slot = r.slot;
	e->start = e->end = r.off;
	if (!reserve(e, r.off + r.len)) {
		e->broken = true;
		return;
	}
	memcpy(e->buf + r.off, r.data, r.len);
	e->end = r.off + r.len;
	e->nchunks = 1;
}

const uint8_t *policy_chunks_join(struct policy_chunks *c, const struct msg_generic *m, size_t slot,
				  const void *first, size_t flen, size_t *out_len)
{
	uint32_t fl, want;
	struct chunk_pending *e;
	const uint8_t *ret = NULL;

	*out_len = 0;
	if (!c || slot >= GT_MAX_ARGS)
		return NULL;
	fl = m->args[slot].flags;
	want = fl >> GT_ARGV_CHUNKS_SHIFT;
	if (!want) {
		/* the kernel's ring had no room for the first one (counted there as a lost record) */
		if (fl & GT_ARGV_CHUNK_LOST)
			c->st.not_matched++;
		return NULL;
	}
	e = find(c, m->hook_id, m->tid, m->common.ktime, (uint32_t)slot);
	if (!e || e->broken || !e->buf || e->start != flen || e->nchunks != want || (fl & GT_ARGV_CHUNK_LOST))
		c->st.not_matched++;
	else
		c->st.matched++;
	/* whatever follows the record's bytes without a gap */
	if (e && e->buf && e->start == flen && e->nchunks) {
		if (flen)
			memcpy(e->buf, first, flen);
		free(c->out[slot]);
		c->out[slot] = e->buf;
		e->buf = NULL;
		*out_len = e->end;
		ret = c->out[slot];
	}
	if (e)
		release(e);
	return ret;
}

void policy_chunks_stats(const struct policy_chunks *c, struct policy_data_stats *st)
{
	if (c)
		*st = c->st;
	else
		memset(st, 0, sizeof(*st));
}
