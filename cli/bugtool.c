// SPDX-License-Identifier: Apache-2.0
/*
 * "tetra bugtool": one tar.gz with what a bug report needs, gathered on the
 * agent's node as root: versions, the agent's configuration and probed
 * features (GetInfo), its policies (ListTracingPolicies) and process cache
 * (GetDebug), the kernel and `tetragon --probe-features`, the metrics page,
 * the tails of the agent's log and export files, dmesg and bpftool's view.
 * Each item that cannot be had is said in tetragon-bugtool.log inside the
 * archive and the rest is still written, as upstream's bugtool does.
 * Never included: TLS keys or any file holding a private key.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "encode/protojson.h"
#include "grpc/debug_api.h"
#include "tetragon/sensors.pb-c.h"
#include "util/strbuf.h"

#define DEFAULT_OUT "tetragon-bugtool.tar.gz"
#define TAIL_MAX (4 * 1024 * 1024)		/* of a log or export file */
#define CMD_OUTPUT_MAX (32 * 1024 * 1024)	/* of a command's stdout or stderr */
#define CMD_TIMEOUT_MS 10000
#define CONFIG_FILE_MAX (64 * 1024)
#define ETC_DIR "/etc/tetragon"

extern char **environ;

static const struct tetra_cmd bugtool_cmd;

struct bugtool {
	struct archive *ar;
	char prefix[64];
	time_t now;
	struct strbuf log;	/* tetragon-bugtool.log */
	unsigned files, failed;
	int write_error;	/* the archive itself failed: nothing more can be added */
	struct tetra_conn conn;
	struct rpc_client *cl;
	bool agent_down;
	const char *bpftool, *metrics, *log_file, *export_file, *tetragon, *config_dir;
	/* from GetInfo's configuration, when the agent answered */
	char *conf_metrics, *conf_export;
};

static void bugtool_help(FILE *out)
{
	fprintf(out,
		"Write a tar.gz archive with what a bug report needs, gathered on the agent's node\n"
		"(as root): tetra's and the agent's versions, the agent's configuration and\n"
		"probed kernel features (GetInfo), health and log level, tracing policies\n"
		"(ListTracingPolicies), process cache (GetDebug), the kernel (uname, LSMs, BPF\n"
		"sysctls) and `tetragon --probe-features`, /etc/tetragon's configuration files, the\n"
		"metrics page, the last 4 MiB of the agent's log and export files, dmesg and\n"
		"bpftool's maps, programs and cgroups. What cannot be had is said in\n"
		"tetragon-bugtool.log inside the archive; the rest is still written. No TLS key\n"
		"nor any file holding a private key is ever included. The archive is mode 0600.\n\n"
		"Options:\n"
		"  -o, --out FILE              the archive (default " DEFAULT_OUT ")\n"
		"      --bpftool PATH          bpftool binary (default: bpftool from PATH)\n"
		"      --gops PATH             accepted for upstream's scripts; this agent has no Go\n"
		"                              runtime to dump\n"
		"      --metrics-server ADDR   the agent's metrics address (default: its\n"
		"                              --metrics-server, from GetInfo)\n"
		"      --log-file FILE         the agent's log (e.g. where systemd or a wrapper writes\n"
		"                              its stderr); its last 4 MiB\n"
		"      --export-file FILE      the JSON export file (default: its --export-filename,\n"
		"                              from GetInfo); its last 4 MiB\n"
		"      --tetragon PATH         the agent binary for --probe-features (default:\n"
		"                              tetragon next to tetra, else from PATH)\n"
		"      --config-dir DIR        the agent's --config-dir, when it has one: its files\n"
		"                              go in with /etc/tetragon's\n" TETRA_CONN_HELP
		"\nExit status 0 when the archive was written (items may be missing, see its log),\n"
		"1 when it could not be, 2 on usage errors.\n");
}

/* ---- the log and the archive ---------------------------------------------------------- */

static void blog(struct bugtool *b, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void blog(struct bugtool *b, const char *level, const char *fmt, ...)
{
	struct tm tm;
	time_t t = time(NULL);
	va_list ap;

	gmtime_r(&t, &tm);
	strbuf_addf(&b->log, "%04d-%02d-%02dT%02d:%02d:%02dZ %-5s ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, level);
	va_start(ap, fmt);
	strbuf_vaddf(&b->log, fmt, ap);
	va_end(ap);
	strbuf_addc(&b->log, '\n');
	if (!strcmp(level, "warn"))
		b->failed++;
}

static int add_buf(struct bugtool *b, const char *name, const void *data, size_t len)
{
	struct archive_entry *e;
	char path[PATH_MAX];
	int r = 0;

	if (b->write_error)
		return -EIO;
	snprintf(path, sizeof(path), "%s/%s", b->prefix, name);
	e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, b->now, 0);
	if (archive_write_header(b->ar, e) != ARCHIVE_OK ||
	    (len && archive_write_data(b->ar, data, len) != (la_ssize_t)len)) {
		b->write_error = 1;
		r = -EIO;
	} else {
		b->files++;
	}
	archive_entry_free(e);
	return r;
}

static void add_sb(struct bugtool *b, const char *name, struct strbuf *sb, const char *what)
{
	if (sb->oom) {
		blog(b, "warn", "%s: out of memory", name);
		return;
	}
	if (!add_buf(b, name, sb->buf ? sb->buf : "", sb->len))
		blog(b, "info", "%s: %s", name, what);
}

/* ---- commands ------------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Run argv (from PATH when it has no slash), stdin /dev/null, for at most
 * CMD_TIMEOUT_MS; its stdout and stderr into out and err. Returns its exit
 * status (>= 0), or -errno when it could not run; *why says how it ended.
 */
static int run_cmd(char *const argv[], struct strbuf *out, struct strbuf *err, char *why, size_t whylen)
{
	posix_spawn_file_actions_t fa;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, r, status = 0, open_fds = 2;
	uint64_t deadline = now_ms() + CMD_TIMEOUT_MS;
	bool killed = false;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		r = -errno;
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		goto close_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (r) {
		snprintf(why, whylen, "cannot run %s: %s", argv[0], strerror(r));
		r = -r;
		goto close_pipes;
	}
	while (open_fds) {
		struct pollfd p[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
		uint64_t now = now_ms();

		if (now >= deadline) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(p, 2, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < 2; k++) {
			struct strbuf *sb = k ? err : out;
			char buf[65536];
			ssize_t n;

			if (p[k].fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[k].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(k ? pe[0] : po[0]);
				if (k)
					pe[0] = -1;
				else
					po[0] = -1;
				open_fds--;
				continue;
			}
			/* past the bound the rest is read and dropped, so the command can finish */
			if (sb->len < CMD_OUTPUT_MAX)
				strbuf_add(sb, buf, (size_t)n);
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed)
		snprintf(why, whylen, "killed after %d s", CMD_TIMEOUT_MS / 1000);
	else if (WIFEXITED(status))
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
	r = killed ? -ETIMEDOUT : WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
close_pipes:
	for (int k = 0; k < 2; k++) {
		if (po[k] >= 0)
			close(po[k]);
		if (pe[k] >= 0)
			close(pe[k]);
	}
	return r;
}

/* name gets the command's stdout, name.err its stderr when there is any (upstream's layout). */
static void add_cmd(struct bugtool *b, const char *name, char *const argv[])
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, line = STRBUF_INIT;
	char why[256], errname[128];
	int r = run_cmd(argv, &out, &err, why, sizeof(why));

	for (size_t i = 0; argv[i]; i++)
		strbuf_addf(&line, "%s%s", i ? " " : "", argv[i]);
	if (r < 0 && !out.len && !err.len) {
		blog(b, "warn", "%s: %s: %s", name, line.buf, why);
	} else {
		if (!add_buf(b, name, out.buf ? out.buf : "", out.len))
			blog(b, r == 0 ? "info" : "warn", "%s: %s (%s)", name, line.buf, why);
		if (err.len) {
			snprintf(errname, sizeof(errname), "%s.err", name);
			add_buf(b, errname, err.buf, err.len);
		}
	}
	strbuf_free(&out);
	strbuf_free(&err);
	strbuf_free(&line);
}

/* ---- files ---------------------------------------------------------------------------- */

/* The last TAIL_MAX bytes of path, from a line start. */
static void add_tail(struct bugtool *b, const char *name, const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	bool cut = false;
	char buf[65536];
	ssize_t n;

	if (fd < 0) {
		blog(b, "warn", "%s: %s %s: %s", name, what, path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		blog(b, "warn", "%s: %s %s is not a regular file", name, what, path);
		close(fd);
		return;
	}
	if (st.st_size > TAIL_MAX) {
		lseek(fd, st.st_size - TAIL_MAX, SEEK_SET);
		cut = true;
	}
	while (sb.len < TAIL_MAX && (n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n < TAIL_MAX - sb.len ? (size_t)n : TAIL_MAX - sb.len);
	close(fd);
	if (cut && sb.buf) {
		char *nl = memchr(sb.buf, '\n', sb.len);
		size_t skip = nl ? (size_t)(nl + 1 - sb.buf) : 0;

		memmove(sb.buf, sb.buf + skip, sb.len - skip);
		sb.len -= skip;
	}
	if (!sb.oom && !add_buf(b, name, sb.buf ? sb.buf : "", sb.len))
		blog(b, "info", "%s: %s %s (%s%zu bytes)", name, what, path, cut ? "the last " : "", sb.len);
	strbuf_free(&sb);
}

/* A whole small text file; "" when it does not exist, with nothing logged. */
static int read_small(const char *path, struct strbuf *sb, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	struct stat st;
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_size > 0 && (size_t)st.st_size > max)) {
		close(fd);
		return -EFBIG;
	}
	while (sb->len < max && (n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(sb, buf, (size_t)n);
	close(fd);
	return 0;
}

static bool holds_private_key(const struct strbuf *sb)
{
	return sb->buf && memmem(sb->buf, sb->len, "PRIVATE KEY", 11);
}

/*
 * /etc/tetragon's configuration: tetragon.yaml and the files of
 * tetragon.conf.d (one flag each; values are paths and settings, never key
 * material, but a file that holds a private key is left out all the same).
 */
static void add_config(struct bugtool *b)
{
	const char *const dirs[] = { ETC_DIR "/tetragon.conf.d", "/usr/lib/tetragon/tetragon.conf.d",
				     "/usr/local/lib/tetragon/tetragon.conf.d", b->config_dir };
	struct strbuf sb = STRBUF_INIT;
	char path[PATH_MAX], name[PATH_MAX];
	unsigned n = 0;

	if (!read_small(ETC_DIR "/tetragon.yaml", &sb, CONFIG_FILE_MAX)) {
		if (holds_private_key(&sb))
			blog(b, "info", "config/tetragon.yaml: left out, it holds a private key");
		else if (!add_buf(b, "config/tetragon.yaml", sb.buf ? sb.buf : "", sb.len))
			n++;
	}
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dir = dirs[d] ? opendir(dirs[d]) : NULL;
		struct dirent *e;

		if (!dir) {
			if (dirs[d] && dirs[d] == b->config_dir)	/* only a missing given one is a problem */
				blog(b, "warn", "config: --config-dir %s: %s", dirs[d], strerror(errno));
			continue;
		}
		while ((e = readdir(dir))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			snprintf(name, sizeof(name), "config%s%s/%s", dirs[d][0] == '/' ? "" : "/", dirs[d], e->d_name);
			strbuf_reset(&sb);
			if (read_small(path, &sb, CONFIG_FILE_MAX))
				continue;
			if (holds_private_key(&sb)) {
				blog(b, "info", "%s: left out, it holds a private key", name);
				continue;
			}
			if (!add_buf(b, name, sb.buf ? sb.buf : "", sb.len))
				n++;
		}
		closedir(dir);
	}
	strbuf_free(&sb);
	blog(b, "info", "config/: %u configuration file(s) of " ETC_DIR ", the package drop-in directories%s%s", n,
	     b->config_dir ? " and " : "", b->config_dir ? b->config_dir : "");
}

static void add_kernel(struct bugtool *b)
{
	static const char *const files[] = { "/proc/version", "/sys/kernel/security/lsm",
					      "/proc/sys/kernel/unprivileged_bpf_disabled",
					      "/proc/sys/net/core/bpf_jit_enable", "/proc/sys/kernel/perf_event_paranoid",
					      "/sys/kernel/security/lockdown" };
	struct strbuf sb = STRBUF_INIT, f = STRBUF_INIT;
	struct utsname u;

	if (!uname(&u))
		strbuf_addf(&sb, "uname: %s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int r;

		strbuf_reset(&f);
		r = read_small(files[i], &f, 4096);
		strbuf_addf(&sb, "%s: ", files[i]);
		if (r)
			strbuf_addf(&sb, "(%s)\n", strerror(-r));
		else
			strbuf_addf(&sb, "%.*s%s", (int)f.len, f.buf ? f.buf : "",
				    f.len && f.buf[f.len - 1] == '\n' ? "" : "\n");
	}
	add_sb(b, "kernel.txt", &sb, "uname, /proc/version, LSMs, BPF sysctls");
	strbuf_free(&sb);
	strbuf_free(&f);
}

/* ---- the agent over gRPC -------------------------------------------------------------- */

static int call(struct bugtool *b, const char *name, const char *method, const ProtobufCMessage *req,
		const ProtobufCMessageDescriptor *d, ProtobufCMessage **resp)
{
	struct rpc_status st = { 0 };
	char path[128];

	*resp = NULL;
	if (b->agent_down || !b->cl) {
		blog(b, "warn", "%s: skipped, the agent at %s cannot be reached", name, tetra_conn_address(&b->conn));
		return -EIO;
	}
	snprintf(path, sizeof(path), TETRA_SERVICE "%s", method);
	if (rpc_client_call(b->cl, path, req, d, resp, b->conn.timeout_ms, &st)) {
		if (st.code == RPC_UNAVAILABLE || st.code == RPC_DEADLINE_EXCEEDED)
			b->agent_down = true;
		blog(b, "warn", "%s: %s failed: %s (%s)", name, method, st.message[0] ? st.message : "error",
		     rpc_code_name(st.code));
		return -EIO;
	}
	return 0;
}

static void add_json(struct bugtool *b, const char *name, json_t *j, const char *what)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	if (!text) {
		blog(b, "warn", "%s: out of memory", name);
		return;
	}
	if (!add_buf(b, name, text, strlen(text)))
		blog(b, "info", "%s: %s", name, what);
	free(text);
}

static char *conf_string(const json_t *info, const char *key)
{
	const char *v = json_string_value(json_object_get(json_object_get(info, "Conf"), key));

	return v && *v ? strdup(v) : NULL;
}

static void add_agent(struct bugtool *b)
{
	Tetragon__GetVersionRequest vreq = TETRAGON__GET_VERSION_REQUEST__INIT;
	Tetragon__GetInfoRequest ireq = TETRAGON__GET_INFO_REQUEST__INIT;
	Tetragon__GetHealthStatusRequest hreq = TETRAGON__GET_HEALTH_STATUS_REQUEST__INIT;
	Tetragon__GetDebugRequest dreq = TETRAGON__GET_DEBUG_REQUEST__INIT;
	Tetragon__DumpProcessCacheReqArgs dargs = TETRAGON__DUMP_PROCESS_CACHE_REQ_ARGS__INIT;
	Tetragon__ListTracingPoliciesRequest lreq = TETRAGON__LIST_TRACING_POLICIES_REQUEST__INIT;
	struct strbuf sb = STRBUF_INIT;
	ProtobufCMessage *m;

	strbuf_addf(&sb, "tetra: %s\n", TG_VERSION);
	/* the connection flags (TLS too) as every other command takes them */
	if (tetra_conn_open(&b->conn, "bugtool", &b->cl)) {
		blog(b, "warn", "gRPC: cannot open a connection to %s", tetra_conn_address(&b->conn));
		b->cl = NULL;
	}
	if (!call(b, "version.txt", "GetVersion", &vreq.base, &tetragon__get_version_response__descriptor, &m)) {
		char *v = tetra_escape(((Tetragon__GetVersionResponse *)m)->version);

		strbuf_addf(&sb, "agent: %s (at %s)\n", v ? v : "", tetra_conn_address(&b->conn));
		free(v);
		protobuf_c_message_free_unpacked(m, NULL);
	} else {
		strbuf_addf(&sb, "agent: unreachable at %s\n", tetra_conn_address(&b->conn));
	}
	add_sb(b, "version.txt", &sb, "tetra's and the agent's versions");

	if (!call(b, "info.json", "GetInfo", &ireq.base, &tetragon__get_info_response__descriptor, &m)) {
		json_t *j = debug_info_json((Tetragon__GetInfoResponse *)m);

		protobuf_c_message_free_unpacked(m, NULL);
		add_json(b, "info.json", j, "GetInfo: version, probed features, configuration (Conf), build");
		b->conf_metrics = conf_string(j, "metrics-server");
		b->conf_export = conf_string(j, "export-filename");
		json_decref(j);
	}

	strbuf_reset(&sb);
	if (!call(b, "status.txt", "GetHealth", &hreq.base, &tetragon__get_health_status_response__descriptor, &m)) {
		const Tetragon__GetHealthStatusResponse *h = (const Tetragon__GetHealthStatusResponse *)m;
		char *d = tetra_escape(h->n_health_status ? h->health_status[0]->details : "no status available");

		strbuf_addf(&sb, "Health Status: %s\n", d ? d : "");
		free(d);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	dreq.flag = TETRAGON__CONFIG_FLAG__CONFIG_FLAG_LOG_LEVEL;
	if (!call(b, "status.txt", "GetDebug", &dreq.base, &tetragon__get_debug_response__descriptor, &m)) {
		const char *n = debug_level_name(((Tetragon__GetDebugResponse *)m)->level);

		strbuf_addf(&sb, "Current log level: %s\n", n ? n : "?");
		protobuf_c_message_free_unpacked(m, NULL);
	}
	if (sb.len)
		add_sb(b, "status.txt", &sb, "health and log level");

	if (!call(b, "tracing-policies.json", "ListTracingPolicies", &lreq.base,
		  &tetragon__list_tracing_policies_response__descriptor, &m)) {
		strbuf_reset(&sb);
		if (protojson_encode(&sb, m))
			sb.oom = 1;
		protobuf_c_message_free_unpacked(m, NULL);
		add_sb(b, "tracing-policies.json", &sb, "ListTracingPolicies");
	}

	dreq.flag = TETRAGON__CONFIG_FLAG__CONFIG_FLAG_DUMP_PROCESS_CACHE;
	dreq.arg_case = TETRAGON__GET_DEBUG_REQUEST__ARG_DUMP;
	dreq.dump = &dargs;
	if (!call(b, "processcache.json", "GetDebug", &dreq.base, &tetragon__get_debug_response__descriptor, &m)) {
		const Tetragon__GetDebugResponse *r = (const Tetragon__GetDebugResponse *)m;
		size_t n = r->arg_case == TETRAGON__GET_DEBUG_RESPONSE__ARG_PROCESSES && r->processes ?
				   r->processes->n_processes : 0;
		char what[64];

		strbuf_reset(&sb);
		for (size_t i = 0; i < n; i++) {
			if (protojson_encode(&sb, &r->processes->processes[i]->base))
				sb.oom = 1;
			strbuf_addc(&sb, '\n');
		}
		protobuf_c_message_free_unpacked(m, NULL);
		snprintf(what, sizeof(what), "GetDebug process cache dump, %zu processes", n);
		add_sb(b, "processcache.json", &sb, what);
	}
	strbuf_free(&sb);
	rpc_client_close(b->cl);
	b->cl = NULL;
}

/* ---- the rest -------------------------------------------------------------------------- */

/* "host:port", ":port" -> the URL of the metrics page; as upstream, a local address. */
static int metrics_url(const char *addr, char *url, size_t len)
{
	const char *colon = strrchr(addr, ':');

	if (!colon || !colon[1])
		return -EINVAL;
	for (const char *c = colon + 1; *c; c++)
		if (*c < '0' || *c > '9')
			return -EINVAL;
	snprintf(url, len, "http://localhost:%s/metrics", colon + 1);
	return 0;
}

static void add_metrics(struct bugtool *b)
{
	const char *addr = b->metrics ? b->metrics : b->conf_metrics;
	char url[128];

	if (!addr || !*addr) {
		blog(b, "info", "metrics: skipped, the agent serves no metrics (no --metrics-server in its "
				"configuration, none given)");
		return;
	}
	if (metrics_url(addr, url, sizeof(url))) {
		blog(b, "warn", "metrics: cannot tell the port of metrics address \"%s\"", addr);
		return;
	}
	add_cmd(b, "metrics", (char *const[]){ "curl", "-sS", "--max-time", "5", "--noproxy", "*", url, NULL });
}

/* The agent binary: --tetragon, else next to tetra, else PATH. */
static const char *find_tetragon(struct bugtool *b, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;

	if (b->tetragon)
		return b->tetragon;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(buf, len, "%s/tetragon", dirname(self));
		if (!access(buf, X_OK))
			return buf;
	}
	return "tetragon";
}

static void add_bpftool(struct bugtool *b)
{
	const char *bt = b->bpftool ? b->bpftool : "bpftool";

	if (b->bpftool && access(b->bpftool, X_OK)) {
		blog(b, "warn", "bpftool: %s: %s; see --bpftool", b->bpftool, strerror(errno));
		return;
	}
	add_cmd(b, "bpftool-maps.json", (char *const[]){ (char *)bt, "map", "show", "-j", NULL });
	add_cmd(b, "bpftool-progs.json", (char *const[]){ (char *)bt, "prog", "show", "-j", NULL });
	add_cmd(b, "bpftool-cgroups.json", (char *const[]){ (char *)bt, "cgroup", "tree", "-j", NULL });
}

static int open_out(const char *path)
{
	/* never through a symlink; readable by root only (it holds command lines, policies) */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd >= 0)
		fchmod(fd, 0600);
	return fd;
}

static int bugtool_run(int argc, char **argv)
{
	struct bugtool b = { .conn = TETRA_CONN_INIT };
	const char *out = DEFAULT_OUT, *v, *gops = NULL;
	char tg[PATH_MAX];
	struct tm tm;
	int i, r, fd, rc = TETRA_EXIT_OK;

	for (i = 1; i < argc; i++) {
		static const struct {
			const char *lng, *shrt;
			size_t off;
		} opts[] = {
			{ "--bpftool", NULL, offsetof(struct bugtool, bpftool) },
			{ "--metrics-server", NULL, offsetof(struct bugtool, metrics) },
			{ "--log-file", NULL, offsetof(struct bugtool, log_file) },
			{ "--export-file", NULL, offsetof(struct bugtool, export_file) },
			{ "--tetragon", NULL, offsetof(struct bugtool, tetragon) },
			{ "--config-dir", NULL, offsetof(struct bugtool, config_dir) },
		};
		size_t k;

		if (tetra_is_help(argv[i])) {
			tetra_usage(&bugtool_cmd, stdout);
			return TETRA_EXIT_OK;
		}
		r = tetra_opt(argc, argv, &i, "bugtool", "--out", "-o", &v);
		if (r < 0)
			return TETRA_EXIT_USAGE;
		if (r) {
			out = v;
			continue;
		}
		r = tetra_opt(argc, argv, &i, "bugtool", "--gops", NULL, &v);
		if (r < 0)
			return TETRA_EXIT_USAGE;
		if (r) {
			gops = v;
			continue;
		}
		for (k = 0, r = 0; k < sizeof(opts) / sizeof(opts[0]) && !r; k++) {
			r = tetra_opt(argc, argv, &i, "bugtool", opts[k].lng, opts[k].shrt, &v);
			if (r > 0)
				*(const char **)((char *)&b + opts[k].off) = v;
		}
		if (r < 0)
			return TETRA_EXIT_USAGE;
		if (r)
			continue;
		r = tetra_conn_option(&b.conn, argc, argv, &i, "bugtool");
		if (r < 0)
			return TETRA_EXIT_USAGE;
		if (r)
			continue;
		fprintf(stderr, "tetra bugtool: unexpected argument \"%s\" (see tetra bugtool --help)\n", argv[i]);
		return TETRA_EXIT_USAGE;
	}

	b.now = time(NULL);
	gmtime_r(&b.now, &tm);
	strftime(b.prefix, sizeof(b.prefix), "tetragon-bugtool-%Y%m%d%H%M%S", &tm);
	fd = open_out(out);
	if (fd < 0) {
		fprintf(stderr, "tetra bugtool: cannot create %s: %s\n", out, strerror(errno));
		return TETRA_EXIT_FAIL;
	}
	b.ar = archive_write_new();
	if (!b.ar || archive_write_add_filter_gzip(b.ar) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(b.ar) != ARCHIVE_OK ||
	    archive_write_open_fd(b.ar, fd) != ARCHIVE_OK) {
		fprintf(stderr, "tetra bugtool: cannot write %s: %s\n", out, b.ar ? archive_error_string(b.ar) : "out of memory");
		archive_write_free(b.ar);
		close(fd);
		unlink(out);
		return TETRA_EXIT_FAIL;
	}
	blog(&b, "info", "tetra bugtool %s, agent at %s", TG_VERSION, tetra_conn_address(&b.conn));
	if (gops)
		blog(&b, "info", "--gops %s: not used, this agent has no Go runtime to dump", gops);

	add_agent(&b);
	{
		struct strbuf sb = STRBUF_INIT;

		if (!read_small(TETRA_INFO_FILE, &sb, CONFIG_FILE_MAX))
			add_sb(&b, "tetragon-info.json", &sb, "the agent's info file " TETRA_INFO_FILE);
		strbuf_free(&sb);
	}
	add_kernel(&b);
	add_cmd(&b, "probe-features.txt",
		(char *const[]){ (char *)find_tetragon(&b, tg, sizeof(tg)), "--probe-features", NULL });
	add_config(&b);
	add_metrics(&b);
	if (b.log_file)
		add_tail(&b, "agent.log", b.log_file, "the agent's log");
	else
		blog(&b, "info", "agent.log: skipped, no --log-file given (the agent logs to its stderr)");
	if (b.export_file || b.conf_export)
		add_tail(&b, "tetragon.log", b.export_file ? b.export_file : b.conf_export, "the export file");
	else
		blog(&b, "info", "tetragon.log: skipped, the agent has no --export-filename");
	add_cmd(&b, "dmesg.out", (char *const[]){ "dmesg", NULL });
	add_bpftool(&b);

	blog(&b, "info", "done: %u files, %u item(s) missing", b.files + 1, b.failed);
	if (b.log.oom || add_buf(&b, "tetragon-bugtool.log", b.log.buf ? b.log.buf : "", b.log.len))
		b.write_error = 1;
	if (archive_write_close(b.ar) != ARCHIVE_OK)
		b.write_error = 1;
	if (b.write_error) {
		fprintf(stderr, "tetra bugtool: writing %s failed: %s\n", out,
			archive_error_string(b.ar) ? archive_error_string(b.ar) : "I/O error");
		unlink(out);
		rc = TETRA_EXIT_FAIL;
	} else {
		fprintf(stderr, "tetra bugtool: wrote %s (%u files; %u item(s) missing, see %s/tetragon-bugtool.log "
				"in it)\n", out, b.files, b.failed, b.prefix);
	}
	archive_write_free(b.ar);
	close(fd);
	strbuf_free(&b.log);
	free(b.conf_metrics);
	free(b.conf_export);
	return rc;
}

static const struct tetra_cmd bugtool_cmd = {
	.name = "bugtool",
	.args = "[-o FILE]",
	.summary = "Produce a tar archive with debug information",
	.run = bugtool_run,
	.help = bugtool_help,
};
TETRA_COMMAND(bugtool_cmd)
