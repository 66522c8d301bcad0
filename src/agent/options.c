// SPDX-License-Identifier: Apache-2.0
#include "agent/options.h"

#include "agent/config.h"
#include "event/process_facts.h"

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
	OPT_EXPOSE_STACK,
	OPT_PROC_NS,
	OPT_PROCFS,
	OPT_BTF,
	OPT_RB_SIZE,
	OPT_RB_SIZE_POLICY,
	OPT_RB_SIZE_TOTAL,
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
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_CLIENT_CA,
	OPT_TLS_REQUIRE_CLIENT_CERT,
	OPT_EXPORT_ALLOWLIST,
	OPT_EXPORT_DENYLIST,
	OPT_FIELD_FILTERS,
	OPT_PID_SET_FILTER,
	/* metrics */
	OPT_METRICS_SERVER,
	OPT_METRICS_LABEL_FILTER,
	OPT_EVENT_METRICS,
	/* containers */
	OPT_CONTAINER_METADATA,
	OPT_DOCKER_SOCKET,
	OPT_PODMAN_SOCKET,
	OPT_CONTAINERD_SOCKET,
	OPT_RUNTIME_TIMEOUT,
	OPT_EVENT_CACHE_RETRIES,
	OPT_EVENT_CACHE_RETRY_DELAY,
	/* Kubernetes (owner: src/k8s) */
	OPT_K8S_API,
	OPT_K8S_KUBECONFIG,
	OPT_POD_ANNOTATIONS,
	OPT_TP_CRD,
	OPT_DELETED_POD_CACHE,
	/* process facts */
	OPT_ANCESTORS,
	OPT_PROC_ENVS,
	OPT_FILTER_ENVS,
	OPT_USERNAME_METADATA,
	/* configuration */
	OPT_CONFIG_DIR,
	OPT_CONFIG_FILE,
	OPT_DEBUG,
	/* operations (issue 10): health server, log output, export rate, redaction */
	OPT_HEALTH_ADDRESS,
	OPT_HEALTH_INTERVAL,
	OPT_LOG_FORMAT,
	OPT_LOG_FILE,
	OPT_EXPORT_RATE_LIMIT,
	OPT_REDACTION_FILTERS,
	/* persistence (owner: src/kernel/bpf_pin, src/agent/policy_store) */
	OPT_BPF_DIR,
	OPT_KEEP_SENSORS,
	OPT_RELEASE_PINNED,
	OPT_PERSIST_GRPC,
	OPT_PERSIST_GRPC_DIR,
	/* upstream's flags this agent does not implement: OPT_UPSTREAM + index */
	OPT_UPSTREAM = 2000,
};

/*
 * Upstream's flags (pkg/option/flags.go) that are not built yet. Accepted,
 * so that an upstream configuration starts this agent, with one warning
 * each; refused where ignoring them would weaken what the user asked for
 * (exporting what they redact).
 */
static const struct upstream_flag {
	const char *name;
	int has_arg;		/* no_argument for booleans (they take =BOOL) */
	bool refuse;
	const char *why;	/* for refused ones */
} upstream_only[] = {
	{ "bpf-lib", required_argument }, { "cgroup-rate", required_argument },
	{ "cluster-name", required_argument }, { "cpuprofile", required_argument },
	{ "cri-endpoint", required_argument }, { "data-cache-size", required_argument },
	{ "disable-kprobe-multi", no_argument },
	{ "disable-process-cache", no_argument }, { "disable-uprobe-multi", no_argument },
	{ "enable-cgidmap", no_argument },
	{ "enable-cgidmap-debug", no_argument }, { "enable-cgtrackerid", no_argument },
	{ "enable-cri", no_argument }, { "enable-deprecated-tracingpolicy-grpc", no_argument },
	{ "enable-export-aggregation", no_argument },
	{ "enable-msg-handling-latency", no_argument },
	{ "enable-pod-info", no_argument }, { "enable-policy-filter", no_argument },
	{ "enable-policy-filter-cgroup-map", no_argument }, { "enable-policy-filter-debug", no_argument },
	{ "execve-map-entries", required_argument }, { "execve-map-size", required_argument },
	{ "export-aggregation-buffer-size", required_argument },
	{ "export-aggregation-window-size", required_argument },
	{ "force-large-progs", no_argument }, { "force-small-progs", no_argument },
	{ "generate-docs", no_argument }, { "gops-address", required_argument },
	{ "k8s-controlplane-retry", required_argument },
	{ "kernel", required_argument },
	{ "memprofile", required_argument }, { "netns-dir", required_argument },
	{ "parents-map-enabled", no_argument }, { "parents-map-entries", required_argument },
	{ "parents-map-size", required_argument }, { "pprof-address", required_argument },
	{ "rb-queue-size", required_argument },
	{ "retprobes-cache-size", required_argument },
	{ "sleepable-preload-size", required_argument }, { "use-perf-ring-buffer", no_argument },
	{ "verbose", required_argument },
};
#define DEFAULT_TRACING_POLICY_DIR "/etc/tetragon/tetragon.tp.d"
#define NUPSTREAM (sizeof(upstream_only) / sizeof(upstream_only[0]))

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
	{ "expose-stack-addresses", optional_argument, 0, OPT_EXPOSE_STACK },
	{ "enable-process-ns", optional_argument, 0, OPT_PROC_NS },
	{ "procfs", required_argument, 0, OPT_PROCFS },
	{ "btf", required_argument, 0, OPT_BTF },
	{ "rb-size", required_argument, 0, OPT_RB_SIZE },
	{ "rb-size-policy", required_argument, 0, OPT_RB_SIZE_POLICY },
	{ "rb-size-total", required_argument, 0, OPT_RB_SIZE_TOTAL },
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
	{ "server-tls-cert-file", required_argument, 0, OPT_TLS_CERT },
	{ "server-tls-key-file", required_argument, 0, OPT_TLS_KEY },
	{ "server-tls-client-ca-files", required_argument, 0, OPT_TLS_CLIENT_CA },
	{ "server-tls-require-client-cert", optional_argument, 0, OPT_TLS_REQUIRE_CLIENT_CERT },
	{ "export-allowlist", required_argument, 0, OPT_EXPORT_ALLOWLIST },
	{ "export-denylist", required_argument, 0, OPT_EXPORT_DENYLIST },
	{ "field-filters", required_argument, 0, OPT_FIELD_FILTERS },
	{ "enable-pid-set-filter", optional_argument, 0, OPT_PID_SET_FILTER },
	/* metrics */
	{ "metrics-server", required_argument, 0, OPT_METRICS_SERVER },
	{ "metrics-label-filter", required_argument, 0, OPT_METRICS_LABEL_FILTER },
	{ "enable-event-metrics", optional_argument, 0, OPT_EVENT_METRICS },
	/* containers */
	{ "enable-container-runtime-metadata", optional_argument, 0, OPT_CONTAINER_METADATA },
	{ "docker-socket", required_argument, 0, OPT_DOCKER_SOCKET },
	{ "podman-socket", required_argument, 0, OPT_PODMAN_SOCKET },
	{ "containerd-socket", required_argument, 0, OPT_CONTAINERD_SOCKET },
	{ "container-runtime-timeout", required_argument, 0, OPT_RUNTIME_TIMEOUT },
	{ "event-cache-retries", required_argument, 0, OPT_EVENT_CACHE_RETRIES },
	{ "event-cache-retry-delay", required_argument, 0, OPT_EVENT_CACHE_RETRY_DELAY },
	/* Kubernetes */
	{ "enable-k8s-api", optional_argument, 0, OPT_K8S_API },
	{ "k8s-kubeconfig-path", required_argument, 0, OPT_K8S_KUBECONFIG },
	{ "enable-pod-annotations", optional_argument, 0, OPT_POD_ANNOTATIONS },
	{ "enable-tracing-policy-crd", optional_argument, 0, OPT_TP_CRD },
	{ "deleted-pod-cache-size", required_argument, 0, OPT_DELETED_POD_CACHE },
	/* process facts */
	{ "enable-ancestors", required_argument, 0, OPT_ANCESTORS },
	{ "enable-process-environment-variables", optional_argument, 0, OPT_PROC_ENVS },
	{ "filter-environment-variables", required_argument, 0, OPT_FILTER_ENVS },
	{ "username-metadata", required_argument, 0, OPT_USERNAME_METADATA },
	{ "config-dir", required_argument, 0, OPT_CONFIG_DIR },
	{ "config-file", required_argument, 0, OPT_CONFIG_FILE },
	{ "read-system-config", optional_argument, 0, OPT_CONFIG_FILE },
	{ "debug", optional_argument, 0, OPT_DEBUG },
	{ "health-server-address", required_argument, 0, OPT_HEALTH_ADDRESS },
	{ "health-server-interval", required_argument, 0, OPT_HEALTH_INTERVAL },
	{ "log-format", required_argument, 0, OPT_LOG_FORMAT },
	{ "log-file", required_argument, 0, OPT_LOG_FILE },
	{ "export-rate-limit", required_argument, 0, OPT_EXPORT_RATE_LIMIT },
	{ "redaction-filters", required_argument, 0, OPT_REDACTION_FILTERS },
	{ "bpf-dir", required_argument, 0, OPT_BPF_DIR },
	{ "keep-sensors-on-exit", optional_argument, 0, OPT_KEEP_SENSORS },
	{ "release-pinned-bpf", optional_argument, 0, OPT_RELEASE_PINNED },
	{ "persist-grpc-policies", optional_argument, 0, OPT_PERSIST_GRPC },
	{ "persist-grpc-policies-dir", required_argument, 0, OPT_PERSIST_GRPC_DIR },
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
		"  --enable-process-cred[=BOOL]       credentials and capabilities (default false)\n"
		"  --enable-process-ns[=BOOL]         namespaces (default false)\n"
		"  --expose-stack-addresses[=BOOL]    addresses in stack traces (default false: symbols only)\n"
		"  --process-cache-gc-interval D      check for vanished processes every D (default 30s)\n"
		"  --process-cache-size N             cached processes before trimming (default 65536)\n"
		"  --enable-ancestors LIST            events carry `ancestors` (beyond the parent): base\n"
		"                                     (exec, exit; needed by the others), kprobe,\n"
		"                                     tracepoint, uprobe, lsm, usdt, loader (default \"\")\n"
		"  --enable-process-environment-variables[=BOOL]  exec events carry the environment\n"
		"                                     (default false)\n"
		"  --filter-environment-variables LIST  only these variables (comma-separated names)\n"
		"  --username-metadata unix|disabled  process.user.name from the passwd file of the\n"
		"                                     process' own root (default disabled)\n"
		"\n"
		"Kernel:\n"
		"  --procfs DIR                       procfs mount (default /proc)\n"
		"  --btf FILE                         kernel BTF (default /sys/kernel/btf/vmlinux)\n"
		"  --rb-size SIZE                     ring buffer of exec/clone/exit records: bytes, or\n"
		"                                     64K, 16M, 1G (default 8M)\n"
		"  --rb-size-policy SIZE              ring buffer of tracing policy records, apart, so a\n"
		"                                     flooding policy loses only its own (default 8M)\n"
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
		"  --server-tls-cert-file FILE        PEM certificate chain: TLS on the TCP listener\n"
		"  --server-tls-key-file FILE         its PEM key (root's, readable by root only)\n"
		"  --server-tls-client-ca-files LIST  comma-separated PEM CA files; a client certificate they\n"
		"                                     sign may manage the agent from any address\n"
		"  --server-tls-require-client-cert[=BOOL]  refuse TLS clients without one (default false)\n"
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
		"Containers (process.docker and pod from the cgroup and the runtime's own API):\n"
		"  --enable-container-runtime-metadata[=BOOL]  ask Docker, Podman and containerd for\n"
		"                                     container name, image, start, pod (default true)\n"
		"  --docker-socket PATH               Docker's API (default /var/run/docker.sock; \"\" off)\n"
		"  --podman-socket PATH               Podman's API service (default /run/podman/podman.sock)\n"
		"  --containerd-socket PATH           containerd's (default /run/containerd/containerd.sock)\n"
		"  --container-runtime-timeout D      one lookup, at most (default 1s); a container's first\n"
		"                                     events wait for it, at most twice D\n"
		"  --event-cache-retries N            lookups of a container, at most (default 15)\n"
		"  --event-cache-retry-delay N        seconds between them (default 2)\n"
		"Kubernetes:\n"
		"  --enable-k8s-api[=BOOL]            watch the API server: this node's pods (the pod\n"
		"                                     field of events) and TracingPolicy custom resources\n"
		"                                     (default false)\n"
		"  --k8s-kubeconfig-path FILE         a kubeconfig instead of the in-cluster service account\n"
		"  --enable-pod-annotations[=BOOL]    pod annotations in events (default false)\n"
		"  --enable-tracing-policy-crd[=BOOL] load TracingPolicy/TracingPolicyNamespaced custom\n"
		"                                     resources (default true, with --enable-k8s-api)\n"
		"  --deleted-pod-cache-size N         containers of deleted pods kept for late events\n"
		"                                     (default 1024)\n"
		"\n"
		"Policies:\n"
		"  --tracing-policy FILE              load a TracingPolicy (repeatable)\n"
		"  --tracing-policy-dir DIR           load every *.yaml / *.yml of DIR (default\n"
		"                                     /etc/tetragon/tetragon.tp.d when it exists; \"\" none)\n"
		"\n"
		"Persistence (enforcement and gRPC policies across agent restarts):\n"
		"  --keep-sensors-on-exit[=BOOL]      pin programs, maps and links in bpffs as they load: they\n"
		"                                     stay attached when the agent exits, even killed (default\n"
		"                                     false); the next agent takes over without a gap\n"
		"  --release-pinned-bpf[=BOOL]        remove the pinned tree at startup (default true; false\n"
		"                                     to hand over from a --keep-sensors-on-exit agent)\n"
		"  --bpf-dir NAME                     the pinned tree: /sys/fs/bpf/NAME (default tetragon)\n"
		"  --persist-grpc-policies[=BOOL]     save policies added over gRPC (mode, enabled state) and\n"
		"                                     restore them at startup (default false)\n"
		"  --persist-grpc-policies-dir DIR    where (default /var/run/tetragon/grpc-policies)\n"
		"\n"
		"Operations:\n"
		"  --log-level debug|info|warn|error  (default info); -d, --debug: debug\n"
		"  --log-format text|json|json-ts     log records as logfmt text (timestamped) or\n"
		"                                     JSON (json-ts: with \"time\") (default text)\n"
		"  --log-file FILE                    also write the log to FILE (created 0600, truncated)\n"
		"  --health-server-address ADDR       gRPC grpc.health.v1.Health on TCP ADDR, nothing else\n"
		"                                     (default :6789; \"\" off)\n"
		"  --health-server-interval N         re-check the agent every N seconds (default 10)\n"
		"  --export-rate-limit N              export-file events per minute; the rest dropped and\n"
		"                                     reported in rate_limit_info events (default -1: no limit)\n"
		"  --redaction-filters JSON           redact process arguments, e.g.\n"
		"                                     '{\"redact\":[\"--password(?:\\\\s+|=)(\\\\S*)\"]}'\n"
		"\n"
		"Configuration (upstream's sources; the command line wins, then TETRAGON_<FLAG>\n"
		"environment variables, --config-dir, /etc/tetragon/tetragon.conf.d/,\n"
		"/etc/tetragon/tetragon.yaml, /usr/local/lib and /usr/lib/tetragon/tetragon.conf.d/):\n"
		"  --config-dir DIR                   one file per flag, named after it, holding its value\n"
		"  --config-file FILE                 YAML flag: value mapping instead of\n"
		"                                     /etc/tetragon/tetragon.yaml\n"
		"  --read-system-config=false         skip /etc/tetragon and the package drop-ins (tests)\n"
		"Upstream's other flags are accepted with a warning until they are built.\n"
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

/* A byte count with upstream's suffixes: 4096, 64K, 16M, 1G (powers of 1024). */
static int parse_size(const char *flag, const char *v, uint64_t *ret)
{
	size_t l = strlen(v);
	unsigned shift = 0;
	char num[32];

	if (l && l < sizeof(num) && strchr("KMG", v[l - 1])) {
		shift = v[l - 1] == 'K' ? 10 : v[l - 1] == 'M' ? 20 : 30;
		memcpy(num, v, l - 1);
		num[l - 1] = '\0';
		v = num;
	}
	if (parse_u64(flag, v, ret))
		return -EINVAL;
	if (*ret > (UINT64_MAX >> shift)) {
		fprintf(stderr, "tetragon: --%s: %s is too large\n", flag, v);
		return -EINVAL;
	}
	*ret <<= shift;
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

#define NOURS (sizeof(longopts) / sizeof(longopts[0]) - 1)

/* config.h's question: is name a flag, and does it take a value? */
static int flag_kind(const char *name)
{
	size_t i;

	for (i = 0; i < NOURS; i++)
		if (!strcmp(longopts[i].name, name))
			return longopts[i].has_arg == required_argument ? 0 : 1;
	for (i = 0; i < NUPSTREAM; i++)
		if (!strcmp(upstream_only[i].name, name))
			return upstream_only[i].has_arg == required_argument ? 0 : 1;
	return -1;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64], i, j;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

/* The closest flag name to a misspelt one, or NULL. */
static const char *suggest(const char *arg)
{
	char name[64];
	const char *best = NULL, *eq;
	size_t bestd = 99, i, d, l;

	while (*arg == '-')
		arg++;
	eq = strchr(arg, '=');
	l = eq ? (size_t)(eq - arg) : strlen(arg);
	if (l >= sizeof(name))
		return NULL;
	memcpy(name, arg, l);
	name[l] = '\0';
	for (i = 0; i < NOURS + NUPSTREAM; i++) {
		const char *cand = i < NOURS ? longopts[i].name : upstream_only[i - NOURS].name;

		d = edit_distance(name, cand);
		if (d < bestd) {
			bestd = d;
			best = cand;
		}
	}
	return bestd <= (l > 12 ? 3 : 2) ? best : NULL;
}

static int parse_args(struct agent_options *o, int argc, char **argv, char **origin);

/* --enable-ancestors' list, all of it read: upstream's bits, with warnings where upstream is silent. */
static void ancestors_done(struct agent_options *o, char **list)
{
	const char *unknown;
	int needs_base;

	if (!*list)
		return;
	o->ancestors = ancestors_parse(*list, &unknown, &needs_base);
	if (unknown)
		fprintf(stderr, "tetragon: warning: --enable-ancestors: unknown event type \"%s\" ignored "
			"(known: base, kprobe, tracepoint, uprobe, lsm, usdt, loader)\n", unknown);
	if (needs_base)
		fprintf(stderr, "tetragon: warning: --enable-ancestors \"%s\": without \"base\" no event carries "
			"ancestors; add base to the list\n", *list);
	free(*list);
	*list = NULL;
}

/*
 * --filter-environment-variables: names, comma-separated. Upstream's
 * string slice: repeating the flag adds to the list; a value from a later
 * source (the command line after a file) replaces it.
 */
static int parse_env_filter(struct agent_options *o, const char *v, const char *origin, const char **last)
{
	const char *p = v;

	if (o->nenv_filter && !(origin == *last || (origin && *last && !strcmp(origin, *last)))) {
		for (size_t i = 0; i < o->nenv_filter; i++)
			free(o->env_filter[i]);
		o->nenv_filter = 0;
	}
	*last = origin;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char **n;

		if (l) {
			n = realloc(o->env_filter, (o->nenv_filter + 1) * sizeof(*n));
			if (!n)
				return -ENOMEM;
			o->env_filter = n;
			if (!(n[o->nenv_filter] = strndup(p, l)))
				return -ENOMEM;
			o->nenv_filter++;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

int agent_options_parse(struct agent_options *o, int argc, char **argv)
{
	struct config_argv xa;
	char err[2048];
	int r;

	memset(o, 0, sizeof(*o));
	r = config_expand(argc, argv, &config_default_roots, flag_kind, &xa, err, sizeof(err));
	if (r) {
		fprintf(stderr, "tetragon: %s\n", err);
		return -EINVAL;
	}
	r = parse_args(o, xa.argc, xa.argv, xa.origin);
	config_argv_free(&xa);
	if (r < 0)
		agent_options_free(o);
	return r;
}

static int parse_args(struct agent_options *o, int argc, char **argv, char **origin)
{
	struct option all[NOURS + NUPSTREAM + 1];
	bool warned[NUPSTREAM] = { false };
	const char *env_filter_origin = NULL, *anc_origin = NULL;
	char *anc_list = NULL;
	uint64_t u;
	int c, err = 0;
	uint64_t rb_total;
	size_t i;

	memcpy(all, longopts, NOURS * sizeof(all[0]));
	for (i = 0; i < NUPSTREAM; i++)
		all[NOURS + i] = (struct option){ upstream_only[i].name,
			upstream_only[i].has_arg == no_argument ? optional_argument : required_argument, 0,
			OPT_UPSTREAM + (int)i };
	memset(&all[NOURS + NUPSTREAM], 0, sizeof(all[0]));

	memset(o, 0, sizeof(*o));
	o->export_file_max_size_mb = 10;
	o->export_file_max_backups = 5;
	o->export_file_perm = 0600;
	o->enable_event_metrics = true;	/* metrics */
	o->enable_tracing_policy_crd = true;	/* Kubernetes */
	o->deleted_pod_cache_size = 1024;
	o->process_cache_gc_interval_ms = 30000;
	o->process_cache_size = 65536;
	o->stdout_format = STDOUT_AUTO;
	o->container_metadata = true;
	o->container_runtime_timeout_ms = 1000;
	o->event_cache_retries = 15;
	o->event_cache_retry_delay_ms = 2000;
	o->health_server_interval = 10;
	o->export_rate_limit = -1;
	o->release_pinned_bpf = true;	/* upstream's default */
	rb_total = 0;

	optind = 1;
	opterr = 0;
	for (;;) {
		int before = optind, li = -1;
		const char *flag;

		c = getopt_long(argc, argv, "+hd", all, &li);
		if (c == -1)
			break;
		flag = before < argc ? argv[before] : "?";
		/* getopt takes unambiguous prefixes; upstream's parser does not, and a prefix is often a typo */
		if (li >= 0 && !strncmp(flag, "--", 2) && strncmp(flag + 2, all[li].name, strlen(all[li].name)) == 0 &&
		    (flag[2 + strlen(all[li].name)] == '=' || !flag[2 + strlen(all[li].name)])) {
			/* the whole name */
		} else if (li >= 0) {
			fprintf(stderr, "tetragon: unknown flag %s: did you mean --%s? (see --help)\n", flag, all[li].name);
			goto bad;
		}

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
		case OPT_EXPOSE_STACK:
			err = parse_bool("expose-stack-addresses", optarg, &o->expose_stack_addresses);
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
		case OPT_RB_SIZE_POLICY:
		case OPT_RB_SIZE_TOTAL: {
			const char *name = c == OPT_RB_SIZE ? "rb-size" : c == OPT_RB_SIZE_POLICY ? "rb-size-policy" :
										     "rb-size-total";
			uint64_t max = c == OPT_RB_SIZE_TOTAL ? 1ULL << 31 : 1ULL << 30;

			err = parse_size(name, optarg, &u);
			if (!err && (u < (c == OPT_RB_SIZE_TOTAL ? 8192 : 4096) || u > max)) {
				fprintf(stderr, "tetragon: --%s: %s is out of range (%d to %llu)\n", name, optarg,
					c == OPT_RB_SIZE_TOTAL ? 8192 : 4096, (unsigned long long)max);
				err = -EINVAL;
			}
			if (c == OPT_RB_SIZE)
				o->rb_size = (uint32_t)u;
			else if (c == OPT_RB_SIZE_POLICY)
				o->rb_size_policy = (uint32_t)u;
			else
				rb_total = u;
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
			/* upstream refuses 0 too; the sweep runs on whole seconds (less is 1s) */
			if (parse_duration_ms(optarg, &o->process_cache_gc_interval_ms) ||
			    !o->process_cache_gc_interval_ms) {
				fprintf(stderr, "tetragon: --process-cache-gc-interval: invalid duration \"%s\" (more than "
					"0, e.g. 30s)\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_LOG_LEVEL:
			err = dup_arg(&o->log_level, optarg);
			break;
		case OPT_LOG_FORMAT:
			if (log_parse_format(optarg, &o->log_format)) {
				fprintf(stderr, "tetragon: --log-format: invalid format \"%s\" (want text, text-ts, json or "
					"json-ts)\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_LOG_FILE:
			free(o->log_file);
			o->log_file = NULL;
			err = dup_arg(&o->log_file, optarg);
			break;
		case OPT_HEALTH_ADDRESS:
			free(o->health_server_address);
			o->health_server_address = NULL;
			err = dup_arg(&o->health_server_address, optarg);
			break;
		case OPT_HEALTH_INTERVAL:
			err = parse_u64("health-server-interval", optarg, &o->health_server_interval);
			if (!err && (o->health_server_interval < 1 || o->health_server_interval > 3600)) {
				fprintf(stderr, "tetragon: --health-server-interval: %s is out of range (1 to 3600 seconds)\n",
					optarg);
				err = -EINVAL;
			}
			break;
		case OPT_EXPORT_RATE_LIMIT: {
			char *end;
			long long v;

			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (!*optarg || *end || errno || v > 1000000000LL) {
				fprintf(stderr, "tetragon: --export-rate-limit: invalid value \"%s\" (events per minute, "
					"at most 1000000000; -1 for no limit)\n", optarg);
				err = -EINVAL;
			}
			o->export_rate_limit = v < 0 ? -1 : v;
			break;
		}
		case OPT_REDACTION_FILTERS:
			free(o->redaction_filters);
			o->redaction_filters = NULL;
			err = dup_arg(&o->redaction_filters, optarg);
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
		case OPT_TLS_CERT:
			err = dup_arg(&o->server_tls_cert_file, optarg);
			break;
		case OPT_TLS_KEY:
			err = dup_arg(&o->server_tls_key_file, optarg);
			break;
		case OPT_TLS_CLIENT_CA:
			/* upstream's list: comma-separated; a later source replaces an earlier one */
			err = dup_arg(&o->server_tls_client_ca_files, optarg);
			break;
		case OPT_TLS_REQUIRE_CLIENT_CERT:
			err = parse_bool("server-tls-require-client-cert", optarg, &o->server_tls_require_client_cert);
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
		case OPT_CONTAINER_METADATA:
			err = parse_bool("enable-container-runtime-metadata", optarg, &o->container_metadata);
			break;
		case OPT_DOCKER_SOCKET:
		case OPT_PODMAN_SOCKET:
		case OPT_CONTAINERD_SOCKET: {
			char **dst = c == OPT_DOCKER_SOCKET ? &o->docker_socket :
				     c == OPT_PODMAN_SOCKET ? &o->podman_socket : &o->containerd_socket;
			const char *v = optarg;

			/* upstream's endpoints are written unix:///path */
			if (!strncmp(v, "unix://", 7))
				v += 7;
			if (*v && *v != '/') {
				fprintf(stderr, "tetragon: %s: \"%s\" is not an absolute unix socket path\n", flag, optarg);
				err = -EINVAL;
				break;
			}
			free(*dst);
			*dst = NULL;
			err = dup_arg(dst, v);
			break;
		}
		case OPT_RUNTIME_TIMEOUT:
			if (parse_duration_ms(optarg, &o->container_runtime_timeout_ms) ||
			    !o->container_runtime_timeout_ms || o->container_runtime_timeout_ms > 60000) {
				fprintf(stderr, "tetragon: --container-runtime-timeout: invalid duration \"%s\" "
					"(1ms to 1m)\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_EVENT_CACHE_RETRIES:
			err = parse_u64("event-cache-retries", optarg, &o->event_cache_retries);
			if (!err && (o->event_cache_retries < 1 || o->event_cache_retries > 255)) {
				fprintf(stderr, "tetragon: --event-cache-retries: %s is out of range (1 to 255)\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_EVENT_CACHE_RETRY_DELAY:
			err = parse_u64("event-cache-retry-delay", optarg, &u);
			if (!err && (u < 1 || u > 3600)) {
				fprintf(stderr, "tetragon: --event-cache-retry-delay: %s is out of range (1 to 3600 seconds)\n",
					optarg);
				err = -EINVAL;
			}
			o->event_cache_retry_delay_ms = u * 1000;
			break;
		case OPT_K8S_API:
			err = parse_bool("enable-k8s-api", optarg, &o->enable_k8s_api);
			break;
		case OPT_K8S_KUBECONFIG:
			err = dup_arg(&o->k8s_kubeconfig_path, optarg);
			break;
		case OPT_POD_ANNOTATIONS:
			err = parse_bool("enable-pod-annotations", optarg, &o->enable_pod_annotations);
			break;
		case OPT_TP_CRD:
			err = parse_bool("enable-tracing-policy-crd", optarg, &o->enable_tracing_policy_crd);
			break;
		case OPT_DELETED_POD_CACHE:
			err = parse_u64("deleted-pod-cache-size", optarg, &o->deleted_pod_cache_size);
			if (!err && o->deleted_pod_cache_size > 1000000) {
				fprintf(stderr, "tetragon: --deleted-pod-cache-size: %s is out of range (0 to 1000000)\n",
					optarg);
				err = -EINVAL;
			}
			break;
		case OPT_ANCESTORS: {
			/* upstream's string slice: a repeated flag adds to the list, a later source replaces it */
			const char *org = origin[optind - 1];
			bool same = anc_list && (org == anc_origin || (org && anc_origin && !strcmp(org, anc_origin)));
			char *n = NULL;

			if (asprintf(&n, "%s%s%s", same ? anc_list : "", same ? "," : "", optarg) < 0) {
				err = -ENOMEM;
				break;
			}
			free(anc_list);
			anc_list = n;
			anc_origin = org;
			break;
		}
		case OPT_PROC_ENVS:
			err = parse_bool("enable-process-environment-variables", optarg, &o->enable_process_envs);
			break;
		case OPT_FILTER_ENVS:
			err = parse_env_filter(o, optarg, origin[optind - 1], &env_filter_origin);
			break;
		case OPT_USERNAME_METADATA:
			if (!strcmp(optarg, "unix"))
				o->username_unix = true;
			else if (!strcmp(optarg, "disabled"))
				o->username_unix = false;
			else {
				fprintf(stderr, "tetragon: --username-metadata: unknown option \"%s\" (want unix or disabled)\n",
					optarg);
				err = -EINVAL;
			}
			break;
		case OPT_BPF_DIR:
			err = dup_arg(&o->bpf_dir, optarg);
			break;
		case OPT_KEEP_SENSORS:
			err = parse_bool("keep-sensors-on-exit", optarg, &o->keep_sensors_on_exit);
			break;
		case OPT_RELEASE_PINNED:
			err = parse_bool("release-pinned-bpf", optarg, &o->release_pinned_bpf);
			break;
		case OPT_PERSIST_GRPC:
			err = parse_bool("persist-grpc-policies", optarg, &o->persist_grpc_policies);
			break;
		case OPT_PERSIST_GRPC_DIR:
			if (*optarg != '/') {
				fprintf(stderr, "tetragon: --persist-grpc-policies-dir: \"%s\" is not an absolute path\n",
					optarg);
				err = -EINVAL;
				break;
			}
			err = dup_arg(&o->persist_grpc_policies_dir, optarg);
			break;
		case OPT_VERSION:
			o->show_version = true;
			ancestors_done(o, &anc_list);
			return 1;
		case OPT_PROBE_FEATURES:
			o->probe_features = true;
			ancestors_done(o, &anc_list);
			return 1;
		case 'h':
		case OPT_HELP:
			ancestors_done(o, &anc_list);
			usage(stdout);
			return 1;
		case OPT_CONFIG_DIR:
		case OPT_CONFIG_FILE:
			break;	/* read by config.c before parsing */
		case 'd':
		case OPT_DEBUG: {
			bool on = true;

			err = parse_bool("debug", optarg, &on);
			if (!err && on)
				err = dup_arg(&o->log_level, "debug");
			break;
		}
		case ':':
			fprintf(stderr, "tetragon: %s needs a value\n", flag);
			goto bad;
		default:
			if (c >= OPT_UPSTREAM && c < OPT_UPSTREAM + (int)NUPSTREAM) {
				const struct upstream_flag *uf = &upstream_only[c - OPT_UPSTREAM];

				if (uf->refuse) {
					fprintf(stderr, "tetragon: --%s: %s; remove the flag to start\n", uf->name, uf->why);
					goto bad;
				}
				if (!warned[c - OPT_UPSTREAM])
					fprintf(stderr, "tetragon: warning: --%s is an upstream Tetragon flag this agent "
						"does not implement yet; ignored\n", uf->name);
				warned[c - OPT_UPSTREAM] = true;
				break;
			}
			if (suggest(flag))
				fprintf(stderr, "tetragon: unknown flag %s: did you mean --%s? (see --help)\n", flag,
					suggest(flag));
			else
				fprintf(stderr, "tetragon: unknown flag %s (see --help)\n", flag);
			goto bad;
		}
		if (err)
			goto bad;
	}
	/*
	 * Upstream's one ring buffer of --rb-size-total bytes is two here: each
	 * gets half, unless its own flag sizes it.
	 */
	if (rb_total) {
		if (!o->rb_size)
			o->rb_size = (uint32_t)(rb_total / 2);
		if (!o->rb_size_policy)
			o->rb_size_policy = (uint32_t)(rb_total / 2);
	}
	if (optind < argc) {
		fprintf(stderr, "tetragon: unexpected argument \"%s\" (see --help)\n", argv[optind]);
		ancestors_done(o, &anc_list);
		return -EINVAL;
	}
	ancestors_done(o, &anc_list);
	if (o->k8s_kubeconfig_path && !*o->k8s_kubeconfig_path) {
		free(o->k8s_kubeconfig_path);
		o->k8s_kubeconfig_path = NULL;
	}
	/* as upstream, an empty export file name is no export file */
	if (o->export_filename && !*o->export_filename) {
		free(o->export_filename);
		o->export_filename = NULL;
	}
	if (o->stdout_format == STDOUT_AUTO)
		o->stdout_format = o->export_filename ? STDOUT_NONE : STDOUT_COMPACT;
	/* upstream's policy directory, when there is one; "" turns it off */
	if (!o->tracing_policy_dir && !access(DEFAULT_TRACING_POLICY_DIR, F_OK))
		err = dup_arg(&o->tracing_policy_dir, DEFAULT_TRACING_POLICY_DIR);
	else if (o->tracing_policy_dir && !*o->tracing_policy_dir) {
		free(o->tracing_policy_dir);
		o->tracing_policy_dir = NULL;
	}
	return err ? -ENOMEM : 0;
bad:
	free(anc_list);
	/* a value from a file or the environment: say which */
	if (optind - 1 > 0 && optind - 1 < argc && origin[optind - 1])
		fprintf(stderr, "tetragon: (%s set by %s)\n", argv[optind - 1], origin[optind - 1]);
	return -EINVAL;
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
	free(o->server_tls_cert_file);
	free(o->server_tls_key_file);
	free(o->server_tls_client_ca_files);
	free(o->export_allowlist);
	free(o->export_denylist);
	free(o->field_filters);
	free(o->metrics_server);
	free(o->metrics_label_filter);
	free(o->docker_socket);
	free(o->podman_socket);
	free(o->containerd_socket);
	free(o->k8s_kubeconfig_path);
	for (size_t i = 0; i < o->nenv_filter; i++)
		free(o->env_filter[i]);
	free(o->env_filter);
	free(o->health_server_address);
	free(o->log_file);
	free(o->redaction_filters);
	free(o->bpf_dir);
	free(o->persist_grpc_policies_dir);
	memset(o, 0, sizeof(*o));
}
