/* SPDX-License-Identifier: Apache-2.0 */
/* Agent command line, with upstream tetragon's flag names where they exist. */
#ifndef TG_AGENT_OPTIONS_H
#define TG_AGENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/log.h"

enum stdout_format { STDOUT_AUTO, STDOUT_COMPACT, STDOUT_JSON, STDOUT_NONE };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct agent_options {
	char *node_name;
	char *export_filename;
	uint64_t export_file_max_size_mb;
	int export_file_max_backups;
	bool export_file_compress;
	mode_t export_file_perm;
	uint64_t export_file_rotation_interval_ms;
	enum stdout_format stdout_format;
	enum color_mode color;
	bool enable_process_cred;
	bool expose_stack_addresses;	/* Post kernelStackTrace/userStackTrace: addresses too */
	bool enable_process_ns;
	char *procfs;
	char *btf;
	uint32_t rb_size;		/* lifecycle ring buffer */
	uint32_t rb_size_policy;	/* policy ring buffer */
	uint64_t process_cache_gc_interval_ms;
	uint64_t process_cache_size;
	char *log_level;
	bool show_version;
	bool probe_features;	/* --probe-features: src/kernel/features.c */
	/* --tracing-policy (repeatable) and --tracing-policy-dir (owner: policy engine) */
	char **tracing_policies;
	size_t ntracing_policies;
	char *tracing_policy_dir;
	/* gRPC API and export filters (owner: src/grpc, src/filters) */
	char *server_address;		/* NULL: the default */
	char *info_file;		/* --info-file: NULL the default, "" none */
	char *server_socket;		/* --server-socket: NULL the default, "" none */
	bool access_group_set;		/* --server-access-group */
	gid_t access_group;
	bool public_read;		/* --server-public-read */
	uint64_t max_connections;	/* --server-max-connections, 0: default */
	uint64_t max_per_client;	/* --server-max-connections-per-client */
	uint64_t event_queue_size;
	char *server_tls_cert_file;	/* --server-tls-*: TLS on the TCP listener (grpc/tls_server.h) */
	char *server_tls_key_file;
	char *server_tls_client_ca_files;	/* comma-separated */
	bool server_tls_require_client_cert;
	char *export_allowlist;
	char *export_denylist;
	char *field_filters;
	bool enable_pid_set_filter;
	/* metrics (owner: src/metrics) */
	char *metrics_server;		/* NULL or "": off */
	char *metrics_label_filter;	/* NULL: METRICS_DEFAULT_LABEL_FILTER */
	bool enable_event_metrics;	/* tetragon_events_total and its kin */
	/* containers (owner: src/runtime, src/process/container) */
	bool container_metadata;	/* --enable-container-runtime-metadata */
	char *docker_socket;		/* NULL: the default; "" off */
	char *podman_socket;
	char *containerd_socket;
	uint64_t container_runtime_timeout_ms;
	uint64_t event_cache_retries;	/* upstream's --event-cache-retries */
	uint64_t event_cache_retry_delay_ms;	/* --event-cache-retry-delay (seconds) */
	/* Kubernetes (owner: src/k8s) */
	bool enable_k8s_api;
	char *k8s_kubeconfig_path;	/* NULL: in-cluster */
	bool enable_pod_annotations;
	bool enable_tracing_policy_crd;
	uint64_t deleted_pod_cache_size;
	/* process facts (owner: src/event/process_facts.h, src/process/userdb.h) */
	uint32_t ancestors;		/* ANCESTORS_* of --enable-ancestors */
	bool enable_process_envs;	/* --enable-process-environment-variables */
	char **env_filter;		/* --filter-environment-variables (none: all variables) */
	size_t nenv_filter;
	bool username_unix;		/* --username-metadata=unix */
	/* operations (issue 10) */
	char *health_server_address;	/* NULL: upstream's :6789 (a bind failure only warns); "": off */
	uint64_t health_server_interval;	/* seconds */
	enum log_format log_format;	/* util/log.h */
	char *log_file;			/* NULL or "": none */
	int64_t export_rate_limit;	/* events per minute on the export file; <= 0: no limit */
	char *redaction_filters;	/* upstream's JSON lines (filters/redaction.h) */
	/* persistence (owner: src/kernel/bpf_pin.h, src/agent/policy_store.h) */
	char *bpf_dir;			/* --bpf-dir: NULL "tetragon" (under /sys/fs/bpf) */
	bool keep_sensors_on_exit;
	bool release_pinned_bpf;	/* default true */
	bool persist_grpc_policies;
	char *persist_grpc_policies_dir;	/* NULL: /var/run/tetragon/grpc-policies */
};

/*
 * Parse argv. Returns 0 to run, 1 when --help/--version was handled or
 * --probe-features asked (the caller probes), or
 * -EINVAL after printing which flag/value is wrong.
 */
int agent_options_parse(struct agent_options *o, int argc, char **argv);
void agent_options_free(struct agent_options *o);
/* Go-style durations ("30s", "1m30s", "500ms", "2h"); -EINVAL if malformed. */
int parse_duration_ms(const char *s, uint64_t *ret);

#endif
