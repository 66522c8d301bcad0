// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tracing/tp_format.h"

static const char openat[] =
	"name: sys_enter_openat\n"
	"ID: 782\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"dfd: 0x%08lx\", ((unsigned long)(REC->dfd))\n";

static void test_parse_openat(void **state)
{
	struct tp_format f;
	const struct tp_field *a;

	(void)state;
	assert_int_equal(tp_format_parse(openat, &f, NULL), 0);
	assert_string_equal(f.name, "sys_enter_openat");
	assert_int_equal(f.id, 782);
	assert_int_equal(tp_format_nargs(&f), 5);
	a = tp_format_arg(&f, 2);
	assert_string_equal(a->name, "filename");
	assert_string_equal(a->type, "const char *");
	assert_int_equal(a->offset, 24);
	assert_int_equal(a->size, 8);
	assert_true(a->pointer);
	a = tp_format_arg(&f, 0);
	assert_string_equal(a->name, "__syscall_nr");
	assert_true(a->is_signed);
	assert_null(tp_format_arg(&f, 5));
}

static void test_data_loc_and_arrays(void **state)
{
	static const char text[] =
		"name: x\nID: 1\nformat:\n"
		"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
		"\tfield:char comm[16];\toffset:12;\tsize:16;\tsigned:0;\n";
	struct tp_format f;

	(void)state;
	assert_int_equal(tp_format_parse(text, &f, NULL), 0);
	assert_string_equal(f.fields[0].name, "filename");
	assert_true(f.fields[0].data_loc);
	assert_true(f.fields[0].char_array);
	assert_string_equal(f.fields[1].name, "comm");
	assert_string_equal(f.fields[1].type, "char[16]");
	assert_true(f.fields[1].char_array);
}

static void test_bad_input(void **state)
{
	struct tp_format f;
	unsigned line = 0;

	(void)state;
	assert_int_equal(tp_format_parse("name: x\nID: 1\nformat:\n\tfield:int;\toffset:x;\n", &f, &line), -EINVAL);
	assert_int_equal(line, 4);
	assert_int_equal(tp_format_parse("", &f, NULL), -EINVAL);
}

static void test_live_tracefs(void **state)
{
	struct tp_format f;

	(void)state;
	if (access("/sys/kernel/tracing/events/syscalls/sys_enter_openat/format", R_OK)) {
		skip();
		return;
	}
	assert_int_equal(tp_format_load("/sys/kernel/tracing", "syscalls", "sys_enter_openat", &f), 0);
	assert_string_equal(tp_format_arg(&f, 2)->name, "filename");
	assert_int_equal(tp_format_load("/sys/kernel/tracing", "nope", "nope", &f), -ENOENT);
}

/* Names are refused before a path is formed: the same answer whether or not it exists. */
static void test_names_refused(void **state)
{
	static const char *const bad[] = { "", ".", "..", "../../../../etc", "../../../../nonexistent", "a/b",
					   "-x", "sys\nx", "x y", "\x1b[31m",
					   "a234567890123456789012345678901234567890123456789012345678901234" };
	struct tp_format f;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(tp_format_valid_name(bad[i]));
		assert_int_equal(tp_format_load("/sys/kernel/tracing", bad[i], "format", &f), -EINVAL);
		assert_int_equal(tp_format_load("/", "events", bad[i], &f), -EINVAL);
	}
	assert_false(tp_format_valid_name(NULL));
	assert_true(tp_format_valid_name("sched"));
	assert_true(tp_format_valid_name("xhci-hcd"));
	assert_true(tp_format_valid_name("sys_enter_openat"));
	/* 63 bytes is the longest */
	assert_true(tp_format_valid_name("a23456789012345678901234567890123456789012345678901234567890123"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_openat),
		cmocka_unit_test(test_data_loc_and_arrays),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_live_tracefs),
		cmocka_unit_test(test_names_refused),
	};
	return cmocka_run_group_tests_name("tp_format", tests, NULL, NULL);
}
