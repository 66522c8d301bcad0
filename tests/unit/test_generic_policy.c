// SPDX-License-Identifier: Apache-2.0
/* Which hooks the policy engine accepts, against a fake tracefs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/features.h"
#include "policy/policy.h"
#include "sensors/generic_policy.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_internal.h"

static const char openat_fmt[] =
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

static char tracefs[64];

/* A kernel without kprobes (this host's), or one with them (and kprobe_multi when multi). */
static bool multi;
static bool no_kprobes(int f, char *why, size_t len)
{
	if (f == KF_KPROBE || f == KF_KRETPROBE || f == KF_KPROBE_MULTI) {
		snprintf(why, len, "attach kprobe vfs_read: Operation not permitted");
		return false;
	}
	return true;
}

static bool with_kprobes(int f, char *why, size_t len)
{
	snprintf(why, len, "ran");
	return f != KF_KPROBE_MULTI || multi;
}

static int setup(void **state)
{
	char path[256];
	FILE *f;

	(void)state;
	snprintf(tracefs, sizeof(tracefs), "/tmp/tg-gp-XXXXXX");
	if (!mkdtemp(tracefs))
		return -1;
	snprintf(path, sizeof(path), "%s/events", tracefs);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/events/syscalls", tracefs);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_openat", tracefs);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_openat/format", tracefs);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(openat_fmt, f);
	fclose(f);
	/* what kprobes may probe: fd_install and two vfs_ functions, one listed twice, one with a module */
	snprintf(path, sizeof(path), "%s/available_filter_functions", tracefs);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("vfs_write\nfd_install\nvfs_read\nvfs_read\nsome_module_fn [nf_tables]\n", f);
	fclose(f);
	policy_features_override(no_kprobes);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tracefs);
	return system(cmd) == 0 ? 0 : -1;
}

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
	assert_int_equal(tp_parse("t.yaml", buf, strlen(buf), &set, &d), 0);
	tp_diags_free(&d);
	for (size_t i = 0; i < set->policies[0]->nhooks && !r; i++)
		r = policy_hook_unsupported(set->policies[0], i, tracefs, why, sizeof(why));
	tp_policy_set_free(set);
	return r;
}

static void test_syscall_kprobe_accepted(void **state)
{
	(void)state;
	assert_null(check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n"
			  "    - index: 1\n      type: string\n"));
	assert_null(check("  kprobes:\n  - call: __x64_sys_openat\n    syscall: true\n"));
}

static void test_refusals(void **state)
{
	const char *r;

	(void)state;
	r = check("  kprobes:\n  - call: sys_mkdirat\n    syscall: true\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "sys_mkdirat is not a syscall this kernel traces"));
	r = check("  kprobes:\n  - call: fd_install\n    syscall: false\n");
	assert_string_equal(r, "kprobe on fd_install: this kernel has no kprobes: attach kprobe vfs_read: Operation "
			       "not permitted (syscall: true serves syscalls through their tracepoints)");
	r = check("  lists:\n  - name: vfs\n    type: generated_ftrace\n    pattern: \"^vfs_*\"\n"
		  "  kprobes:\n  - call: list:vfs\n");
	assert_non_null(strstr(r, "list vfs is of type generated_ftrace: its kernel functions need kprobes, and this "
				  "kernel has no kprobes: attach kprobe vfs_read"));
	r = check("  lsmhooks:\n  - hook: file_open\n");
	assert_non_null(strstr(r, "lsmhooks hooks are not supported"));
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n"
		  "    - index: 4\n      type: int\n");
	assert_non_null(strstr(r, "argument index 4 is out of range"));
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n"
		  "    - index: 1\n      type: file\n");
	assert_non_null(strstr(r, "argument type file cannot be read here: it is a kernel pointer"));
	assert_non_null(strstr(r, "on a syscall use fd"));
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n"
		  "    - index: 1\n      type: dentry\n");
	assert_non_null(strstr(r, "argument type dentry cannot be read here"));
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n"
		  "    - index: 0\n      type: sock\n");
	assert_non_null(strstr(r, "only kernel-function kprobes pass"));
	/* capabilities are integers; char_iovec a user buffer */
	assert_null(check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n"
			  "    - index: 2\n      type: capability\n    - index: 3\n      type: kernel_cap_t\n"
			  "    - index: 1\n      type: char_iovec\n      sizeArgIndex: 3\n"));
	r = check("  tracepoints:\n  - subsystem: sched\n    event: sched_process_fork\n");
	assert_non_null(strstr(r, "tracepoint sched/sched_process_fork is not available"));
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
		  "    - matchActions:\n      - action: Override\n        argError: -1\n");
	assert_non_null(strstr(r, "action Override: Override needs bpf_override_return"));
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
		  "    - matchActions:\n      - action: GetUrl\n        argUrl: http://x\n");
	assert_non_null(strstr(r, "GetUrl and DnsLookup are not implemented"));
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
		  "    - matchNamespaceChanges:\n      - operator: In\n        values: [Mnt]\n");
	assert_non_null(strstr(r, "uses matchNamespaceChanges, which this engine does not evaluate"));
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
		  "    - matchActions:\n      - action: Post\n        kernelStackTrace: true\n");
	assert_non_null(strstr(r, "kernelStackTrace"));
	/* the selectors this engine evaluates in the kernel */
	assert_null(check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n"
			  "    - index: 2\n      type: int\n    selectors:\n"
			  "    - matchArgs:\n      - index: 2\n        operator: NotInMap\n        values: [1, 2, 5:9]\n"
			  "      matchBinaries:\n      - operator: Postfix\n        values: [/cat]\n"
			  "      matchParentBinaries:\n      - operator: NotIn\n        values: [/usr/bin/sh]\n"
			  "      matchPIDs:\n      - operator: NotIn\n        followForks: true\n"
			  "        isNamespacePID: true\n        values: [1]\n"
			  "      matchNamespaces:\n      - namespace: Net\n        operator: In\n"
			  "        values: [host_ns]\n"
			  "      matchCapabilities:\n      - type: Effective\n        operator: In\n"
			  "        isNamespaceCapability: true\n        values: [CAP_SYS_ADMIN]\n"
			  "      matchActions:\n      - action: Post\n        rateLimit: 1m\n"
			  "        rateLimitScope: process\n"));
}

/* return probes are served by syscalls/sys_exit_<name>: needed, and enough */
static void test_return_probe(void **state)
{
	static const char ret_policy[] =
		"  kprobes:\n  - call: sys_openat\n    syscall: true\n    return: true\n    args:\n"
		"    - index: 1\n      type: string\n    returnArg:\n      index: 0\n      type: int\n"
		"    selectors:\n    - matchReturnArgs:\n      - index: 0\n        operator: LT\n"
		"        values: [0]\n      matchReturnActions:\n      - action: NoPost\n";
	char path[256];
	const char *r;
	FILE *f;

	(void)state;
	r = check(ret_policy);
	assert_non_null(r);
	assert_non_null(strstr(r, "tracepoint syscalls/sys_exit_openat is not available"));
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_openat", tracefs);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_openat/format", tracefs);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("name: sys_exit_openat\nformat:\n\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n", f);
	fclose(f);
	assert_null(check(ret_policy));
	/* returnCopy needs the syscall's return: not on a tracepoint, not on a string */
	r = check("  tracepoints:\n  - subsystem: syscalls\n    event: sys_enter_openat\n    args:\n"
		  "    - index: 6\n      type: char_buf\n      returnCopy: true\n");
	assert_non_null(strstr(r, "returnCopy is supported on char_buf and char_iovec arguments of syscall kprobes"));
	remove(path);
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_openat", tracefs);
	rmdir(path);
}

/* The back-end serving hook 0 of spec (NULL: the policy does not parse). */
static const char *backend(const char *spec)
{
	static char name[64];
	char buf[2048];
	struct tp_policy_set *set = NULL;
	struct tp_diags d = TP_DIAGS_INIT;
	const struct policy_backend *be;

	snprintf(buf, sizeof(buf),
		 "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: t\nspec:\n%s", spec);
	assert_int_equal(tp_parse("t.yaml", buf, strlen(buf), &set, &d), 0);
	tp_diags_free(&d);
	be = policy_backend_of(NULL, set->policies[0], &set->policies[0]->hooks[0]);
	snprintf(name, sizeof(name), "%s", be ? be->name : "none");
	tp_policy_set_free(set);
	return name;
}

/* Kernel functions: which back-end, and why one is refused (the kernel's BTF types the arguments). */
static void test_kprobes(void **state)
{
	static const char fd_install[] = "  kprobes:\n  - call: fd_install\n    syscall: false\n    args:\n"
					 "    - index: 0\n      type: int\n    - index: 1\n      type: file\n";
	const char *r;

	(void)state;
	/* syscalls are served by their tracepoints whatever the kernel has */
	assert_string_equal(backend("  kprobes:\n  - call: sys_openat\n    syscall: true\n"), "syscall tracepoint");
	assert_string_equal(backend("  kprobes:\n  - call: fd_install\n    syscall: false\n"), "kprobe");
	policy_features_override(with_kprobes);
	multi = true;
	assert_string_equal(backend("  kprobes:\n  - call: fd_install\n    syscall: false\n"), "kprobe.multi");
	assert_string_equal(backend("  options:\n  - name: disable-kprobe-multi\n    value: \"1\"\n"
				    "  kprobes:\n  - call: fd_install\n    syscall: false\n"), "kprobe");
	assert_string_equal(backend("  lists:\n  - name: l\n    type: syscalls\n    values: [sys_dup]\n"
				    "  kprobes:\n  - call: list:l\n"), "syscall tracepoint");
	multi = false;
	policy_features_override(with_kprobes);
	assert_string_equal(backend("  kprobes:\n  - call: fd_install\n    syscall: false\n"), "kprobe");
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		policy_features_override(no_kprobes);
		skip();
		return;
	}
	assert_null(check(fd_install));
	/* a list of kernel functions, a generated one */
	assert_null(check("  lists:\n  - name: l\n    values: [vfs_read, vfs_write]\n"
			  "  kprobes:\n  - call: list:l\n    syscall: false\n    args:\n"
			  "    - index: 0\n      type: file\n    - index: 2\n      type: size_t\n"));
	assert_null(check("  lists:\n  - name: vfs\n    type: generated_ftrace\n    pattern: \"^vfs_*\"\n"
			  "  kprobes:\n  - call: list:vfs\n"));
	r = check("  lists:\n  - name: none\n    type: generated_ftrace\n    pattern: \"^nothing_\"\n"
		  "  kprobes:\n  - call: list:none\n");
	assert_non_null(strstr(r, "list none (generated_ftrace): pattern \"^nothing_\" matches no function of"));
	r = check("  kprobes:\n  - call: no_such_function_here\n    syscall: false\n");
	assert_non_null(strstr(r, "kprobe on no_such_function_here: function no_such_function_here does not exist on "
				  "this kernel (the kernel's BTF and "));
	/* in the kernel's BTF, not in available_filter_functions: inlined or notrace */
	r = check("  kprobes:\n  - call: security_file_permission\n    syscall: false\n");
	assert_non_null(strstr(r, "function security_file_permission cannot be probed: it is not in "));
	assert_non_null(strstr(r, "available_filter_functions (it is inlined into its callers or marked notrace)"));
	/* ignore: callNotFound drops it */
	assert_null(check("  kprobes:\n  - call: security_file_permission\n    syscall: false\n"
			  "    ignore:\n      callNotFound: true\n"));
	r = check("  kprobes:\n  - call: fd_install\n    syscall: false\n    args:\n"
		  "    - index: 1\n      type: string\n");
	assert_non_null(strstr(r, "function fd_install argument 1 is struct file *: type string cannot read it"));
	r = check("  kprobes:\n  - call: fd_install\n    syscall: false\n    args:\n"
		  "    - index: 3\n      type: int\n");
	assert_non_null(strstr(r, "function fd_install has 2 arguments: index 3 is out of range"));
	r = check("  kprobes:\n  - call: fd_install\n    syscall: false\n    args:\n"
		  "    - index: 1\n      type: int\n      resolve: \"f_no_such\"\n");
	assert_non_null(strstr(r, "function fd_install argument 1 (struct file *): resolve \"f_no_such\": struct file "
				  "has no member f_no_such"));
	assert_null(check("  kprobes:\n  - call: fd_install\n    syscall: false\n    args:\n"
			  "    - index: 1\n      type: uint32\n      resolve: \"f_inode.i_ino\"\n"));
	r = check("  kprobes:\n  - call: fd_install\n    syscall: false\n    return: true\n"
		  "    returnArg:\n      index: 0\n      type: file\n");
	assert_non_null(strstr(r, "returnArg type file is not supported on kprobes yet"));
	policy_features_override(no_kprobes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_kprobe_accepted),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_return_probe),
		cmocka_unit_test(test_kprobes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
