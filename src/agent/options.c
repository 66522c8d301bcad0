// SPDX-License-Identifier: Apache-2.0
#include "agent/options.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_NODE_NAME = 1000,
	OPT_EXPORT_FILENAME,
	OPT_EXPORT_MAX_SIZE,
	OPT_EXPORT_MAX_BACKUPS,
	OPT_EXPORT_COMPRESS,
	OPT_EXPORT_PERM,
	OPT_EXPORT_ROTATION,
	OPT_STDOUT,
	OPT_COLOR,
	OPT_PROC_CRED,
	OPT_PROC_NS,
	OPT_PROCFS,
	OPT_BTF,
	OPT_RB_SIZE,
	OPT_RB_SIZE_POLICY,
	OPT_GC_INTERVAL,
	OPT_CACHE_SIZE,
	OPT_LOG_LEVEL,
	OPT_VERSION,
	OPT_HELP,
	OPT_PROBE_FEATURES,
	/* policy engine */
	OPT_TRACING_POLICY,
	OPT_TRACING_POLICY_DIR,
	/* gRPC API and export filters */
	OPT_SERVER_ADDRESS,
	OPT_INFO_FILE,
	OPT_SERVER_SOCKET,
	OPT_ACCESS_GROUP,
	OPT_PUBLIC_READ,
	OPT_MAX_CONNS,
	OPT_MAX_CONNS_CLIENT,
	OPT_EVENT_QUEUE_SIZE,
	OPT_EXPORT_ALLOWLIST,
	OPT_EXPORT_DENYLIST,
	OPT_FIELD_FILTERS,
	OPT_PID_SET_FILTER,
	/* metrics */
	OPT_METRICS_SERVER,
	OPT_METRICS_LABEL_FILTER,
	OPT_EVENT_METRICS,
};

static const struct option longopts[] = {
	{ "node-name", required_argument, 0, OPT_NODE_NAME },
	{ "export-filename", required_argument, 0, OPT_EXPORT_FILENAME },
	{ "export-file-max-size-mb", required_argument, 0, OPT_EXPORT_MAX_SIZE },
	{ "export-file-max-backups", required_argument, 0, OPT_EXPORT_MAX_BACKUPS },
	{ "export-file-compress", optional_argument, 0, OPT_EXPORT_COMPRESS },
	{ "export-file-perm", required_argument, 0, OPT_EXPORT_PERM },
	{ "export-file-rotation-interval", required_argument, 0, OPT_EXPORT_ROTATION },
	{ "stdout", required_argument, 0, OPT_STDOUT },
	{ "color", required_argument, 0, OPT_COLOR },
	{ "enable-process-cred", optional_argument, 0, OPT_PROC_CRED },
	{ "enable-process-ns", optional_argument, 0, OPT_PROC_NS },
	{ "procfs", required_argument, 0, OPT_PROCFS },
	{ "btf", required_argument, 0, OPT_BTF },
	{ "rb-size", required_argument, 0, OPT_RB_SIZE },
	{ "rb-size-policy", required_argument, 0, OPT_RB_SIZE_POLICY },
	{ "process-cache-gc-interval", required_argument, 0, OPT_GC_INTERVAL },
	{ "process-cache-size", required_argument, 0, OPT_CACHE_SIZE },
	{ "log-level", required_argument, 0, OPT_LOG_LEVEL },
	{ "version", no_argument, 0, OPT_VERSION },
	{ "help", no_argument, 0, OPT_HELP },
	{ "probe-features", no_argument, 0, OPT_PROBE_FEATURES },
	/* policy engine */
	{ "tracing-policy", required_argument, 0, OPT_TRACING_POLICY },
	{ "tracing-policy-dir", required_argument, 0, OPT_TRACING_POLICY_DIR },
	/* gRPC API and export filters */
	{ "server-address", required_argument, 0, OPT_SERVER_ADDRESS },
	{ "info-file", required_argument, 0, OPT_INFO_FILE },
	{ "server-socket", required_argument, 0, OPT_SERVER_SOCKET },
	{ "server-access-group", required_argument, 0, OPT_ACCESS_GROUP },
	{ "server-public-read", optional_argument, 0, OPT_PUBLIC_READ },
	{ "server-max-connections", required_argument, 0, OPT_MAX_CONNS },
	{ "server-max-connections-per-client", required_argument, 0, OPT_MAX_CONNS_CLIENT },
	{ "event-queue-size", required_argument, 0, OPT_EVENT_QUEUE_SIZE },
	{ "export-allowlist", required_argument, 0, OPT_EXPORT_ALLOWLIST },
	{ "export-denylist", required_argument, 0, OPT_EXPORT_DENYLIST },
	{ "field-filters", required_argument, 0, OPT_FIELD_FILTERS },
	{ "enable-pid-set-filter", optional_argument, 0, OPT_PID_SET_FILTER },
	/* metrics */
	{ "metrics-server", required_argument, 0, OPT_METRICS_SERVER },
	{ "metrics-label-filter", required_argument, 0, OPT_METRICS_LABEL_FILTER },
	{ "enable-event-metrics", optional_argument, 0, OPT_EVENT_METRICS },
	{ 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tetragon [flags]\n"
		"\n"
		"eBPF runtime security observability agent (Tetragon-compatible).\n"
		"\n"
		"Output:\n"
		"  --stdout compact|json|none         events on standard output (default: compact,\n"
		"                                     or none when --export-filename is set)\n"
		"  --color auto|always|never          colors in compact output (default auto)\n"
		"  --export-filename FILE             write JSON events to FILE, one per line\n"
		"  --export-file-max-size-mb N        rotate FILE at N MiB (default 10)\n"
		"  --export-file-max-backups N        keep N rotated files (default 5)\n"
		"  --export-file-compress[=BOOL]      gzip rotated files (default false)\n"
		"  --export-file-perm MODE            octal mode of FILE (default 600)\n"
		"  --export-file-rotation-interval D  also rotate every D, e.g. 1h (default 0s: off)\n"
		"  --node-name NAME                   node name in events and exec_ids\n"
		"                                     (default: $NODE_NAME, else the hostname)\n"
		"\n"
		"Process information:\n"
		"  --enable-process-cred[=BOOL]       credentials and capabilities (default true)\n"
		"  --enable-process-ns[=BOOL]         namespaces (default true)\n"
		"  --process-cache-gc-interval D      check for vanished processes every D (default 30s)\n"
		"  --process-cache-size N             cached processes before trimming (default 65536)\n"
		"\n"
		"Kernel:\n"
		"  --procfs DIR                       procfs mount (default /proc)\n"
		"  --btf FILE                         kernel BTF (default /sys/kernel/btf/vmlinux)\n"
		"  --rb-size BYTES                    ring buffer of exec/clone/exit records (default 8388608)\n"
		"  --rb-size-policy BYTES             ring buffer of tracing policy records, apart, so a\n"
		"                                     flooding policy loses only its own (default 8388608)\n"
		"  --probe-features                   print which BPF features this kernel runs (kprobe,\n"
		"                                     fentry, BPF LSM, ...), one line each, and exit\n"
		"\n"
		"gRPC API (tetra, upstream's FineGuidanceSensors service):\n"
		"  --server-address ADDR              TCP host:port (default localhost:54321; \"\" disables\n"
		"                                     TCP; unix:///PATH serves that socket instead). The\n"
		"                                     unix socket is always on\n"
		"  --server-socket PATH               the unix socket (default /var/run/tetragon/tetragon.sock;\n"
		"                                     \"\" none)\n"
		"  --server-access-group GROUP        members of GROUP (name or gid) may stream events and\n"
		"                                     manage policies as root may (default: root only)\n"
		"  --server-public-read[=BOOL]        every local user may stream events and list policies\n"
		"                                     (default false; changes stay root's)\n"
		"  --server-max-connections N         API connections in all (default 256, 16 kept for root)\n"
		"  --server-max-connections-per-client N  per local user or remote address (default 32)\n"
		"  --info-file FILE                   where tetra finds the server address (default\n"
		"                                     /var/run/tetragon/tetragon-info.json; \"\" none)\n"
		"  --event-queue-size N               events queued per GetEvents client before dropping\n"
		"                                     (default 10000)\n"
		"\n"
		"Export filters (JSON export only; one JSON object per line, OR between lines):\n"
		"  --export-allowlist JSON            export only matching events, e.g.\n"
		"                                     '{\"event_set\":[\"PROCESS_EXEC\"]}'\n"
		"  --export-denylist JSON             never export matching events (wins over the allowlist)\n"
		"  --field-filters JSON               keep/drop fields, e.g.\n"
		"                                     '{\"fields\":\"process.binary\",\"action\":\"INCLUDE\"}'\n"
		"  --enable-pid-set-filter[=BOOL]     allow pid_set in export filters (default false)\n"
		"\n"
		"Metrics:\n"
		"  --metrics-server ADDR              serve Prometheus metrics at http://ADDR/metrics\n"
		"                                     (e.g. :2112 or localhost:2112; default off)\n"
		"  --metrics-label-filter LIST        process labels of the event metrics (default\n"
		"                                     namespace,workload,pod,binary; also node_name)\n"
		"  --enable-event-metrics[=BOOL]      count events by type, policy, binary (default true)\n"
		"\n"
		"Policies:\n"
		"  --tracing-policy FILE              load a TracingPolicy (repeatable)\n"
		"  --tracing-policy-dir DIR           load every *.yaml / *.yml of DIR\n"
		"\n"
		"  --log-level debug|info|warn|error  (default info)\n"
		"  --version, --help\n");
}

static int parse_bool(const char *flag, const char *v, bool *ret)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) {
		*ret = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) {
		*ret = false;
		return 0;
	}
	fprintf(stderr, "tetragon: --%s: invalid boolean \"%s\" (want true or false)\n", flag, v);
	return -EINVAL;
}

/* A group name, or a number. */
static int parse_group(const char *v, gid_t *ret)
{
	struct group *g = getgrnam(v);
	char *end;
	unsigned long n;

	if (g) {
		*ret = g->gr_gid;
		return 0;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v && !*end && !errno && n < (gid_t)-1) {
		*ret = (gid_t)n;
		return 0;
	}
	fprintf(stderr, "tetragon: --server-access-group: no group \"%s\" in the group database\n", v);
	return -EINVAL;
}

static int parse_u64(const char *flag, const char *v, uint64_t *ret)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-') {
		fprintf(stderr, "tetragon: --%s: invalid number \"%s\"\n", flag, v);
		return -EINVAL;
	}
	*ret = x;
	return 0;
}

int parse_duration_ms(const char *s, uint64_t *ret)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "us", 0.001 }, { "ns", 0.000001 }, { "s", 1000 },
		{ "m", 60000 }, { "h", 3600000 },
	};
	double total = 0;
	const char *p = s;

	if (!strcmp(s, "0")) {
		*ret = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		size_t i;

		if (end == p || v < 0)
			return -EINVAL;
		p = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);

			if (!strncmp(p, units[i].unit, l)) {
				total += v * units[i].ms;
				p += l;
				break;
			}
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
	}
	*ret = (uint64_t)total;
	return 0;
}

static int dup_arg(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

int agent_options_parse(struct agent_options *o, int argc, char **argv)
{
	uint64_t u;
	int c, err = 0;

	memset(o, 0, sizeof(*o));
	o->export_file_max_size_mb = 10;
	o->export_file_max_backups = 5;
	o->export_file_perm = 0600;
	o->enable_process_cred = true;
	o->enable_event_metrics = true;	/* metrics */
	o->enable_process_ns = true;
	o->process_cache_gc_interval_ms = 30000;
	o->process_cache_size = 65536;
	o->stdout_format = STDOUT_AUTO;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *flag = optind > 1 && optind - 1 < argc ? argv[optind - 1] : "?";

		switch (c) {
		case OPT_NODE_NAME:
			err = dup_arg(&o->node_name, optarg);
			break;
		case OPT_EXPORT_FILENAME:
			err = dup_arg(&o->export_filename, optarg);
			break;
		case OPT_EXPORT_MAX_SIZE:
			err = parse_u64("export-file-max-size-mb", optarg, &o->export_file_max_size_mb);
			break;
		case OPT_EXPORT_MAX_BACKUPS:
			err = parse_u64("export-file-max-backups", optarg, &u);
			if (!err && u > 100000)
				err = -EINVAL;
			o->export_file_max_backups = (int)u;
			break;
		case OPT_EXPORT_COMPRESS:
			err = parse_bool("export-file-compress", optarg, &o->export_file_compress);
			break;
		case OPT_EXPORT_PERM: {
			char *end;
			long m = strtol(optarg, &end, 8);

			if (*end || m < 0 || m > 0777) {
				fprintf(stderr, "tetragon: --export-file-perm: invalid octal mode \"%s\"\n", optarg);
				err = -EINVAL;
			}
			o->export_file_perm = (mode_t)m;
			break;
		}
		case OPT_EXPORT_ROTATION:
			if (parse_duration_ms(optarg, &o->export_file_rotation_interval_ms)) {
				fprintf(stderr, "tetragon: --export-file-rotation-interval: invalid duration \"%s\" (e.g. 30s, 1h)\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_STDOUT:
			if (!strcmp(optarg, "compact"))
				o->stdout_format = STDOUT_COMPACT;
			else if (!strcmp(optarg, "json"))
				o->stdout_format = STDOUT_JSON;
			else if (!strcmp(optarg, "none"))
				o->stdout_format = STDOUT_NONE;
			else {
				fprintf(stderr, "tetragon: --stdout: invalid value \"%s\" (want compact, json or none)\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_COLOR:
			if (!strcmp(optarg, "auto"))
				o->color = COLOR_AUTO;
			else if (!strcmp(optarg, "always"))
				o->color = COLOR_ALWAYS;
			else if (!strcmp(optarg, "never"))
				o->color = COLOR_NEVER;
			else {
				fprintf(stderr, "tetragon: --color: invalid value \"%s\" (want auto, always or never)\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_PROC_CRED:
			err = parse_bool("enable-process-cred", optarg, &o->enable_process_cred);
			break;
		case OPT_PROC_NS:
			err = parse_bool("enable-process-ns", optarg, &o->enable_process_ns);
			break;
		case OPT_PROCFS:
			err = dup_arg(&o->procfs, optarg);
			break;
		case OPT_BTF:
			err = dup_arg(&o->btf, optarg);
			break;
		case OPT_RB_SIZE:
		case OPT_RB_SIZE_POLICY: {
			const char *name = c == OPT_RB_SIZE ? "rb-size" : "rb-size-policy";

			err = parse_u64(name, optarg, &u);
			if (!err && (u < 4096 || u > (1ULL << 30))) {
				fprintf(stderr, "tetragon: --%s: %s is out of range (4096 to 1073741824)\n", name, optarg);
				err = -EINVAL;
			}
			if (c == OPT_RB_SIZE)
				o->rb_size = (uint32_t)u;
			else
				o->rb_size_policy = (uint32_t)u;
			break;
		}
		case OPT_CACHE_SIZE:
			err = parse_u64("process-cache-size", optarg, &o->process_cache_size);
			if (!err && o->process_cache_size < 64) {
				fprintf(stderr, "tetragon: --process-cache-size: at least 64\n");
				err = -EINVAL;
			}
			break;
		case OPT_GC_INTERVAL:
			if (parse_duration_ms(optarg, &o->process_cache_gc_interval_ms)) {
				fprintf(stderr, "tetragon: --process-cache-gc-interval: invalid duration \"%s\"\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_LOG_LEVEL:
			err = dup_arg(&o->log_level, optarg);
			break;
		/* policy engine */
		case OPT_TRACING_POLICY: {
			char **v = realloc(o->tracing_policies, (o->ntracing_policies + 1) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			o->tracing_policies = v;
			v[o->ntracing_policies] = NULL;
			err = dup_arg(&v[o->ntracing_policies], optarg);
			if (!err)
				o->ntracing_policies++;
			break;
		}
		case OPT_TRACING_POLICY_DIR:
			err = dup_arg(&o->tracing_policy_dir, optarg);
			break;
		/* gRPC API and export filters */
		case OPT_SERVER_ADDRESS:
			err = dup_arg(&o->server_address, optarg);
			break;
		case OPT_INFO_FILE:
			err = dup_arg(&o->info_file, optarg);
			break;
		case OPT_SERVER_SOCKET:
			err = dup_arg(&o->server_socket, optarg);
			break;
		case OPT_ACCESS_GROUP:
			err = parse_group(optarg, &o->access_group);
			o->access_group_set = !err;
			break;
		case OPT_PUBLIC_READ:
			err = parse_bool("server-public-read", optarg, &o->public_read);
			break;
		case OPT_MAX_CONNS:
		case OPT_MAX_CONNS_CLIENT: {
			const char *flag = c == OPT_MAX_CONNS ? "server-max-connections" :
								"server-max-connections-per-client";
			uint64_t *v = c == OPT_MAX_CONNS ? &o->max_connections : &o->max_per_client;

			err = parse_u64(flag, optarg, v);
			if (!err && (*v < 1 || *v > 65536)) {
				fprintf(stderr, "tetragon: --%s: %s is out of range (1 to 65536)\n", flag, optarg);
				err = -EINVAL;
			}
			break;
		}
		case OPT_EVENT_QUEUE_SIZE:
			err = parse_u64("event-queue-size", optarg, &o->event_queue_size);
			if (!err && (o->event_queue_size < 1 || o->event_queue_size > 10000000)) {
				fprintf(stderr, "tetragon: --event-queue-size: %s is out of range (1 to 10000000)\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_EXPORT_ALLOWLIST:
			err = dup_arg(&o->export_allowlist, optarg);
			break;
		case OPT_EXPORT_DENYLIST:
			err = dup_arg(&o->export_denylist, optarg);
			break;
		case OPT_FIELD_FILTERS:
			err = dup_arg(&o->field_filters, optarg);
			break;
		case OPT_PID_SET_FILTER:
			err = parse_bool("enable-pid-set-filter", optarg, &o->enable_pid_set_filter);
			break;
		case OPT_METRICS_SERVER:
			err = dup_arg(&o->metrics_server, optarg);
			break;
		case OPT_METRICS_LABEL_FILTER:
			err = dup_arg(&o->metrics_label_filter, optarg);
			break;
		case OPT_EVENT_METRICS:
			err = parse_bool("enable-event-metrics", optarg, &o->enable_event_metrics);
			break;
		case OPT_VERSION:
			o->show_version = true;
			return 1;
		case OPT_PROBE_FEATURES:
			o->probe_features = true;
			return 1;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "tetragon: %s needs a value\n", flag);
			return -EINVAL;
		default:
			fprintf(stderr, "tetragon: unknown flag %s (see --help)\n", flag);
			return -EINVAL;
		}
		if (err)
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "tetragon: unexpected argument \"%s\" (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (o->stdout_format == STDOUT_AUTO)
		o->stdout_format = o->export_filename ? STDOUT_NONE : STDOUT_COMPACT;
	return 0;
}

void agent_options_free(struct agent_options *o)
{
	free(o->node_name);
	free(o->export_filename);
	free(o->procfs);
	free(o->btf);
	free(o->log_level);
	for (size_t i = 0; i < o->ntracing_policies; i++)
		free(o->tracing_policies[i]);
	free(o->tracing_policies);
	free(o->tracing_policy_dir);
	free(o->server_address);
	free(o->info_file);
	free(o->server_socket);
	free(o->export_allowlist);
	free(o->export_denylist);
	free(o->field_filters);
	free(o->metrics_server);
	free(o->metrics_label_filter);
	memset(o, 0, sizeof(*o));
}
