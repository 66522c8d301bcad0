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

/*
 * A kernel without kprobes, trampolines nor BPF LSM (this host's), or one
 * with kprobes (and kprobe_multi when multi).
 */
static bool multi;
static bool no_kprobes(int f, char *why, size_t len)
{
	switch (f) {
	case KF_KPROBE: case KF_KRETPROBE: case KF_KPROBE_MULTI:
		snprintf(why, len, "attach kprobe vfs_read: Operation not permitted");
		return false;
	case KF_FENTRY: case KF_FEXIT:
		snprintf(why, len, "load fentry/vfs_read: Operation not permitted");
		return false;
	case KF_BPF_LSM:
		snprintf(why, len, "load lsm/file_open: Operation not permitted");
		return false;
	case KF_OVERRIDE_RETURN:
		snprintf(why, len, "load bpf_override_return: Invalid argument (the kernel lacks "
			 "CONFIG_BPF_KPROBE_OVERRIDE)");
		return false;
	case KF_FMOD_RET: case KF_FMOD_RET_SYSCALL:
		snprintf(why, len, "load fmod_ret/security_file_open: Operation not permitted");
		return false;
	default:
		return true;
	}
}

/*
 * Debian's 6.1 and 6.12 as the VM matrix boots them: everything but
 * bpf_override_return and fmod_ret on syscalls (neither
 * CONFIG_BPF_KPROBE_OVERRIDE nor CONFIG_FUNCTION_ERROR_INJECTION);
 * debian_plus adds both (another distribution's kernel).
 */
static bool debian_plus;
static bool debian(int f, char *why, size_t len)
{
	snprintf(why, len, "ran");
	if (debian_plus)
		return true;
	if (f == KF_OVERRIDE_RETURN) {
		snprintf(why, len, "load bpf_override_return: Invalid argument (the kernel lacks "
			 "CONFIG_BPF_KPROBE_OVERRIDE)");
		return false;
	}
	if (f == KF_FMOD_RET_SYSCALL) {
		snprintf(why, len, "load fmod_ret/__x64_sys_getpgid: Invalid argument: __x64_sys_getpgid() is not "
			 "modifiable (not error-injectable here: the kernel lacks CONFIG_FUNCTION_ERROR_INJECTION)");
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
	fputs("vfs_write\nfd_install\nvfs_read\nvfs_read\nsome_module_fn [nf_tables]\nsecurity_inode_mkdir\n"
	      "do_mkdirat\n", f);
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

/* data: entries: what each source reads, and the reasons for what it cannot */
static void test_data_entries(void **state)
{
#define DATA_HOOK "  kprobes:\n  - call: sys_openat\n    syscall: true\n    data:\n"
	const char *r;

	(void)state;
	r = check(DATA_HOOK "    - {index: 0, type: uint64, source: pt_regs, resolve: rdi}\n"
				    "    - {index: 1, type: int, source: pt_regs, resolve: r10d}\n"
				    "    - {index: 2, type: string, source: current_task, resolve: comm}\n"
				    "    - {index: 3, type: int, source: current_task, resolve: real_parent.tgid}\n"
				    "    selectors:\n    - matchData:\n      - {index: 3, operator: Equal, values: [\"1\"]}\n");
	if (r)
		print_message("refused: %s\n", r);
	assert_null(r);
	r = check(DATA_HOOK "    - {index: 0, type: uint64, source: pt_regs, resolve: xmm0}\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "data source pt_regs: \"xmm0\" is not an x86_64 register"));
	r = check(DATA_HOOK "    - {index: 0, type: file, source: pt_regs, resolve: rdi}\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "data source pt_regs reads integer types and string (a char * in the register), "
				  "not file"));
	r = check(DATA_HOOK "    - {index: 0, type: int, source: current_task, resolve: no_such_member}\n");
	assert_non_null(r);
	assert_non_null(strstr(r, "data resolve no_such_member on current_task (struct task_struct): "));
	r = check(DATA_HOOK "    - {index: 0, type: int, source: current_task, resolve: pid}\n"
			    "    selectors:\n    - matchData:\n      - {index: 0, operator: Prefix, values: [\"1\"]}\n");
	assert_null(r == NULL ? NULL : strstr(r, "data"));
#undef DATA_HOOK
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
	r = check("  usdts:\n  - path: /bin/true\n    provider: p\n    name: n\n");
	assert_non_null(strstr(r, "usdt p:n not found in the binary /bin/true"));
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
	assert_non_null(strstr(r, "only kernel functions (kprobes: with syscall: false, fentries, lsmhooks) and raw tracepoints pass, not a syscall"));
	/* capabilities are integers; char_iovec a user buffer */
	assert_null(check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    args:\n"
			  "    - index: 2\n      type: capability\n    - index: 3\n      type: kernel_cap_t\n"
			  "    - index: 1\n      type: char_iovec\n      sizeArgIndex: 3\n"));
	r = check("  tracepoints:\n  - subsystem: sched\n    event: sched_process_fork\n");
	assert_non_null(strstr(r, "tracepoint sched/sched_process_fork is not available"));
	/* no kprobes, no trampolines: nothing overrides the syscall here */
	r = check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
		  "    - matchActions:\n      - action: Override\n        argError: -1\n");
	assert_string_equal(r, "kprobe on sys_openat: Override on __x64_sys_openat needs bpf_override_return "
			       "(load bpf_override_return: Invalid argument (the kernel lacks "
			       "CONFIG_BPF_KPROBE_OVERRIDE)) or fmod_ret on it (load fmod_ret/security_file_open: "
			       "Operation not permitted), and this kernel has neither; the lsmhook file_open does the "
			       "same (lsmhooks: - hook: \"file_open\" with the Override action: the hook's return value "
			       "fails the operation), on a kernel with BPF LSM active (lsm=...,bpf)");
	r = check("  tracepoints:\n  - subsystem: syscalls\n    event: sys_enter_openat\n    selectors:\n"
		  "    - matchActions:\n      - action: Override\n        argError: -1\n");
	assert_non_null(strstr(r, "action Override: Override makes a kernel function or LSM hook return an error, "
				  "and this hook has neither"));
	/* GetUrl, DnsLookup: the agent runs them from kprobe and tracepoint records */
	assert_null(check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
			  "    - matchActions:\n      - action: GetUrl\n        argUrl: http://x\n"));
	/* namespace and capability changes: against exec_nscaps, on every back-end */
	assert_null(check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
			  "    - matchNamespaceChanges:\n      - operator: In\n        values: [Mnt]\n"
			  "      matchCapabilityChanges:\n      - type: Effective\n        operator: NotIn\n"
			  "        values: [CAP_SYS_ADMIN]\n"));

	/* stack traces: process_kprobe has the fields, process_tracepoint not */
	assert_null(check("  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
			  "    - matchActions:\n      - action: Post\n        kernelStackTrace: true\n"
			  "        userStackTrace: true\n"));
	r = check("  tracepoints:\n  - subsystem: syscalls\n    event: sys_enter_openat\n    selectors:\n"
		  "    - matchActions:\n      - action: Post\n        userStackTrace: true\n");
	assert_non_null(strstr(r, "kernelStackTrace and userStackTrace are reported in process_kprobe events only"));
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

/* A fake /sys/kernel/security/lsm with list; NULL: none (securityfs not mounted). */
static void lsm_list(const char *list)
{
	static char path[128];
	FILE *f;

	if (!list) {
		snprintf(path, sizeof(path), "%s/no-such-lsm-file", tracefs);
		policy_lsm_list_override(path);
		return;
	}
	snprintf(path, sizeof(path), "%s/lsm", tracefs);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(list, f);
	fputs("\n", f);
	fclose(f);
	policy_lsm_list_override(path);
}

static const char lsm_file_open[] =
	"  lsmhooks:\n  - hook: file_open\n    args:\n    - index: 0\n      type: file\n    selectors:\n"
	"    - matchArgs:\n      - index: 0\n        operator: Equal\n        values: [/etc/passwd]\n"
	"      matchActions:\n      - action: Override\n        argError: -13\n";

/* lsmhooks: BPF LSM must be active; arguments typed from bpf_lsm_<hook>; Override's verdict */
static void test_lsm(void **state)
{
	char want[512];
	const char *r;

	(void)state;
	assert_string_equal(backend(lsm_file_open), "bpf lsm");
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	/* this host: the probe's reason */
	lsm_list(NULL);
	r = check(lsm_file_open);
	assert_string_equal(r, "lsmhooks file_open: this kernel cannot run BPF LSM programs: load lsm/file_open: "
			       "Operation not permitted");
	/* a kernel that has BPF LSM, booted without it: how to enable it */
	policy_features_override(debian);
	lsm_list("lockdown,capability,yama,apparmor");
	r = check(lsm_file_open);
	snprintf(want, sizeof(want), "lsmhooks file_open: BPF LSM is not active on this kernel: %s/lsm lists "
		 "\"lockdown,capability,yama,apparmor\", without bpf; boot with lsm=lockdown,capability,yama,apparmor,bpf "
		 "on the kernel command line (the kernel needs CONFIG_BPF_LSM=y)", tracefs);
	assert_string_equal(r, want);
	/* booted with lsm=...,bpf */
	lsm_list("lockdown,capability,yama,apparmor,bpf");
	assert_null(check(lsm_file_open));
	assert_null(check("  lsmhooks:\n  - hook: bprm_check_security\n    args:\n    - index: 0\n"
			  "      type: linux_binprm\n    selectors:\n    - matchArgs:\n      - index: 0\n"
			  "        operator: Postfix\n        values: [/nop]\n      matchActions:\n"
			  "      - action: Sigkill\n      - action: NoPost\n"));
	/* resolve: on the hook's BTF arguments */
	assert_null(check("  lsmhooks:\n  - hook: bprm_check_security\n    args:\n    - index: 0\n"
			  "      type: string\n      resolve: \"mm.owner.real_parent.comm\"\n"));
	r = check("  lsmhooks:\n  - hook: tg_no_such_hook\n");
	assert_non_null(strstr(r, "lsm hook tg_no_such_hook does not exist on this kernel (its BTF has no "
				  "bpf_lsm_tg_no_such_hook)"));
	r = check("  lsmhooks:\n  - hook: file_open\n    args:\n    - index: 0\n      type: string\n");
	assert_non_null(strstr(r, "lsm hook file_open argument 0 is struct file *: type string cannot read it"));
	r = check("  lsmhooks:\n  - hook: file_open\n    args:\n    - index: 1\n      type: int\n");
	assert_non_null(strstr(r, "lsm hook file_open has 1 arguments: index 1 is out of range"));
	/* Override: a verdict is 0 or -errno, and a void hook has none */
	r = check("  lsmhooks:\n  - hook: file_open\n    selectors:\n    - matchActions:\n"
		  "      - action: Override\n        argError: 5\n");
	assert_non_null(strstr(r, "argError 5: an LSM hook's verdict is 0 or a negative errno (-4095..-1)"));
	r = check("  lsmhooks:\n  - hook: file_free_security\n    selectors:\n    - matchActions:\n"
		  "      - action: Override\n        argError: -1\n");
	assert_non_null(strstr(r, "lsm hook file_free_security returns nothing: Override cannot fail it"));
	lsm_list(NULL);
	policy_features_override(no_kprobes);
}

static const char fentry_read[] =
	"  fentries:\n  - call: vfs_read\n    syscall: false\n    args:\n    - index: 0\n      type: file\n"
	"    - index: 2\n      type: size_t\n";

/* fentries: trampolines, typed from BTF, one per function; no syscalls, no enforcement */
static void test_fentry(void **state)
{
	const char *r;

	(void)state;
	assert_string_equal(backend(fentry_read), "fentry");
	r = check(fentry_read);
	assert_string_equal(r, "fentry on vfs_read: this kernel cannot run fentry programs (BPF trampolines): "
			       "load fentry/vfs_read: Operation not permitted");
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	policy_features_override(debian);
	assert_null(check(fentry_read));
	assert_null(check("  lists:\n  - name: rw\n    values: [vfs_read, vfs_write]\n"
			  "  fentries:\n  - call: list:rw\n    syscall: false\n    args:\n"
			  "    - index: 0\n      type: file\n"));
	/* fexit with the return value */
	assert_null(check("  fentries:\n  - call: do_mkdirat\n    syscall: false\n    return: true\n    args:\n"
			  "    - index: 1\n      type: string\n      resolve: name\n    returnArg:\n      index: 0\n"
			  "      type: int\n    selectors:\n    - matchReturnArgs:\n      - index: 0\n"
			  "        operator: Equal\n        values: [-17]\n"));
	r = check("  fentries:\n  - call: vfs_read\n");
	assert_non_null(strstr(r, "fentry on vfs_read: syscall: true is not supported on fentries"));
	r = check("  fentries:\n  - call: tg_no_such_function\n    syscall: false\n");
	assert_non_null(strstr(r, "fentry on tg_no_such_function: the kernel's BTF has no function "
				  "tg_no_such_function (fentry attaches to functions the kernel's BTF describes"));
	assert_null(check("  fentries:\n  - call: tg_no_such_function\n    syscall: false\n"
			  "    ignore:\n      callNotFound: true\n"));
	r = check("  fentries:\n  - call: security_file_permission\n    syscall: false\n");
	assert_non_null(strstr(r, "fentry on security_file_permission: it cannot be traced: it is not in "));
	r = check("  fentries:\n  - call: vfs_read\n    syscall: false\n    args:\n    - index: 0\n"
		  "      type: int\n      resolve: f_nope\n");
	assert_non_null(strstr(r, "function vfs_read argument 0 (struct file *): resolve \"f_nope\": struct file has "
				  "no member f_nope"));
	policy_features_override(no_kprobes);
}

/* How Override runs: per hook, per kernel, per override-method; or why it cannot */
static void test_override(void **state)
{
	static const char mkdir_override[] =
		"  kprobes:\n  - call: security_inode_mkdir\n    syscall: false\n    selectors:\n"
		"    - matchActions:\n      - action: Override\n        argError: -1\n";
	static const char openat_override[] =
		"  kprobes:\n  - call: sys_openat\n    syscall: true\n    selectors:\n"
		"    - matchActions:\n      - action: Override\n        argError: -1\n";
	struct tp_policy_set *set = NULL;
	struct tp_diags d = TP_DIAGS_INIT;
	char why[768], buf[512];
	const char *r;
	int m;

	(void)state;
	/* the choice itself */
	snprintf(buf, sizeof(buf), "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: t\n"
		 "spec:\n%s", mkdir_override);
	assert_int_equal(tp_parse("t.yaml", buf, strlen(buf), &set, &d), 0);
	tp_diags_free(&d);
	policy_features_override(debian);
	debian_plus = false;
	assert_null(policy_ovr_choose(set->policies[0], "k", "security_inode_mkdir", NULL, &m, why, sizeof(why)));
	assert_int_equal(m, POLICY_OVR_FMOD_RET);
	r = policy_ovr_choose(set->policies[0], "k", "__x64_sys_linkat", "sys_linkat", &m, why, sizeof(why));
	assert_non_null(r);
	assert_int_equal(m, POLICY_OVR_NONE);
	debian_plus = true;
	policy_features_override(debian);
	/* bpf_override_return first for what it can do, fmod_ret for security_ functions */
	assert_null(policy_ovr_choose(set->policies[0], "k", "__x64_sys_linkat", "sys_linkat", &m, why, sizeof(why)));
	assert_int_equal(m, POLICY_OVR_RETURN);
	assert_null(policy_ovr_choose(set->policies[0], "k", "security_inode_mkdir", NULL, &m, why, sizeof(why)));
	assert_int_equal(m, POLICY_OVR_FMOD_RET);
	/* override-method */
	set->policies[0]->opts.override_method = TP_OVERRIDE_FMOD_RET;
	assert_null(policy_ovr_choose(set->policies[0], "k", "__x64_sys_linkat", "sys_linkat", &m, why, sizeof(why)));
	assert_int_equal(m, POLICY_OVR_FMOD_RET);
	set->policies[0]->opts.override_method = TP_OVERRIDE_RETURN;
	r = policy_ovr_choose(set->policies[0], "k", "security_inode_mkdir", NULL, &m, why, sizeof(why));
	assert_non_null(strstr(r, "k: override-method override-return: bpf_override_return cannot override "
				  "security_inode_mkdir (security_ functions are not on the kernel's error-injection "
				  "list); fmod-ret can; the lsmhook inode_mkdir does the same"));
	debian_plus = false;
	policy_features_override(debian);
	r = policy_ovr_choose(set->policies[0], "k", "__x64_sys_linkat", "sys_linkat", &m, why, sizeof(why));
	assert_non_null(strstr(r, "k: override-method override-return: this kernel has no bpf_override_return "
				  "(load bpf_override_return: Invalid argument (the kernel lacks "
				  "CONFIG_BPF_KPROBE_OVERRIDE)); the lsmhook path_link does the same"));
	set->policies[0]->opts.override_method = TP_OVERRIDE_FMOD_RET;
	r = policy_ovr_choose(set->policies[0], "k", "__x64_sys_linkat", "sys_linkat", &m, why, sizeof(why));
	assert_non_null(strstr(r, "k: override-method fmod-ret: fmod_ret can modify __x64_sys_linkat only on a kernel "
				  "whose error-injection list has it (load fmod_ret/__x64_sys_getpgid: Invalid argument: "
				  "__x64_sys_getpgid() is not modifiable (not error-injectable here: the kernel lacks "
				  "CONFIG_FUNCTION_ERROR_INJECTION)); the lsmhook path_link does the same"));
	/* a syscall with no LSM counterpart */
	set->policies[0]->opts.override_method = TP_OVERRIDE_DEFAULT;
	r = policy_ovr_choose(set->policies[0], "k", "__x64_sys_getppid", "sys_getppid", &m, why, sizeof(why));
	assert_non_null(strstr(r, "; no lsmhook is known to do the same for sys_getppid (Sigkill and Signal need "
				  "neither)"));
	tp_policy_set_free(set);

	/* whole policies on Debian's kernels: security_ by fmod_ret, a syscall refused with the lsmhook */
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		assert_null(check(mkdir_override));
	r = check(openat_override);
	assert_string_equal(r, "kprobe on sys_openat: Override on __x64_sys_openat needs bpf_override_return (load "
			       "bpf_override_return: Invalid argument (the kernel lacks CONFIG_BPF_KPROBE_OVERRIDE)) or "
			       "fmod_ret on it (load fmod_ret/__x64_sys_getpgid: Invalid argument: __x64_sys_getpgid() is "
			       "not modifiable (not error-injectable here: the kernel lacks "
			       "CONFIG_FUNCTION_ERROR_INJECTION)), and this kernel has neither; the lsmhook file_open "
			       "does the same (lsmhooks: - hook: \"file_open\" with the Override action: the hook's "
			       "return value fails the operation)");
	r = check("  lists:\n  - name: g\n    type: generated_syscalls\n"
		  "  kprobes:\n  - call: list:g\n    selectors:\n"
		  "    - matchActions:\n      - action: Override\n        argError: -1\n");
	assert_non_null(strstr(r, "Override is not supported on generated syscall lists"));
	debian_plus = true;
	policy_features_override(debian);
	assert_null(check(openat_override));
	debian_plus = false;
	policy_features_override(no_kprobes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_kprobe_accepted),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_data_entries),
		cmocka_unit_test(test_return_probe),
		cmocka_unit_test(test_kprobes),
		cmocka_unit_test(test_lsm),
		cmocka_unit_test(test_fentry),
		cmocka_unit_test(test_override),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
