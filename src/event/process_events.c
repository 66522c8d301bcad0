// SPDX-License-Identifier: Apache-2.0
#include "event/process_events.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "process/args.h"
#include "util/ktime.h"
#include "util/log.h"

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

void process_events_emit_exec(struct process_events *pe, struct process *p)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessExec exec = TETRAGON__PROCESS_EXEC__INIT;
	Google__Protobuf__Timestamp ts;
	const Tetragon__Process *proc;
	const Tetragon__BinaryProperties *bp;
	Tetragon__Process with_props;

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
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
	ev.process_exec = &exec;
	ev.node_name = (char *)pe->node_name;
	set_time(&ts, p->start_time_ns);
	ev.time = &ts;
	pipeline_emit(pe->pipeline, &ev);
}

static int handle_exec(struct process_events *pe, const struct msg_exec *m, size_t len)
{
	struct process e = { 0 };
	const char *data = (const char *)(m + 1);
	struct process *p;
	char *cwd;

	if (len < sizeof(*m) ||
	    len < sizeof(*m) + (size_t)m->filename_len + m->args_len + m->cwd_len)
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
	e.start_time_ns = ktime_mono_to_wall(m->self.ktime);
	e.cwd = cwd;
	e.binary = binary_absolute(data, m->filename_len, cwd);
	e.arguments = args_decode(data + m->filename_len, m->args_len);
	if (!e.cwd || !e.binary || !e.arguments)
		goto oom;

	p = process_cache_add(pe->cache, &e, &m->parent, m->parent_pid, &m->replaced);
	if (!p)
		goto oom;
	pe->execs++;
	process_events_emit_exec(pe, p);
	return 0;
oom:
	free(e.cwd);
	free(e.binary);
	free(e.arguments);
	return -ENOMEM;
}

static int handle_clone(struct process_events *pe, const struct msg_clone *m, size_t len)
{
	struct process e = { 0 }, *parent;

	if (len < sizeof(*m))
		return -EINVAL;
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
	} else {
		e.auid = (uint32_t)-1;
		e.flags = m->flags | EVENT_MISS;
		e.binary = strdup("");
		e.arguments = strdup("");
		e.cwd = strdup("");
	}
	if (!e.binary || !e.arguments || !e.cwd ||
	    !process_cache_add(pe->cache, &e, &m->parent, m->parent_pid, NULL)) {
		free(e.binary);
		free(e.arguments);
		free(e.cwd);
		return -ENOMEM;
	}
	pe->clones++;
	return 0;
}

static int handle_exit(struct process_events *pe, const struct msg_exit *m, size_t len)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessExit ex = TETRAGON__PROCESS_EXIT__INIT;
	Google__Protobuf__Timestamp ts, ts2;
	struct process *p;
	uint32_t sig;

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
	ex.process = (Tetragon__Process *)process_view(p, &pe->view);
	if (!ex.process)
		return -ENOMEM;
	if (p->parent)
		ex.parent = (Tetragon__Process *)process_view(p->parent, &pe->view);
	/* wait status: low 7 bits the signal (0x80 = core dumped), then the code */
	sig = m->code & 0x7f;
	if (sig)
		ex.signal = (char *)signal_name(sig);
	ex.status = (m->code >> 8) & 0xff;
	set_time(&ts, ktime_mono_to_wall(m->common.ktime));
	ex.time = &ts;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT;
	ev.process_exit = &ex;
	ev.node_name = (char *)pe->node_name;
	ts2 = ts;
	ev.time = &ts2;
	pipeline_emit(pe->pipeline, &ev);
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
