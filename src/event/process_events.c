// SPDX-License-Identifier: Apache-2.0
#include "event/process_events.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/redaction.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "event/process_facts.h"
#include "process/userdb.h"
#include "process/args.h"
#include "util/ktime.h"
#include "util/log.h"

struct held_event {
	struct held_event *next;
	struct process *p;		/* referenced */
	uint64_t deadline_ms;
	uint64_t exit_ktime;		/* 0: the exec event */
	uint32_t code;
};

static void set_time(Google__Protobuf__Timestamp *ts, uint64_t wall_ns)
{
	google__protobuf__timestamp__init(ts);
	ts->seconds = (int64_t)(wall_ns / 1000000000ULL);
	ts->nanos = (int32_t)(wall_ns % 1000000000ULL);
}

/* "SIGKILL" etc., the names Go's unix.SignalName gives. */
static const char *signal_name(uint32_t sig)
{
	static char names[65][24];
	const char *abbrev;

	if (sig == 0 || sig > 64)
		return "SIGUNKNOWN";
	if (!names[sig][0]) {
		abbrev = sigabbrev_np((int)sig);
		snprintf(names[sig], sizeof(names[sig]), "SIG%s", abbrev ? abbrev : "UNKNOWN");
	}
	return names[sig];
}

static void emit_exec_now(struct process_events *pe, struct process *p)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessExec exec = TETRAGON__PROCESS_EXEC__INIT;
	Google__Protobuf__Timestamp ts;
	const Tetragon__Process *proc;
	const Tetragon__BinaryProperties *bp;
	Tetragon__Process with_props;
	Tetragon__Process *anc[ANCESTORS_MAX];

	proc = process_view(p, &pe->view);
	if (!proc)
		return;
	/* binary_properties belongs to the exec event only, not to the cached process */
	bp = process_view_binary_properties(p, &pe->view);
	if (bp) {
		with_props = *proc;
		with_props.binary_properties = (Tetragon__BinaryProperties *)bp;
		proc = &with_props;
	}
	exec.process = (Tetragon__Process *)proc;
	if (p->parent)
		exec.parent = (Tetragon__Process *)process_view(p->parent, &pe->view);
	exec.n_ancestors = process_view_ancestors(p, &pe->view, ANCESTORS_BASE, anc, ANCESTORS_MAX,
						  &pe->ancestors_truncated);
	exec.ancestors = anc;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
	ev.process_exec = &exec;
	ev.node_name = (char *)pe->node_name;
	set_time(&ts, p->start_time_ns);
	ev.time = &ts;
	pipeline_emit(pe->pipeline, &ev);
}

static void emit_exit_now(struct process_events *pe, struct process *p, uint32_t code, uint64_t ktime)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessExit ex = TETRAGON__PROCESS_EXIT__INIT;
	Google__Protobuf__Timestamp ts, ts2;
	Tetragon__Process *anc[ANCESTORS_MAX];
	uint32_t sig;

	ex.process = (Tetragon__Process *)process_view(p, &pe->view);
	if (!ex.process)
		return;
	if (p->parent)
		ex.parent = (Tetragon__Process *)process_view(p->parent, &pe->view);
	ex.n_ancestors = process_view_ancestors(p, &pe->view, ANCESTORS_BASE, anc, ANCESTORS_MAX,
						&pe->ancestors_truncated);
	ex.ancestors = anc;
	/* wait status: low 7 bits the signal (0x80 = core dumped), then the code */
	sig = code & 0x7f;
	if (sig)
		ex.signal = (char *)signal_name(sig);
	ex.status = (code >> 8) & 0xff;
	set_time(&ts, ktime_mono_to_wall(ktime));
	ex.time = &ts;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT;
	ev.process_exit = &ex;
	ev.node_name = (char *)pe->node_name;
	ts2 = ts;
	ev.time = &ts2;
	pipeline_emit(pe->pipeline, &ev);
}

static uint64_t now_ms(void)
{
	return ktime_now_mono() / 1000000;
}

static void emit_held(struct process_events *pe, struct held_event *e)
{
	if (e->exit_ktime)
		emit_exit_now(pe, e->p, e->code, e->exit_ktime);
	else
		emit_exec_now(pe, e->p);
}

/* Has p's container anything still coming? (or p events held already: keep the order) */
static bool must_hold(struct process_events *pe, struct process *p)
{
	struct container *c;

	if (!pe->hold.wait_ms)
		return false;
	if (p->held)
		return true;
	c = process_container(p);
	return c && c->pending;
}

static void unlink_release(struct process_events *pe, struct held_event *prev, struct held_event *e)
{
	struct event_hold *h = &pe->hold;

	if (prev)
		prev->next = e->next;
	else
		h->head = e->next;
	if (h->tail == e)
		h->tail = prev;
	h->n--;
	e->p->held--;
}

static void release_one(struct process_events *pe, struct held_event *e)
{
	struct container *c = process_container(e->p);

	if (c && (c->meta || c->pod))
		pe->hold.released++;
	else if (e->exit_ktime)
		pe->hold.failed_exit++;
	else
		pe->hold.failed_exec++;
	emit_held(pe, e);
	process_cache_unref(pe->cache, e->p);
	free(e);
}

static void hold(struct process_events *pe, struct process *p, uint64_t exit_ktime, uint32_t code)
{
	struct event_hold *h = &pe->hold;
	struct held_event *e;

	if (h->n >= h->max && h->head) {
		e = h->head;
		unlink_release(pe, NULL, e);
		h->overflows++;
		release_one(pe, e);
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		if (exit_ktime)
			emit_exit_now(pe, p, code, exit_ktime);
		else
			emit_exec_now(pe, p);
		return;
	}
	e->p = p;
	process_cache_ref(p);
	p->held++;
	e->deadline_ms = now_ms() + h->wait_ms;
	e->exit_ktime = exit_ktime;
	e->code = code;
	if (h->tail)
		h->tail->next = e;
	else
		h->head = e;
	h->tail = e;
	h->n++;
	h->inserts++;
}

void process_events_release(struct process_events *pe, uint64_t now, bool all)
{
	struct held_event *prev = NULL, *e, *next;

	for (e = pe->hold.head; e; e = next) {
		struct container *c = process_container(e->p);

		next = e->next;
		/* an exit waits for its own exec, earlier in the list */
		if (!all && c && c->pending && now < e->deadline_ms) {
			prev = e;
			continue;
		}
		unlink_release(pe, prev, e);
		release_one(pe, e);
	}
}

void process_events_emit_exec(struct process_events *pe, struct process *p)
{
	if (must_hold(pe, p))
		hold(pe, p, 0, 0);
	else
		emit_exec_now(pe, p);
}

struct tg_cgroup *process_events_cgroup(struct process_events *pe, uint64_t id, const char *path)
{
	if (!pe->containers || (!id && (!path || !*path)))
		return NULL;
	return container_table_cgroup(pe->containers, id, path, path ? strlen(path) : 0, 0);
}

/* The process entered (or was found in) a container: it may want looking up. */
static void seen_in(struct process_events *pe, struct process *p)
{
	struct container *c = process_container(p);

	if (c && pe->on_container)
		pe->on_container(pe->on_container_ctx, c);
}

static struct tg_cgroup *record_cgroup(struct process_events *pe, const struct msg_cgroup *g, const char *path,
				       uint32_t flags)
{
	if (!pe->containers || (!g->id && !g->path_len))
		return NULL;
	return container_table_cgroup(pe->containers, g->id, path, g->path_len,
				      flags & (EVENT_ERROR_CGROUP_NAME | EVENT_ERROR_CGROUP_SUBSYSCGRP |
					       EVENT_ERROR_CGROUP_SUBSYS | EVENT_ERROR_CGROUPS |
					       EVENT_ERROR_CGROUP_ID));
}

static int handle_exec(struct process_events *pe, const struct msg_exec *m, size_t len)
{
	struct process e = { 0 };
	const char *data = (const char *)(m + 1);
	struct process *p;
	bool dup;
	char *cwd;

	if (len < sizeof(*m) ||
	    len < sizeof(*m) + (size_t)m->filename_len + m->args_len + m->cwd_len + m->cgrp.path_len + m->envs_len)
		return -EINVAL;

	if (m->flags & EVENT_ROOT_CWD)
		cwd = strdup("/");
	else
		cwd = strndup(data + m->filename_len + m->args_len, m->cwd_len);
	e.pid = m->self.pid;
	e.ktime = m->self.ktime;
	e.tid = m->tid;
	e.nspid = m->nspid;
	e.auid = m->auid;
	e.flags = m->flags;
	e.creds = m->creds;
	e.ns = m->ns;
	e.secureexec = m->secureexec;
	e.nlink = m->nlink;
	e.ino = m->ino;
	/* the exec's time (the key's ktime is the task's start: bpf/lib/task.h task_exec_ktime) */
	e.start_time_ns = ktime_mono_to_wall(m->common.ktime);
	e.cwd = cwd;
	e.binary = binary_absolute(data, m->filename_len, cwd);
	e.arguments = args_decode(data + m->filename_len, m->args_len);
	if (!e.cwd || !e.binary || !e.arguments)
		goto oom;
	/* --redaction-filters: before the process is cached, so every event of it shows the redacted form */
	if (redaction_args(e.binary, &e.arguments) && !e.arguments)
		goto oom;
	e.cgroup = record_cgroup(pe, &m->cgrp, data + m->filename_len + m->args_len + m->cwd_len, m->flags);
	if (pe->envs && m->envs_len) {
		uint64_t cut = 0;

		if (m->common.flags & MSG_EXEC_ENVS_TRUNC)
			pe->envs_truncated++;
		if (envs_collect(data + m->filename_len + m->args_len + m->cwd_len + m->cgrp.path_len, m->envs_len,
				 m->common.flags & MSG_EXEC_ENVS_TRUNC, pe->env_filter, pe->nenv_filter, e.binary, &e.envs,
				 &cut))
			pe->envs_dropped++;	/* out of memory: the event goes without them */
		pe->envs_dropped += cut;
	}
	e.root_dev = m->root_dev;
	e.root_ino = m->root_ino;
	if (pe->users)
		process_events_user(pe, &e, process_cache_find(pe->cache, m->parent.pid ? m->parent.pid : m->parent_pid,
							       m->parent.ktime, m->common.ktime));

	/* the startup scan of /proc reported this very exec already (same key) */
	dup = process_cache_get(pe->cache, e.pid, e.ktime) != NULL;
	p = process_cache_add(pe->cache, &e, &m->parent, m->parent_pid, &m->replaced);
	if (!p)
		goto oom;
	pe->execs++;
	seen_in(pe, p);
	if (dup)
		pe->exec_dups++;
	else
		process_events_emit_exec(pe, p);
	return 0;
oom:
	free(e.cwd);
	free(e.binary);
	free(e.arguments);
	envs_put(e.envs);
	free(e.user_name);
	tg_cgroup_put(e.cgroup);
	return -ENOMEM;
}

void process_events_user(struct process_events *pe, struct process *e, const struct process *parent)
{
	struct userdb_key k = { .mntns = e->ns.mnt, .root_dev = e->root_dev, .root_ino = e->root_ino };
	uint32_t pids[4];
	size_t n = 0, depth = 0;

	if (!pe->users)
		return;
	/* found in /proc: its root as stat(2) tells it */
	if (!e->root_ino && userdb_root_of(pe->users, e->pid, e->ns.mnt, &e->root_dev, &e->root_ino))
		return;
	k.root_dev = e->root_dev;
	k.root_ino = e->root_ino;
	/*
	 * Read through /proc/<pid>/root of the process itself or, when it is
	 * gone already, of an ancestor the kernel saw in the same root.
	 */
	pids[n++] = e->pid;
	for (const struct process *a = parent; a && n < 4 && depth++ < 8; a = a->parent)
		if (a->ns.mnt == e->ns.mnt && a->root_ino == e->root_ino && a->root_dev == e->root_dev && a->live)
			pids[n++] = a->pid;
	e->user_name = userdb_name(pe->users, &k, pids, n, e->creds.euid);
}

static int handle_clone(struct process_events *pe, const struct msg_clone *m, size_t len)
{
	struct process e = { 0 }, *parent, *cur;

	if (len < sizeof(*m))
		return -EINVAL;
	/*
	 * The startup scan of /proc may have cached this pid's exec already
	 * (a later key: the exec bumped self_exec_id); the fork it came from
	 * must not push that out of the cache.
	 */
	cur = process_cache_get(pe->cache, m->self.pid, 0);
	if (cur && cur->live && cur->ktime > m->self.ktime && cur->ktime - m->self.ktime < 4096) {
		pe->clones++;
		return 0;
	}
	/* a parent incarnation that began after the fork would be a reused pid */
	parent = process_cache_find(pe->cache, m->parent.pid ? m->parent.pid : m->parent_pid, m->parent.ktime,
				    m->common.ktime);
	e.pid = m->self.pid;
	e.ktime = m->self.ktime;
	e.tid = m->tid;
	e.nspid = m->nspid;
	e.start_time_ns = ktime_mono_to_wall(m->self.ktime);
	/* A fork runs the parent's image until it execs. */
	if (parent) {
		e.auid = parent->auid;
		e.creds = parent->creds;
		e.ns = parent->ns;
		e.flags = (parent->flags & ~(EVENT_EXECVE | EVENT_PROCFS | EVENT_IN_INIT_TREE)) | m->flags;
		e.binary = strdup(parent->binary);
		e.arguments = strdup(parent->arguments);
		e.cwd = strdup(parent->cwd);
		/* the same image: its environment and user, as upstream's copy of the parent */
		e.envs = envs_get(parent->envs);
		e.user_name = parent->user_name ? strdup(parent->user_name) : NULL;
		e.root_dev = parent->root_dev;
		e.root_ino = parent->root_ino;
	} else {
		e.auid = (uint32_t)-1;
		e.flags = m->flags | EVENT_MISS;
		e.binary = strdup("");
		e.arguments = strdup("");
		e.cwd = strdup("");
	}
	/* the parent's cgroup unless the kernel said otherwise (a path) */
	if (len >= sizeof(*m) + m->cgrp.path_len && m->cgrp.path_len)
		e.cgroup = record_cgroup(pe, &m->cgrp, (const char *)(m + 1), m->flags);
	else if (parent && parent->cgroup && parent->cgroup->id == m->cgrp.id)
		e.cgroup = tg_cgroup_get(parent->cgroup);
	else
		e.cgroup = record_cgroup(pe, &m->cgrp, NULL, m->flags);
	if (!e.binary || !e.arguments || !e.cwd ||
	    !process_cache_add(pe->cache, &e, &m->parent, m->parent_pid, NULL)) {
		free(e.binary);
		free(e.arguments);
		free(e.cwd);
		envs_put(e.envs);
		free(e.user_name);
		tg_cgroup_put(e.cgroup);
		return -ENOMEM;
	}
	pe->clones++;
	return 0;
}

static int handle_exit(struct process_events *pe, const struct msg_exit *m, size_t len)
{
	struct process *p;

	if (len < sizeof(*m))
		return -EINVAL;
	/* by pid only an incarnation that began before: never a later reuse of the pid */
	p = process_cache_find(pe->cache, m->self.pid, m->self.ktime, m->common.ktime);
	if (!p) {
		/*
		 * Nothing to link it to. The kernel did not know it either (no
		 * key): it started before the agent and ended before the /proc
		 * scan, or execve_map was full. Else its start record was lost.
		 */
		if (m->self.ktime)
			pe->exit_misses++;
		else
			pe->exit_unknown++;
		return 0;
	}
	if (must_hold(pe, p))
		hold(pe, p, m->common.ktime, m->code);
	else
		emit_exit_now(pe, p, m->code, m->common.ktime);
	pe->exits++;
	process_cache_exit(pe->cache, p);
	return 0;
}

static struct process *find_named(struct process_events *pe, const struct msg_execve_key *key, uint32_t tgid,
				   uint64_t t)
{
	if (key->pid)
		return process_cache_find(pe->cache, key->pid, key->ktime, t);
	return process_cache_find(pe->cache, tgid, 0, t);
}

struct process *process_events_find(struct process_events *pe, const struct msg_execve_key *key, uint32_t tgid,
				    uint64_t t)
{
	struct process *p = find_named(pe, key, tgid, t);

	/* its exec record was queued before this record was posted */
	if (!p && pe->drain) {
		pe->drain(pe->drain_ctx);
		p = find_named(pe, key, tgid, t);
	}
	if (!p)
		pe->policy_misses++;
	return p;
}

int process_events_handle(struct process_events *pe, const void *data, size_t len)
{
	const struct msg_common *c = data;
	int err;

	if (len < sizeof(*c)) {
		pe->bad_msgs++;
		return 0;
	}
	switch (c->op) {
	case MSG_OP_EXECVE:
		err = handle_exec(pe, data, len);
		break;
	case MSG_OP_CLONE:
		err = handle_clone(pe, data, len);
		break;
	case MSG_OP_EXIT:
		err = handle_exit(pe, data, len);
		break;
	default:
		err = -EPROTO;
	}
	if (err) {
		if (pe->bad_msgs++ % 1000 == 0)
			log_warn("dropped a kernel message (op %u, %zu bytes): %s", c->op, len,
				 strerror(-err));
	}
	return 0;
}
