// SPDX-License-Identifier: Apache-2.0
/*
 * export_replay: the export pipeline's throughput without the kernel.
 *
 * Ring-buffer records, built here exactly as the BPF programs lay them out
 * (abi/msg_process.h), go through the agent's own user-space path:
 * process_events_handle (decode, process cache) -> process views ->
 * pipeline_emit -> the sinks (JSON file through the rotating file, compact
 * or JSON lines on a descriptor, the gRPC GetEvents hub with a real
 * `tetra getevents` client). No BPF, no ring buffer, no other process on
 * the machine can add or take events, so a run is repeatable and runs
 * under `valgrind --tool=callgrind` (instruction counts, stable to the
 * last digit, where wall clock on a shared VM is not).
 *
 * Workloads:
 *   exec    an exec storm: per process a clone, an exec (/usr/bin/true with
 *           three arguments) and an exit record of one parent shell;
 *           2 events (process_exec, process_exit) per process.
 *   kprobe  a policy flood: one process hitting a no-argument syscall kprobe
 *           (sys_getppid, as a TracingPolicy with `syscall: true` posts it),
 *           the event built the way src/sensors/policy_events.c builds it
 *           (the same messages, the cached process and parent views).
 *
 * Output: one line of key=value pairs (events, CPU seconds of the whole
 * process including gRPC threads, wall seconds, events/s, CPU per event,
 * bytes per event), for bench/export_throughput.sh to tabulate.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "abi/msg_process.h"
#include "event/pipeline.h"
#include "event/process_events.h"
#include "event/process_view.h"
#include "export/rotating_file.h"
#include "export/sinks.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "grpc/service.h"
#include "process/cache.h"
#include "util/ktime.h"
#include "util/log.h"

#define SHELL_PID 1000
#define FLOOD_PID 1001
#define FIRST_CHILD_PID 2000
#define PID_SPAN 30000		/* children's pids wrap like a busy machine's */

static uint64_t ktime_ns = 1000000000ULL;

static const char true_args[] = "/usr/bin/true\0--first-argument\0second\0a third argument";
static const char shell_args[] = "/bin/bash\0-c\0./storm.sh";

/* ---- records ------------------------------------------------------------------------ */

static size_t exec_record(char *buf, uint32_t pid, uint64_t ktime, uint32_t ppid, uint64_t pktime,
			  uint64_t replaced, const char *argv, size_t argv_len, const char *cwd)
{
	struct msg_exec *m = (struct msg_exec *)buf;
	size_t flen = strlen(argv), clen = strlen(cwd), alen = argv_len - flen - 1;
	char *d = (char *)(m + 1);

	memset(m, 0, sizeof(*m));
	m->common.op = MSG_OP_EXECVE;
	m->common.ktime = ktime;
	m->self.pid = pid;
	m->self.ktime = ktime;
	m->parent.pid = ppid;
	m->parent.ktime = pktime;
	if (replaced) {
		m->replaced.pid = pid;
		m->replaced.ktime = replaced;
	}
	m->tid = pid;
	m->nspid = pid;
	m->auid = (uint32_t)-1;
	m->flags = EVENT_EXECVE | EVENT_CLONE | EVENT_IN_INIT_TREE;
	m->creds.cap_permitted = m->creds.cap_effective = 0x1ffffffffffULL;
	m->ns = (struct msg_ns){ 4026531838, 4026531839, 4026531841, 4026531836, 4026531836,
				 4026531840, 4026531834, 4026531834, 4026531835, 4026531837 };
	m->filename_len = (uint16_t)flen;
	m->args_len = (uint32_t)alen;
	m->cwd_len = (uint16_t)clen;
	m->parent_pid = ppid;
	memcpy(d, argv, flen);
	memcpy(d + flen, argv + flen + 1, alen);
	memcpy(d + flen + alen, cwd, clen);
	m->common.size = (uint32_t)(sizeof(*m) + flen + alen + clen);
	return m->common.size;
}

static size_t clone_record(char *buf, uint32_t pid, uint64_t ktime, uint32_t ppid, uint64_t pktime)
{
	struct msg_clone *m = (struct msg_clone *)buf;

	memset(m, 0, sizeof(*m));
	m->common.op = MSG_OP_CLONE;
	m->common.size = sizeof(*m);
	m->common.ktime = ktime;
	m->self.pid = pid;
	m->self.ktime = ktime;
	m->parent.pid = ppid;
	m->parent.ktime = pktime;
	m->tid = pid;
	m->nspid = pid;
	m->flags = EVENT_CLONE | EVENT_IN_INIT_TREE;
	m->parent_pid = ppid;
	return sizeof(*m);
}

static size_t exit_record(char *buf, uint32_t pid, uint64_t ktime)
{
	struct msg_exit *m = (struct msg_exit *)buf;

	memset(m, 0, sizeof(*m));
	m->common.op = MSG_OP_EXIT;
	m->common.size = sizeof(*m);
	m->common.ktime = ktime_ns;
	m->self.pid = pid;
	m->self.ktime = ktime;
	m->tid = pid;
	return sizeof(*m);
}

/* ---- the kprobe event, as policy_engine_handle() builds it ------------------------------ */

static void emit_kprobe(struct process_events *pe, uint32_t pid, uint64_t ktime)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct process *p = process_cache_get(pe->cache, pid, ktime);
	uint64_t wall;

	if (p) {
		kp.process = (Tetragon__Process *)process_view(p, &pe->view);
		if (p->parent)
			kp.parent = (Tetragon__Process *)process_view(p->parent, &pe->view);
	}
	kp.function_name = "__x64_sys_getppid";
	kp.action = TETRAGON__KPROBE_ACTION__KPROBE_ACTION_POST;
	kp.policy_name = "bench-getppid";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
	ev.process_kprobe = &kp;
	ev.node_name = (char *)pe->node_name;
	wall = ktime_mono_to_wall(ktime_ns);
	ts.seconds = (int64_t)(wall / 1000000000ULL);
	ts.nanos = (int32_t)(wall % 1000000000ULL);
	ev.time = &ts;
	pipeline_emit(pe->pipeline, &ev);
}

/* ---- the gRPC client ---------------------------------------------------------------------- */

struct client {
	pid_t pid;
	int fd;
	pthread_t th;
	uint64_t lines;		/* atomic */
	uint64_t bytes;
};

static void *client_reader(void *arg)
{
	struct client *c = arg;
	static char buf[1 << 16];
	ssize_t n;

	while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
		uint64_t nl = 0;

		for (ssize_t i = 0; i < n; i++)
			nl += buf[i] == '\n';
		__atomic_add_fetch(&c->lines, nl, __ATOMIC_RELAXED);
		c->bytes += (uint64_t)n;
	}
	return NULL;
}

static int client_start(struct client *c, const char *tetra, const char *addr)
{
	int p[2];

	if (pipe(p))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (!c->pid) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(tetra, tetra, "getevents", "-o", "json", "--server-address", addr, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	c->fd = p[0];
	return pthread_create(&c->th, NULL, client_reader, c) ? -EAGAIN : 0;
}

static uint64_t client_lines(struct client *c)
{
	return __atomic_load_n(&c->lines, __ATOMIC_RELAXED);
}

/* The reader thread is the bench's, not the agent's: its CPU is taken out. */
static double client_cpu_s(struct client *c)
{
	struct timespec ts;
	clockid_t clk;

	if (!c->pid || pthread_getcpuclockid(c->th, &clk) || clock_gettime(clk, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- timing ----------------------------------------------------------------------------- */

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);	/* every thread: the gRPC ones too */
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: export_replay [--workload exec|kprobe] [--events N] [--cred] [--ns]\n"
		"                     [--json-file PATH] [--json-fd PATH] [--compact-fd PATH]\n"
		"                     [--grpc TETRA] [--dir DIR]\n"
		"  --json-file PATH   the JSON export file (rotating file, as --export-filename)\n"
		"  --json-fd PATH     JSON lines written to PATH as to stdout (--stdout json)\n"
		"  --compact-fd PATH  compact lines written to PATH as to stdout (--stdout compact)\n"
		"  --grpc TETRA       a GetEvents client: TETRA getevents -o json, its output counted\n"
		"  --dir DIR          where the gRPC socket goes (default a new dir in /tmp)\n"
		"  --cred, --ns       the process_credentials/cap and ns blocks (off: upstream's defaults)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workload", required_argument, 0, 'w' }, { "events", required_argument, 0, 'n' },
		{ "cred", no_argument, 0, 'c' }, { "ns", no_argument, 0, 's' },
		{ "json-file", required_argument, 0, 'f' }, { "json-fd", required_argument, 0, 'j' },
		{ "compact-fd", required_argument, 0, 'k' }, { "grpc", required_argument, 0, 'g' },
		{ "dir", required_argument, 0, 'd' }, { 0 }
	};
	const char *workload = "kprobe", *json_file = NULL, *json_fd = NULL, *compact_fd = NULL;
	const char *tetra = NULL, *dir = NULL;
	uint64_t events = 1000000, emitted0, made = 0, bytes = 0;
	struct process_cache_opts co = { .node_name = "bench-node", .view_free = process_view_free };
	struct process_events pe = { .node_name = "bench-node" };
	struct pipeline pl = { 0 };
	struct api_server *api = NULL;
	struct client cl = { 0 };
	char tmpdir[64] = "", sock[128], addr[160];
	static char rec[sizeof(struct msg_exec) + 512];
	double c0, w0, c1, w1, r0, r1;
	int opt, wl_exec;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'w': workload = optarg; break;
		case 'n': events = strtoull(optarg, NULL, 10); break;
		case 'c': pe.view.cred = true; break;
		case 's': pe.view.ns = true; break;
		case 'f': json_file = optarg; break;
		case 'j': json_fd = optarg; break;
		case 'k': compact_fd = optarg; break;
		case 'g': tetra = optarg; break;
		case 'd': dir = optarg; break;
		default: usage();
		}
	}
	if (strcmp(workload, "exec") && strcmp(workload, "kprobe"))
		usage();
	wl_exec = !strcmp(workload, "exec");
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_WARN);
	ktime_sync();

	if (json_file) {
		struct rotating_file_opts ro = { .path = json_file, .max_size_bytes = 1ULL << 40 };
		struct rotating_file *f;
		char why[256];

		ro.err = why;
		ro.errlen = sizeof(why);
		if (rotating_file_open(&f, &ro)) {
			fprintf(stderr, "export_replay: %s\n", why);
			return 1;
		}
		pipeline_add_sink(&pl, json_file_sink_new(f));
	}
	if (json_fd || compact_fd) {
		const char *path = json_fd ? json_fd : compact_fd;
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		struct compact_opts cop = { 0 };

		if (fd < 0) {
			fprintf(stderr, "export_replay: %s: %s\n", path, strerror(errno));
			return 1;
		}
		pipeline_add_sink(&pl, json_fd ? json_fd_sink_new(fd) : compact_fd_sink_new(fd, &cop));
	}
	if (tetra) {
		struct api_server_opts ao = { .info_file = "", .unix_socket = "", .version = "bench" };

		if (!dir) {
			snprintf(tmpdir, sizeof(tmpdir), "/tmp/export-replay-XXXXXX");
			if (!mkdtemp(tmpdir))
				return 1;
			dir = tmpdir;
		}
		snprintf(sock, sizeof(sock), "%s/api.sock", dir);
		snprintf(addr, sizeof(addr), "unix://%s", sock);
		ao.server_address = addr;
		ao.server_address_given = true;
		ao.event_queue_size = 100000;
		if (api_server_start(&api, &ao, &pl) || client_start(&cl, tetra, addr)) {
			fprintf(stderr, "export_replay: cannot start the gRPC server or client\n");
			return 1;
		}
	}

	if (process_cache_new(&pe.cache, &co))
		return 1;
	pe.pipeline = &pl;
	/* the shell everything descends from, and the flooding process */
	exec_record(rec, SHELL_PID, ktime_ns, 1, 0, 0, shell_args, sizeof(shell_args), "/root");
	process_events_handle(&pe, rec, ((struct msg_common *)rec)->size);
	ktime_ns += 1000;
	exec_record(rec, FLOOD_PID, ktime_ns, SHELL_PID, 1000000000ULL, 0, true_args, sizeof(true_args),
		    "/root");
	process_events_handle(&pe, rec, ((struct msg_common *)rec)->size);
	if (tetra) {
		/* the client is connected once it has seen an event */
		for (int i = 0; i < 3000 && !client_lines(&cl); i++) {
			emit_kprobe(&pe, FLOOD_PID, ktime_ns);
			pipeline_flush(&pl);
			usleep(10000);
		}
		if (!client_lines(&cl)) {
			fprintf(stderr, "export_replay: the gRPC client never connected\n");
			return 1;
		}
		usleep(200000);
	}
	pipeline_flush(&pl);
	emitted0 = pl.events;
	for (int i = 0; i < pl.nsinks; i++)
		bytes -= pl.sinks[i]->bytes;
	uint64_t lines0 = tetra ? client_lines(&cl) : 0, grpc_bytes0 = cl.bytes;
	uint64_t drops0 = api ? api_server_events_dropped(api) : 0;

	r0 = client_cpu_s(&cl);
	c0 = cpu_s();
	w0 = now_s(CLOCK_MONOTONIC);
	for (uint64_t i = 0; pl.events - emitted0 < events; i++) {
		ktime_ns += 1000;
		if (wl_exec) {
			uint32_t pid = FIRST_CHILD_PID + (uint32_t)(i % PID_SPAN);
			uint64_t kt = ktime_ns;

			process_events_handle(&pe, rec, clone_record(rec, pid, kt, SHELL_PID, 1000000000ULL));
			ktime_ns += 1000;
			/* the exec supersedes the clone: a new incarnation of the pid */
			process_events_handle(&pe, rec, exec_record(rec, pid, ktime_ns, SHELL_PID, 1000000000ULL,
								    kt, true_args, sizeof(true_args), "/root"));
			process_events_handle(&pe, rec, exit_record(rec, pid, ktime_ns));
			ktime_ns += 1000;
		} else {
			emit_kprobe(&pe, FLOOD_PID, 1000000000ULL + 1000);
		}
		/* the agent flushes after each ring-buffer drain; a drain is a few hundred records */
		if (++made % 256 == 0)
			pipeline_flush(&pl);
	}
	pipeline_flush(&pl);
	if (tetra) {
		/* until the client has every event the hub queued */
		uint64_t want = events - (api_server_events_dropped(api) - drops0);

		for (int i = 0; i < 60000 && client_lines(&cl) - lines0 < want; i++) {
			pipeline_flush(&pl);	/* kicks the stream */
			usleep(1000);
		}
	}
	c1 = cpu_s();
	w1 = now_s(CLOCK_MONOTONIC);
	r1 = client_cpu_s(&cl);
	c1 -= r1 - r0;

	for (int i = 0; i < pl.nsinks; i++)
		bytes += pl.sinks[i]->bytes;
	uint64_t n = pl.events - emitted0, got = n;
	if (tetra) {
		got = client_lines(&cl) - lines0;
		bytes = cl.bytes - grpc_bytes0;
	}
	printf("workload=%s cred=%d ns=%d sinks=%s%s%s%s events=%llu delivered=%llu cpu_s=%.3f wall_s=%.3f "
	       "events_per_s=%.0f cpu_us_per_event=%.3f bytes_per_event=%.0f\n",
	       workload, pe.view.cred, pe.view.ns, json_file ? "json-file," : "", json_fd ? "json-fd," : "",
	       compact_fd ? "compact-fd," : "", tetra ? "grpc," : "", (unsigned long long)n,
	       (unsigned long long)got, c1 - c0, w1 - w0, (double)got / (w1 - w0),
	       (c1 - c0) * 1e6 / (double)(got ? got : 1), got ? (double)bytes / (double)got : 0.0);

	if (api)
		api_server_stop(api);
	if (tetra) {
		kill(cl.pid, SIGTERM);
		waitpid(cl.pid, NULL, 0);
		pthread_join(cl.th, NULL);
		close(cl.fd);
	}
	pipeline_destroy(&pl);
	process_cache_free(pe.cache);
	if (tmpdir[0])
		rmdir(tmpdir);
	return 0;
}
