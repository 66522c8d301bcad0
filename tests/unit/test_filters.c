// SPDX-License-Identifier: Apache-2.0
/* Event filters (allow/deny lists, field filters), their JSON syntax, the
 * regexps (RE2) with their limits and label selectors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "encode/protojson.h"
#include "filters/filters.h"
#include "filters/labels.h"
#include "filters/pbjson.h"
#include "filters/regex.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

/* ---- event fixtures -------------------------------------------------------------- */

struct proc_fix {
	Tetragon__Process p;
	Google__Protobuf__UInt32Value pid;
	Google__Protobuf__BoolValue init;
};

struct ev_fix {
	Tetragon__GetEventsResponse ev;
	Tetragon__ProcessExec exec;
	Tetragon__ProcessExit exit;
	Tetragon__ProcessKprobe kprobe;
	struct proc_fix proc, parent;
	Tetragon__Pod pod;
	Tetragon__Container container;
	Tetragon__Pod__PodLabelsEntry label, *labels[1];
	Tetragon__Capabilities cap;
	Tetragon__CapabilitiesType eff[2];
	Google__Protobuf__Timestamp ts;
};

static void proc_init(struct proc_fix *f, uint32_t pid, const char *binary, const char *args)
{
	tetragon__process__init(&f->p);
	google__protobuf__uint32_value__init(&f->pid);
	google__protobuf__bool_value__init(&f->init);
	f->pid.value = pid;
	f->p.pid = &f->pid;
	f->p.binary = (char *)binary;
	f->p.arguments = (char *)args;
	f->p.exec_id = "ZXhlYw==";
}

enum kind { EXEC, EXIT, KPROBE };

static void ev_init(struct ev_fix *f, enum kind k, uint32_t pid, const char *binary, const char *args)
{
	memset(f, 0, sizeof(*f));
	tetragon__get_events_response__init(&f->ev);
	tetragon__process_exec__init(&f->exec);
	tetragon__process_exit__init(&f->exit);
	tetragon__process_kprobe__init(&f->kprobe);
	google__protobuf__timestamp__init(&f->ts);
	f->ts.seconds = 1700000000;
	f->ts.nanos = 5;
	proc_init(&f->proc, pid, binary, args);
	proc_init(&f->parent, 1, "/usr/lib/systemd/systemd", "--system");
	f->parent.p.exec_id = "cGFyZW50";
	f->ev.node_name = "node1";
	f->ev.time = &f->ts;
	switch (k) {
	case EXEC:
		f->exec.process = &f->proc.p;
		f->exec.parent = &f->parent.p;
		f->ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
		f->ev.process_exec = &f->exec;
		break;
	case EXIT:
		f->exit.process = &f->proc.p;
		f->exit.parent = &f->parent.p;
		f->exit.status = 3;
		f->ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT;
		f->ev.process_exit = &f->exit;
		break;
	case KPROBE:
		f->kprobe.process = &f->proc.p;
		f->kprobe.parent = &f->parent.p;
		f->kprobe.function_name = "security_file_open";
		f->kprobe.policy_name = "file-monitoring";
		f->ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
		f->ev.process_kprobe = &f->kprobe;
		break;
	}
}

static void ev_add_pod(struct ev_fix *f, const char *ns, const char *name, const char *container)
{
	tetragon__pod__init(&f->pod);
	tetragon__container__init(&f->container);
	tetragon__pod__pod_labels_entry__init(&f->label);
	f->pod.namespace_ = (char *)ns;
	f->pod.name = (char *)name;
	f->container.name = (char *)container;
	f->container.id = "cid";
	f->pod.container = &f->container;
	f->label.key = "app";
	f->label.value = "web";
	f->labels[0] = &f->label;
	f->pod.n_pod_labels = 1;
	f->pod.pod_labels = f->labels;
	f->proc.p.pod = &f->pod;
	f->proc.p.docker = "0123abcd";
}

/* Compile one allow list line (and optional deny line); fails the test on error. */
static struct filter_set *compile_json(const char *allow, const char *deny, const char *fields)
{
	struct filter_set *fs = NULL;
	char err[512] = "";
	int r = filter_set_from_json(&fs, allow, deny, fields, true, err, sizeof(err));

	if (r)
		fail_msg("compile failed: %s", err);
	return fs;
}

static bool passes(const char *allow, const char *deny, const Tetragon__GetEventsResponse *ev)
{
	struct filter_set *fs = compile_json(allow, deny, NULL);
	bool ok = filter_set_match(fs, ev);

	filter_set_free(fs);
	return ok;
}

static char *compile_error(const char *allow, const char *deny, const char *fields, bool pid_set_ok)
{
	struct filter_set *fs = NULL;
	char err[512] = "";
	int r = filter_set_from_json(&fs, allow, deny, fields, pid_set_ok, err, sizeof(err));

	assert_int_equal(r, -EINVAL);
	assert_null(fs);
	return strdup(err);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static char *to_json(const Tetragon__GetEventsResponse *ev)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(protojson_encode(&sb, &ev->base), 0);
	return strbuf_detach(&sb, NULL);
}

/* ---- allow / deny semantics ------------------------------------------------------- */

static void test_empty_lists_pass_everything(void **state)
{
	struct ev_fix f;
	struct filter_set *fs = NULL;
	struct filter_spec spec = { 0 };
	char err[64];

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "https://example.com");
	assert_int_equal(filter_set_compile(&fs, &spec, err, sizeof(err)), 0);
	assert_true(filter_set_is_noop(fs));
	assert_true(filter_set_match(fs, &f.ev));
	filter_set_free(fs);
	assert_true(filter_set_match(NULL, &f.ev));
	/* an empty filter object matches everything */
	assert_true(passes("{}", NULL, &f.ev));
}

static void test_or_across_and_within(void **state)
{
	struct ev_fix f;

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "https://example.com");
	/* AND within one filter */
	assert_true(passes("{\"event_set\":[\"PROCESS_EXEC\"],\"binary_regex\":[\"curl$\"]}", NULL, &f.ev));
	assert_false(passes("{\"event_set\":[\"PROCESS_EXIT\"],\"binary_regex\":[\"curl$\"]}", NULL, &f.ev));
	assert_false(passes("{\"event_set\":[\"PROCESS_EXEC\"],\"binary_regex\":[\"wget$\"]}", NULL, &f.ev));
	/* OR within one field */
	assert_true(passes("{\"binary_regex\":[\"wget$\",\"curl$\"]}", NULL, &f.ev));
	/* OR across lines */
	assert_true(passes("{\"event_set\":[\"PROCESS_EXIT\"]}\n{\"binary_regex\":[\"^/usr/bin/\"]}", NULL, &f.ev));
	assert_false(passes("{\"event_set\":[\"PROCESS_EXIT\"]}\n{\"binary_regex\":[\"^/bin/\"]}", NULL, &f.ev));
}

static void test_deny_wins(void **state)
{
	struct ev_fix f;

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "https://example.com");
	assert_false(passes("{\"binary_regex\":[\"curl\"]}", "{\"event_set\":[\"PROCESS_EXEC\"]}", &f.ev));
	assert_true(passes("{\"binary_regex\":[\"curl\"]}", "{\"event_set\":[\"PROCESS_EXIT\"]}", &f.ev));
	/* deny only */
	assert_false(passes(NULL, "{\"pid\":[42]}", &f.ev));
	assert_true(passes(NULL, "{\"pid\":[43]}", &f.ev));
	/* deny lines are ORed too */
	assert_false(passes(NULL, "{\"pid\":[43]}\n{\"arguments_regex\":[\"example\"]}", &f.ev));
}

static void test_event_set(void **state)
{
	struct ev_fix f;

	(void)state;
	ev_init(&f, EXIT, 42, "/bin/true", "");
	assert_true(passes("{\"event_set\":[\"PROCESS_EXIT\"]}", NULL, &f.ev));
	assert_true(passes("{\"event_set\":[5]}", NULL, &f.ev));	/* by number */
	assert_true(passes("{\"eventSet\":[\"PROCESS_EXEC\",\"PROCESS_EXIT\"]}", NULL, &f.ev));
	assert_false(passes("{\"event_set\":[\"PROCESS_EXEC\"]}", NULL, &f.ev));
	assert_int_equal(filter_event_type(&f.ev), TETRAGON__EVENT_TYPE__PROCESS_EXIT);
}

static void test_process_fields(void **state)
{
	struct ev_fix f;

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "-s https://example.com");
	assert_true(passes("{\"pid\":[1,42]}", NULL, &f.ev));
	assert_false(passes("{\"pid\":[1]}", NULL, &f.ev));
	assert_true(passes("{\"arguments_regex\":[\"^-s \"]}", NULL, &f.ev));
	assert_false(passes("{\"arguments_regex\":[\"^-v\"]}", NULL, &f.ev));
	assert_true(passes("{\"parent_binary_regex\":[\"systemd$\"]}", NULL, &f.ev));
	assert_false(passes("{\"parent_binary_regex\":[\"bash$\"]}", NULL, &f.ev));
	assert_true(passes("{\"parent_arguments_regex\":[\"--system\"]}", NULL, &f.ev));
	/* in_init_tree: a missing flag counts as false */
	assert_true(passes("{\"in_init_tree\":false}", NULL, &f.ev));
	assert_false(passes("{\"in_init_tree\":true}", NULL, &f.ev));
	f.proc.init.value = 1;
	f.proc.p.in_init_tree = &f.proc.init;
	assert_true(passes("{\"in_init_tree\":true}", NULL, &f.ev));
	/* no parent: parent filters never match */
	f.exec.parent = NULL;
	assert_false(passes("{\"parent_binary_regex\":[\".\"]}", NULL, &f.ev));
}

static void test_namespace_pod_labels(void **state)
{
	struct ev_fix f;

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "");
	/* host process: namespace "" matches, nothing pod-based does */
	assert_true(passes("{\"namespace\":[\"\"]}", NULL, &f.ev));
	assert_false(passes("{\"namespace\":[\"default\"]}", NULL, &f.ev));
	assert_false(passes("{\"labels\":[\"\"]}", NULL, &f.ev));
	assert_false(passes("{\"labels\":[\"!app\"]}", NULL, &f.ev));
	assert_false(passes("{\"pod_regex\":[\".\"]}", NULL, &f.ev));
	assert_false(passes("{\"container_name_regex\":[\".\"]}", NULL, &f.ev));
	assert_false(passes("{\"namespace_regex\":[\".\"]}", NULL, &f.ev));
	assert_false(passes("{\"container_id\":[\"^0123\"]}", NULL, &f.ev));

	ev_add_pod(&f, "default", "xwing", "spaceship");
	assert_true(passes("{\"namespace\":[\"kube-system\",\"default\"]}", NULL, &f.ev));
	assert_false(passes("{\"namespace\":[\"\"]}", NULL, &f.ev));
	assert_true(passes("{\"namespace_regex\":[\"^def\"]}", NULL, &f.ev));
	assert_true(passes("{\"labels\":[\"app=web\"]}", NULL, &f.ev));
	assert_true(passes("{\"labels\":[\"app in (api, web),!canary\"]}", NULL, &f.ev));
	assert_false(passes("{\"labels\":[\"app=api\"]}", NULL, &f.ev));
	assert_true(passes("{\"labels\":[\"app=api\",\"app\"]}", NULL, &f.ev));
	assert_true(passes("{\"pod_regex\":[\"^x\"]}", NULL, &f.ev));
	assert_true(passes("{\"container_name_regex\":[\"ship$\"]}", NULL, &f.ev));
	assert_true(passes("{\"container_id\":[\"^0123\"]}", NULL, &f.ev));
	assert_false(passes("{\"health_check\":true}", NULL, &f.ev));
	assert_true(passes("{\"health_check\":false}", NULL, &f.ev));
	f.container.maybe_exec_probe = 1;
	assert_true(passes("{\"health_check\":true}", NULL, &f.ev));
}

static void test_policy_names(void **state)
{
	struct ev_fix f;

	(void)state;
	ev_init(&f, KPROBE, 42, "/usr/bin/cat", "/etc/passwd");
	assert_true(passes("{\"policy_names\":[\"other\",\"file-monitoring\"]}", NULL, &f.ev));
	assert_false(passes("{\"policy_names\":[\"other\"]}", NULL, &f.ev));
	ev_init(&f, EXEC, 42, "/usr/bin/cat", "/etc/passwd");
	assert_false(passes("{\"policy_names\":[\"file-monitoring\"]}", NULL, &f.ev));
}

static void test_pid_set_children(void **state)
{
	struct ev_fix f;
	struct filter_set *fs = compile_json("{\"pid_set\":[100]}", NULL, NULL);

	(void)state;
	ev_init(&f, EXEC, 100, "/bin/sh", "");
	assert_true(filter_set_match(fs, &f.ev));
	/* child of 100 matches and is remembered... */
	ev_init(&f, EXEC, 101, "/bin/ls", "");
	f.parent.pid.value = 100;
	assert_true(filter_set_match(fs, &f.ev));
	/* ...so its child matches too */
	ev_init(&f, EXEC, 102, "/bin/cat", "");
	f.parent.pid.value = 101;
	assert_true(filter_set_match(fs, &f.ev));
	ev_init(&f, EXEC, 200, "/bin/cat", "");
	f.parent.pid.value = 1;
	assert_false(filter_set_match(fs, &f.ev));
	filter_set_free(fs);
}

static void test_capabilities(void **state)
{
	struct ev_fix f;

	(void)state;
	ev_init(&f, EXEC, 42, "/bin/ping", "");
	assert_false(passes("{\"capabilities\":{\"effective\":{\"any\":[\"CAP_NET_RAW\"]}}}", NULL, &f.ev));
	tetragon__capabilities__init(&f.cap);
	f.eff[0] = TETRAGON__CAPABILITIES_TYPE__CAP_NET_RAW;
	f.eff[1] = TETRAGON__CAPABILITIES_TYPE__CAP_CHOWN;
	f.cap.effective = f.eff;
	f.cap.n_effective = 2;
	f.proc.p.cap = &f.cap;
	assert_true(passes("{\"capabilities\":{\"effective\":{\"any\":[\"CAP_NET_RAW\",\"CAP_SYS_ADMIN\"]}}}", NULL,
			   &f.ev));
	assert_false(passes("{\"capabilities\":{\"effective\":{\"all\":[\"CAP_NET_RAW\",\"CAP_SYS_ADMIN\"]}}}",
			    NULL, &f.ev));
	assert_true(passes("{\"capabilities\":{\"effective\":{\"exactly\":[\"CAP_CHOWN\",\"CAP_NET_RAW\"]}}}", NULL,
			   &f.ev));
	assert_true(passes("{\"capabilities\":{\"effective\":{\"none\":[\"CAP_SYS_ADMIN\"]}}}", NULL, &f.ev));
}

/* ---- errors ---------------------------------------------------------------------- */

static void test_compile_errors(void **state)
{
	char *e;

	(void)state;
	e = compile_error("{\"binary_regex\":[\"(\"]}", NULL, NULL, true);
	assert_contains(e, "--export-allowlist: line 1: binary_regex[0]: regexp \"(\"");
	free(e);
	e = compile_error("{}\n{\"bogus\":1}", NULL, NULL, true);
	assert_contains(e, "--export-allowlist: line 2: unknown field \"bogus\"");
	free(e);
	e = compile_error(NULL, "{\"event_set\":[\"PROCESS_NOPE\"]}", NULL, true);
	assert_contains(e, "--export-denylist: line 1: event_set[0]: unknown tetragon.EventType value");
	free(e);
	e = compile_error("{\"pid\":[-1]}", NULL, NULL, true);
	assert_contains(e, "pid[0]: -1 is out of range");
	free(e);
	e = compile_error("{\"pid_set\":[1]}", NULL, NULL, false);
	assert_contains(e, "--enable-pid-set-filter");
	free(e);
	e = compile_error("{\"cel_expression\":[\"true\"]}", NULL, NULL, true);
	assert_contains(e, "cel_expression: CEL expression filters are not supported");
	free(e);
	e = compile_error("{\"labels\":[\"app in web\"]}", NULL, NULL, true);
	assert_contains(e, "labels[0]: invalid pod label filter");
	free(e);
	e = compile_error("{\"binary_regex\":\"curl\"}", NULL, NULL, true);
	assert_contains(e, "binary_regex: expected an array");
	free(e);
	e = compile_error("{\"binary_regex\":[", NULL, NULL, true);
	assert_contains(e, "--export-allowlist: line 1: invalid JSON");
	free(e);
	e = compile_error(NULL, NULL, "{\"fields\":\"process.binary\",\"action\":\"DROP\"}", true);
	assert_contains(e, "--field-filters: line 1: action: unknown tetragon.FieldFilterAction value");
	free(e);
	e = compile_error("{\"capabilities\":{\"effective\":{\"any\":[\"CAP_CHOWN\"],\"none\":[\"CAP_CHOWN\"]}}}",
			  NULL, NULL, true);
	assert_contains(e, "exactly one of any, all, exactly, none");
	free(e);
}

/* ---- field filters ---------------------------------------------------------------- */

static char *filtered_json(const char *fields, const Tetragon__GetEventsResponse *ev)
{
	struct filter_set *fs = compile_json(NULL, NULL, fields);
	const Tetragon__GetEventsResponse *out = NULL;
	struct field_copy c = { 0 };
	char *s;

	assert_true(filter_set_has_field_filters(fs));
	assert_int_equal(filter_set_apply_fields(fs, ev, &c, &out), 0);
	/* the copy must still serialize */
	assert_true(protobuf_c_message_get_packed_size(&out->base) > 0 || out->event_case == 0);
	s = to_json(out);
	field_copy_release(&c);
	filter_set_free(fs);
	return s;
}

static void test_field_include(void **state)
{
	struct ev_fix f;
	char *before, *s, *after;

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "-s");
	before = to_json(&f.ev);
	s = filtered_json("{\"fields\":\"process.binary,parent.binary\",\"action\":\"INCLUDE\"}", &f.ev);
	assert_string_equal(s, "{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/curl\"},"
			       "\"parent\":{\"binary\":\"/usr/lib/systemd/systemd\"}},"
			       "\"node_name\":\"node1\",\"time\":\"2023-11-14T22:13:20.000000005Z\"}");
	free(s);
	/* camelCase and snake_case paths, whole message */
	s = filtered_json("{\"fields\":\"process.execId,process.pid\"}", &f.ev);
	assert_string_equal(s, "{\"process_exec\":{\"process\":{\"exec_id\":\"ZXhlYw==\",\"pid\":42}},"
			       "\"node_name\":\"node1\",\"time\":\"2023-11-14T22:13:20.000000005Z\"}");
	free(s);
	s = filtered_json("{\"fields\":\"parent\"}", &f.ev);
	assert_contains(s, "{\"process_exec\":{\"parent\":{\"exec_id\"");
	assert_null(strstr(s, "\"process\":"));
	free(s);
	/* the source event is untouched */
	after = to_json(&f.ev);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_field_exclude_and_event_set(void **state)
{
	struct ev_fix f;
	char *s;

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "-s");
	s = filtered_json("{\"fields\":\"parent,process.arguments\",\"action\":\"EXCLUDE\"}", &f.ev);
	assert_null(strstr(s, "\"parent\""));
	assert_null(strstr(s, "\"arguments\""));
	assert_contains(s, "\"binary\":\"/usr/bin/curl\"");
	free(s);
	/* only for exits: exec untouched */
	s = filtered_json("{\"fields\":\"parent\",\"action\":\"EXCLUDE\",\"event_set\":[\"PROCESS_EXIT\"]}", &f.ev);
	assert_contains(s, "\"parent\"");
	free(s);
	/* inverted: everything but exits */
	s = filtered_json("{\"fields\":\"parent\",\"action\":\"EXCLUDE\",\"event_set\":[\"PROCESS_EXIT\"],"
			  "\"invert_event_set\":true}", &f.ev);
	assert_null(strstr(s, "\"parent\""));
	free(s);
	/* filters apply in order: include then exclude */
	s = filtered_json("{\"fields\":\"process\",\"action\":\"INCLUDE\"}\n"
			  "{\"fields\":\"process.pid,process.exec_id\",\"action\":\"EXCLUDE\"}", &f.ev);
	assert_string_equal(s, "{\"process_exec\":{\"process\":{\"binary\":\"/usr/bin/curl\",\"arguments\":\"-s\"}},"
			       "\"node_name\":\"node1\",\"time\":\"2023-11-14T22:13:20.000000005Z\"}");
	free(s);
	/* snake_case field filter paths as upstream's --field-filters writes them */
	s = filtered_json("{\"fields\":\"process.exec_id\",\"action\":\"EXCLUDE\"}", &f.ev);
	assert_null(strstr(s, "ZXhlYw=="));
	free(s);
}

static void test_field_filter_from_request(void **state)
{
	Tetragon__GetEventsRequest req = TETRAGON__GET_EVENTS_REQUEST__INIT;
	Tetragon__FieldFilter ff = TETRAGON__FIELD_FILTER__INIT, *ffs[1] = { &ff };
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	char *paths[] = { "process.binary" };
	const Tetragon__GetEventsResponse *out;
	struct field_copy c = { 0 };
	struct filter_set *fs = NULL;
	struct ev_fix f;
	char err[128];
	char *s;

	(void)state;
	ev_init(&f, EXIT, 42, "/bin/false", "");
	mask.paths = paths;
	mask.n_paths = 1;
	ff.fields = &mask;
	req.field_filters = ffs;
	req.n_field_filters = 1;
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), 0);
	assert_int_equal(filter_set_apply_fields(fs, &f.ev, &c, &out), 0);
	assert_ptr_not_equal(out, &f.ev);
	s = to_json(out);
	assert_string_equal(s, "{\"process_exit\":{\"process\":{\"binary\":\"/bin/false\"}},"
			       "\"node_name\":\"node1\",\"time\":\"2023-11-14T22:13:20.000000005Z\"}");
	free(s);
	field_copy_release(&c);
	filter_set_free(fs);
}

/* ---- JSON decoding ---------------------------------------------------------------- */

static void test_pbjson_roundtrip_event(void **state)
{
	ProtobufCMessage *m = NULL;
	struct ev_fix f;
	char *a, *b, err[256];
	json_error_t je;
	json_t *j;

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "-s \"x y\"");
	ev_add_pod(&f, "default", "xwing", "c");
	f.proc.init.value = 1;
	f.proc.p.in_init_tree = &f.proc.init;
	a = to_json(&f.ev);
	j = json_loads(a, 0, &je);
	assert_non_null(j);
	assert_int_equal(pbjson_decode(j, &tetragon__get_events_response__descriptor, &m, err, sizeof(err)), 0);
	json_decref(j);
	b = to_json((Tetragon__GetEventsResponse *)m);
	assert_string_equal(a, b);
	protobuf_c_message_free_unpacked(m, NULL);
	free(a);
	free(b);
}

static void test_pbjson_stream_and_types(void **state)
{
	ProtobufCMessage **v = NULL;
	Tetragon__Filter *f;
	char err[256];
	size_t n = 0;

	(void)state;
	assert_int_equal(pbjson_decode_stream("  \n", &tetragon__filter__descriptor, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pbjson_decode_stream("{\"pid\":[\"7\", 8]} {\"inInitTree\":null}\n\n{\"health_check\":true}",
					      &tetragon__filter__descriptor, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	f = (Tetragon__Filter *)v[0];
	assert_int_equal(f->n_pid, 2);
	assert_int_equal(f->pid[0], 7);
	assert_int_equal(f->pid[1], 8);
	assert_null(((Tetragon__Filter *)v[1])->in_init_tree);
	assert_true(((Tetragon__Filter *)v[2])->health_check->value);
	pbjson_free_array(v, n);

	assert_int_equal(pbjson_decode_stream("{}\n{\"pid\":[1]}\n{\"pid\":[true]}", &tetragon__filter__descriptor,
					      &v, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 3: pid[0]: expected an unsigned integer");
	assert_int_equal(pbjson_decode_stream("{\"binary_regex\":[\"a\"],\"binaryRegex\":[\"b\"]}",
					      &tetragon__filter__descriptor, &v, &n, err, sizeof(err)), -EINVAL);
	assert_contains(err, "given twice");
}

/* ---- regexps and label selectors --------------------------------------------------- */

static void check_re(const char *pattern, const char *s, bool want)
{
	struct tg_regex *re = NULL;
	char err[320];

	if (tg_regex_compile(&re, pattern, TG_REGEX_MAX_MEM, err, sizeof(err)))
		fail_msg("compile %s: %s", pattern, err);
	if (tg_regex_match(re, s) != want)
		fail_msg("regexp %s on \"%s\": want %d", pattern, s, want);
	tg_regex_free(re);
}

/* The error compiling @pattern with @max_mem; fails the test when it compiles. */
static char *re_error(const char *pattern, int64_t max_mem, int want)
{
	struct tg_regex *re = NULL;
	char err[320] = "";

	assert_int_equal(tg_regex_compile(&re, pattern, max_mem, err, sizeof(err)), want);
	assert_null(re);
	return strdup(err);
}

static void assert_re_error(const char *pattern, const char *needle)
{
	char *e = re_error(pattern, TG_REGEX_MAX_MEM, -EINVAL);

	assert_contains(e, needle);
	free(e);
}

/* Upstream's filters are Go regexps: the syntax its users write works the same. */
static void test_regex_syntax(void **state)
{
	(void)state;
	check_re("curl", "/usr/bin/curl", true);
	check_re("", "/usr/bin/curl", true);
	check_re("^curl", "/usr/bin/curl", false);
	check_re("(?:^|/)curl$", "/usr/bin/curl", true);
	check_re("(?:^|/)curl$", "/usr/bin/xcurl", false);
	check_re("\\d+\\.\\d+", "v1.22", true);
	check_re("\\d", "abc", false);
	check_re("\\D", "123", false);
	check_re("[\\d]x", "5x", true);
	check_re("\\w+", "---", false);
	check_re("^\\W+$", "---", true);
	check_re("\\s", "a b", true);
	check_re("^\\S+$", "a b", false);
	check_re("\\bcat\\b", "a cat here", true);
	check_re("\\bcat\\b", "concatenate", false);
	check_re("\\Bcat\\B", "concatenate", true);
	check_re("(?i)CURL", "/usr/bin/curl", true);
	check_re("CURL", "/usr/bin/curl", false);
	check_re("a(?i:B)c", "abc", true);
	check_re("a(?i:B)C", "abc", false);
	check_re("a.*?b", "axxb", true);
	check_re("^a+?$", "aaa", true);
	check_re("^x{2,3}?$", "xxx", true);
	check_re("cat|dog", "hotdog", true);
	check_re("^(cat|dog)$", "hotdog", false);
	check_re("^/usr/bin/[[:alpha:]]+$", "/usr/bin/curl", true);
	check_re("^/usr/bin/[[:alpha:]]+$", "/usr/bin/curl2", false);
	check_re("[[:^digit:]]", "123", false);
	check_re("\\Apre", "prefix", true);
	check_re("fix\\z", "prefix", true);
	check_re("(?P<n>ab)+", "abab", true);
	check_re("(?<n>ab)+$", "xabab", true);	/* Go 1.22's spelling, rewritten */
	check_re("[(?<]x", "<x", true);		/* not a group: left alone */
	check_re("\\(?<x", "(<x", true);
	check_re("\\Q(?<n>\\E", "(?<n>", true);
	check_re("[]a]", "]", true);
	check_re("[\\]]", "]", true);
	check_re("[a\\-z]", "-", true);
	check_re("[a\\-z]", "b", false);
	check_re("\\Q.*\\E", "a.*", true);
	check_re("\\Q.*\\E", "aaa", false);
	check_re("\\/tmp\\/", "/tmp/x", true);
	check_re("x{2}", "xx", true);
	check_re("a{", "a{", true);
	check_re("\\x41", "A", true);
	check_re("\\x{263a}", "\xe2\x98\xba", true);
	/* UTF-8: . is one character, classes and case folding are Unicode */
	check_re("^.$", "\xc3\xa9", true);
	check_re("^..$", "\xc3\xa9", false);
	check_re("\\p{Greek}", "\xce\xb1", true);
	check_re("\\pL", "123", false);
	check_re("(?i)\xc3\x89", "\xc3\xa9", true);
	/* . and $ as Go: no newline unless (?s), $ only at the end unless (?m) */
	check_re("a.b", "a\nb", false);
	check_re("(?s)a.b", "a\nb", true);
	check_re("a$", "a\n", false);
	check_re("(?m)a$", "a\nb", true);
	check_re("^b", "a\nb", false);
	check_re("(?m)^b", "a\nb", true);
	check_re("(?U)a+", "aaa", true);
}

/* What RE2 (and Go) refuse, with a message that says why. */
static void test_regex_refused(void **state)
{
	(void)state;
	assert_re_error("(a)\\1", "regexp \"(a)\\1\": backreferences (\\1) are not supported (RE2 syntax");
	assert_re_error("(a)\\9x", "backreferences (\\9) are not supported");
	assert_re_error("(?=x)", "regexp \"(?=x)\": lookahead and lookbehind");
	assert_re_error("a(?!x)", "lookahead and lookbehind");
	assert_re_error("(?<=x)y", "lookahead and lookbehind");
	assert_re_error("(?<!x)y", "lookahead and lookbehind");
	assert_re_error("[a", "regexp \"[a\": missing ]");
	assert_re_error("a)", "regexp \"a)\": ");
	assert_re_error("(", "regexp \"(\": missing )");
	assert_re_error("a**", "bad repetition operator");
	assert_re_error("x{1001}", "invalid repetition size");
	assert_re_error("((a{100}){100}){100}", "invalid repetition size");
	assert_re_error("((a{1,100}){1,100}){1,100}", "invalid repetition size");
	assert_re_error("\xff", "invalid UTF-8");
	assert_re_error("\\Z", "invalid escape sequence");
	/* a control byte is not echoed as is */
	assert_re_error("(\x01", "regexp \"(?\"");
}

static void test_regex_limits(void **state)
{
	struct tg_regex *re = NULL;
	char pat[TG_REGEX_MAX_LEN + 2], err[320], *e;

	(void)state;
	/* length: 1024 bytes compile, 1025 do not */
	memset(pat, 'a', sizeof(pat));
	pat[TG_REGEX_MAX_LEN] = '\0';
	assert_int_equal(tg_regex_compile(&re, pat, TG_REGEX_MAX_MEM, err, sizeof(err)), 0);
	tg_regex_free(re);
	pat[TG_REGEX_MAX_LEN] = 'a';
	pat[TG_REGEX_MAX_LEN + 1] = '\0';
	e = re_error(pat, TG_REGEX_MAX_MEM, -EINVAL);
	assert_string_equal(e, "pattern is 1025 bytes, the limit is 1024");
	free(e);
	/* deep nesting within the length limit: no recursion trouble */
	memset(pat, '(', 511);
	pat[511] = 'a';
	memset(pat + 512, ')', 511);
	pat[1023] = '\0';
	check_re(pat, "xa", true);
	for (size_t i = 0; i < 1022; i += 2)
		memcpy(pat + i, "a|", 2);
	pat[1022] = 'b';
	pat[1023] = '\0';
	check_re(pat, "b", true);
	/* program memory: fine with 1 MiB, refused with less */
	check_re("^a{1000}$", "aaa", false);
	e = re_error("\\pL{100}", TG_REGEX_MAX_MEM, -E2BIG);
	assert_string_equal(e, "pattern too large (compiled program exceeds 1 MiB)");
	free(e);
	assert_int_equal(tg_regex_compile(&re, "(a{999}|b{999}|c{999}|d{999}|e{999}|f{999}|g{999})",
					  TG_REGEX_MAX_MEM, err, sizeof(err)), 0);
	tg_regex_free(re);
	e = re_error("(a{999}|b{999}|c{999}|d{999}|e{999}|f{999}|g{999})", 64 << 10, -E2BIG);
	assert_string_equal(e, "pattern too large (compiled program exceeds 64 KiB)");
	free(e);
	/* a request's share of its 8 MiB is not always round */
	tg_regex_fmt_size(err, sizeof(err), (8 << 20) / 9);
	assert_string_equal(err, "910 KiB");
	tg_regex_fmt_size(err, sizeof(err), 1 << 20);
	assert_string_equal(err, "1 MiB");
	tg_regex_fmt_size(err, sizeof(err), 100);
	assert_string_equal(err, "100 bytes");
}

/* A request with one allow filter whose binary_regex holds @n copies of @pattern. */
static int request_error(const char *pattern, size_t nallow, size_t ndeny, char *err, size_t errlen)
{
	Tetragon__GetEventsRequest req = TETRAGON__GET_EVENTS_REQUEST__INIT;
	Tetragon__Filter allow = TETRAGON__FILTER__INIT, deny = TETRAGON__FILTER__INIT;
	Tetragon__Filter *allows[1] = { &allow }, *denies[1] = { &deny };
	char **pats = calloc(nallow + ndeny + 1, sizeof(char *));
	struct filter_set *fs = NULL;
	size_t i;
	int r;

	assert_non_null(pats);
	for (i = 0; i < nallow + ndeny; i++)
		pats[i] = (char *)pattern;
	/* the allow filter's regexps are split over two fields, to count across fields */
	allow.binary_regex = pats;
	allow.n_binary_regex = nallow / 2;
	allow.pod_regex = pats;
	allow.n_pod_regex = nallow - nallow / 2;
	deny.arguments_regex = pats;
	deny.n_arguments_regex = ndeny;
	req.allow_list = allows;
	req.n_allow_list = 1;
	req.deny_list = denies;
	req.n_deny_list = 1;
	err[0] = '\0';
	r = filter_set_from_request(&fs, &req, err, errlen);
	filter_set_free(fs);
	free(pats);
	return r;
}

static void test_request_regex_limits(void **state)
{
	static const char big[] = "(a{999}|b{999}|c{999}|d{999}|e{999}|f{999}|g{999})";
	char err[512], *e, *pat;

	(void)state;
	/* 128 regexps over the lists and fields are fine, 129 are not */
	assert_int_equal(request_error("curl", 100, 28, err, sizeof(err)), 0);
	assert_int_equal(request_error("curl", 100, 29, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "deny_list[0].arguments_regex[28]: too many regexps, the limit is 128 per request "
				 "(over all its filters)");
	assert_int_equal(request_error("curl", 129, 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "allow_list[0].pod_regex[64]: too many regexps, the limit is 128 per request "
				 "(over all its filters)");
	/* a program that needs more than its 1 MiB */
	assert_int_equal(request_error("\\pL{100}", 1, 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "allow_list[0].pod_regex[0]: pattern too large (compiled program exceeds 1 MiB)");
	/* 8 regexps each have 1 MiB; 128 share 8 MiB, 64 KiB each */
	assert_int_equal(request_error(big, 8, 0, err, sizeof(err)), 0);
	assert_int_equal(request_error(big, 128, 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "allow_list[0].binary_regex[0]: pattern too large (compiled program exceeds 64 KiB): "
				 "this request's 128 regexps share 8 MiB");
	/* the pattern length, in the flags' terms */
	pat = malloc(4200);
	assert_non_null(pat);
	strcpy(pat, "{\"binary_regex\":[\"");
	memset(pat + strlen(pat), 'a', 4100);
	strcpy(pat + 18 + 4100, "\"]}");
	e = compile_error(pat, NULL, NULL, true);
	assert_string_equal(e, "--export-allowlist: line 1: binary_regex[0]: pattern is 4100 bytes, the limit is 1024");
	free(e);
	free(pat);
	/* the exponential-blowup pattern of the report is refused at once */
	assert_int_equal(request_error("((a{100}){100}){100}", 1, 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "allow_list[0].pod_regex[0]: regexp \"((a{100}){100}){100}\": invalid repetition "
				 "size: {100}");
}

/* Values that name nothing are refused rather than silently matching nothing. */
static void test_unknown_values_refused(void **state)
{
	Tetragon__GetEventsRequest req = TETRAGON__GET_EVENTS_REQUEST__INIT;
	Tetragon__Filter allow = TETRAGON__FILTER__INIT, *allows[1] = { &allow };
	Tetragon__FieldFilter ff = TETRAGON__FIELD_FILTER__INIT, *ffs[1] = { &ff };
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	Tetragon__EventType types[2] = { TETRAGON__EVENT_TYPE__PROCESS_EXEC, (Tetragon__EventType)3 };
	char *paths[] = { "process.binary", "process.binry" };
	struct filter_set *fs = NULL;
	char err[512], *e;

	(void)state;
	/* over gRPC: numbers that are no EventType */
	allow.event_set = types;
	allow.n_event_set = 2;
	req.allow_list = allows;
	req.n_allow_list = 1;
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "allow_list[0].event_set[1]: unknown event type 3");
	types[1] = TETRAGON__EVENT_TYPE__UNDEF;
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "allow_list[0].event_set[1]: UNDEF is not an event type");
	types[1] = TETRAGON__EVENT_TYPE__RATE_LIMIT_INFO;
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), 0);
	filter_set_free(fs);
	fs = NULL;
	/* field filters: their event_set and paths */
	req.n_allow_list = 0;
	mask.paths = paths;
	mask.n_paths = 2;
	ff.fields = &mask;
	ff.event_set = types;
	ff.n_event_set = 2;
	types[1] = (Tetragon__EventType)40002;
	req.field_filters = ffs;
	req.n_field_filters = 1;
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "field_filters[0].event_set[1]: unknown event type 40002");
	ff.n_event_set = 1;
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "field_filters[0].fields: path \"process.binry\": tetragon.Process has no field "
				 "\"binry\"");
	/* a hostile path reaches logs: no control bytes echoed */
	paths[1] = "process.bi\nlevel=error";
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "field_filters[0].fields: path \"process.bi?level=error\": tetragon.Process has no "
				 "field \"bi?level=error\"");
	mask.n_paths = 0;
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "field_filters[0].fields: no field paths (a field filter needs at least one)");
	ff.fields = NULL;
	assert_int_equal(filter_set_from_request(&fs, &req, err, sizeof(err)), -EINVAL);
	assert_null(fs);

	/* the same in the flags' JSON */
	e = compile_error("{\"event_set\":[3]}", NULL, NULL, true);
	assert_string_equal(e, "--export-allowlist: line 1: event_set[0]: unknown event type 3");
	free(e);
	e = compile_error(NULL, "{}\n{\"event_set\":[\"UNDEF\"]}", NULL, true);
	assert_string_equal(e, "--export-denylist: line 2: event_set[0]: UNDEF is not an event type");
	free(e);
	e = compile_error("{\"capabilities\":{\"effective\":{\"any\":[\"CAP_CHOWN\",99]}}}", NULL, NULL, true);
	assert_string_equal(e, "--export-allowlist: line 1: capabilities.effective.any[1]: unknown capability 99");
	free(e);
	e = compile_error(NULL, NULL, "{\"fields\":\"process\",\"event_set\":[2]}", true);
	assert_string_equal(e, "--field-filters: line 1: event_set[0]: unknown event type 2");
	free(e);
	e = compile_error(NULL, NULL, "{\"fields\":\"process.binary,process.binry\"}", true);
	assert_string_equal(e, "--field-filters: line 1: fields: path \"process.binry\": tetragon.Process has no "
			       "field \"binry\"");
	free(e);
	e = compile_error(NULL, NULL, "{\"fields\":\"bogus\",\"action\":\"EXCLUDE\"}", true);
	assert_string_equal(e, "--field-filters: line 1: fields: path \"bogus\": no event type has a field \"bogus\"");
	free(e);
	/* policy_name exists in kprobe events, not in exec events */
	e = compile_error(NULL, NULL, "{\"fields\":\"policy_name\",\"event_set\":[\"PROCESS_EXEC\"]}", true);
	assert_string_equal(e, "--field-filters: line 1: fields: path \"policy_name\": tetragon.ProcessExec has no "
			       "field \"policy_name\"");
	free(e);
	filter_set_free(compile_json(NULL, NULL, "{\"fields\":\"policy_name\",\"event_set\":[\"PROCESS_KPROBE\"]}"));
	filter_set_free(compile_json(NULL, NULL, "{\"fields\":\"policy_name\"}"));
	e = compile_error(NULL, NULL, "{\"fields\":\"process.binary.x\"}", true);
	assert_string_equal(e, "--field-filters: line 1: fields: path \"process.binary.x\": tetragon.Process.binary "
			       "has no fields");
	free(e);
	e = compile_error(NULL, NULL, "{\"fields\":\"process.pod.pod_labels.app.x\"}", true);
	assert_string_equal(e, "--field-filters: line 1: fields: path \"process.pod.pod_labels.app.x\": the values "
			       "of tetragon.Pod.pod_labels have no fields");
	free(e);
	e = compile_error(NULL, NULL, "{\"action\":\"INCLUDE\"}", true);
	assert_string_equal(e, "--field-filters: line 1: fields: no field paths (a field filter needs at least one)");
	free(e);
	e = compile_error(NULL, NULL, "{\"fields\":\"process..binary\"}", true);
	assert_string_equal(e, "--field-filters: line 1: fields: invalid path \"process..binary\"");
	free(e);
	e = compile_error(NULL, NULL, "{\"fields\":\"process\",\"event_set\":[\"PROCESS_EXEC\",\"PROCESS_EXIT\","
			  "\"PROCESS_KPROBE\",\"PROCESS_TRACEPOINT\",\"PROCESS_LOADER\",\"PROCESS_UPROBE\","
			  "\"PROCESS_THROTTLE\",\"PROCESS_LSM\",\"PROCESS_USDT\",\"TEST\",\"RATE_LIMIT_INFO\"],"
			  "\"invert_event_set\":true}", true);
	assert_contains(e, "--field-filters: line 1: fields: the filter applies to no event type");
	free(e);
}

/* Paths after a map field are keys, matched as written. */
static void test_field_map_keys(void **state)
{
	struct ev_fix f;
	char *s;

	(void)state;
	ev_init(&f, EXEC, 42, "/usr/bin/curl", "-s");
	ev_add_pod(&f, "default", "web-1", "main");
	s = filtered_json("{\"fields\":\"process.pod.pod_labels.app\",\"action\":\"INCLUDE\"}", &f.ev);
	assert_string_equal(s, "{\"process_exec\":{\"process\":{\"pod\":{\"pod_labels\":{\"app\":\"web\"}}}},"
			       "\"node_name\":\"node1\",\"time\":\"2023-11-14T22:13:20.000000005Z\"}");
	free(s);
	s = filtered_json("{\"fields\":\"process.pod.pod_labels.other\",\"action\":\"INCLUDE\"}", &f.ev);
	assert_null(strstr(s, "\"app\""));
	free(s);
	s = filtered_json("{\"fields\":\"process.pod.pod_labels.app\",\"action\":\"EXCLUDE\"}", &f.ev);
	assert_null(strstr(s, "\"app\""));
	assert_contains(s, "\"name\":\"web-1\"");
	free(s);
	/* both spellings of one field are one field; sub-paths of both apply */
	s = filtered_json("{\"fields\":\"process.exec_id,process.execId,process.pod.name,process.pod.namespace\"}",
			  &f.ev);
	assert_string_equal(s, "{\"process_exec\":{\"process\":{\"exec_id\":\"ZXhlYw==\",\"pod\":{\"namespace\":"
			       "\"default\",\"name\":\"web-1\"}}},"
			       "\"node_name\":\"node1\",\"time\":\"2023-11-14T22:13:20.000000005Z\"}");
	free(s);
}

struct kv {
	const char *k, *v;
};

static const char *kv_get(const void *labels, const char *key)
{
	const struct kv *p;

	for (p = labels; p->k; p++)
		if (!strcmp(p->k, key))
			return p->v;
	return NULL;
}

static bool sel(const char *s, const struct kv *labels)
{
	struct label_selector *ls = NULL;
	char err[256];
	bool r;

	if (label_selector_parse(s, &ls, err, sizeof(err)))
		fail_msg("parse %s: %s", s, err);
	r = label_selector_match(ls, kv_get, labels);
	label_selector_free(ls);
	return r;
}

static void test_label_selectors(void **state)
{
	static const struct kv l[] = { { "app", "web" }, { "tier", "fe" }, { "replicas", "3" }, { NULL, NULL } };
	struct label_selector *ls;
	char err[256];

	(void)state;
	assert_true(sel("", l));
	assert_true(sel("app=web", l));
	assert_true(sel("app == web, tier", l));
	assert_false(sel("app!=web", l));
	assert_true(sel("missing!=x", l));
	assert_true(sel("tier in (be, fe)", l));
	assert_false(sel("tier notin (be,fe)", l));
	assert_true(sel("missing notin (a)", l));
	assert_true(sel("!missing", l));
	assert_false(sel("!app", l));
	assert_true(sel("replicas>2,replicas<4", l));
	assert_false(sel("replicas>3", l));
	assert_false(sel("app=web,missing", l));
	assert_int_equal(label_selector_parse("app in web", &ls, err, sizeof(err)), -EINVAL);
	assert_contains(err, "expected (");
	assert_int_equal(label_selector_parse("app=web,", &ls, err, sizeof(err)), -EINVAL);
	assert_int_equal(label_selector_parse("=x", &ls, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_lists_pass_everything),
		cmocka_unit_test(test_or_across_and_within),
		cmocka_unit_test(test_deny_wins),
		cmocka_unit_test(test_event_set),
		cmocka_unit_test(test_process_fields),
		cmocka_unit_test(test_namespace_pod_labels),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_pid_set_children),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_field_include),
		cmocka_unit_test(test_field_exclude_and_event_set),
		cmocka_unit_test(test_field_filter_from_request),
		cmocka_unit_test(test_pbjson_roundtrip_event),
		cmocka_unit_test(test_pbjson_stream_and_types),
		cmocka_unit_test(test_regex_syntax),
		cmocka_unit_test(test_regex_refused),
		cmocka_unit_test(test_regex_limits),
		cmocka_unit_test(test_request_regex_limits),
		cmocka_unit_test(test_unknown_values_refused),
		cmocka_unit_test(test_field_map_keys),
		cmocka_unit_test(test_label_selectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
