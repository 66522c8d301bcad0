// SPDX-License-Identifier: Apache-2.0
/*
 * The logger and tetra's escaping of untrusted text: a forged newline stays
 * on one line, ESC and other controls come out as \xNN, valid UTF-8 passes
 * through, and a line cut for length holds no NUL and no half escape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/escape.h"
#include "util/log.h"
#include "util/strbuf.h"

static char *escaped(const char *s, size_t len, unsigned flags)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add_escaped(&sb, s, len, flags);
	strbuf_addc(&sb, '\0');
	return strbuf_detach(&sb, NULL);
}

static void test_escape_units(void **state)
{
	char *s;

	(void)state;
	s = escaped("a\nb\rc\td", 7, 0);
	assert_string_equal(s, "a\\nb\\rc\\td");
	free(s);
	s = escaped("\x1b[31mred\x7f\x01", 10, 0);
	assert_string_equal(s, "\\x1b[31mred\\x7f\\x01");
	free(s);
	/* NUL inside the text */
	s = escaped("a\0b", 3, 0);
	assert_string_equal(s, "a\\x00b");
	free(s);
	/* quotes and backslashes only when asked */
	s = escaped("say \"hi\" \\o/", 12, 0);
	assert_string_equal(s, "say \"hi\" \\o/");
	free(s);
	s = escaped("say \"hi\" \\o/", 12, ESC_QUOTED);
	assert_string_equal(s, "say \\\"hi\\\" \\\\o/");
	free(s);
	/* valid UTF-8 passes, invalid bytes and C1 controls do not */
	s = escaped("caf\xc3\xa9 \xf0\x9f\x9a\x80", 10, 0);
	assert_string_equal(s, "caf\xc3\xa9 \xf0\x9f\x9a\x80");
	free(s);
	s = escaped("\xff\xc3(\xe2\x82", 5, 0);
	assert_string_equal(s, "\\xff\\xc3(\\xe2\\x82");
	free(s);
	s = escaped("\xc2\x9b" "2J", 4, 0);
	assert_string_equal(s, "\\xc2\\x9b2J");
	free(s);
	/* overlong '/' and a UTF-16 surrogate are invalid */
	s = escaped("\xc0\xaf\xed\xa0\x80", 5, 0);
	assert_string_equal(s, "\\xc0\\xaf\\xed\\xa0\\x80");
	free(s);
	assert_true(esc_is_clean("plain text \xc3\xa9", 13));
	assert_false(esc_is_clean("tab\there", 8));
	assert_false(esc_is_clean("\xff", 1));
}

static void test_escape_bounded(void **state)
{
	char out[16];
	size_t used, n;

	(void)state;
	/* "ab" fits, the 4-byte escape of ESC does not fit in the 1 byte left */
	n = esc_bounded(out, 3, "ab\x1b", 3, 0, &used);
	assert_int_equal(n, 2);
	assert_int_equal(used, 2);
	/* a UTF-8 sequence is not split either */
	n = esc_bounded(out, 4, "abc\xc3\xa9", 5, 0, &used);
	assert_int_equal(n, 3);
	assert_int_equal(used, 3);
	n = esc_bounded(out, sizeof(out), "abc\xc3\xa9", 5, 0, &used);
	assert_int_equal(n, 5);
	assert_int_equal(used, 5);
}

static void test_fputs_lines(void **state)
{
	char buf[256] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	(void)state;
	assert_non_null(f);
	esc_fputs_lines("first\nsecond \x1b[2J\n", f);
	fclose(f);
	assert_string_equal(buf, "first\n  second \\x1b[2J");
}

/* Run log_msg with stderr redirected; returns what it wrote. */
static char *capture_log(const char *fmt, const char *arg)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t r;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	log_msg(LOG_ERROR, fmt, arg);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	while ((r = fread(buf, 1, sizeof(buf), tmp)) > 0)
		strbuf_add(&sb, buf, r);
	fclose(tmp);
	strbuf_addc(&sb, '\0');
	return strbuf_detach(&sb, NULL);
}

static size_t count(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_log_forged_line(void **state)
{
	char *out;

	(void)state;
	out = capture_log("tracing policy refused: %s",
			  "sys_x\ntime=2024-01-01T00:00:00.000Z level=error msg=\"FORGED\"\n\x1b[31m");
	/* one record, one line, and no raw ESC */
	assert_int_equal(count(out, '\n'), 1);
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, " level=error msg=\"tracing policy refused: sys_x\\ntime=2024-01-01T00:00:00.000Z "
				    "level=error msg=\\\"FORGED\\\"\\n\\x1b[31m\"\n"));
	assert_int_equal(strncmp(out, "time=", 5), 0);
	assert_null(strstr(out, "truncated"));
	free(out);

	/* the format itself is escaped too: no call site can forget */
	out = capture_log("a \"quoted\" %s", "word");
	assert_non_null(strstr(out, "msg=\"a \\\"quoted\\\" word\"\n"));
	free(out);
}

static void test_log_truncation(void **state)
{
	size_t big = 20000, i, len;
	char *arg = malloc(big + 1), *out;

	(void)state;
	assert_non_null(arg);
	/* every byte escapes to 4: the cut must fall between escapes */
	memset(arg, 0x1b, big);
	arg[big] = '\0';
	out = capture_log("%s", arg);
	len = strlen(out);
	assert_int_equal(count(out, '\n'), 1);
	assert_true(len <= 4096);
	assert_int_equal(strcmp(out + len - strlen("\" truncated=true\n"), "\" truncated=true\n"), 0);
	/* the message is whole \x1b escapes up to the closing quote */
	{
		const char *m = strstr(out, "msg=\"") + 5, *end = out + len - strlen("\" truncated=true\n");

		assert_int_equal((size_t)(end - m) % 4, 0);
		for (const char *p = m; p < end; p += 4)
			assert_int_equal(strncmp(p, "\\x1b", 4), 0);
	}
	free(out);

	/* multi-byte UTF-8 is not split either, and a NUL never appears */
	for (i = 0; i + 2 <= big; i += 2) {
		arg[i] = (char)0xc3;
		arg[i + 1] = (char)0xa9;
	}
	arg[i] = '\0';
	out = capture_log("x%s", arg);
	len = strlen(out);
	assert_non_null(strstr(out, "\" truncated=true\n"));
	assert_null(strstr(out, "\\xc3"));
	assert_null(strstr(out, "\\xa9"));
	free(out);
	free(arg);
}

/* --log-format json/json-ts: upstream's keys, msg the text format's escaped text, bounded */
static void test_log_json(void **state)
{
	size_t big = 20000, len;
	char *arg = malloc(big + 1), *out;

	(void)state;
	log_set_format(LOG_FORMAT_JSON);
	out = capture_log("refused: %s", "a\"b\\c\n{\"level\":\"info\"}\x1b");
	assert_string_equal(out, "{\"level\":\"error\",\"msg\":\"refused: a\\\\\\\"b\\\\\\\\c\\\\n{\\\\\\\"level\\\\\\\":\\\\\\\"info\\\\\\\"}\\\\x1b\"}\n");
	free(out);
	log_set_format(LOG_FORMAT_JSON_TS);
	out = capture_log("%s", "x");
	assert_int_equal(strncmp(out, "{\"time\":\"", 9), 0);
	assert_int_equal(strlen(out), strlen("{\"time\":\"2026-12-03T07:38:06Z\",\"level\":\"error\",\"msg\":\"x\"}\n"));
	assert_non_null(strstr(out, "Z\",\"level\":\"error\",\"msg\":\"x\"}\n"));
	free(out);
	/* cut: whole escapes, a valid object, marked */
	memset(arg, '"', big);
	arg[big] = '\0';
	out = capture_log("%s", arg);
	len = strlen(out);
	assert_true(len <= 4096);
	assert_int_equal(count(out, '\n'), 1);
	assert_int_equal(strcmp(out + len - strlen("\",\"truncated\":true}\n"), "\",\"truncated\":true}\n"), 0);
	{
		/* the value is \\\" repeated: 4 bytes each in the JSON text */
		const char *m = strstr(out, "\"msg\":\"") + 7, *end = out + len - strlen("\",\"truncated\":true}\n");

		assert_int_equal((size_t)(end - m) % 4, 0);
		for (const char *p = m; p < end; p += 4)
			assert_int_equal(strncmp(p, "\\\\\\\"", 4), 0);
	}
	free(out);
	free(arg);
	log_set_format(LOG_FORMAT_TEXT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_units),
		cmocka_unit_test(test_escape_bounded),
		cmocka_unit_test(test_fputs_lines),
		cmocka_unit_test(test_log_forged_line),
		cmocka_unit_test(test_log_truncation),
		cmocka_unit_test(test_log_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
