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
#include "agent/loop_call.h"
#include "agent/policy_rpc.h"
#include "grpc/conn_gate.h"
#include "event/pipeline.h"
#include "event/process_events.h"
#include "export/sinks.h"
#include "filters/export.h"
#include "grpc/service.h"
#include "kernel/environment.h"
#include "metrics/agent_metrics.h"
#include "metrics/event_counts.h"
#include "metrics/http_server.h"
#include "util/strbuf.h"
#include "process/cache.h"
#include "process/procfs.h"
#include "sensors/generic_policy.h"
#include "sensors/process_lifecycle.h"
#include "util/ktime.h"
#include "util/log.h"
#include "util/safe_path.h"

#define RINGBUF_POLL_MS 20

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
	struct metrics_server *metrics;	/* owner: src/metrics; NULL when off */
	struct event_counts *counts;	/* the metrics' pipeline sink, NULL without event metrics */
	struct event_sink *export_sink;	/* metrics: the JSON file's sink, inside its filters */
	uint64_t rb_records;
	uint64_t msg_ops[METRICS_MSG_OPS];	/* metrics: records by opcode */
	struct rotating_file *export_file;
	uint64_t missed_reported;
	uint64_t map_errors_reported;
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

static int on_ringbuf(void *ctx, const void *data, size_t len)
{
	struct agent *a = ctx;
	const struct msg_common *c = data;

	a->rb_records++;
	if (len >= sizeof(*c) && c->op < METRICS_MSG_OPS)	/* metrics: tetragon_msg_op_total */
		a->msg_ops[c->op]++;
	/* policy engine records */
	if (len >= sizeof(*c) && (c->op == MSG_OP_GENERIC_KPROBE || c->op == MSG_OP_GENERIC_TRACEPOINT ||
				   c->op == MSG_OP_GENERIC_UPROBE)) {
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
	size_t n;
	int err = procfs_scan(procdir, &v, &n);

	if (err) {
		log_warn("scanning %s failed: %s; processes started before the agent will "
			 "have no parents", procdir, strerror(-err));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct process *parent = process_cache_get(a->cache, v[i].ppid, 0);
		struct execve_map_value mv = { 0 };
		struct msg_execve_key pkey = { 0 };
		struct process *p;

		/* In the init tree: pid 1 of its namespace, or a descendant of one. */
		if (v[i].p.nspid == 1 || (parent && (parent->flags & EVENT_IN_INIT_TREE)))
			v[i].p.flags |= EVENT_IN_INIT_TREE;
		if (parent) {
			pkey.pid = parent->pid;
			pkey.ktime = parent->ktime;
		}
		p = process_cache_add(a->cache, &v[i].p, &pkey, v[i].ppid, NULL);
		if (!p)
			continue;
		mv.key.pid = p->pid;
		mv.key.ktime = p->ktime;
		mv.pkey = pkey;
		mv.flags = p->flags & EVENT_IN_INIT_TREE;
		mv.nspid = p->nspid;
		mv.cap_permitted = p->creds.cap_permitted;
		process_sensor_seed(a->sensor, p->pid, &mv);
		process_events_emit_exec(&a->pe, p);
	}
	procfs_free(v, n);
	log_info("registered %zu running processes from %s", n, procdir);
}

static void report_losses(struct agent *a, int final)
{
	uint64_t per_op[32], missed = process_sensor_missed(a->sensor, per_op);
	uint64_t merr = process_sensor_map_errors(a->sensor);

	if (missed != a->missed_reported) {
		log_warn("kernel ring buffer full: %llu events lost so far (exec %llu, clone %llu, "
			 "exit %llu); raise --rb-size", (unsigned long long)missed,
			 (unsigned long long)per_op[MSG_OP_EXECVE], (unsigned long long)per_op[MSG_OP_CLONE],
			 (unsigned long long)per_op[MSG_OP_EXIT]);
		a->missed_reported = missed;
	}
	if (merr != a->map_errors_reported) {
		log_warn("execve_map full: %llu processes not tracked in the kernel",
			 (unsigned long long)merr);
		a->map_errors_reported = merr;
	}
	if (final) {
		struct process_cache_stats st;

		process_cache_stats(a->cache, &st);
		log_info("stats: events=%llu exec=%llu clone=%llu exit=%llu lost=%llu "
			 "bad_msgs=%llu exit_misses=%llu cache_size=%llu cache_reaped=%llu",
			 (unsigned long long)a->pipeline.events, (unsigned long long)a->pe.execs,
			 (unsigned long long)a->pe.clones, (unsigned long long)a->pe.exits,
			 (unsigned long long)missed, (unsigned long long)a->pe.bad_msgs,
			 (unsigned long long)a->pe.exit_misses, (unsigned long long)st.size,
			 (unsigned long long)st.stale_reaped);
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
		.api = &api_stats,
		.version = TG_VERSION,
	};

	if (!a->metrics)
		return;
	api_server_conn_stats(a->api, &api_stats);
	agent_metrics_render(&sb, &src);
	if (!sb.oom && sb.buf)
		metrics_server_publish(a->metrics, sb.buf, sb.len);
	strbuf_free(&sb);
}

static bool pid_alive(uint32_t pid)
{
	return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

static int event_loop(struct agent *a)
{
	struct epoll_event evs[8], ev = { .events = EPOLLIN };
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	uint64_t ticks = 0, gc_every;
	int ep, sfd, tfd, err = 0;
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
	ev.data.fd = process_sensor_fd(a->sensor);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = a->calls.efd;
	epoll_ctl(ep, EPOLL_CTL_ADD, a->calls.efd, &ev);
	gc_every = a->o->process_cache_gc_interval_ms / 1000;
	if (!gc_every)
		gc_every = 1;

	for (;;) {
		/* Timeout: the kernel side batches wakeups (see WAKEUP_BYTES). */
		int n = epoll_wait(ep, evs, 8, RINGBUF_POLL_MS);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			process_sensor_consume(a->sensor);
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
				process_sensor_consume(a->sensor);
				goto out;
			} else if (fd == tfd) {
				uint64_t exp;

				if (read(tfd, &exp, sizeof(exp)) < 0)
					continue;
				ticks++;
				report_losses(a, 0);
				publish_metrics(a);
				if (a->export_file)
					rotating_file_tick(a->export_file, ktime_now_mono() / 1000000);
				if (ticks % gc_every == 0)
					process_cache_reap(a->cache, pid_alive);
				process_cache_trim(a->cache, a->o->process_cache_size, pid_alive);
				if (ticks % 60 == 0)
					ktime_sync();
			} else if (fd == a->calls.efd) {
				loop_calls_dispatch(&a->calls);
			} else {
				process_sensor_consume(a->sensor);
			}
		}
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
	enum log_level lvl;
	int err;

	if (o->log_level) {
		if (log_parse_level(o->log_level, &lvl)) {
			fprintf(stderr, "tetragon: --log-level: invalid level \"%s\" (want debug, info, warn or error)\n",
				o->log_level);
			return 2;
		}
		log_set_level(lvl);
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
	a.pe.cache = a.cache;
	a.pe.pipeline = &a.pipeline;
	a.pe.node_name = a.node_name;
	a.pe.view.cred = o->enable_process_cred;
	a.pe.view.ns = o->enable_process_ns;
	err = procfs_host_ns(o->procfs ? o->procfs : "/proc", &a.pe.view.host_ns);
	if (err < 0)
		log_warn("cannot read the host namespaces from /proc/1/ns nor /proc/self/ns: "
			 "is_host will be false");
	else if (err > 0)
		log_info("/proc/1/ns is not readable: taking the agent's own namespaces as the host's");
	err = 0;

	so.ringbuf_bytes = o->rb_size;
	err = process_sensor_open(&a.sensor, &so, on_ringbuf, &a);
	if (err)
		goto out;
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
		};

		process_sensor_shared_fds(a.sensor, &po.events_fd, &po.execve_fd);
		process_sensor_mbset_fds(a.sensor, &po.mbset_fd, &po.mbset_cfg_fd);
		err = policy_engine_open(&a.policies, &po);
		if (err)
			goto out;
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
			.event_queue_size = o->event_queue_size,
			.version = TG_VERSION,
			.tp_ops = &policy_rpc_ops,
			.tp_ctx = &a.prpc,
		};

		a.prpc.calls = &a.calls;
		a.prpc.engine = a.policies;
		err = api_server_start(&a.api, &ao, &a.pipeline);
		if (err)
			goto out;
	}
	publish_metrics(&a);
	log_info("tetragon running on node %s (version %s)", a.node_name, TG_VERSION);
	err = event_loop(&a);
	report_losses(&a, 1);
out:
	loop_calls_close(&a.calls);	/* RPCs waiting on the loop fail, then the server stops */
	api_server_stop(a.api);	/* owner: src/grpc */
	metrics_server_stop(a.metrics);
	policy_engine_close(a.policies);
	pipeline_destroy(&a.pipeline);
	process_sensor_close(a.sensor);
	process_cache_free(a.cache);
	loop_calls_destroy(&a.calls);
	return err ? 1 : 0;
}
