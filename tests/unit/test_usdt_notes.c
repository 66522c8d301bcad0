// SPDX-License-Identifier: Apache-2.0
/*
 * USDT argument specs (src/sensors/usdt_notes.c): every operand kind
 * sys/sdt.h writes on x86_64 decoded into the USDT program's ABI, the ones
 * this agent cannot read refused with the operand named; and the probes of
 * a real binary (the usdt_target helper, when built) found with their
 * semaphores.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sensors/usdt_notes.h"

static struct usdt_arg_spec parse_ok(const char *args, unsigned idx)
{
	struct usdt_arg_spec s;
	char why[256] = "";

	if (usdt_arg_parse(args, idx, &s, why, sizeof(why)))
		fail_msg("%s [%u]: %s", args, idx, why);
	return s;
}

static void test_operands(void **state)
{
	const char *a = "-4@%edi  8@-16(%rbp) -8@(%rsp,%rax,8) 4@$5 -8@$-9 2@0x10(%r12,%rbx) 1@%sil 8@%rip";
	struct usdt_arg_spec s;

	(void)state;
	assert_int_equal(usdt_arg_count(a), 8);
	assert_int_equal(usdt_arg_count(""), 0);
	s = parse_ok(a, 0);
	assert_int_equal(s.kind, USDT_ARG_REG);
	assert_int_equal(s.reg_off, 112);	/* di */
	assert_int_equal(s.size, 4);
	assert_true(s.is_signed);
	s = parse_ok(a, 1);
	assert_int_equal(s.kind, USDT_ARG_DEREF);
	assert_int_equal(s.reg_off, 32);	/* bp */
	assert_int_equal(s.val, -16);
	assert_int_equal(s.idx_off, USDT_NO_IDX);
	assert_false(s.is_signed);
	s = parse_ok(a, 2);
	assert_int_equal(s.kind, USDT_ARG_DEREF);
	assert_int_equal(s.reg_off, 152);	/* sp */
	assert_int_equal(s.idx_off, 80);	/* ax */
	assert_int_equal(s.shift, 3);
	assert_int_equal(s.val, 0);
	s = parse_ok(a, 3);
	assert_int_equal(s.kind, USDT_ARG_CONST);
	assert_int_equal(s.val, 5);
	s = parse_ok(a, 4);
	assert_int_equal(s.val, -9);
	assert_true(s.is_signed);
	s = parse_ok(a, 5);
	assert_int_equal(s.val, 16);
	assert_int_equal(s.reg_off, 24);	/* r12 */
	assert_int_equal(s.idx_off, 40);	/* bx, scale 1 */
	assert_int_equal(s.shift, 0);
	s = parse_ok(a, 6);
	assert_int_equal(s.reg_off, 104);	/* si */
	assert_int_equal(s.size, 1);
	s = parse_ok(a, 7);
	assert_int_equal(s.reg_off, 128);	/* ip */
}

static void test_refusals(void **state)
{
	struct usdt_arg_spec s;
	char why[256];

	(void)state;
	assert_int_equal(usdt_arg_parse("-4@%edi", 1, &s, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "the probe has 1 arguments (\"-4@%edi\"), no argument 1");
	assert_int_equal(usdt_arg_parse("8@counter(%rip)", 0, &s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "argument 0 \"8@counter(%rip)\": operand not supported"));
	assert_int_equal(usdt_arg_parse("1@%ah", 0, &s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "register %ah is not one this agent reads"));
	assert_int_equal(usdt_arg_parse("3@%eax", 0, &s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "want SIZE@OPERAND with SIZE 1, 2, 4 or 8"));
	assert_int_equal(usdt_arg_parse("%eax", 0, &s, why, sizeof(why)), -EINVAL);
	assert_int_equal(usdt_arg_parse("8@(%rsp,%rax,3)", 0, &s, why, sizeof(why)), -EINVAL);
	assert_int_equal(usdt_arg_parse("8@$", 0, &s, why, sizeof(why)), -EINVAL);
	assert_int_equal(usdt_arg_parse("8@-8(%rbp", 0, &s, why, sizeof(why)), -EINVAL);
}

static void test_helper_binary(void **state)
{
	const char *path = "build-san/tests/helpers/usdt_target";
	struct usdt_probe *v = NULL;
	char why[256];
	size_t n = 0;

	(void)state;
	if (access(path, R_OK))
		path = "build/tests/helpers/usdt_target";
	if (access(path, R_OK))
		skip();
	assert_int_equal(usdt_find(path, "tg", "guarded", &v, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].args, "-4@%edi");
	assert_true(v[0].pc && v[0].pc_off && v[0].sema && v[0].sema_off);
	usdt_probes_free(v, n);
	assert_int_equal(usdt_find(path, "tg", "nope", &v, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(usdt_find("/nonexistent/x", "tg", "nope", &v, &n, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "usdt path /nonexistent/x: No such file or directory");
	assert_int_equal(usdt_find("/etc/passwd", "tg", "nope", &v, &n, why, sizeof(why)), -ENOEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operands),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_helper_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
