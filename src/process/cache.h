/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process cache: one entry per process incarnation (exec or fork), keyed by
 * (pid, ktime) exactly as the kernel's execve_map, plus an index of the
 * current incarnation of each pid.
 *
 * Lifetime: an entry holds one reference for being the live incarnation and
 * one per child entry still cached. Exit or replacement by a later exec drops
 * the first; freeing an entry drops its reference on its parent. So parents
 * stay exactly as long as some cached descendant can still name them.
 */
#ifndef TG_PROCESS_CACHE_H
#define TG_PROCESS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/msg_process.h"

struct tg_cgroup;

/*
 * A process' environment_variables as upstream reports them: n pairs
 * "key\0value\0" in data (len bytes). Shared, counted: a fork runs its
 * parent's image, so it refers to the parent's.
 */
struct envs_blob {
	unsigned refs;
	uint32_t n;
	uint32_t len;
	char data[];
};

static inline struct envs_blob *envs_get(struct envs_blob *b)
{
	if (b)
		b->refs++;
	return b;
}

void envs_put(struct envs_blob *b);

struct process {
	/* identity */
	uint32_t pid;
	uint64_t ktime;
	char *exec_id;
	struct process *parent;		/* referenced; NULL when unknown */
	char *parent_exec_id;		/* kept even when the parent is not cached */

	uint32_t tid;
	uint32_t nspid;
	uint32_t auid;
	uint32_t flags;			/* EVENT_* */
	char *binary;
	char *arguments;
	char *cwd;
	uint64_t start_time_ns;		/* wall clock, ns since the epoch */
	struct msg_cred creds;
	struct msg_ns ns;
	uint32_t secureexec;		/* EXEC_*, exec events only */
	uint32_t nlink;
	uint64_t ino;
	struct tg_cgroup *cgroup;	/* referenced; NULL when unknown (process/container.h) */
	struct envs_blob *envs;		/* environment_variables, shared with its forks; NULL: none */
	char *user_name;		/* user.name (--username-metadata); NULL: unknown */
	uint64_t root_ino;		/* its root directory as the kernel saw it at exec (0: unknown) */
	uint32_t root_dev;

	/* bookkeeping */
	int refcnt;
	bool live;			/* not yet exited nor replaced */
	uint16_t held;			/* events of it held for its container's metadata */
	struct process *hnext;		/* (pid, ktime) chain */
	struct process *pnext;		/* pid -> current chain */
	struct process *hold_next;	/* exited, held for records still queued */
	uint64_t hold_pos;

	/* Encoded view owned by the event layer, built once on first use. */
	void *view;
};

struct process_cache_stats {
	uint64_t size;
	uint64_t inserts;
	uint64_t frees;
	uint64_t misses;		/* lookups that found nothing */
	uint64_t stale_reaped;		/* live entries whose process vanished unseen */
	uint64_t evictions;		/* exited parents dropped to stay under capacity */
	uint64_t reap_deferred;		/* sweeps that waited: the ring buffer could not be drained */
	uint64_t held;			/* exited entries waiting for queued records (now) */
};

struct process_cache;

struct process_cache_opts {
	const char *node_name;
	void (*view_free)(void *view);	/* frees process->view */
};

int process_cache_new(struct process_cache **ret, const struct process_cache_opts *o);
void process_cache_free(struct process_cache *c);

/* exec_id of (pid, ktime) on this node; caller frees. */
char *process_cache_exec_id(const struct process_cache *c, uint32_t pid, uint64_t ktime);

/*
 * Create the entry for a new incarnation. @e's identity fields are set by
 * the caller; strings, user_name and the envs reference are taken over (freed by the cache). @parent_key may
 * be {0}, then @parent_pid's current incarnation is used. @replaced is the
 * entry this one supersedes (exec after clone/exec), {0} for none. Returns
 * the entry (owned by the cache) or NULL on allocation failure.
 */
struct process *process_cache_add(struct process_cache *c, struct process *e,
				  const struct msg_execve_key *parent_key, uint32_t parent_pid,
				  const struct msg_execve_key *replaced);

/* Exact lookup; ktime 0 means "the current incarnation of pid". */
struct process *process_cache_get(struct process_cache *c, uint32_t pid, uint64_t ktime);

/*
 * The incarnation a kernel record names: (pid, ktime) exactly; failing that
 * (or with ktime 0) the current incarnation of pid, but only one that began
 * no later than @before (the record's own time or key; 0: no bound): a later
 * one reuses the pid and cannot be the one meant.
 */
struct process *process_cache_find(struct process_cache *c, uint32_t pid, uint64_t ktime, uint64_t before);
/*
 * The incarnation of pid that ran at time t, for records that name a pid
 * only (spec.loader's mmap records): the live one if it began by t, else
 * the newest one that began by t and exited but is still held, else the
 * live one (it began after t: the exec that mapped its own binary). No
 * miss is counted. NULL if none.
 */
struct process *process_cache_find_at(struct process_cache *c, uint32_t pid, uint64_t t);

/*
 * Keep @p (and the ancestors it names) while something outside the cache,
 * a held event, still needs it; process_cache_unref() lets it go.
 */
void process_cache_ref(struct process *p);
void process_cache_unref(struct process_cache *c, struct process *p);

/* The process exited: drop its live reference (entry may be freed, or held). */
void process_cache_exit(struct process_cache *c, struct process *p);

/*
 * Records of another ring buffer (the policy programs') may still name a
 * process after its exit was handled: with a hold, an entry that stops being
 * live stays findable by key until process_cache_release() passes the
 * position pos() returned then (0: nothing queued, free it now).
 */
void process_cache_set_hold(struct process_cache *c, uint64_t (*pos)(void *ctx), void *ctx);
void process_cache_release(struct process_cache *c, uint64_t consumed);

/*
 * What the sweep needs from the kernel. gone(): p's incarnation provably
 * ended (its pid is free, or belongs to a later incarnation), so its exit or
 * exec record, if any, is already in the ring buffer. drain(): handle every
 * record produced so far; 0 when done, else the sweep reaps nothing now.
 */
struct process_cache_sweep {
	bool (*gone)(void *ctx, const struct process *p);
	int (*drain)(void *ctx);
	void *ctx;
};

/*
 * Drop live entries whose process ended without its exit being handled
 * (a lost record): only those seen gone before a drain that handled every
 * record queued by then, so an exit still in the ring buffer is never lost.
 */
void process_cache_reap(struct process_cache *c, const struct process_cache_sweep *sw);

/*
 * Bring the cache back under @capacity: first reap vanished processes, then
 * drop exited ancestors still held by children (children keep their
 * parent_exec_id). Live processes are never dropped.
 */
void process_cache_trim(struct process_cache *c, size_t capacity, const struct process_cache_sweep *sw);

void process_cache_stats(const struct process_cache *c, struct process_cache_stats *ret);

#endif
