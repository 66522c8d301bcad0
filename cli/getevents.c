// SPDX-License-Identifier: Apache-2.0
/*
 * "tetra getevents": stream events from the agent (GetEvents) or, when
 * stdin is not a terminal, read JSON events from it (e.g. an export file or
 * `kubectl logs`), filter them the same way and print JSON or compact lines.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "agent/options.h"

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "encode/compact.h"
#include "encode/protojson.h"
#include "filters/filters.h"
#include "filters/pbjson.h"
#include "google/protobuf/field_mask.pb-c.h"
#include "tetragon/events.pb-c.h"
#include "util/strbuf.h"

static const struct tetra_cmd getevents_cmd;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct list {
	char **v;
	size_t n;
};

struct opts {
	int compact;
	int color;		/* -1 auto */
	int timestamps;
	int stack_traces;	/* upstream's default: on */
	int host;
	struct list event_types, namespaces, pods, processes, containers, policy_names, namespace_regex;
	struct list include_fields, exclude_fields;
	struct tetra_conn conn;
	int reconnect;
	uint64_t reconnect_wait_ms;
};

/* --reconnect: the first wait is --reconnect-wait, doubled after each failed attempt up to this */
#define RECONNECT_MAX_WAIT_MS 30000

static void getevents_help(FILE *out)
{
	fprintf(out,
		"Print events, by connecting to the agent or, when stdin is a pipe or a file, by\n"
		"reading JSON events from it (one per line, e.g. the export file).\n\n"
		"Examples:\n"
		"  tetra getevents -o compact                      # every event, one line each\n"
		"  tetra getevents --process curl                  # binaries matching a regexp\n"
		"  tetra getevents -e PROCESS_EXEC -F parent       # execs, without the parent\n"
		"  tetra getevents -f process.binary,process.arguments\n"
		"  cat /var/log/tetragon/tetragon.log | tetra getevents -o compact --process curl\n\n"
		"Options (LIST: comma-separated, the option may be repeated):\n"
		"  -o, --output json|compact   output format (default json)\n"
		"      --color WHEN            colors in compact output: auto, always, never\n"
		"      --timestamps            prefix compact lines with the event time\n"
		"      --stack-traces[=BOOL]   print process_kprobe stack traces in compact output (default true)\n"
		"  -e, --event-types LIST      only these types (PROCESS_EXEC, PROCESS_EXIT, ...)\n"
		"      --process LIST          binaries matching these regexps (alias --processes)\n"
		"  -n, --namespace LIST        Kubernetes namespaces (alias --namespaces)\n"
		"      --namespace-regex LIST  Kubernetes namespaces matching regexps\n"
		"      --pod LIST              pod names matching regexps (alias --pods)\n"
		"      --containers LIST       container names matching regexps\n"
		"      --host                  host processes (same as --namespace \"\")\n"
		"      --policy-names LIST     events of these tracing policies\n"
		"  -f, --include-fields LIST   keep only these fields (process.binary,parent.pid)\n"
		"  -F, --exclude-fields LIST   drop these fields\n"
		"      --reconnect             keep streaming across agent restarts: when the agent\n"
		"                              cannot be reached or the stream ends, say so on stderr\n"
		"                              and connect again\n"
		"      --reconnect-wait D      wait before connecting again (default 2s; doubled after\n"
		"                              each failed attempt, up to 30s or D)\n" TETRA_CONN_HELP
		"\nRegexps are POSIX extended with common RE2 forms accepted (\\d, (?:...), (?i)).\n"
		"Ctrl-C stops. Exit status 1 when the agent cannot be reached or refuses the filters.\n");
}

static void list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* "a,b" -> append a and b, as upstream's string slice flags do. */
static int list_add(struct list *l, const char *val)
{
	const char *p = val;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->v[l->n] = strndup(p, len);
		if (!l->v[l->n])
			return -ENOMEM;
		l->n++;
		if (!e)
			return 0;
		p = e + 1;
	}
}

static void opts_free(struct opts *o)
{
	list_free(&o->event_types);
	list_free(&o->namespaces);
	list_free(&o->pods);
	list_free(&o->processes);
	list_free(&o->containers);
	list_free(&o->policy_names);
	list_free(&o->namespace_regex);
	list_free(&o->include_fields);
	list_free(&o->exclude_fields);
}

static const struct {
	const char *lng, *shrt;
	size_t off;
} list_opts[] = {
	{ "--event-types", "-e", offsetof(struct opts, event_types) },
	{ "--namespace", "-n", offsetof(struct opts, namespaces) },
	{ "--namespaces", NULL, offsetof(struct opts, namespaces) },
	{ "--pod", NULL, offsetof(struct opts, pods) },
	{ "--pods", NULL, offsetof(struct opts, pods) },
	{ "--process", NULL, offsetof(struct opts, processes) },
	{ "--processes", NULL, offsetof(struct opts, processes) },
	{ "--containers", NULL, offsetof(struct opts, containers) },
	{ "--policy-names", NULL, offsetof(struct opts, policy_names) },
	{ "--namespace-regex", NULL, offsetof(struct opts, namespace_regex) },
	{ "--include-fields", "-f", offsetof(struct opts, include_fields) },
	{ "--exclude-fields", "-F", offsetof(struct opts, exclude_fields) },
};

/* Returns 1 to run, 0 after --help, -1 on usage errors (printed). */
static int parse(struct opts *o, int argc, char **argv)
{
	const char *v;
	size_t k;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (tetra_is_help(argv[i])) {
			tetra_usage(&getevents_cmd, stdout);
			return 0;
		}
		if (tetra_flag(argv, i, "--timestamps", NULL, &o->timestamps) ||
		    tetra_flag(argv, i, "--stack-traces", NULL, &o->stack_traces) ||
		    tetra_flag(argv, i, "--host", NULL, &o->host) || tetra_flag(argv, i, "--reconnect", NULL, &o->reconnect))
			continue;
		r = tetra_opt(argc, argv, &i, "getevents", "--reconnect-wait", NULL, &v);
		if (r < 0)
			return -1;
		if (r) {
			if (parse_duration_ms(v, &o->reconnect_wait_ms) || o->reconnect_wait_ms > 3600000) {
				fprintf(stderr, "tetra getevents: --reconnect-wait: invalid duration \"%s\" (e.g. 2s, "
						"500ms, at most 1h)\n", v);
				return -1;
			}
			continue;
		}
		r = tetra_opt(argc, argv, &i, "getevents", "--output", "-o", &v);
		if (r < 0)
			return -1;
		if (r) {
			if (strcmp(v, "json") && strcmp(v, "compact")) {
				fprintf(stderr, "tetra getevents: --output: invalid value \"%s\" (want json or compact)\n",
					v);
				return -1;
			}
			o->compact = !strcmp(v, "compact");
			continue;
		}
		r = tetra_opt(argc, argv, &i, "getevents", "--color", NULL, &v);
		if (r < 0)
			return -1;
		if (r) {
			if (!strcmp(v, "auto"))
				o->color = -1;
			else if (!strcmp(v, "always"))
				o->color = 1;
			else if (!strcmp(v, "never"))
				o->color = 0;
			else {
				fprintf(stderr, "tetra getevents: --color: invalid value \"%s\" (want auto, always or "
						"never)\n", v);
				return -1;
			}
			continue;
		}
		for (k = 0; k < sizeof(list_opts) / sizeof(list_opts[0]); k++) {
			r = tetra_opt(argc, argv, &i, "getevents", list_opts[k].lng, list_opts[k].shrt, &v);
			if (r)
				break;
		}
		if (r < 0)
			return -1;
		if (r) {
			if (list_add((struct list *)((char *)o + list_opts[k].off), v)) {
				fprintf(stderr, "tetra getevents: out of memory\n");
				return -1;
			}
			continue;
		}
		r = tetra_conn_option(&o->conn, argc, argv, &i, "getevents");
		if (r < 0)
			return -1;
		if (r)
			continue;
		fprintf(stderr, "tetra getevents: unknown option \"%s\" (see tetra getevents --help)\n", argv[i]);
		return -1;
	}
	if (o->host && list_add(&o->namespaces, ""))
		return -1;
	return 1;
}

/*
 * The request, as upstream's tetra builds it: one allow list filter from the
 * flags, and include/exclude field filters. Everything points into o and the
 * struct below, so nothing needs freeing but the arrays.
 */
struct request {
	Tetragon__GetEventsRequest req;
	Tetragon__Filter filter, *allow[1];
	Tetragon__EventType *types;
	Tetragon__FieldFilter ff[2], *ffs[2];
	Google__Protobuf__FieldMask masks[2];
};

static int build_request(struct request *r, struct opts *o)
{
	const ProtobufCEnumDescriptor *ed = &tetragon__event_type__descriptor;
	size_t i, n = 0;

	memset(r, 0, sizeof(*r));
	tetragon__get_events_request__init(&r->req);
	tetragon__filter__init(&r->filter);
	r->filter.binary_regex = o->processes.v;
	r->filter.n_binary_regex = o->processes.n;
	r->filter.namespace_ = o->namespaces.v;
	r->filter.n_namespace_ = o->namespaces.n;
	r->filter.pod_regex = o->pods.v;
	r->filter.n_pod_regex = o->pods.n;
	r->filter.container_name_regex = o->containers.v;
	r->filter.n_container_name_regex = o->containers.n;
	r->filter.policy_names = o->policy_names.v;
	r->filter.n_policy_names = o->policy_names.n;
	r->filter.namespace_regex = o->namespace_regex.v;
	r->filter.n_namespace_regex = o->namespace_regex.n;
	if (o->event_types.n) {
		r->types = calloc(o->event_types.n, sizeof(*r->types));
		if (!r->types)
			return -ENOMEM;
		for (i = 0; i < o->event_types.n; i++) {
			const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, o->event_types.v[i]);
			size_t k;

			if (!ev) {
				fprintf(stderr, "tetra getevents: --event-types: unknown event type \"%s\"; one of:",
					o->event_types.v[i]);
				for (k = 0; k < ed->n_values; k++)
					fprintf(stderr, " %s", ed->values[k].name);
				fputc('\n', stderr);
				return -EINVAL;
			}
			r->types[i] = (Tetragon__EventType)ev->value;
		}
		r->filter.event_set = r->types;
		r->filter.n_event_set = o->event_types.n;
	}
	r->allow[0] = &r->filter;
	r->req.allow_list = r->allow;
	r->req.n_allow_list = 1;
	for (i = 0; i < 2; i++) {
		struct list *l = i ? &o->exclude_fields : &o->include_fields;

		if (!l->n)
			continue;
		tetragon__field_filter__init(&r->ff[n]);
		google__protobuf__field_mask__init(&r->masks[n]);
		r->masks[n].paths = l->v;
		r->masks[n].n_paths = l->n;
		r->ff[n].fields = &r->masks[n];
		r->ff[n].action = i ? TETRAGON__FIELD_FILTER_ACTION__EXCLUDE : TETRAGON__FIELD_FILTER_ACTION__INCLUDE;
		r->ffs[n] = &r->ff[n];
		n++;
	}
	r->req.field_filters = r->ffs;
	r->req.n_field_filters = n;
	return 0;
}

struct printer {
	int compact;
	struct compact_opts copts;
	struct strbuf sb;
};

static int print_event(struct printer *p, const Tetragon__GetEventsResponse *ev)
{
	int r;

	strbuf_reset(&p->sb);
	if (p->compact) {
		r = compact_encode(&p->sb, ev, &p->copts);
		if (r == -ENOENT)
			return 0;	/* no compact form for this event */
	} else {
		r = protojson_encode(&p->sb, &ev->base);
	}
	if (r)
		return r;
	strbuf_addc(&p->sb, '\n');
	if (fwrite(p->sb.buf, 1, p->sb.len, stdout) != p->sb.len || fflush(stdout))
		return -EPIPE;
	return 0;
}

/* Like upstream's reader: undecodable lines are skipped, unknown fields ignored. */
static int from_stdin(struct printer *p, const Tetragon__GetEventsRequest *req)
{
	struct filter_set *fs = NULL;
	char *line = NULL, err[512];
	size_t cap = 0;
	ssize_t n;
	int r;

	r = filter_set_from_request(&fs, req, err, sizeof(err));
	if (r) {
		tetra_eprintf("tetra getevents: %s", err);
		return TETRA_EXIT_FAIL;
	}
	while (!stop && (n = getline(&line, &cap, stdin)) >= 0) {
		const Tetragon__GetEventsResponse *out;
		struct field_copy fc = { 0 };
		ProtobufCMessage *m = NULL;
		json_error_t je;
		json_t *j;

		j = json_loadb(line, (size_t)n, 0, &je);
		if (!j)
			continue;
		r = pbjson_decode_flags(j, &tetragon__get_events_response__descriptor, &m, PBJSON_DISCARD_UNKNOWN,
					err, sizeof(err));
		json_decref(j);
		if (r)
			continue;
		r = 0;
		if (filter_set_match(fs, (Tetragon__GetEventsResponse *)m)) {
			r = filter_set_apply_fields(fs, (Tetragon__GetEventsResponse *)m, &fc, &out);
			if (!r)
				r = print_event(p, out);
			field_copy_release(&fc);
		}
		protobuf_c_message_free_unpacked(m, NULL);
		if (r == -EPIPE)
			break;
	}
	free(line);
	filter_set_free(fs);
	return TETRA_EXIT_OK;
}

/* How one stream from the agent went. */
enum stream_end {
	STREAM_STOPPED,		/* Ctrl-C, or stdout closed: never reconnect */
	STREAM_UNREACHABLE,	/* no stream started */
	STREAM_ENDED,		/* a stream ran, then ended */
};

static enum stream_end stream_once(struct printer *p, struct opts *o, const Tetragon__GetEventsRequest *req,
				   bool retrying, int *rc)
{
	const char *addr = tetra_conn_address(&o->conn);
	struct rpc_status st = { 0 };
	struct rpc_cstream *s = NULL;
	enum stream_end end = STREAM_ENDED;
	struct rpc_client *cl;
	ProtobufCMessage *m;
	int r;

	*rc = TETRA_EXIT_OK;
	r = tetra_conn_open(&o->conn, "getevents", &cl);
	if (r) {
		*rc = r;
		/* a usage error (TLS flags against a unix socket) is not worth retrying */
		return r == TETRA_EXIT_FAIL ? STREAM_UNREACHABLE : STREAM_STOPPED;
	}
	r = rpc_cstream_start(cl, TETRA_SERVICE "GetEvents", &req->base, &s, &stop, &st);
	if (r == -EINTR) {
		end = STREAM_STOPPED;
		goto out;
	}
	if (r) {
		if (o->reconnect)
			tetra_eprintf("tetra getevents: cannot stream from the agent at %s: %s (%s)", addr,
				      st.message[0] ? st.message : "unavailable", rpc_code_name(st.code));
		else
			tetra_print_rpc_error("getevents", "failed to call GetEvents", addr, &st);
		*rc = TETRA_EXIT_FAIL;
		end = STREAM_UNREACHABLE;
		goto out;
	}
	if (retrying)
		tetra_eprintf("tetra getevents: connected to the agent at %s again", addr);
	while ((r = rpc_cstream_next(s, &tetragon__get_events_response__descriptor, &m, &st)) == 1) {
		int w = print_event(p, (Tetragon__GetEventsResponse *)m);

		protobuf_c_message_free_unpacked(m, NULL);
		if (w == -EPIPE) {
			end = STREAM_STOPPED;
			break;
		}
	}
	if (r == -EINTR)
		end = STREAM_STOPPED;
	if (r == -EIO) {
		/* connected before: an agent going away is not "unreachable" */
		tetra_eprintf("tetra getevents: the stream from the agent at %s ended: %s (%s)", addr,
			      st.message[0] ? st.message : "no details", rpc_code_name(st.code));
		*rc = st.code == RPC_CANCELLED ? TETRA_EXIT_OK : TETRA_EXIT_FAIL;
	} else if (r == 0 && o->reconnect) {
		tetra_eprintf("tetra getevents: the agent at %s ended the stream", addr);
	}
out:
	rpc_cstream_free(s);
	rpc_client_close(cl);
	return end;
}

/* Sleep ms, in slices, unless Ctrl-C comes first. */
static void wait_ms(uint64_t ms)
{
	while (ms && !stop) {
		uint64_t slice = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)slice * 1000000L };

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

static void fmt_wait(char *buf, size_t len, uint64_t ms)
{
	if (ms % 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
}

/*
 * One stream, or with --reconnect streams until Ctrl-C: after an agent
 * restart (or before it is up) it waits and connects again, saying so on
 * stderr; events the agent produced while nobody was connected are not seen.
 */
static int from_agent(struct printer *p, struct opts *o, const Tetragon__GetEventsRequest *req)
{
	uint64_t first = o->reconnect_wait_ms < 100 ? 100 : o->reconnect_wait_ms, wait = first;
	uint64_t max = first > RECONNECT_MAX_WAIT_MS ? first : RECONNECT_MAX_WAIT_MS;
	bool retrying = false;
	char buf[32];
	int rc;

	for (;;) {
		enum stream_end end = stream_once(p, o, req, retrying, &rc);

		if (!o->reconnect || end == STREAM_STOPPED || stop)
			return end == STREAM_STOPPED && !stop && rc == TETRA_EXIT_USAGE ? rc :
			       end == STREAM_STOPPED && !stop ? TETRA_EXIT_OK : rc;
		if (end == STREAM_ENDED)
			wait = first;	/* it was up: start over with the short wait */
		fmt_wait(buf, sizeof(buf), wait);
		fprintf(stderr, "tetra getevents: reconnecting in %s (--reconnect)\n", buf);
		wait_ms(wait);
		if (stop)
			return TETRA_EXIT_OK;
		retrying = true;
		if (end == STREAM_UNREACHABLE)
			wait = wait * 2 > max ? max : wait * 2;
	}
}

static int getevents_run(int argc, char **argv)
{
	struct opts o = { .color = -1, .conn = TETRA_CONN_INIT, .reconnect_wait_ms = 2000, .stack_traces = 1 };
	struct printer p = { 0 };
	struct request rq;
	struct sigaction sa;
	struct stat stdin_st;
	int r;

	r = parse(&o, argc, argv);
	if (r <= 0) {
		opts_free(&o);
		return r ? TETRA_EXIT_USAGE : TETRA_EXIT_OK;
	}
	if (build_request(&rq, &o)) {
		free(rq.types);
		opts_free(&o);
		return TETRA_EXIT_USAGE;
	}
	p.compact = o.compact;
	p.copts.color = o.color < 0 ? isatty(STDOUT_FILENO) : o.color;
	p.copts.timestamps = o.timestamps;
	p.copts.no_stack_traces = !o.stack_traces;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* like upstream: events come from stdin when it is not a character device (tty, /dev/null) */
	if (fstat(STDIN_FILENO, &stdin_st) == 0 && !S_ISCHR(stdin_st.st_mode))
		r = from_stdin(&p, &rq.req);
	else
		r = from_agent(&p, &o, &rq.req);
	strbuf_free(&p.sb);
	free(rq.types);
	opts_free(&o);
	return r;
}

static const struct tetra_cmd getevents_cmd = {
	.name = "getevents",
	.args = "[OPTIONS]",
	.summary = "Print events from the agent (or from stdin)",
	.run = getevents_run,
	.help = getevents_help,
};
TETRA_COMMAND(getevents_cmd)
