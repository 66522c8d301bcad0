// SPDX-License-Identifier: Apache-2.0
#include "agent/agent_rpc.h"
#include "event/process_facts.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "google/protobuf/wrappers.pb-c.h"
#include "grpc/debug_api.h"
#include "grpc/health.h"
#include "metrics/event_counts.h"
#include "metrics_build_info.h"
#include "util/log.h"

#define PROBE_TIMEOUT_MS 30000
#define PROBE_OUTPUT_MAX (64 * 1024)

extern char **environ;

void agent_rpc_init(struct agent_rpc *r)
{
	pthread_mutex_init(&r->mu, NULL);
}

void agent_rpc_destroy(struct agent_rpc *r)
{
	for (size_t i = 0; i < r->nprobes; i++)
		free(r->probe_names[i]);
	r->nprobes = 0;
	pthread_mutex_destroy(&r->mu);
}

/* ---- kernel features ----------------------------------------------------------------- */

size_t agent_rpc_parse_probes(const char *text, char **names, bool *values, size_t max)
{
	const char *line = text;
	size_t n = 0;

	while (line && *line && n < max) {
		const char *end = strchr(line, '\n'), *colon = strchr(line, ':');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		/* "name: yes (...)": a lowercase name, then yes or no */
		if (colon && colon < line + len && colon > line) {
			const char *v = colon + 1;
			bool ok = true;

			for (const char *c = line; c < colon; c++)
				ok &= islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_';
			while (*v == ' ')
				v++;
			if (ok && (!strncmp(v, "yes", 3) || !strncmp(v, "no", 2))) {
				names[n] = strndup(line, (size_t)(colon - line));
				if (!names[n])
					break;
				values[n++] = v[0] == 'y';
			}
		}
		line = end ? end + 1 : NULL;
	}
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The probes load, attach and trigger BPF programs, and one sends SIGUSR2
 * to the probing process: in the agent, any of its threads could take that
 * signal. So they run in a child, the agent's own binary with
 * --probe-features, and its lines are read back.
 */
static int run_probes(char **out)
{
	char *argv[] = { "tetragon", "--probe-features", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	size_t len = 0;
	char *buf = calloc(1, PROBE_OUTPUT_MAX + 1);
	uint64_t deadline = now_ms() + PROBE_TIMEOUT_MS;
	int fds[2], r, status;
	pid_t pid;

	if (!buf)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* none of the agent's sockets or BPF objects, even one opened without O_CLOEXEC */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (r) {
		close(fds[0]);
		free(buf);
		return -r;
	}
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(fds[0], buf + len, PROBE_OUTPUT_MAX - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == PROBE_OUTPUT_MAX)
			break;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[len] = '\0';
	*out = buf;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void probe_once(struct agent_rpc *r)
{
	char *text = NULL;
	int err;

	if (r->probed)
		return;
	r->probed = true;
	err = run_probes(&text);
	if (text)
		r->nprobes = agent_rpc_parse_probes(text, r->probe_names, r->probes, KF__COUNT);
	if (err || !r->nprobes)
		log_warn("GetInfo: probing the kernel's features failed (%s); the answer lists %zu probes",
			 err ? strerror(-err) : "no feature lines", r->nprobes);
	free(text);
}

/* ---- GetInfo ------------------------------------------------------------------------ */

/* Go-like durations: "30s", "1500ms", "0s". */
static void fmt_duration(char *buf, size_t len, uint64_t ms)
{
	if (ms % 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
}

static const char *stdout_name(enum stdout_format f)
{
	switch (f) {
	case STDOUT_COMPACT: return "compact";
	case STDOUT_JSON: return "json";
	case STDOUT_NONE: return "none";
	default: return "auto";
	}
}

static const char *color_name(enum color_mode c)
{
	return c == COLOR_ALWAYS ? "always" : c == COLOR_NEVER ? "never" : "auto";
}

#define S(k, v) { .key = (k), .kind = DEBUG_CONF_STRING, .s = (v) }
#define I(k, v) { .key = (k), .kind = DEBUG_CONF_INT, .i = (int64_t)(v) }
#define B(k, v) { .key = (k), .kind = DEBUG_CONF_BOOL, .b = (v) }
#define OR(v, d) ((v) ? (v) : (d))

/*
 * The agent's settings under upstream's flag names, as upstream's GetInfo
 * lists its configuration. A setting added to agent/options.h belongs here.
 */
static int agent_info(void *ctx, struct rpc_blob **resp, struct rpc_status *st)
{
	struct agent_rpc *r = ctx;
	const struct agent_options *o = r->o;
	char perm[16], rot[32], gc[32], group[24];
	const char *names[KF__COUNT];
	bool values[KF__COUNT];
	const char *anc[8];
	size_t n, nanc = ancestors_names(o->ancestors, anc, 8);

	snprintf(perm, sizeof(perm), "%o", (unsigned)o->export_file_perm);
	fmt_duration(rot, sizeof(rot), o->export_file_rotation_interval_ms);
	fmt_duration(gc, sizeof(gc), o->process_cache_gc_interval_ms);
	if (o->access_group_set)
		snprintf(group, sizeof(group), "%u", (unsigned)o->access_group);
	else
		group[0] = '\0';
	const struct debug_conf conf[] = {
		S("node-name", OR(o->node_name, "")),
		S("export-filename", OR(o->export_filename, "")),
		I("export-file-max-size-mb", o->export_file_max_size_mb),
		I("export-file-max-backups", o->export_file_max_backups),
		B("export-file-compress", o->export_file_compress),
		S("export-file-perm", perm),
		S("export-file-rotation-interval", rot),
		S("stdout", stdout_name(o->stdout_format)),
		S("color", color_name(o->color)),
		B("enable-process-cred", o->enable_process_cred),
		B("expose-stack-addresses", o->expose_stack_addresses),
		B("enable-process-ns", o->enable_process_ns),
		S("procfs", OR(o->procfs, "/proc")),
		S("btf", OR(o->btf, "")),
		I("rb-size", o->rb_size),
		S("process-cache-gc-interval", gc),
		I("process-cache-size", o->process_cache_size),
		S("log-level", OR(o->log_level, "info")),
		{ .key = "tracing-policy", .kind = DEBUG_CONF_LIST, .list = o->tracing_policies,
		  .nlist = o->ntracing_policies },
		S("tracing-policy-dir", OR(o->tracing_policy_dir, "")),
		S("server-address", OR(o->server_address, API_DEFAULT_SERVER_ADDRESS)),
		S("server-socket", OR(o->server_socket, API_DEFAULT_UNIX_SOCKET)),
		S("info-file", OR(o->info_file, API_DEFAULT_INFO_FILE)),
		S("server-access-group", group),
		B("server-public-read", o->public_read),
		I("server-max-connections", o->max_connections),
		I("server-max-connections-per-client", o->max_per_client),
		I("event-queue-size", o->event_queue_size ? o->event_queue_size : API_DEFAULT_EVENT_QUEUE),
		S("export-allowlist", OR(o->export_allowlist, "")),
		S("export-denylist", OR(o->export_denylist, "")),
		S("field-filters", OR(o->field_filters, "")),
		B("enable-pid-set-filter", o->enable_pid_set_filter),
		S("metrics-server", OR(o->metrics_server, "")),
		S("metrics-label-filter", OR(o->metrics_label_filter, METRICS_DEFAULT_LABEL_FILTER)),
		B("enable-event-metrics", o->enable_event_metrics),
		{ .key = "enable-ancestors", .kind = DEBUG_CONF_LIST, .list = (char **)anc, .nlist = nanc },
		B("enable-process-environment-variables", o->enable_process_envs),
		{ .key = "filter-environment-variables", .kind = DEBUG_CONF_LIST, .list = o->env_filter,
		  .nlist = o->nenv_filter },
		S("username-metadata", o->username_unix ? "unix" : "disabled"),
		S("health-server-address", OR(o->health_server_address, HEALTH_DEFAULT_ADDRESS)),
		I("health-server-interval", o->health_server_interval),
		S("log-format", o->log_format == LOG_FORMAT_JSON ? "json" :
				o->log_format == LOG_FORMAT_JSON_TS ? "json-ts" : "text"),
		S("log-file", OR(o->log_file, "")),
		I("export-rate-limit", o->export_rate_limit),
		S("redaction-filters", OR(o->redaction_filters, "")),
	};

	pthread_mutex_lock(&r->mu);
	probe_once(r);
	n = r->nprobes;
	for (size_t i = 0; i < n; i++) {
		names[i] = r->probe_names[i];
		values[i] = r->probes[i];
	}
	pthread_mutex_unlock(&r->mu);
	*resp = debug_info_pack("tetragon", r->version ? r->version : TG_VERSION, names, values, n, conf, sizeof(conf) / sizeof(conf[0]),
				TG_COMMIT, TG_COMMIT_TIME, TG_MODIFIED);
	if (!*resp) {
		rpc_status_set(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- GetDebug: the process cache ------------------------------------------------------ */

struct dump_call {
	struct agent_rpc *r;
	const Tetragon__DumpProcessCacheReqArgs *args;
	const uint32_t *pids;
	size_t npids;
	struct rpc_blob **resp;
	struct rpc_status *st;
};

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct process *x = *(const struct process *const *)a, *y = *(const struct process *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->ktime < y->ktime ? -1 : x->ktime > y->ktime;
}

/*
 * The cache has no walk of its own: every running process's current entry,
 * and the ancestors those keep cached (exited parents included), is what
 * it holds apart from entries of exits it missed (reaped every
 * --process-cache-gc-interval).
 */
static int dump_on_loop(void *arg)
{
	struct dump_call *c = arg;
	Tetragon__GetDebugResponse resp = TETRAGON__GET_DEBUG_RESPONSE__INIT;
	Tetragon__DumpProcessCacheResArgs res = TETRAGON__DUMP_PROCESS_CACHE_RES_ARGS__INIT;
	struct process **v = NULL, *p;
	Tetragon__ProcessInternal *pi = NULL, **ppi = NULL;
	Google__Protobuf__UInt32Value *refs = NULL;
	size_t n = 0, cap = 0, k = 0, bytes = 0, left_out = 0;
	int err = 0;

	for (size_t i = 0; i < c->npids && !err; i++) {
		for (p = process_cache_get(c->r->cache, c->pids[i], 0); p; p = p->parent) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct process **nv = realloc(v, nc * sizeof(*nv));

				if (!nv) {
					err = -ENOMEM;
					break;
				}
				v = nv;
				cap = nc;
			}
			v[n++] = p;
		}
	}
	if (!err && n) {
		/* ancestors are shared: each entry once */
		size_t u = 0;

		qsort(v, n, sizeof(*v), cmp_ptr);
		for (size_t i = 0; i < n; i++)
			if (!u || v[u - 1] != v[i])
				v[u++] = v[i];
		n = u;
		qsort(v, n, sizeof(*v), cmp_proc);
		pi = calloc(n, sizeof(*pi));
		ppi = calloc(n, sizeof(*ppi));
		refs = calloc(n, sizeof(*refs));
		if (!pi || !ppi || !refs)
			err = -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++) {
		const Tetragon__Process *view;
		size_t sz;

		p = v[i];
		if (c->args->skip_zero_refcnt && p->refcnt <= 0)
			continue;
		/* live entries are the ones the kernel's execve_map tracks */
		if (c->args->exclude_execve_map_processes && p->live)
			continue;
		view = process_view(p, c->r->view);
		if (!view) {
			err = -ENOMEM;
			break;
		}
		tetragon__process_internal__init(&pi[k]);
		google__protobuf__uint32_value__init(&refs[k]);
		refs[k].value = p->refcnt > 0 ? (uint32_t)p->refcnt : 0;
		pi[k].process = (Tetragon__Process *)view;
		/* upstream's colors: in use, or kept only for the children that name it */
		pi[k].color = p->live ? "inUse" : "deletePending";
		pi[k].refcnt = &refs[k];
		sz = protobuf_c_message_get_packed_size(&pi[k].base) + 8;
		if (bytes + sz > AGENT_RPC_DUMP_MAX_BYTES) {
			left_out++;
			continue;
		}
		bytes += sz;
		ppi[k] = &pi[k];
		k++;
	}
	if (!err) {
		res.n_processes = k;
		res.processes = ppi;
		resp.flag = TETRAGON__CONFIG_FLAG__CONFIG_FLAG_DUMP_PROCESS_CACHE;
		resp.arg_case = TETRAGON__GET_DEBUG_RESPONSE__ARG_PROCESSES;
		resp.processes = &res;
		*c->resp = rpc_blob_pack(&resp.base);
		if (!*c->resp)
			err = -ENOMEM;
	}
	if (left_out)
		log_warn("GetDebug: the process cache dump holds %zu processes; %zu more were left out to stay "
			 "under gRPC's 4 MiB message limit", k, left_out);
	if (err)
		rpc_status_set(c->st, RPC_RESOURCE_EXHAUSTED, "out of memory");
	free(v);
	free(pi);
	free(ppi);
	free(refs);
	return err;
}

/* The pids of procfs, read off the event loop. */
static int read_pids(const char *procfs, uint32_t **out, size_t *n)
{
	DIR *d = opendir(procfs);
	struct dirent *e;
	size_t cap = 0;
	uint32_t *v = NULL;

	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (!isdigit((unsigned char)e->d_name[0]) || *end || !pid || pid > UINT32_MAX)
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			uint32_t *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		v[(*n)++] = (uint32_t)pid;
	}
	closedir(d);
	*out = v;
	return 0;
}

static int agent_dump(void *ctx, const Tetragon__DumpProcessCacheReqArgs *args, struct rpc_blob **resp,
		      struct rpc_status *st)
{
	struct agent_rpc *r = ctx;
	struct dump_call c = { .r = r, .args = args, .resp = resp, .st = st };
	const char *procfs = r->o->procfs ? r->o->procfs : "/proc";
	uint32_t *pids = NULL;
	int err = read_pids(procfs, &pids, &c.npids);

	if (err) {
		rpc_status_set(st, RPC_INTERNAL, "cannot list the processes of %s: %s", procfs, strerror(-err));
		return err;
	}
	c.pids = pids;
	err = loop_calls_run(r->calls, dump_on_loop, &c);
	if (err == -ECANCELED && st->code == RPC_OK)
		rpc_status_set(st, RPC_UNAVAILABLE, "the agent is shutting down");
	free(pids);
	return err;
}

const struct agent_ops agent_rpc_ops = {
	.info = agent_info,
	.dump_processes = agent_dump,
};
