// SPDX-License-Identifier: Apache-2.0
#include "agent/agent.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "abi/msg_generic.h"
#include "abi/msg_process.h"
#include "agent/agent_rpc.h"
#include "agent/loop_call.h"
#include "agent/policy_rpc.h"
#include "agent/policy_store.h"
#include "sensors/task_keys.h"
#include "kernel/bpf_pin.h"
#include "grpc/conn_gate.h"
#include "event/pipeline.h"
#include "event/process_events.h"
#include "export/ratelimit.h"
#include "export/sinks.h"
#include "filters/redaction.h"
#include "grpc/health.h"
#include "filters/export.h"
#include "grpc/service.h"
#include "k8s/k8s.h"
#include "k8s/scope.h"
#include "kernel/environment.h"
#include "metrics/agent_metrics.h"
#include "metrics/event_counts.h"
#include "metrics/http_server.h"
#include "util/strbuf.h"
#include "filters/filters.h"
#include "process/cache.h"
#include "process/cgroup.h"
#include "process/container.h"
#include "process/procfs.h"
#include "process/userdb.h"
#include "runtime/runtime.h"
#include "sensors/generic_policy.h"
#include "sensors/process_lifecycle.h"
#include "util/ktime.h"
#include "util/log.h"
#include "util/safe_path.h"

#define RINGBUF_POLL_MS 20
/*
 * Records handled per ring in one round of the loop: the lifecycle ring is
 * read first every round, so a policy ring that never empties (a flood
 * faster than the agent) cannot starve it, nor the timer and signals.
 */
#define LIFECYCLE_BUDGET 16384
#define POLICY_BUDGET 4096
/* A drop is warned about at once, then at most this often while it goes on. */
#define LOSS_WARN_MS 10000

struct agent {
	const struct agent_options *o;
	char node_name[256];
	struct pipeline pipeline;
	struct process_cache *cache;
	struct process_events pe;
	struct process_sensor *sensor;
	struct policy_engine *policies;	/* owner: policy engine */
	struct api_server *api;		/* owner: src/grpc */
	struct loop_calls calls;	/* policy RPCs run on the event loop */
	struct policy_rpc prpc;
	struct policy_store *store;	/* --persist-grpc-policies */
	struct agent_rpc arpc;		/* GetInfo, GetDebug's process cache dump */
	struct metrics_server *metrics;	/* owner: src/metrics; NULL when off */
	struct k8s *k8s;		/* owner: src/k8s; NULL without --enable-k8s-api */
	struct k8s_scope *scope;	/* policies' workload scope (src/k8s/scope.h); NULL: likewise */
	struct event_counts *counts;	/* the metrics' pipeline sink, NULL without event metrics */
	struct event_sink *export_sink;	/* metrics: the JSON file's sink, inside its filters */
	uint64_t rb_records;
	uint64_t msg_ops[METRICS_MSG_OPS];	/* metrics: records by opcode */
	struct rotating_file *export_file;
	uint64_t missed_reported;	/* ring buffer drops at the last warning */
	uint64_t missed_warned_ms;	/* when that was (monotonic) */
	uint64_t map_errors_reported;
	struct cgroup_host cgroup_host;
	struct container_table *containers;
	struct runtime *runtime;	/* container metadata; NULL when off */
	struct ratelimit_sink *ratelimit;	/* --export-rate-limit; NULL when off */
	struct health_server *health;	/* --health-server-address; NULL when off */
	uint64_t heartbeat_ms;		/* the loop's last tick (monotonic), read by the health server */
};

static void resolve_node_name(struct agent *a)
{
	const char *env;

	if (a->o->node_name && *a->o->node_name)
		snprintf(a->node_name, sizeof(a->node_name), "%s", a->o->node_name);
	else if ((env = getenv("HUBBLE_NODE_NAME")) && *env)
		snprintf(a->node_name, sizeof(a->node_name), "%s", env);
	else if ((env = getenv("NODE_NAME")) && *env)
		snprintf(a->node_name, sizeof(a->node_name), "%s", env);
	else if (gethostname(a->node_name, sizeof(a->node_name)))
		snprintf(a->node_name, sizeof(a->node_name), "localhost");
}

/* A process is in container c: its runtime may be asked about it. */
static void on_container(void *ctx, struct container *c)
{
	struct agent *a = ctx;

	runtime_want(a->runtime, c);
}

static int on_ringbuf(void *ctx, const void *data, size_t len)
{
	struct agent *a = ctx;
	const struct msg_common *c = data;

	a->rb_records++;
	if (len >= sizeof(*c) && c->op < METRICS_MSG_OPS)	/* metrics: tetragon_msg_op_total */
		a->msg_ops[c->op]++;
	/* policy engine records */
	if (len >= sizeof(*c) && policy_engine_record_op(c->op)) {
		/* 0: queued by a hook of a policy deleted or disabled since, dropped */
		if (policy_engine_account(a->policies, data, len) == 0)
			return 0;
		return policy_engine_handle(a->policies, &a->pe, data, len);
	}
	return process_events_handle(&a->pe, data, len);
}

static int setup_sinks(struct agent *a)
{
	const struct agent_options *o = a->o;
	struct event_sink *s = NULL;
	char why[SAFE_WHY_MAX];

	if (o->export_filename) {
		struct rotating_file_opts ro = {
			.path = o->export_filename,
			/* lumberjack reads 0 as its 100 MiB default */
			.max_size_bytes = (o->export_file_max_size_mb ? o->export_file_max_size_mb : 100) *
					  1024 * 1024,
			.max_backups = o->export_file_max_backups,
			.compress = o->export_file_compress,
			/* like upstream: owner rw always, never world-writable or executable */
			.perm = (o->export_file_perm | 0600) & ~(mode_t)0013,
			.rotation_interval_ms = o->export_file_rotation_interval_ms,
			.err = why, .errlen = sizeof(why),
		};
		int err = rotating_file_open(&a->export_file, &ro);

		if (err) {
			log_error("cannot open export file: %s", why);
			return err;
		}
		s = json_file_sink_new(a->export_file);
		if (!s)
			return -ENOMEM;
		a->export_sink = s;	/* metrics: what the file took, after the filters */
		/* --export-rate-limit: between the filters and the file (upstream: > 0 limits) */
		if (o->export_rate_limit > 0) {
			a->ratelimit = ratelimit_sink_new(s, (uint64_t)o->export_rate_limit, a->node_name,
							  ktime_now_mono() / 1000000);
			if (!a->ratelimit) {
				s->destroy(s);
				a->export_file = NULL;
				return -ENOMEM;
			}
			s = ratelimit_sink_base(a->ratelimit);
			log_info("export: at most %lld events a minute to the export file (--export-rate-limit)",
				 (long long)o->export_rate_limit);
		}
		/* --export-allowlist/--export-denylist/--field-filters (owner: src/filters) */
		err = export_filters_wrap(&s, o->export_allowlist, o->export_denylist, o->field_filters,
					  o->enable_pid_set_filter);
		if (err) {
			a->export_file = NULL;	/* closed with the sink */
			return err;
		}
		pipeline_add_sink(&a->pipeline, s);
		log_info("exporting JSON events to %s", o->export_filename);
	}
	else if (o->export_rate_limit > 0)
		log_warn("--export-rate-limit applies to the export file, and there is none (--export-filename): "
			 "nothing is limited");
	if (o->stdout_format == STDOUT_COMPACT) {
		struct compact_opts co = { 0 };

		co.color = o->color == COLOR_ALWAYS || (o->color == COLOR_AUTO && isatty(STDOUT_FILENO));
		s = compact_fd_sink_new(STDOUT_FILENO, &co);
	} else if (o->stdout_format == STDOUT_JSON) {
		s = json_fd_sink_new(STDOUT_FILENO);
	} else {
		s = NULL;
	}
	if (o->stdout_format != STDOUT_NONE) {
		if (!s)
			return -ENOMEM;
		pipeline_add_sink(&a->pipeline, s);
	}
	return 0;
}

/* Register what ran before us, parents first, and tell the kernel about it. */
static void scan_procfs(struct agent *a)
{
	const char *procdir = a->o->procfs ? a->o->procfs : "/proc";
	struct procfs_proc *v;
	struct task_keys keys;
	char why[256];
	size_t n, nkeyed = 0;
	int err;

	/* the exact keys their exec/fork records gave (stable exec_ids), before /proc is read */
	if (task_keys_read(&keys, why, sizeof(why)))
		log_info("task iterator unavailable (%s): processes found in %s get exec_ids from its "
			 "clock-tick start times, not the ones their exec events gave them", why, procdir);
	err = procfs_scan(procdir, &v, &n);
	if (err) {
		task_keys_free(&keys);
		log_warn("scanning %s failed: %s; processes started before the agent will "
			 "have no parents", procdir, strerror(-err));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct process *parent = process_cache_get(a->cache, v[i].ppid, 0);
		struct execve_map_value mv = { 0 };
		struct msg_execve_key pkey = { 0 };
		struct process *p;
		bool dup;

		if (!task_keys_find(&keys, v[i].p.pid, &v[i].p.ktime))
			nkeyed++;
		/* In the init tree: pid 1 of its namespace, or a descendant of one. */
		if (v[i].p.nspid == 1 || (parent && (parent->flags & EVENT_IN_INIT_TREE)))
			v[i].p.flags |= EVENT_IN_INIT_TREE;
		if (parent) {
			pkey.pid = parent->pid;
			pkey.ktime = parent->ktime;
		}
		v[i].p.cgroup = process_events_cgroup(&a->pe, v[i].cgroup_id, v[i].cgroup_path);
		process_events_user(&a->pe, &v[i].p, parent);
		/* an exec the kernel already reported while the scan ran: sent once */
		dup = process_cache_get(a->cache, v[i].p.pid, v[i].p.ktime) != NULL;
		p = process_cache_add(a->cache, &v[i].p, &pkey, v[i].ppid, NULL);
		if (!p) {
			tg_cgroup_put(v[i].p.cgroup);
			continue;
		}
		if (a->pe.on_container && process_container(p))
			a->pe.on_container(a->pe.on_container_ctx, process_container(p));
		mv.key.pid = p->pid;
		mv.key.ktime = p->ktime;
		mv.pkey = pkey;
		mv.flags = p->flags & EVENT_IN_INIT_TREE;
		mv.nspid = p->nspid;
		mv.cap_permitted = p->creds.cap_permitted;
		mv.cgrp_id = p->cgroup ? p->cgroup->id : 0;
		process_sensor_seed(a->sensor, p->pid, &mv);
		if (dup)
			a->pe.exec_dups++;
		else
			process_events_emit_exec(&a->pe, p);
	}
	procfs_free(v, n);
	task_keys_free(&keys);
	log_info("registered %zu running processes from %s (%zu with their kernel exec_id key)", n, procdir, nkeyed);
}

/* Ring buffer drops by record kind: the kernel's one count (missed_events), both rings. */
struct ring_losses {
	uint64_t total;
	uint64_t exec, clone, exit;		/* lifecycle ring */
	uint64_t kprobe, tracepoint, uprobe;	/* policy ring */
	uint64_t data;				/* its maxData chunks (the event is reported short) */
};

static void ring_losses(struct agent *a, struct ring_losses *l)
{
	uint64_t per_op[32];

	l->total = process_sensor_missed(a->sensor, per_op);
	l->exec = per_op[MSG_OP_EXECVE];
	l->clone = per_op[MSG_OP_CLONE];
	l->exit = per_op[MSG_OP_EXIT];
	l->kprobe = per_op[MSG_OP_GENERIC_KPROBE];
	l->tracepoint = per_op[MSG_OP_GENERIC_TRACEPOINT];
	l->uprobe = per_op[MSG_OP_GENERIC_UPROBE];
	l->data = per_op[MSG_OP_DATA];
}

static void report_losses(struct agent *a, int final)
{
	uint64_t merr = process_sensor_map_errors(a->sensor), now = ktime_now_mono() / 1000000;
	struct ring_losses l;

	ring_losses(a, &l);
	/* at once when it starts, then at most every LOSS_WARN_MS, and at the end */
	if (l.total != a->missed_reported &&
	    (final || !a->missed_warned_ms || now - a->missed_warned_ms >= LOSS_WARN_MS)) {
		log_warn("kernel ring buffer full: %llu events lost (%llu since the last report): "
			 "lifecycle exec=%llu clone=%llu exit=%llu (raise --rb-size), "
			 "policy kprobe=%llu tracepoint=%llu uprobe=%llu maxdata_chunks=%llu (raise --rb-size-policy, or "
			 "narrow the policy's selectors)",
			 (unsigned long long)l.total, (unsigned long long)(l.total - a->missed_reported),
			 (unsigned long long)l.exec, (unsigned long long)l.clone, (unsigned long long)l.exit,
			 (unsigned long long)l.kprobe, (unsigned long long)l.tracepoint,
			 (unsigned long long)l.uprobe, (unsigned long long)l.data);
		a->missed_reported = l.total;
		a->missed_warned_ms = now;
	}
	if (merr != a->map_errors_reported) {
		log_warn("execve_map full: %llu processes not tracked in the kernel",
			 (unsigned long long)merr);
		a->map_errors_reported = merr;
	}
	if (final) {
		struct process_cache_stats st;
		struct userdb_stats us = { 0 };

		process_cache_stats(a->cache, &st);
		if (a->pe.users)
			userdb_get_stats(a->pe.users, &us);
		log_info("stats: events=%llu exec=%llu clone=%llu exit=%llu lost=%llu "
			 "lost_exec=%llu lost_clone=%llu lost_exit=%llu "
			 "lost_kprobe=%llu lost_tracepoint=%llu lost_uprobe=%llu "
			 "bad_msgs=%llu exit_misses=%llu exit_unknown=%llu policy_misses=%llu cache_size=%llu "
			 "cache_reaped=%llu envs_truncated=%llu envs_dropped=%llu ancestors_truncated=%llu "
			 "user_names=%llu user_unknown_uid=%llu user_failed=%llu exec_dups=%llu",
			 (unsigned long long)a->pipeline.events, (unsigned long long)a->pe.execs,
			 (unsigned long long)a->pe.clones, (unsigned long long)a->pe.exits,
			 (unsigned long long)l.total, (unsigned long long)l.exec, (unsigned long long)l.clone,
			 (unsigned long long)l.exit, (unsigned long long)l.kprobe,
			 (unsigned long long)l.tracepoint, (unsigned long long)l.uprobe,
			 (unsigned long long)a->pe.bad_msgs, (unsigned long long)a->pe.exit_misses,
			 (unsigned long long)a->pe.exit_unknown,
			 (unsigned long long)a->pe.policy_misses, (unsigned long long)st.size,
			 (unsigned long long)st.stale_reaped, (unsigned long long)a->pe.envs_truncated,
			 (unsigned long long)a->pe.envs_dropped, (unsigned long long)a->pe.ancestors_truncated,
			 (unsigned long long)us.resolved, (unsigned long long)us.unknown_uid,
			 (unsigned long long)us.failed, (unsigned long long)a->pe.exec_dups);
	}
}

/* Render the metrics page and hand it to the HTTP thread (event loop only). */
static void publish_metrics(struct agent *a)
{
	struct strbuf sb = STRBUF_INIT;
	struct conn_gate_stats api_stats;
	struct metrics_sources src = {
		.events = a->counts, .pe = &a->pe, .cache = a->cache, .sensor = a->sensor,
		.policies = a->policies, .pipeline = &a->pipeline, .ringbuf_records = a->rb_records,
		.cache_capacity = a->o->process_cache_size, .export_sink = a->export_sink, .msg_ops = a->msg_ops,
		.grpc_dropped = api_server_events_dropped(a->api),
		.ratelimit_dropped = ratelimit_sink_dropped(a->ratelimit),
		.api = &api_stats,
		.version = TG_VERSION,
		.runtime = a->runtime,
		.containers = a->containers,
		.k8s = a->k8s,
	};

	if (!a->metrics)
		return;
	api_server_conn_stats(a->api, &api_stats);
	agent_metrics_render(&sb, &src);
	if (!sb.oom && sb.buf)
		metrics_server_publish(a->metrics, sb.buf, sb.len);
	strbuf_free(&sb);
}

/*
 * The incarnation p provably ended: its pid is free, or execve_map holds a
 * later incarnation of it (the pid was reused, or it exec'd). Either way the
 * kernel posted its exit (exec) record before: a zombie's pid is still taken,
 * and a new key is published only after its record (process_lifecycle.bpf.c).
 */
static bool proc_gone(void *ctx, const struct process *p)
{
	struct agent *a = ctx;
	struct execve_map_value v;

	if (kill((pid_t)p->pid, 0) && errno == ESRCH)
		return true;
	return !process_sensor_lookup(a->sensor, p->pid, &v) && v.key.ktime > p->ktime;
}

static int drain_lifecycle(void *ctx)
{
	struct agent *a = ctx;

	return process_sensor_drain(a->sensor, RING_LIFECYCLE);
}

/* Where the policy ring's producer is, when records are waiting there (0: none). */
static uint64_t policy_hold_pos(void *ctx)
{
	struct agent *a = ctx;
	uint64_t prod, cons;

	process_sensor_ring_pos(a->sensor, RING_POLICY, &prod, &cons);
	if (prod > cons)
		return prod;
	/*
	 * spec.loader: until this round's loader poll is done (released at
	 * cons + 1 then: records are 8-byte aligned, no policy hold is there)
	 */
	return policy_engine_loader_on(a->policies) ? cons + 1 : 0;
}

/* Loading hooks: keep reading lifecycle records meanwhile. */
static void pump_lifecycle(void *ctx)
{
	struct agent *a = ctx;

	process_sensor_drain(a->sensor, RING_LIFECYCLE);
	pipeline_flush(&a->pipeline);
}

/*
 * One round: the lifecycle ring first (a policy record's process must be
 * known before it), then a bounded batch of the policy ring; exited
 * processes no queued policy record can name any more are let go. True when
 * a budget ran out (more is waiting: poll again at once).
 */
static bool consume_rings(struct agent *a)
{
	bool more = false;
	uint64_t cons;

	if (process_sensor_consume(a->sensor, RING_LIFECYCLE, LIFECYCLE_BUDGET) == -EAGAIN)
		more = true;
	if (process_sensor_consume(a->sensor, RING_POLICY, POLICY_BUDGET) == -EAGAIN)
		more = true;
	policy_engine_loader_poll(a->policies, &a->pe);
	process_sensor_ring_pos(a->sensor, RING_POLICY, NULL, &cons);
	process_cache_release(a->cache, cons + (policy_engine_loader_on(a->policies) ? 1 : 0));
	return more;
}

/* src/k8s's join point: the container id the process cache holds. */
static size_t cache_container_id(void *ctx, const struct process *p, char *buf, size_t len)
{
	const char *id = process_container_id(p);
	size_t n = id ? strlen(id) : 0;

	(void)ctx;
	if (!len)
		return 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, id ? id : "", n);
	buf[n] = '\0';
	return n;
}

static int event_loop(struct agent *a)
{
	struct epoll_event evs[8], ev = { .events = EPOLLIN };
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	struct process_cache_sweep sw = { .gone = proc_gone, .drain = drain_lifecycle, .ctx = a };
	uint64_t ticks = 0, gc_every;
	int ep, sfd, tfd, err = 0;
	bool more = false;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0) {
		err = -errno;
		log_error("event loop setup failed: %s", strerror(errno));
		goto out;
	}
	timerfd_settime(tfd, 0, &its, NULL);
	for (int r = 0; r < RING__COUNT; r++) {
		ev.data.fd = process_sensor_fd(a->sensor, r);
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = a->calls.efd;
	epoll_ctl(ep, EPOLL_CTL_ADD, a->calls.efd, &ev);
	if (a->runtime) {
		ev.data.fd = runtime_fd(a->runtime);
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	gc_every = a->o->process_cache_gc_interval_ms / 1000;
	if (!gc_every)
		gc_every = 1;

	for (;;) {
		/* Timeout: the kernel side batches wakeups (see WAKEUP_BYTES). */
		int n = epoll_wait(ep, evs, 8, more ? 0 : RINGBUF_POLL_MS);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		/* every round, whichever fd woke us: reading an empty ring costs two loads */
		more = consume_rings(a);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					if (a->export_file)
						rotating_file_rotate(a->export_file);
					continue;
				}
				log_info("received %s, shutting down", strsignal((int)si.ssi_signo));
				/* Drain what the kernel already produced before leaving. */
				process_sensor_drain(a->sensor, RING_LIFECYCLE);
				process_sensor_drain(a->sensor, RING_POLICY);
				process_events_release(&a->pe, 0, true);
				goto out;
			} else if (fd == tfd) {
				uint64_t exp;

				if (read(tfd, &exp, sizeof(exp)) < 0)
					continue;
				ticks++;
				__atomic_store_n(&a->heartbeat_ms, ktime_now_mono() / 1000000, __ATOMIC_RELAXED);
				report_losses(a, 0);
				publish_metrics(a);
				ratelimit_sink_tick(a->ratelimit, ktime_now_mono() / 1000000);
				if (a->export_file)
					rotating_file_tick(a->export_file, ktime_now_mono() / 1000000);
				if (ticks % gc_every == 0)
					process_cache_reap(a->cache, &sw);
				process_cache_trim(a->cache, a->o->process_cache_size, &sw);
				if (ticks % 60 == 0)
					ktime_sync();
				runtime_tick(a->runtime, a->containers, ktime_now_mono() / 1000000);
			} else if (fd == a->calls.efd) {
				loop_calls_dispatch(&a->calls);
			} else if (a->runtime && fd == runtime_fd(a->runtime)) {
				runtime_dispatch(a->runtime, a->containers);
			}
		}
		/* events held for their container's metadata: those that may go now */
		if (a->pe.hold.n)
			process_events_release(&a->pe, ktime_now_mono() / 1000000, false);
		pipeline_flush(&a->pipeline);
	}
out:
	pipeline_flush(&a->pipeline);
	if (ep >= 0)
		close(ep);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	return err;
}

int agent_run(const struct agent_options *o)
{
	struct process_cache_opts co = { 0 };
	struct process_sensor_opts so = { 0 };
	struct env_opts eo = { .btf_path = o->btf };
	struct agent a = { .o = o };
	struct redaction_list *redactions = NULL;
	enum log_level lvl;
	int err;

	/* before any filter is compiled (export flags, GetEvents): ancestor_binary_regex asks */
	filters_set_ancestors(o->ancestors);
	if (o->log_level) {
		if (log_parse_level(o->log_level, &lvl)) {
			fprintf(stderr, "tetragon: --log-level: invalid level \"%s\" (want debug, info, warn or error)\n",
				o->log_level);
			return 2;
		}
		log_set_level(lvl);
	}
	log_set_format(o->log_format);
	/* --redaction-filters: before the first process is recorded (the /proc scan) */
	if (o->redaction_filters) {
		char why[1024];

		if (redaction_parse(o->redaction_filters, &redactions, why, sizeof(why))) {
			log_error("--redaction-filters: %s", why);
			return 1;
		}
		redaction_set_global(redactions);
		if (redactions)
			log_info("redacting process arguments with %zu filter(s) (--redaction-filters)",
				 redaction_count(redactions));
	}
	if (o->log_file && *o->log_file) {
		char why[SAFE_WHY_MAX];

		if (log_open_file(o->log_file, why, sizeof(why))) {
			log_error("--log-file: %s", why);
			return 1;
		}
	}
	/*
	 * Block the signals the event loop reads from its signalfd before any
	 * thread starts (gRPC, metrics): threads inherit the mask, so none of
	 * them can take SIGTERM with its default action.
	 */
	{
		sigset_t mask;

		sigemptyset(&mask);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &mask, NULL);
	}
	/*
	 * A closed pipe or socket is an error to handle where it happens
	 * (EPIPE: the stdout sink stops, the agent keeps running), never a
	 * signal that kills the agent without a word (`tetragon | head`).
	 */
	signal(SIGPIPE, SIG_IGN);
	/* likewise a file size limit (ulimit -f): EFBIG, counted by the sink */
	signal(SIGXFSZ, SIG_IGN);
	resolve_node_name(&a);
	ktime_sync();

	err = env_prepare(&eo);
	if (err)
		return 1;
	err = loop_calls_init(&a.calls);
	if (err) {
		log_error("event loop setup failed: %s", strerror(-err));
		return 1;
	}
	agent_rpc_init(&a.arpc);
	err = setup_sinks(&a);
	if (err)
		goto out;
	/* metrics (owner: src/metrics): the counting sink sees the procfs scan too */
	if (o->metrics_server && *o->metrics_server) {
		struct metrics_label_filter lf;
		char merr[256];

		metrics_label_filter_parse(&lf, o->metrics_label_filter ? o->metrics_label_filter
									: METRICS_DEFAULT_LABEL_FILTER);
		if (o->enable_event_metrics) {
			a.counts = event_counts_new(&lf);
			if (!a.counts) {
				err = -ENOMEM;
				goto out;
			}
			pipeline_add_sink(&a.pipeline, &a.counts->base);
		}
		err = metrics_server_start(&a.metrics, o->metrics_server, merr, sizeof(merr));
		if (err) {
			log_error("%s", merr);
			goto out;
		}
		log_info("serving Prometheus metrics on http://%s/metrics", o->metrics_server);
	}

	co.node_name = a.node_name;
	co.view_free = process_view_free;
	err = process_cache_new(&a.cache, &co);
	if (err)
		goto out;
	/* containers: which cgroup hierarchy names them, and who to ask about them */
	err = container_table_new(&a.containers);
	if (err)
		goto out;
	a.pe.containers = a.containers;
	{
		char desc[600];

		if (cgroup_host_detect(o->procfs ? o->procfs : "/proc", &a.cgroup_host))
			log_warn("no cgroup hierarchy found in %s/self/mountinfo: processes will have no "
				 "container identity", o->procfs ? o->procfs : "/proc");
		cgroup_host_describe(&a.cgroup_host, desc, sizeof(desc));
		log_info("process cgroups and containers from %s", desc);
		procfs_set_cgroup_host(&a.cgroup_host);
		so.cgroup_mode = a.cgroup_host.mode;
		so.cgroup_subsys_idx = a.cgroup_host.subsys_idx;
	}
	if (o->container_metadata) {
		struct runtime_opts ro = {
			.docker_socket = o->docker_socket ? o->docker_socket : "/var/run/docker.sock",
			.podman_socket = o->podman_socket ? o->podman_socket : "/run/podman/podman.sock",
			.containerd_socket = o->containerd_socket ? o->containerd_socket
								  : "/run/containerd/containerd.sock",
			.timeout_ms = o->container_runtime_timeout_ms,
			.retries = (unsigned)o->event_cache_retries,
			.retry_delay_ms = o->event_cache_retry_delay_ms,
		};

		err = runtime_start(&a.runtime, &ro);
		if (err) {
			log_error("cannot start the container runtime client: %s", strerror(-err));
			goto out;
		}
		if (a.runtime) {
			a.pe.on_container = on_container;
			a.pe.on_container_ctx = &a;
			/* a container's first events wait for its lookup (one or two APIs asked) */
			a.pe.hold.wait_ms = 2 * ro.timeout_ms;
			a.pe.hold.max = 8192;
		}
	}
	a.pe.cache = a.cache;
	a.pe.pipeline = &a.pipeline;
	a.pe.node_name = a.node_name;
	a.pe.view.cred = o->enable_process_cred;
	a.pe.view.ns = o->enable_process_ns;
	/* process facts (event/process_facts.h) */
	a.pe.view.ancestors = o->ancestors;
	a.pe.envs = o->enable_process_envs;
	a.pe.env_filter = o->env_filter;
	a.pe.nenv_filter = o->nenv_filter;
	so.envs = o->enable_process_envs;
	if (o->username_unix) {
		err = userdb_new(&a.pe.users, o->procfs);
		if (err) {
			log_error("--username-metadata: %s", strerror(-err));
			goto out;
		}
	}
	err = procfs_host_ns(o->procfs ? o->procfs : "/proc", &a.pe.view.host_ns);
	if (err < 0)
		log_warn("cannot read the host namespaces from /proc/1/ns nor /proc/self/ns: "
			 "is_host will be false");
	else if (err > 0)
		log_info("/proc/1/ns is not readable: taking the agent's own namespaces as the host's");
	err = 0;

	/* --keep-sensors-on-exit, --release-pinned-bpf: before anything is loaded (kernel/bpf_pin.h) */
	{
		struct bpf_pin_opts bo = { .bpf_dir = o->bpf_dir, .keep = o->keep_sensors_on_exit,
					   .release = o->release_pinned_bpf };
		char why[1024];

		err = bpf_pin_setup(&bo, why, sizeof(why));
		if (err) {
			log_error("%s", why);
			goto out;
		}
	}
	so.ringbuf_bytes = o->rb_size;
	so.policy_ringbuf_bytes = o->rb_size_policy;
	err = process_sensor_open(&a.sensor, &so, on_ringbuf, &a);
	if (err)
		goto out;
	/* policy records may be read before their process' exec record, or after its exit */
	a.pe.drain = drain_lifecycle;
	a.pe.drain_ctx = &a;
	process_cache_set_hold(a.cache, policy_hold_pos, &a);
	/* Attached first, then scanned: nothing can start unseen in between. */
	scan_procfs(&a);
	/*
	 * policy engine: a refused policy is logged, the agent keeps running.
	 * Always open, so policies can be added over gRPC.
	 */
	{
		struct policy_engine_opts po = {
			.files = o->tracing_policies, .nfiles = o->ntracing_policies,
			.dir = o->tracing_policy_dir,
			.expose_stack_addresses = o->expose_stack_addresses,
		};

		process_sensor_shared_fds(a.sensor, &po.events_fd, &po.execve_fd, &po.missed_fd);
		po.pump = pump_lifecycle;
		po.pump_ctx = &a;
		process_sensor_mbset_fds(a.sensor, &po.mbset_fd, &po.mbset_cfg_fd);
		po.nscaps_fd = process_sensor_nscaps_fd(a.sensor);
		/* scoped policies need to know the pods (before the policy files are loaded) */
		char scope_why[256] = "";

		if (o->enable_k8s_api) {
			char *why = scope_why;
			size_t whylen = sizeof(scope_why);

			if (k8s_scope_new(&a.scope, a.cgroup_host.mode == TG_CGROUP_V2 ? a.cgroup_host.mount : NULL,
					  &a.calls, why, whylen) == -ENOMEM) {
				err = -ENOMEM;
				goto out;
			}
			if (!a.scope)
				log_warn("--enable-k8s-api: %s", why);
			else if (k8s_scope_start(a.scope, why, whylen))
				log_warn("--enable-k8s-api: %s: pods' cgroups are found only when the agent starts",
					 why);
			po.scope = a.scope ? &k8s_scope_ops : NULL;
			po.scope_ctx = a.scope;
			po.scope_missing = a.scope ? NULL : scope_why;
		}
		err = policy_engine_open(&a.policies, &po);
		if (err)
			goto out;
	}
	/* --persist-grpc-policies: what was added over gRPC before the restart, in its state */
	if (o->persist_grpc_policies) {
		const char *dir = o->persist_grpc_policies_dir ? o->persist_grpc_policies_dir
							       : POLICY_STORE_DEFAULT_DIR;
		char why[1024];

		err = policy_store_open(&a.store, dir, why, sizeof(why));
		if (err) {
			log_error("--persist-grpc-policies-dir: %s", why);
			goto out;
		}
		log_info("policy store %s: gRPC tracing policies are persisted", dir);
		policy_store_restore(a.store, a.policies);
	}
	/* this agent's policies run: the previous agent's pinned programs may go */
	bpf_pin_handoff_done();
	/* Kubernetes (owner: src/k8s): pods for events, TracingPolicy custom resources */
	if (o->enable_k8s_api) {
		struct k8s_opts ko = {
			.kubeconfig = o->k8s_kubeconfig_path,
			.node_name = a.node_name,
			.policies = o->enable_tracing_policy_crd,
			.annotations = o->enable_pod_annotations,
			.deleted_pod_cache = o->deleted_pod_cache_size,
			.procfs = o->procfs,
			.version = TG_VERSION,
			.calls = &a.calls,
			.engine = a.policies,
			/* the cgroup the kernel reported, not a re-read of /proc (a pid may be reused) */
			.container_id = cache_container_id,
			.scope = a.scope,
		};
		char why[1024];

		err = k8s_start(&a.k8s, &ko, why, sizeof(why));
		if (err) {
			log_error("--enable-k8s-api: %s", why);
			goto out;
		}
		a.pe.view.pods = k8s_pods(a.k8s);
	}
	/* gRPC API (owner: src/grpc) */
	{
		struct api_server_opts ao = {
			.server_address = o->server_address,
			.server_address_given = o->server_address != NULL,
			.info_file = o->info_file,
			.unix_socket = o->server_socket,
			.access = { .group_set = o->access_group_set, .group = o->access_group,
				    .public_read = o->public_read },
			.max_connections = (unsigned)o->max_connections,
			.max_per_client = (unsigned)o->max_per_client,
			.tls = { .cert_file = o->server_tls_cert_file, .key_file = o->server_tls_key_file,
				 .client_ca_files = o->server_tls_client_ca_files,
				 .require_client_cert = o->server_tls_require_client_cert },
			.event_queue_size = o->event_queue_size,
			.version = TG_VERSION,
			.tp_ops = &policy_rpc_ops,
			.tp_ctx = &a.prpc,
			.agent_ops = &agent_rpc_ops,
			.agent_ctx = &a.arpc,
		};

		a.prpc.calls = &a.calls;
		a.prpc.engine = a.policies;
		a.prpc.k8s = a.k8s;
		a.prpc.store = a.store;
		a.arpc.calls = &a.calls;
		a.arpc.o = o;
		a.arpc.version = TG_VERSION;
		a.arpc.cache = a.cache;
		a.arpc.view = &a.pe.view;
		err = api_server_start(&a.api, &ao, &a.pipeline);
		if (err)
			goto out;
	}
	/* the health port (upstream's default :6789; "" off): grpc.health.v1 only */
	if (!o->health_server_address || *o->health_server_address) {
		struct health_opts ho = {
			.address = o->health_server_address ? o->health_server_address : HEALTH_DEFAULT_ADDRESS,
			.optional = !o->health_server_address,
			.interval_s = (unsigned)o->health_server_interval,
			.heartbeat_ms = &a.heartbeat_ms,
		};
		char herr[512];

		a.heartbeat_ms = ktime_now_mono() / 1000000;
		err = health_server_start(&a.health, &ho, herr, sizeof(herr));
		if (err) {
			log_error("--health-server-address: %s", herr);
			goto out;
		}
		if (a.health)
			log_info("serving grpc.health.v1.Health on %s (checked every %u s)", ho.address, ho.interval_s);
	}
	publish_metrics(&a);
	log_info("tetragon running on node %s (version %s)", a.node_name, TG_VERSION);
	err = event_loop(&a);
	report_losses(&a, 1);
out:
	health_server_stop(a.health);	/* probes see NOT_SERVING while the agent stops */
	loop_calls_close(&a.calls);	/* RPCs waiting on the loop fail, then the server stops */
	api_server_stop(a.api);	/* owner: src/grpc */
	k8s_stop(a.k8s);	/* its calls to the loop fail now */
	k8s_scope_stop(a.scope);
	metrics_server_stop(a.metrics);
	bpf_pin_exit();	/* before the instances go: with --keep-sensors-on-exit their pins stay */
	policy_engine_close(a.policies);
	policy_store_close(a.store);
	runtime_stop(a.runtime);
	process_events_release(&a.pe, 0, true);
	pipeline_destroy(&a.pipeline);
	process_sensor_close(a.sensor);
	process_cache_free(a.cache);
	userdb_free(a.pe.users);
	container_table_free(a.containers);
	k8s_free(a.k8s);	/* after the process views that name its pods */
	k8s_scope_free(a.scope);	/* after the policies it scoped */
	loop_calls_destroy(&a.calls);
	agent_rpc_destroy(&a.arpc);
	if (redactions)
		log_info("redaction: the arguments of %llu process(es) were redacted (--redaction-filters)",
			 (unsigned long long)redaction_redacted());
	redaction_set_global(NULL);
	redaction_free(redactions);
	log_close_file();
	return err ? 1 : 0;
}
