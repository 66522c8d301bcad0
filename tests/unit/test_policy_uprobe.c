// SPDX-License-Identifier: Apache-2.0
/*
 * Which uprobe and raw tracepoint hooks the policy engine accepts, and why
 * it refuses the others: no kernel program is loaded. Raw tracepoints are
 * typed from this kernel's BTF (skipped without /sys/kernel/btf/vmlinux).
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

#include "policy/policy.h"
#include "sensors/generic_policy.h"
#include "sensors/uprobe_digest.h"

/* NULL when accepted, else the reason (static buffer). */
static const char *check(const char *spec)
{
	static char why[768];
	char buf[4096];
	struct tp_policy_set *set = NULL;
	struct tp_diags d = TP_DIAGS_INIT;
	const char *r = NULL;

	snprintf(buf, sizeof(buf),
		 "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: t\nspec:\n%s", spec);
	if (tp_parse("t.yaml", buf, strlen(buf), &set, &d)) {
		/* refused by the parser already: its first message */
		snprintf(why, sizeof(why), "parse: %s", d.n ? d.v[0].msg : "?");
		tp_diags_free(&d);
		return why;
	}
	tp_diags_free(&d);
	for (size_t i = 0; i < set->policies[0]->nhooks && !r; i++)
		r = policy_hook_unsupported(set->policies[0], i, "/nonexistent-tracefs", why, sizeof(why));
	tp_policy_set_free(set);
	return r;
}

#define UPROBE(path) "  uprobes:\n  - path: \"" path "\"\n"

static void test_uprobe_accepted(void **state)
{
	(void)state;
	assert_null(check(UPROBE("/bin/sh") "    symbols: [main]\n    args:\n"
			  "    - index: 0\n      type: int\n    - index: 1\n      type: string\n"));
	assert_null(check(UPROBE("/bin/sh") "    offsets: [4096]\n"));
	/* return probe with matchReturnArgs and matchReturnActions */
	assert_null(check(UPROBE("/bin/sh") "    symbols: [main]\n    return: true\n"
			  "    returnArg:\n      index: 0\n      type: int\n"
			  "    selectors:\n    - matchReturnArgs:\n      - index: 0\n        operator: Equal\n"
			  "        values: [\"0\"]\n      matchReturnActions:\n      - action: Sigkill\n"));
	/* a string return (readline's line) with a string operator */
	assert_null(check(UPROBE("/bin/sh") "    symbols: [main]\n    return: true\n"
			  "    returnArg:\n      index: 0\n      type: string\n"
			  "    selectors:\n    - matchReturnArgs:\n      - index: 0\n        operator: Prefix\n"
			  "        values: [sudo]\n"));
}

static void test_uprobe_refusals(void **state)
{
	const char *r;

	(void)state;
	r = check(UPROBE("/nonexistent/tool") "    symbols: [main]\n");
	assert_string_equal(r, "uprobe path /nonexistent/tool: No such file or directory");
	r = check(UPROBE("/tmp") "    symbols: [main]\n");
	assert_string_equal(r, "uprobe path /tmp is not a regular file");
	r = check(UPROBE("/bin/sh") "    addrs: [0x7fffffff0000]\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "uprobe: address 0x7fffffff0000 is in no loadable segment of /bin/sh"));
	r = check(UPROBE("/bin/sh") "    refCtrOffsets: [4096]\n    addrs: [4096, 4097]\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "refCtrOffsets has 1 entries but addrs has 2"));
	r = check(UPROBE("/bin/sh") "    symbols: [main]\n    return: true\n"
		  "    returnArg:\n      index: 0\n      type: file\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "uprobe returnArg type file is not supported"));
	/* a string return takes the slot after the args: at most 4 of them */
	r = check(UPROBE("/bin/sh") "    symbols: [main]\n    return: true\n"
		  "    args:\n    - index: 0\n      type: int\n    - index: 1\n      type: int\n"
		  "    - index: 2\n      type: int\n    - index: 3\n      type: int\n"
		  "    - index: 4\n      type: int\n"
		  "    returnArg:\n      index: 0\n      type: string\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "a string returnArg needs a free argument slot"));
	r = check(UPROBE("/bin/sh") "    symbols: [main]\n    args:\n    - index: 0\n      type: file\n");
	assert_non_null(strstr(r, "uprobe argument type file is not supported yet"));
	r = check(UPROBE("/bin/sh") "    symbols: [main]\n    args:\n    - index: 0\n      type: int\n"
		  "      resolve: \"a.b\"\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "uprobe main argument 0: resolve needs the binary's BTF: set btfPath"));
	r = check(UPROBE("/bin/sh") "    btfPath: /nonexistent/sh.btf\n    symbols: [main]\n    args:\n    - index: 0\n"
		  "      type: int\n      btfType: req\n      resolve: \"a.b\"\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "btfPath /nonexistent/sh.btf: No such file or directory"));
	/* return selectors without a return probe */
	r = check(UPROBE("/bin/sh") "    symbols: [main]\n"
		  "    selectors:\n    - matchReturnArgs:\n      - index: 0\n        operator: Equal\n"
		  "        values: [\"0\"]\n");
	if (r)	/* the parser may already refuse it; the engine must not accept it */
		assert_non_null(strstr(r, "matchReturnArgs"));
}

static void test_rawtp(void **state)
{
	const char *r;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	/* upstream's examples/tracingpolicy/rawtp.yaml */
	assert_null(check("  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n    raw: true\n"
			  "    args:\n    - index: 2\n      type: linux_binprm\n"));
	assert_null(check("  tracepoints:\n  - subsystem: signal\n    event: signal_generate\n    raw: true\n"
			  "    args:\n    - index: 0\n      type: int\n"));
	r = check("  tracepoints:\n  - subsystem: signal\n    event: signal_generate\n    raw: true\n"
		  "    args:\n    - index: 0\n      type: file\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "raw tracepoint signal_generate argument 0 is int: type file cannot read it"));
	/* resolve: members, pointers, arrays, from the task_struct * */
#define EXEC_RESOLVE(type, path) \
	"  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n    raw: true\n" \
	"    args:\n    - index: 0\n      type: " type "\n      resolve: \"" path "\"\n"
	assert_null(check(EXEC_RESOLVE("int", "pid")));
	assert_null(check(EXEC_RESOLVE("string", "comm")));
	assert_null(check(EXEC_RESOLVE("int", "real_parent.mm.owner.tgid")));
	assert_null(check(EXEC_RESOLVE("uint8", "comm[3]")));
	assert_null(check(EXEC_RESOLVE("file", "mm.exe_file")));
	assert_null(check(EXEC_RESOLVE("path", "fs.pwd")));
	r = check(EXEC_RESOLVE("int", "se"));
	assert_non_null(strstr(r, "resolve \"se\" ends on a "));
	r = check(EXEC_RESOLVE("int", "pid[0]"));
	assert_non_null(strstr(r, "resolve \"pid[0]\": pid[0] indexes something that is not an array"));
	r = check(EXEC_RESOLVE("int", "comm[99]"));
	assert_non_null(strstr(r, "index 99 out of range (16 elements)"));
	r = check(EXEC_RESOLVE("file", "pid"));
	assert_non_null(strstr(r, "argument 0 resolved to pid is int: type file cannot read it"));
	r = check("  tracepoints:\n  - subsystem: nope\n    event: no_such_event_here\n    raw: true\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "btf_trace_no_such_event_here"));
}

static void test_digests(void **state)
{
	static const char sha256_abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	char path[] = "/tmp/tg-digest-XXXXXX", why[512];
	struct tp_digest d[2] = {
		{ TP_DIGEST_SHA1, "0000000000000000000000000000000000000000" },
		{ TP_DIGEST_SHA256, (char *)sha256_abc },
	};
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_int_equal(uprobe_digest_match(path, d, 2, why, sizeof(why)), 1);
	/* none matches: the message names the file's digests */
	assert_int_equal(uprobe_digest_match(path, d, 1, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "matches none of binaryDigests (it has "
				    "sha1:a9993e364706816aba3e25717850c26c9cd0d89d)"));
	/* no ELF, no build-id */
	d[0].algo = TP_DIGEST_BUILD_ID;
	assert_true(uprobe_digest_match(path, d, 1, why, sizeof(why)) < 0);
	unlink(path);
	/* this test binary has a GNU build-id (Debian's gcc adds one): 40 hex digits */
	assert_int_equal(uprobe_digest_match("/proc/self/exe", d, 1, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "(it has build-id:"));
	assert_int_equal(strlen(strstr(why, "build-id:") + 9), 40 + 1);
	assert_true(uprobe_digest_match("/nonexistent", d, 1, why, sizeof(why)) < 0);
	assert_string_equal(why, "uprobe path /nonexistent: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uprobe_accepted),
		cmocka_unit_test(test_uprobe_refusals),
		cmocka_unit_test(test_rawtp),
		cmocka_unit_test(test_digests),
	};

	return cmocka_run_group_tests_name("policy_uprobe", tests, NULL, NULL);
}
