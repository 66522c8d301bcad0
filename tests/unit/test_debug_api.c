// SPDX-License-Identifier: Apache-2.0
/*
 * The parsing behind GetInfo/GetDebug/SetDebug and their tetra commands:
 * upstream's LogLevel names and mapping to the agent's levels, GetInfo's
 * configuration values through google.protobuf.Any and back to `tetra
 * info`'s JSON, `tetragon --probe-features` lines, and the text helpers of
 * `tetra tracingpolicy generate` (stapsdt arguments, YAML quoting).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "agent/agent_rpc.h"
#include "google/protobuf/any.pb-c.h"
#include "grpc/debug_api.h"
#include "policy/tp_generate.h"

static void test_level_names(void **state)
{
	(void)state;
	assert_int_equal(debug_level_parse("trace"), TETRAGON__LOG_LEVEL__LOG_LEVEL_TRACE);
	assert_int_equal(debug_level_parse("DEBUG"), TETRAGON__LOG_LEVEL__LOG_LEVEL_DEBUG);
	assert_int_equal(debug_level_parse("Info"), TETRAGON__LOG_LEVEL__LOG_LEVEL_INFO);
	assert_int_equal(debug_level_parse("warn"), TETRAGON__LOG_LEVEL__LOG_LEVEL_WARN);
	assert_int_equal(debug_level_parse("warning"), TETRAGON__LOG_LEVEL__LOG_LEVEL_WARN);
	assert_int_equal(debug_level_parse("error"), TETRAGON__LOG_LEVEL__LOG_LEVEL_ERROR);
	assert_int_equal(debug_level_parse("fatal"), TETRAGON__LOG_LEVEL__LOG_LEVEL_FATAL);
	assert_int_equal(debug_level_parse("panic"), TETRAGON__LOG_LEVEL__LOG_LEVEL_PANIC);
	assert_int_equal(debug_level_parse("verbose"), -EINVAL);
	assert_int_equal(debug_level_parse(""), -EINVAL);
	assert_int_equal(debug_level_parse("debug "), -EINVAL);
	assert_int_equal(debug_level_parse(NULL), -EINVAL);
	assert_string_equal(debug_level_name(TETRAGON__LOG_LEVEL__LOG_LEVEL_DEBUG), "LOG_LEVEL_DEBUG");
	assert_string_equal(debug_level_name(TETRAGON__LOG_LEVEL__LOG_LEVEL_PANIC), "LOG_LEVEL_PANIC");
	assert_null(debug_level_name(7));
	assert_null(debug_level_name(-1));
}

static void test_level_mapping(void **state)
{
	static const struct {
		int level;
		enum log_level log;
	} map[] = {
		{ TETRAGON__LOG_LEVEL__LOG_LEVEL_TRACE, LOG_DEBUG }, { TETRAGON__LOG_LEVEL__LOG_LEVEL_DEBUG, LOG_DEBUG },
		{ TETRAGON__LOG_LEVEL__LOG_LEVEL_INFO, LOG_INFO },   { TETRAGON__LOG_LEVEL__LOG_LEVEL_WARN, LOG_WARN },
		{ TETRAGON__LOG_LEVEL__LOG_LEVEL_ERROR, LOG_ERROR }, { TETRAGON__LOG_LEVEL__LOG_LEVEL_FATAL, LOG_ERROR },
		{ TETRAGON__LOG_LEVEL__LOG_LEVEL_PANIC, LOG_ERROR },
	};
	enum log_level l = LOG_INFO;

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		assert_int_equal(debug_level_to_log(map[i].level, &l), 0);
		assert_int_equal(l, map[i].log);
	}
	l = LOG_WARN;
	assert_int_equal(debug_level_to_log(7, &l), -EINVAL);
	assert_int_equal(debug_level_to_log(-3, &l), -EINVAL);
	assert_int_equal(l, LOG_WARN);	/* untouched */
	assert_int_equal(debug_level_from_log(LOG_DEBUG), TETRAGON__LOG_LEVEL__LOG_LEVEL_DEBUG);
	assert_int_equal(debug_level_from_log(LOG_INFO), TETRAGON__LOG_LEVEL__LOG_LEVEL_INFO);
	assert_int_equal(debug_level_from_log(LOG_WARN), TETRAGON__LOG_LEVEL__LOG_LEVEL_WARN);
	assert_int_equal(debug_level_from_log(LOG_ERROR), TETRAGON__LOG_LEVEL__LOG_LEVEL_ERROR);
	/* the runtime level, readable back */
	log_set_level(LOG_ERROR);
	assert_int_equal(log_get_level(), LOG_ERROR);
	log_set_level(LOG_INFO);
	assert_string_equal(log_level_name(LOG_WARN), "warn");
}

static char *info_json_text(struct rpc_blob *b)
{
	Tetragon__GetInfoResponse *r;
	json_t *j;
	char *text;

	assert_non_null(b);
	r = tetragon__get_info_response__unpack(NULL, b->len, b->data);
	assert_non_null(r);
	j = debug_info_json(r);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	tetragon__get_info_response__free_unpacked(r, NULL);
	rpc_blob_unref(b);
	return text;
}

/* Every value type upstream's agent encodes, back as `tetra info` prints it (maps sorted). */
static void test_info_roundtrip(void **state)
{
	char *pols[] = { "/etc/a.yaml", "b.yaml" };
	const char *names[] = { "uprobe", "btf", "kprobe" };
	const bool probes[] = { true, true, false };
	const struct debug_conf conf[] = {
		{ .key = "server-address", .kind = DEBUG_CONF_STRING, .s = "localhost:54321" },
		{ .key = "rb-size", .kind = DEBUG_CONF_INT, .i = 16777216 },
		{ .key = "enable-process-cred", .kind = DEBUG_CONF_BOOL, .b = true },
		{ .key = "tracing-policy", .kind = DEBUG_CONF_LIST, .list = pols, .nlist = 2 },
		{ .key = "btf", .kind = DEBUG_CONF_STRING, .s = NULL },
		{ .key = "none", .kind = DEBUG_CONF_LIST, .list = NULL, .nlist = 0 },
	};
	char *text;

	(void)state;
	text = info_json_text(debug_info_pack("tetragon", "v1.2", names, probes, 3, conf, 6, "abc", "2024-01-01T00:00:00Z",
					      "false"));
	assert_string_equal(text, "{\"Name\":\"tetragon\",\"Version\":\"v1.2\","
				  "\"Probes\":{\"btf\":true,\"kprobe\":false,\"uprobe\":true},"
				  "\"Conf\":{\"btf\":\"\",\"enable-process-cred\":true,\"none\":[],\"rb-size\":16777216,"
				  "\"server-address\":\"localhost:54321\",\"tracing-policy\":[\"/etc/a.yaml\",\"b.yaml\"]},"
				  "\"Build\":{\"GoVersion\":\"\",\"Commit\":\"abc\",\"Time\":\"2024-01-01T00:00:00Z\","
				  "\"Modified\":\"false\"}}");
	free(text);
	/* nothing but the name and version */
	text = info_json_text(debug_info_pack("tetragon", NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL));
	assert_string_equal(text, "{\"Name\":\"tetragon\",\"Version\":\"\",\"Probes\":{},\"Conf\":{},"
				  "\"Build\":{\"GoVersion\":\"\",\"Commit\":\"\",\"Time\":\"\",\"Modified\":\"\"}}");
	free(text);
}

/* What a hostile or newer agent may send: types we do not know, bytes that are not UTF-8, garbage. */
static void test_info_hostile(void **state)
{
	Tetragon__GetInfoResponse r = TETRAGON__GET_INFO_RESPONSE__INIT;
	Tetragon__GetInfoResponse__ConfVal c[3], *pc[3] = { &c[0], &c[1], &c[2] };
	Google__Protobuf__Any a[3];
	uint8_t junk[] = { 0xff, 0xff, 0xff };
	json_t *j;
	char *text;

	(void)state;
	for (int i = 0; i < 3; i++) {
		tetragon__get_info_response__conf_val__init(&c[i]);
		google__protobuf__any__init(&a[i]);
		c[i].value = &a[i];
	}
	c[0].key = "a";
	a[0].type_url = "type.googleapis.com/google.protobuf.Duration";
	c[1].key = "b\xff";
	a[1].type_url = "type.googleapis.com/google.protobuf.StringValue";
	a[1].value.data = junk;
	a[1].value.len = sizeof(junk);
	c[2].key = "c";
	c[2].value = NULL;
	r.name = "t\x01\xc3";
	r.conf = pc;
	r.n_conf = 3;
	j = debug_info_json(&r);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"Name\":\"t\\\\x01\\\\xc3\""));
	assert_non_null(strstr(text, "\"a\":\"unknown value type: google.protobuf.Duration\""));
	assert_non_null(strstr(text, "\"b\\\\xff\":\"failed to unmarshal value\""));
	assert_non_null(strstr(text, "\"c\":\"failed to unmarshal value: no value\""));
	free(text);
	json_decref(j);
}

static void test_probe_lines(void **state)
{
	const char *out = "kernel: 6.18.44 x86_64\n"
			  "btf: yes (vmlinux BTF, 126669 types)\n"
			  "kprobe: no (no kprobe PMU (/sys/...: No such file or directory): lacks X)\n"
			  "Some Noise: yes\n"
			  "tp_btf: yes (ran)\n"
			  "broken line\n"
			  "send_signal: no";
	char *names[8] = { 0 };
	bool values[8];
	size_t n;

	(void)state;
	n = agent_rpc_parse_probes(out, names, values, 8);
	assert_int_equal(n, 4);
	assert_string_equal(names[0], "btf");
	assert_true(values[0]);
	assert_string_equal(names[1], "kprobe");
	assert_false(values[1]);
	assert_string_equal(names[2], "tp_btf");
	assert_true(values[2]);
	assert_string_equal(names[3], "send_signal");
	assert_false(values[3]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	/* bounded by max */
	assert_int_equal(agent_rpc_parse_probes(out, names, values, 1), 1);
	free(names[0]);
	assert_int_equal(agent_rpc_parse_probes("", names, values, 8), 0);
}

static void test_usdt_args(void **state)
{
	char *args[TP_GEN_USDT_MAX_ARGS];
	size_t n;

	(void)state;
	assert_string_equal(tp_gen_usdt_arg_type("8@%rbx"), "uint64");
	assert_string_equal(tp_gen_usdt_arg_type("-4@112(%rsp)"), "int32");
	assert_string_equal(tp_gen_usdt_arg_type("2@$5"), "uint16");
	assert_string_equal(tp_gen_usdt_arg_type("-1@%al"), "int8");
	assert_null(tp_gen_usdt_arg_type("3@%eax"));
	assert_null(tp_gen_usdt_arg_type("%eax"));
	assert_null(tp_gen_usdt_arg_type("8%eax"));
	assert_null(tp_gen_usdt_arg_type(""));

	assert_int_equal(tp_gen_usdt_split("  -4@%eax 8@[x1, 8]\t2@%ax ", args, TP_GEN_USDT_MAX_ARGS, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(args[0], "-4@%eax");
	assert_string_equal(args[1], "8@[x1,8]");
	assert_string_equal(args[2], "2@%ax");
	for (size_t i = 0; i < n; i++)
		free(args[i]);
	assert_int_equal(tp_gen_usdt_split("", args, TP_GEN_USDT_MAX_ARGS, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tp_gen_usdt_split("1@a 1@b 1@c", args, 2, &n), -E2BIG);
	assert_int_equal(n, 0);
}

static void test_yaml_quoting(void **state)
{
	(void)state;
	assert_true(tp_gen_yaml_ambiguous(""));
	assert_true(tp_gen_yaml_ambiguous("true"));
	assert_true(tp_gen_yaml_ambiguous("No"));
	assert_true(tp_gen_yaml_ambiguous("null"));
	assert_true(tp_gen_yaml_ambiguous("~"));
	assert_true(tp_gen_yaml_ambiguous("123"));
	assert_true(tp_gen_yaml_ambiguous("-4@%eax"));
	assert_true(tp_gen_yaml_ambiguous(".inf"));
	assert_false(tp_gen_yaml_ambiguous("read"));
	assert_false(tp_gen_yaml_ambiguous("list:syscalls"));
	assert_false(tp_gen_yaml_ambiguous("/usr/bin/cat"));
	assert_false(tp_gen_yaml_ambiguous("nothing"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_names),    cmocka_unit_test(test_level_mapping),
		cmocka_unit_test(test_info_roundtrip), cmocka_unit_test(test_info_hostile),
		cmocka_unit_test(test_probe_lines),    cmocka_unit_test(test_usdt_args),
		cmocka_unit_test(test_yaml_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
