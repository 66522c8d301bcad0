// SPDX-License-Identifier: Apache-2.0
/*
 * --redaction-filters (filters/redaction.h): upstream's semantics (capture
 * groups replaced by *****, outermost first; binary_regex scoping; filters in
 * order; Go's ReplaceAll walk over empty matches), its JSON form, refusals
 * naming the filter and field, and the bounds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "filters/redaction.h"

static struct redaction_list *parse(const char *text)
{
	struct redaction_list *l = NULL;
	char err[1024];

	if (redaction_parse(text, &l, err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	return l;
}

/* The redacted arguments, or the input when nothing changed (static buffer). */
static const char *apply(const struct redaction_list *l, const char *binary, const char *args)
{
	static char buf[8192];
	char *out = NULL;
	int r = redaction_apply(l, binary, args, &out);

	assert_true(r >= 0);
	if (r == 0) {
		assert_null(out);
		return args;
	}
	snprintf(buf, sizeof(buf), "%s", out);
	free(out);
	return buf;
}

static void test_groups(void **state)
{
	struct redaction_list *l;

	(void)state;
	l = parse("{\"redact\":[\"(ab)cd\"]}");
	assert_string_equal(apply(l, "", "abcd"), "*****cd");
	assert_string_equal(apply(l, "", "xabcdyabcd"), "x*****cdy*****cd");
	assert_string_equal(apply(l, "", "abef"), "abef");
	redaction_free(l);
	/* non-capturing groups stay; nested groups: the outer one covers the inner */
	l = parse("{\"redact\":[\"(?:--password|-p)\\\\s+(\\\\S+)\", \"(foo(bar))qux\"]}");
	assert_string_equal(apply(l, "", "--password s3cr3t! -v"), "--password ***** -v");
	assert_string_equal(apply(l, "", "-p s3cr3t!"), "-p *****");
	assert_string_equal(apply(l, "", "foobarqux"), "*****qux");
	assert_string_equal(apply(l, "", "innocent"), "innocent");
	redaction_free(l);
	/* a group that did not take part is skipped; a match without groups changes nothing */
	l = parse("{\"redact\":[\"(a)|(b)\", \"zz\"]}");
	assert_string_equal(apply(l, "", "xbx zz"), "x*****x zz");
	redaction_free(l);
}

static void test_multi_and_binary(void **state)
{
	struct redaction_list *l;
	const char *args = "--verbose=true --password ybx511!ackt544 --username foobar cheesecake TOPSECRET innocent";

	(void)state;
	/* upstream's documented example, three regexps in one filter */
	l = parse("{\"redact\": [\"(?:--password|-p)[\\\\s=]+(\\\\S+)\", \"\\\\W(TOPSECRET)\\\\W\", \"(cheese)cake\"]}");
	assert_string_equal(apply(l, "/usr/bin/x", args),
			    "--verbose=true --password ***** --username foobar *****cake ***** innocent");
	redaction_free(l);
	/* binary_regex scopes a filter; two filters, second one for every binary; camelCase accepted */
	l = parse("{\"binary_regex\":[\"(?:^|/)mysql$\"],\"redact\":[\"--password[ =](\\\\S+)\"]}\n"
		  "{\"binaryRegex\":[],\"redact\":[\"token=(\\\\w+)\"]}");
	assert_int_equal(redaction_count(l), 2);
	assert_string_equal(apply(l, "/usr/bin/mysql", "--password=hunter2 token=abc"),
			    "--password=***** token=*****");
	assert_string_equal(apply(l, "/usr/bin/mysqld", "--password=hunter2 token=abc"),
			    "--password=hunter2 token=*****");
	redaction_free(l);
}

static void test_empty_matches(void **state)
{
	struct redaction_list *l;

	(void)state;
	/* Go's walk: an empty match at every position but right after a match */
	l = parse("{\"redact\":[\"(x*)\"]}");
	assert_string_equal(apply(l, "", "abc"), "*****a*****b*****c*****");
	assert_string_equal(apply(l, "", "xxa"), "*****a*****");
	redaction_free(l);
	/* anchors see the whole text, not the rest of it */
	l = parse("{\"redact\":[\"^(a)\"]}");
	assert_string_equal(apply(l, "", "aaa"), "*****aa");
	redaction_free(l);
	/* multi-byte characters are stepped over whole */
	l = parse("{\"redact\":[\"()\"]}");
	assert_string_equal(apply(l, "", "\xc3\xa9"), "*****\xc3\xa9*****");
	redaction_free(l);
}

static void test_refused(void **state)
{
	struct redaction_list *l = NULL;
	char err[1024], big[2048];

	(void)state;
	assert_int_equal(redaction_parse("", &l, err, sizeof(err)), 0);
	assert_null(l);
	assert_int_equal(redaction_parse("  \n ", &l, err, sizeof(err)), 0);
	assert_null(l);
	assert_int_equal(redaction_parse("{\"redact\":[\"(\"]}", &l, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "filter 1: redact[0]: regexp \"(\": missing ): (");
	assert_int_equal(redaction_parse("{\"redact\":[\"a\"]} {\"redact\":[\"(a)\\\\1\"]}", &l, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "filter 2: redact[0]: regexp"));
	assert_non_null(strstr(err, "backreferences"));
	assert_int_equal(redaction_parse("{\"binary_regex\":[\"[\"],\"redact\":[\"a\"]}", &l, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "filter 1: binary_regex[0]: "));
	/* a misspelt field would redact nothing: refused */
	assert_int_equal(redaction_parse("{\"redacted\":[\"a\"]}", &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "redacted"));
	assert_int_equal(redaction_parse("{\"binary_regex\":[\"a\"]}", &l, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "filter 1: no \"redact\" regexps: it would redact nothing");
	assert_int_equal(redaction_parse("{\"redact\":", &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid JSON"));
	/* bounds */
	memset(big, 'a', 1100);
	memcpy(big, "{\"redact\":[\"", 12);
	strcpy(big + 1100, "\"]}");
	assert_int_equal(redaction_parse(big, &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the limit is 1024"));
	{
		char groups[400] = "{\"redact\":[\"";

		for (int i = 0; i < 64; i++)
			strcat(groups, "(a)");
		strcat(groups, "\"]}");
		assert_int_equal(redaction_parse(groups, &l, err, sizeof(err)), -E2BIG);
		assert_string_equal(err, "filter 1: redact[0]: 64 capture groups, the limit is 63");
	}
	{
		char *many = malloc(65 * 20 + 1);

		many[0] = '\0';
		for (int i = 0; i < 65; i++)
			strcat(many, "{\"redact\":[\"a\"]}\n");
		assert_int_equal(redaction_parse(many, &l, err, sizeof(err)), -E2BIG);
		assert_string_equal(err, "65 filters, the limit is 64");
		free(many);
	}
	assert_null(l);
}

static void test_output_bound_and_global(void **state)
{
	struct redaction_list *l;
	char *args, *big;

	(void)state;
	/* each filter multiplies empty matches: past REDACTION_MAX_OUT the whole text goes */
	l = parse("{\"redact\":[\"()\"]}\n{\"redact\":[\"()\"]}\n{\"redact\":[\"()\"]}\n{\"redact\":[\"()\"]}");
	big = malloc(4001);
	memset(big, 'x', 4000);
	big[4000] = '\0';
	assert_string_equal(apply(l, "", big), "*****");
	free(big);
	redaction_free(l);

	/* the agent's hook: in place, only when something changed */
	l = parse("{\"binary_regex\":[\"/curl$\"],\"redact\":[\"-u (\\\\S+)\"]}");
	redaction_set_global(l);
	args = strdup("-u user:pass https://x");
	assert_int_equal(redaction_args("/usr/bin/curl", &args), 0);
	assert_string_equal(args, "-u ***** https://x");
	free(args);
	args = strdup("-u user:pass");
	assert_int_equal(redaction_args("/usr/bin/wget", &args), 0);
	assert_string_equal(args, "-u user:pass");
	free(args);
	assert_int_equal(redaction_redacted(), 1);
	redaction_set_global(NULL);
	redaction_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_multi_and_binary),
		cmocka_unit_test(test_empty_matches),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_output_bound_and_global),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
