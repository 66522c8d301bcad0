// SPDX-License-Identifier: Apache-2.0
/*
 * "tetra tracingpolicy add|delete|list|enable|disable": the agent's
 * tracing policy RPCs. Output follows upstream's tetra.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "encode/protojson.h"
#include "policy/policy_mode_yaml.h"
#include "tetragon/sensors.pb-c.h"
#include "util/strbuf.h"

static const struct tetra_cmd tp_add_cmd, tp_delete_cmd, tp_list_cmd, tp_enable_cmd, tp_disable_cmd, tp_mode_cmd,
	tp_modify_cmd, tp_domains_cmd;

struct tp_args {
	struct tetra_conn conn;
	const char *namespace_;
	const char *domain;
	const char *output;
	const char *mode;	/* add/modify --mode */
	const char *pos[3];
	int npos;
};

#define TP_DOMAIN_HELP \
	"      --domain D              policy domain: grpc (added over the API), static\n" \
	"                              (--tracing-policy files); add defaults to grpc,\n" \
	"                              the other commands to any domain\n"
#define TP_NS_HELP "  -n, --namespace NS          namespace of the policy\n"
#define TP_MODE_HELP                                                                     \
	"  -m, --mode enforce|monitor  set spec.options policy-mode in the YAML first\n" \
	"                              (monitor: Sigkill/Signal reported, not applied)\n"

/* which options a command takes, besides the connection's */
enum { OPT_NS = 1, OPT_OUTPUT = 2, OPT_MODE = 4, OPT_DOMAIN = 8, OPT_CONN = 16 };

static void add_help(FILE *out)
{
	fprintf(out, "Send a TracingPolicy YAML file to the agent (AddTracingPolicy).\n"
		     "Check it offline first with: tetra tracingpolicy validate FILE\n\n"
		     "Options:\n" TP_MODE_HELP TP_DOMAIN_HELP TETRA_CONN_HELP);
}

static void modify_help(FILE *out)
{
	fprintf(out, "Print a TracingPolicy YAML file with its mode set (no agent needed). FILE \"-\"\n"
		     "reads standard input. The YAML is written again, so comments are dropped.\n\n"
		     "Options:\n" TP_MODE_HELP);
}

static void domains_help(FILE *out)
{
	fprintf(out, "List the domains of the agent's tracing policies (ListDomains): static for\n"
		     "--tracing-policy files, grpc (or the request's) for added ones.\n\n"
		     "Options:\n"
		     "  -o, --output text|json      output format (default text)\n" TETRA_CONN_HELP);
}

static void delete_help(FILE *out)
{
	fprintf(out, "Remove a tracing policy from the agent (DeleteTracingPolicy).\n\n"
		     "Options:\n" TP_NS_HELP TP_DOMAIN_HELP TETRA_CONN_HELP);
}

static void list_help(FILE *out)
{
	fprintf(out, "List the agent's tracing policies (ListTracingPolicies); use -o json for all fields.\n\n"
		     "Options:\n"
		     "  -o, --output text|json      output format (default text)\n" TP_DOMAIN_HELP TETRA_CONN_HELP);
}

static void enable_help(FILE *out)
{
	fprintf(out, "Enable a disabled tracing policy (ConfigureTracingPolicy). Use disable to\n"
		     "disable it again.\n\n"
		     "Options:\n" TP_NS_HELP TP_DOMAIN_HELP TETRA_CONN_HELP);
}

static void disable_help(FILE *out)
{
	fprintf(out, "Disable an enabled tracing policy (ConfigureTracingPolicy). Use enable to\n"
		     "enable it again.\n\n"
		     "Options:\n" TP_NS_HELP TP_DOMAIN_HELP TETRA_CONN_HELP);
}

static void set_mode_help(FILE *out)
{
	fprintf(out, "Set a tracing policy to MODE, monitor or enforce (ConfigureTracingPolicy). In\n"
		     "monitor mode its Sigkill and Signal actions are reported, not applied.\n\n"
		     "Options:\n" TP_NS_HELP TP_DOMAIN_HELP TETRA_CONN_HELP);
}

/* Returns 1 to run, 0 after --help, TETRA_EXIT_USAGE-ish -1 on errors. */
static int parse(const struct tetra_cmd *cmd, struct tp_args *a, int argc, char **argv, int want_pos, int opts)
{
	char name[64];
	int i, r;

	snprintf(name, sizeof(name), "tracingpolicy %s", cmd->name);
	for (i = 1; i < argc; i++) {
		const char *v;

		if (tetra_is_help(argv[i])) {
			tetra_usage(cmd, stdout);
			return 0;
		}
		if (argv[i][0] != '-' || !argv[i][1]) {
			if (a->npos == want_pos) {
				fprintf(stderr, "tetra %s: unexpected argument \"%s\"\nUsage: tetra tracingpolicy %s %s\n",
					name, argv[i], cmd->name, cmd->args);
				return -1;
			}
			a->pos[a->npos++] = argv[i];
			continue;
		}
		r = opts & OPT_DOMAIN ? tetra_opt(argc, argv, &i, name, "--domain", NULL, &v) : 0;
		if (r > 0) {
			a->domain = v;
			continue;
		}
		if (!r && (opts & OPT_NS))
			r = tetra_opt(argc, argv, &i, name, "--namespace", "-n", &v);
		if (r > 0) {
			a->namespace_ = v;
			continue;
		}
		if (!r && (opts & OPT_MODE))
			r = tetra_opt(argc, argv, &i, name, "--mode", "-m", &v);
		if (r > 0) {
			if (strcmp(v, "enforce") && strcmp(v, "monitor")) {
				fprintf(stderr, "tetra %s: --mode: invalid value \"%s\" (want enforce or monitor)\n", name,
					v);
				return -1;
			}
			a->mode = v;
			continue;
		}
		if (!r && (opts & OPT_OUTPUT))
			r = tetra_opt(argc, argv, &i, name, "--output", "-o", &v);
		if (r > 0) {
			if (strcmp(v, "text") && strcmp(v, "json")) {
				fprintf(stderr, "tetra %s: --output: invalid value \"%s\" (want text or json)\n", name, v);
				return -1;
			}
			a->output = v;
			continue;
		}
		if (!r && (opts & OPT_CONN))
			r = tetra_conn_option(&a->conn, argc, argv, &i, name);
		if (r < 0)
			return -1;
		if (r)
			continue;
		fprintf(stderr, "tetra %s: unknown option \"%s\" (see tetra tracingpolicy %s --help)\n", name, argv[i],
			cmd->name);
		return -1;
	}
	if (a->npos != want_pos) {
		fprintf(stderr, "tetra %s: missing argument\nUsage: tetra tracingpolicy %s %s\n", name, cmd->name,
			cmd->args);
		return -1;
	}
	return 1;
}

#define PARSE(cmd, a, want, opts)                                                     \
	do {                                                                          \
		int _r = parse(&(cmd), &(a), argc, argv, (want), (opts));             \
		if (_r <= 0)                                                          \
			return _r ? TETRA_EXIT_USAGE : TETRA_EXIT_OK;                 \
	} while (0)

static char *read_file(const char *path, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char buf[8192];
	size_t n;

	if (!f) {
		snprintf(err, errlen, "failed to read yaml file %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	if (ferror(f) || sb.oom) {
		snprintf(err, errlen, "failed to read yaml file %s: %s", path, sb.oom ? "out of memory" : strerror(errno));
		if (f != stdin)
			fclose(f);
		strbuf_free(&sb);
		return NULL;
	}
	if (f != stdin)
		fclose(f);
	if (!sb.buf)
		strbuf_addc(&sb, '\0');
	return strbuf_detach(&sb, NULL);
}

/* Replace *yaml by its copy with spec.options policy-mode set; 0 or -1 after saying why. */
static int set_mode(char **yaml, const char *path, const char *mode, const char *cmd)
{
	char err[512], *out;
	size_t len;

	if (policy_yaml_set_mode(*yaml, strlen(*yaml), mode, &out, &len, err, sizeof(err))) {
		tetra_eprintf("tetra %s: failed to apply mode \"%s\" to yaml file %s: %s", cmd, mode ? mode : "",
			      path, err);
		free(*yaml);
		*yaml = NULL;
		return -1;
	}
	free(*yaml);
	*yaml = out;
	return 0;
}

static int modify_run(int argc, char **argv)
{
	struct tp_args a = { .conn = TETRA_CONN_INIT };
	char err[512], *yaml;

	PARSE(tp_modify_cmd, a, 1, OPT_MODE);
	yaml = read_file(a.pos[0], err, sizeof(err));
	if (!yaml) {
		tetra_eprintf("tetra tracingpolicy modify: %s", err);
		return TETRA_EXIT_FAIL;
	}
	if (set_mode(&yaml, a.pos[0], a.mode, "tracingpolicy modify"))
		return TETRA_EXIT_FAIL;
	fputs(yaml, stdout);
	free(yaml);
	return fflush(stdout) ? TETRA_EXIT_FAIL : TETRA_EXIT_OK;
}

static int domains_run(int argc, char **argv)
{
	Tetragon__ListDomainsRequest req = TETRAGON__LIST_DOMAINS_REQUEST__INIT;
	struct tp_args a = { .conn = TETRA_CONN_INIT, .output = "text" };
	Tetragon__ListDomainsResponse *d;
	ProtobufCMessage *resp;
	int r;

	PARSE(tp_domains_cmd, a, 0, OPT_OUTPUT | OPT_CONN);
	r = tetra_call(&a.conn, "tracingpolicy domains", "failed to list domains", "ListDomains", &req.base,
		       &tetragon__list_domains_response__descriptor, &resp);
	if (r)
		return r;
	d = (Tetragon__ListDomainsResponse *)resp;
	if (!strcmp(a.output, "json")) {
		struct strbuf sb = STRBUF_INIT;

		if (!protojson_encode(&sb, resp))
			printf("%s\n", sb.buf);
		strbuf_free(&sb);
	} else {
		/* as Go prints a []string, like upstream */
		printf("[");
		for (size_t i = 0; i < d->n_domains; i++) {
			char *e = tetra_escape(d->domains[i]);

			printf("%s%s", i ? " " : "", e ? e : "");
			free(e);
		}
		printf("]\n");
	}
	protobuf_c_message_free_unpacked(resp, NULL);
	return TETRA_EXIT_OK;
}

static int add_run(int argc, char **argv)
{
	Tetragon__AddTracingPolicyRequest req = TETRAGON__ADD_TRACING_POLICY_REQUEST__INIT;
	struct tp_args a = { .conn = TETRA_CONN_INIT };
	ProtobufCMessage *resp;
	char err[512], *yaml;
	int r;

	PARSE(tp_add_cmd, a, 1, OPT_MODE | OPT_DOMAIN | OPT_CONN);
	yaml = read_file(a.pos[0], err, sizeof(err));
	if (!yaml) {
		tetra_eprintf("tetra tracingpolicy add: %s", err);
		return TETRA_EXIT_FAIL;
	}
	if (a.mode && set_mode(&yaml, a.pos[0], a.mode, "tracingpolicy add"))
		return TETRA_EXIT_FAIL;
	req.yaml = yaml;
	req.domain = (char *)(a.domain ? a.domain : "");
	r = tetra_call(&a.conn, "tracingpolicy add", "failed to add tracing policy", "AddTracingPolicy", &req.base,
		       &tetragon__add_tracing_policy_response__descriptor, &resp);
	free(yaml);
	if (r)
		return r;
	protobuf_c_message_free_unpacked(resp, NULL);
	printf("tracing policy \"%s\" added\n", a.pos[0]);
	return TETRA_EXIT_OK;
}

static int delete_run(int argc, char **argv)
{
	Tetragon__DeleteTracingPolicyRequest req = TETRAGON__DELETE_TRACING_POLICY_REQUEST__INIT;
	struct tp_args a = { .conn = TETRA_CONN_INIT };
	ProtobufCMessage *resp;
	int r;

	PARSE(tp_delete_cmd, a, 1, OPT_NS | OPT_DOMAIN | OPT_CONN);
	req.name = (char *)a.pos[0];
	req.namespace_ = (char *)(a.namespace_ ? a.namespace_ : "");
	req.domain = (char *)(a.domain ? a.domain : "");
	r = tetra_call(&a.conn, "tracingpolicy delete", "failed to delete tracing policy", "DeleteTracingPolicy",
		       &req.base, &tetragon__delete_tracing_policy_response__descriptor, &resp);
	if (r)
		return r;
	protobuf_c_message_free_unpacked(resp, NULL);
	printf("tracing policy \"%s\" deleted\n", a.pos[0]);
	return TETRA_EXIT_OK;
}

static int configure(const struct tetra_cmd *cmd, int argc, char **argv, bool enable)
{
	Tetragon__ConfigureTracingPolicyRequest req = TETRAGON__CONFIGURE_TRACING_POLICY_REQUEST__INIT;
	struct tp_args a = { .conn = TETRA_CONN_INIT };
	ProtobufCMessage *resp;
	char name[64], what[64];
	int r;

	PARSE(*cmd, a, 1, OPT_NS | OPT_DOMAIN | OPT_CONN);
	req.name = (char *)a.pos[0];
	req.namespace_ = (char *)(a.namespace_ ? a.namespace_ : "");
	req.domain = (char *)(a.domain ? a.domain : "");
	req._enable_case = TETRAGON__CONFIGURE_TRACING_POLICY_REQUEST___ENABLE_ENABLE;
	req.enable = enable;
	snprintf(name, sizeof(name), "tracingpolicy %s", cmd->name);
	snprintf(what, sizeof(what), "failed to %s tracing policy", cmd->name);
	r = tetra_call(&a.conn, name, what, "ConfigureTracingPolicy", &req.base,
		       &tetragon__configure_tracing_policy_response__descriptor, &resp);
	if (r)
		return r;
	protobuf_c_message_free_unpacked(resp, NULL);
	printf("tracing policy \"%s\" %s\n", a.pos[0], enable ? "enabled" : "disabled");
	return TETRA_EXIT_OK;
}

static int set_mode_run(int argc, char **argv)
{
	Tetragon__ConfigureTracingPolicyRequest req = TETRAGON__CONFIGURE_TRACING_POLICY_REQUEST__INIT;
	struct tp_args a = { .conn = TETRA_CONN_INIT };
	ProtobufCMessage *resp;
	char what[128];
	int r;

	PARSE(tp_mode_cmd, a, 2, OPT_NS | OPT_DOMAIN | OPT_CONN);
	if (!strcmp(a.pos[1], "enforce")) {
		req.mode = TETRAGON__TRACING_POLICY_MODE__TP_MODE_ENFORCE;
	} else if (!strcmp(a.pos[1], "monitor")) {
		req.mode = TETRAGON__TRACING_POLICY_MODE__TP_MODE_MONITOR;
	} else {
		fprintf(stderr, "tetra tracingpolicy set-mode: unknown mode \"%s\" (want enforce or monitor)\n",
			a.pos[1]);
		return TETRA_EXIT_USAGE;
	}
	req._mode_case = TETRAGON__CONFIGURE_TRACING_POLICY_REQUEST___MODE_MODE;
	req.name = (char *)a.pos[0];
	req.namespace_ = (char *)(a.namespace_ ? a.namespace_ : "");
	req.domain = (char *)(a.domain ? a.domain : "");
	snprintf(what, sizeof(what), "failed set mode to \"%s\" tracing policy", a.pos[1]);
	r = tetra_call(&a.conn, "tracingpolicy set-mode", what, "ConfigureTracingPolicy", &req.base,
		       &tetragon__configure_tracing_policy_response__descriptor, &resp);
	if (r)
		return r;
	protobuf_c_message_free_unpacked(resp, NULL);
	printf("tracing policy \"%s\" set to mode \"%s\"\n", a.pos[0], a.pos[1]);
	return TETRA_EXIT_OK;
}

static int enable_run(int argc, char **argv)
{
	return configure(&tp_enable_cmd, argc, argv, true);
}

static int disable_run(int argc, char **argv)
{
	return configure(&tp_disable_cmd, argc, argv, false);
}

/* "tp_state_enabled" -> "enabled", as upstream lower-cases and trims enum names */
static const char *enum_short(const ProtobufCEnumDescriptor *d, int v, const char *prefix, char *buf, size_t len)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	const char *n = ev ? ev->name : "unknown";
	size_t i, l = strlen(prefix);

	if (!strncmp(n, prefix, l))
		n += l;
	for (i = 0; n[i] && i + 1 < len; i++)
		buf[i] = (char)((n[i] >= 'A' && n[i] <= 'Z') ? n[i] + 32 : n[i]);
	buf[i] = '\0';
	return buf;
}

/* Like Go's HumanizeByteCount: decimal units. */
static void humanize(uint64_t b, char *buf, size_t len)
{
	const char *units = "kMGTPE";
	double v = (double)b;
	int e = -1;

	if (b < 1000) {
		snprintf(buf, len, "%llu B", (unsigned long long)b);
		return;
	}
	while (v >= 1000 && e < 5) {
		v /= 1000;
		e++;
	}
	snprintf(buf, len, "%.2f %cB", v, units[e]);
}

#define NCOLS 12

static void print_table(const Tetragon__ListTracingPoliciesResponse *resp)
{
	static const char *const hdr[NCOLS] = { "ID", "NAME", "DOMAIN", "STATE", "FILTERID", "NAMESPACE",
						 "SENSORS", "KERNELMEMORY", "MODE", "NPOST", "NENFORCE", "NMONITOR" };
	size_t n = resp->n_policies + 1, i, c;
	char *(*cells)[NCOLS] = calloc(n, sizeof(*cells));
	size_t width[NCOLS] = { 0 };

	if (!cells)
		return;
	for (c = 0; c < NCOLS; c++)
		cells[0][c] = strdup(hdr[c]);
	for (i = 1; i < n; i++) {
		const Tetragon__TracingPolicyStatus *p = resp->policies[i - 1];
		const Tetragon__TracingPolicyActionCounters *ac = p->stats ? p->stats->action_counters : NULL;
		struct strbuf sensors = STRBUF_INIT;
		char b[64];
		size_t k;

		for (k = 0; k < p->n_sensors; k++) {
			if (k)
				strbuf_addc(&sensors, ',');
			strbuf_adds(&sensors, p->sensors[k]);
		}
		snprintf(b, sizeof(b), "%llu", (unsigned long long)p->id);
		cells[i][0] = strdup(b);
		/* the server's strings: escaped, they go to a terminal */
		cells[i][1] = tetra_escape(p->name);
		cells[i][2] = tetra_escape(p->domain);
		cells[i][3] = strdup(enum_short(&tetragon__tracing_policy_state__descriptor, p->state, "TP_STATE_", b,
						sizeof(b)));
		snprintf(b, sizeof(b), "%llu", (unsigned long long)p->filter_id);
		cells[i][4] = strdup(b);
		cells[i][5] = tetra_escape(p->namespace_[0] ? p->namespace_ : "(global)");
		cells[i][6] = tetra_escape(sensors.buf ? sensors.buf : "");
		humanize(p->kernel_memory_bytes, b, sizeof(b));
		cells[i][7] = strdup(b);
		cells[i][8] = strdup(enum_short(&tetragon__tracing_policy_mode__descriptor, p->mode, "TP_MODE_", b,
						sizeof(b)));
		snprintf(b, sizeof(b), "%llu", (unsigned long long)(ac ? ac->post : 0));
		cells[i][9] = strdup(b);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)(ac ? ac->signal + ac->override +
									   ac->notify_enforcer + ac->set : 0));
		cells[i][10] = strdup(b);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)(ac ? ac->monitor_signal + ac->monitor_override +
									   ac->monitor_notify_enforcer + ac->monitor_set : 0));
		cells[i][11] = strdup(b);
		strbuf_free(&sensors);
	}
	for (i = 0; i < n; i++)
		for (c = 0; c < NCOLS; c++)
			if (cells[i][c] && strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
	/* tabwriter with padding 3, like upstream */
	for (i = 0; i < n; i++) {
		for (c = 0; c < NCOLS; c++) {
			const char *s = cells[i][c] ? cells[i][c] : "";

			if (c + 1 < NCOLS)
				printf("%-*s", (int)(width[c] + 3), s);
			else
				printf("%s\n", s);
			free(cells[i][c]);
		}
	}
	free(cells);
}

static int list_run(int argc, char **argv)
{
	Tetragon__ListTracingPoliciesRequest req = TETRAGON__LIST_TRACING_POLICIES_REQUEST__INIT;
	struct tp_args a = { .conn = TETRA_CONN_INIT, .output = "text" };
	ProtobufCMessage *resp;
	int r;

	PARSE(tp_list_cmd, a, 0, OPT_OUTPUT | OPT_DOMAIN | OPT_CONN);
	req.domain = (char *)(a.domain ? a.domain : "");
	r = tetra_call(&a.conn, "tracingpolicy list", "failed to list tracing policies", "ListTracingPolicies",
		       &req.base, &tetragon__list_tracing_policies_response__descriptor, &resp);
	if (r)
		return r;
	if (!strcmp(a.output, "json")) {
		struct strbuf sb = STRBUF_INIT;

		if (!protojson_encode(&sb, resp))
			printf("%s\n", sb.buf);
		strbuf_free(&sb);
	} else {
		print_table((Tetragon__ListTracingPoliciesResponse *)resp);
	}
	protobuf_c_message_free_unpacked(resp, NULL);
	return TETRA_EXIT_OK;
}

static const struct tetra_cmd tp_add_cmd = {
	.parent = "tracingpolicy",
	.name = "add",
	.args = "FILE",
	.summary = "Add a tracing policy to the agent",
	.run = add_run,
	.help = add_help,
};
TETRA_COMMAND(tp_add_cmd)

static const struct tetra_cmd tp_delete_cmd = {
	.parent = "tracingpolicy",
	.name = "delete",
	.args = "NAME",
	.summary = "Delete a tracing policy",
	.run = delete_run,
	.help = delete_help,
};
TETRA_COMMAND(tp_delete_cmd)

static const struct tetra_cmd tp_list_cmd = {
	.parent = "tracingpolicy",
	.name = "list",
	.args = "",
	.summary = "List the agent's tracing policies",
	.run = list_run,
	.help = list_help,
};
TETRA_COMMAND(tp_list_cmd)

static const struct tetra_cmd tp_enable_cmd = {
	.parent = "tracingpolicy",
	.name = "enable",
	.args = "NAME",
	.summary = "Enable a tracing policy",
	.run = enable_run,
	.help = enable_help,
};
TETRA_COMMAND(tp_enable_cmd)

static const struct tetra_cmd tp_disable_cmd = {
	.parent = "tracingpolicy",
	.name = "disable",
	.args = "NAME",
	.summary = "Disable a tracing policy",
	.run = disable_run,
	.help = disable_help,
};
TETRA_COMMAND(tp_disable_cmd)

static const struct tetra_cmd tp_mode_cmd = {
	.parent = "tracingpolicy",
	.name = "set-mode",
	.args = "NAME MODE",
	.summary = "Set the mode of a tracing policy",
	.run = set_mode_run,
	.help = set_mode_help,
};
TETRA_COMMAND(tp_mode_cmd)

static const struct tetra_cmd tp_modify_cmd = {
	.parent = "tracingpolicy",
	.name = "modify",
	.args = "FILE",
	.summary = "Print a tracing policy YAML file with its mode set",
	.run = modify_run,
	.help = modify_help,
};
TETRA_COMMAND(tp_modify_cmd)

static const struct tetra_cmd tp_domains_cmd = {
	.parent = "tracingpolicy",
	.name = "domains",
	.args = "",
	.summary = "List the domains of the agent's tracing policies",
	.run = domains_run,
	.help = domains_help,
};
TETRA_COMMAND(tp_domains_cmd)
