// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "encode/compact.h"
#include "encode/goquote.h"
#include "google/protobuf/timestamp.pb-c.h"

struct fixture {
	Tetragon__GetEventsResponse ev;
	Tetragon__ProcessExec exec;
	Tetragon__ProcessExit exit;
	Tetragon__Process proc;
	Tetragon__Capabilities cap;
	Tetragon__CapabilitiesType eff[2];
	Tetragon__Pod pod;
	Google__Protobuf__Timestamp ts;
};

static void setup_exec(struct fixture *f, const char *binary, const char *args)
{
	memset(f, 0, sizeof(*f));
	tetragon__get_events_response__init(&f->ev);
	tetragon__process_exec__init(&f->exec);
	tetragon__process__init(&f->proc);
	f->proc.binary = (char *)binary;
	f->proc.arguments = (char *)args;
	f->exec.process = &f->proc;
	f->ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
	f->ev.process_exec = &f->exec;
	f->ev.node_name = "node1";
}

static char *encode(const Tetragon__GetEventsResponse *ev, int color, int ts)
{
	struct compact_opts o = { .color = color, .timestamps = ts };
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(compact_encode(&sb, ev, &o), 0);
	return strbuf_detach(&sb, NULL);
}

static void test_exec_plain(void **state)
{
	struct fixture f;
	char *s;

	(void)state;
	setup_exec(&f, "/usr/bin/curl", "https://ebpf.io/applications/#tetragon");
	s = encode(&f.ev, 0, 0);
	assert_string_equal(s, "🚀 process node1 /usr/bin/curl https://ebpf.io/applications/#tetragon");
	free(s);
}

static void test_exec_quoted_args_and_pod(void **state)
{
	struct fixture f;
	char *s;

	(void)state;
	setup_exec(&f, "/bin/true", "\"hello world\" it's");
	tetragon__pod__init(&f.pod);
	f.pod.namespace_ = "default";
	f.pod.name = "xwing";
	f.proc.pod = &f.pod;
	s = encode(&f.ev, 0, 0);
	assert_string_equal(s, "🚀 process default/xwing /bin/true \"\\\"hello world\\\" it's\"");
	free(s);
}

static void test_exit_status_and_signal(void **state)
{
	struct fixture f;
	char *s;

	(void)state;
	setup_exec(&f, "/usr/bin/curl", "https://ebpf.io/applications/#tetragon");
	tetragon__process_exit__init(&f.exit);
	f.exit.process = &f.proc;
	f.exit.status = 60;
	f.ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT;
	f.ev.process_exit = &f.exit;
	s = encode(&f.ev, 0, 0);
	assert_string_equal(s, "💥 exit    node1 /usr/bin/curl https://ebpf.io/applications/#tetragon 60");
	free(s);
	f.exit.signal = "SIGKILL";
	s = encode(&f.ev, 0, 0);
	assert_string_equal(s, "💥 exit    node1 /usr/bin/curl https://ebpf.io/applications/#tetragon SIGKILL");
	free(s);
	f.exit.signal = NULL;
	f.exit.status = 0;
	s = encode(&f.ev, 0, 0);
	assert_string_equal(s, "💥 exit    node1 /usr/bin/curl https://ebpf.io/applications/#tetragon 0");
	free(s);
}

static void test_caps_trailer_at_column_120(void **state)
{
	struct fixture f;
	char *s, want[256];
	const char *line = "🚀 process node1 /nginx \"-g daemon off;\"";

	(void)state;
	setup_exec(&f, "/nginx", "-g daemon off;");
	tetragon__capabilities__init(&f.cap);
	f.eff[0] = TETRAGON__CAPABILITIES_TYPE__CAP_CHOWN;
	f.eff[1] = TETRAGON__CAPABILITIES_TYPE__CAP_SYS_ADMIN;
	f.cap.effective = f.eff;
	f.cap.n_effective = 2;
	f.proc.cap = &f.cap;
	s = encode(&f.ev, 0, 0);
	/* Go: "%s %*s", width 120 - len(line) in bytes, padding counted in runes:
	 * "🛑 CAP_SYS_ADMIN" is 15 runes (18 bytes) */
	snprintf(want, sizeof(want), "%s %*s%s", line, (int)(120 - strlen(line) - 15), "",
		 "🛑 CAP_SYS_ADMIN");
	assert_string_equal(s, want);
	free(s);
}

static void test_color_and_timestamp(void **state)
{
	struct fixture f;
	char *s;

	(void)state;
	setup_exec(&f, "/bin/ls", "-l");
	google__protobuf__timestamp__init(&f.ts);
	f.ts.seconds = 1696629837;
	f.ts.nanos = 700326678;
	f.ev.time = &f.ts;
	s = encode(&f.ev, 1, 1);
	assert_string_equal(s, "2023-10-06T22:03:57.700326678Z \x1b[34m🚀 process\x1b[0m \x1b[32mnode1\x1b[0m "
			       "\x1b[35m/bin/ls\x1b[0m \x1b[36m-l\x1b[0m");
	free(s);
}

static void test_no_process_is_enoent(void **state)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	setup_exec(&f, "/bin/ls", "");
	f.exec.process = NULL;
	assert_int_equal(compact_encode(&sb, &f.ev, NULL), -ENOENT);
	assert_int_equal(sb.len, 0);
	strbuf_free(&sb);
}

/* upstream: "🕵️ uprobe  <source> <binary> <path> <symbol>", path and symbol maybe-quoted */
static void test_uprobe(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessUprobe up = TETRAGON__PROCESS_UPROBE__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	char *s;

	(void)state;
	proc.binary = "/usr/bin/bash";
	up.process = &proc;
	up.path = "/bin/bash";
	up.symbol = "readline";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE;
	ev.process_uprobe = &up;
	ev.node_name = "node1";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "🕵️ uprobe  node1 /usr/bin/bash /bin/bash readline");
	free(s);
	up.path = "/opt/my app/lib.so";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "🕵️ uprobe  node1 /usr/bin/bash \"/opt/my app/lib.so\" readline");
	free(s);
}

/* upstream: "🧬 loader  <source> <binary> [<build id in hex> ]<path>" */
static void test_loader(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessLoader ld = TETRAGON__PROCESS_LOADER__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	uint8_t bid[3] = { 0x0a, 0xbc, 0xff };
	char *s;

	(void)state;
	proc.binary = "/usr/bin/true";
	ld.process = &proc;
	ld.path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	ld.buildid.data = bid;
	ld.buildid.len = sizeof(bid);
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LOADER;
	ev.process_loader = &ld;
	ev.node_name = "node1";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "🧬 loader  node1 /usr/bin/true 0abcff /usr/lib/x86_64-linux-gnu/libc.so.6");
	free(s);
	ld.buildid.len = 0;
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "🧬 loader  node1 /usr/bin/true /usr/lib/x86_64-linux-gnu/libc.so.6");
	free(s);
}

/* upstream names a few syscalls: write/read with the fd's file and the size, open(at), close... */
static void test_kprobe_syscalls(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	Tetragon__KprobeArgument a0 = TETRAGON__KPROBE_ARGUMENT__INIT, a1 = TETRAGON__KPROBE_ARGUMENT__INIT,
				 a2 = TETRAGON__KPROBE_ARGUMENT__INIT, *args[3] = { &a0, &a1, &a2 };
	Tetragon__KprobeFile file = TETRAGON__KPROBE_FILE__INIT;
	char *s;

	(void)state;
	proc.binary = "/usr/bin/cat";
	kp.process = &proc;
	kp.args = args;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
	ev.process_kprobe = &kp;
	ev.node_name = "node1";
	file.path = "/etc/my file";
	a0.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_FILE_ARG;
	a0.file_arg = &file;
	a1.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BYTES_ARG;
	a2.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SIZE_ARG;
	a2.size_arg = 100;
	kp.n_args = 3;
	kp.function_name = "__x64_sys_write";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\x9d write   node1 /usr/bin/cat \"/etc/my file\" 100 bytes");
	free(s);
	kp.function_name = "__x64_sys_read";
	kp.n_args = 1;
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\x9a read    node1 /usr/bin/cat \"/etc/my file\" ");
	free(s);
	kp.function_name = "__x64_sys_close";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\xaa close   node1 /usr/bin/cat \"/etc/my file\"");
	free(s);
	a1.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_STRING_ARG;
	a1.string_arg = "/etc/passwd";
	kp.n_args = 2;
	kp.function_name = "__x64_sys_openat";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\xac\xef\xb8\x8f openat  node1 /usr/bin/cat /etc/passwd");
	free(s);
	a1.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_INT_ARG;
	a1.int_arg = 0x40000000;
	kp.function_name = "__x64_sys_setns";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x94\xa7 setns   node1 /usr/bin/cat net");
	free(s);
	kp.function_name = "__x64_sys_unlinkat";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xe2\x9d\x93 syscall node1 /usr/bin/cat __x64_sys_unlinkat");
	free(s);
}

/* The kernel functions with lines of their own, as upstream's compact encoder prints them. */
static void test_kprobe_kernel_functions(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	Tetragon__KprobeArgument a0 = TETRAGON__KPROBE_ARGUMENT__INIT, a1 = TETRAGON__KPROBE_ARGUMENT__INIT,
				 *args[2] = { &a0, &a1 };
	Tetragon__KprobeFile file = TETRAGON__KPROBE_FILE__INIT;
	Tetragon__KprobePath path = TETRAGON__KPROBE_PATH__INIT;
	Tetragon__KprobeSock sock = TETRAGON__KPROBE_SOCK__INIT;
	Tetragon__KprobeBpfAttr attr = TETRAGON__KPROBE_BPF_ATTR__INIT;
	Tetragon__KprobeBpfMap map = TETRAGON__KPROBE_BPF_MAP__INIT;
	Tetragon__KprobePerfEvent perf = TETRAGON__KPROBE_PERF_EVENT__INIT;
	char *s;

	(void)state;
	proc.binary = "/usr/bin/curl";
	kp.process = &proc;
	kp.args = args;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
	ev.process_kprobe = &kp;
	ev.node_name = "node1";

	sock.saddr = "10.0.0.1";
	sock.sport = 40000;
	sock.daddr = "1.1.1.1";
	sock.dport = 443;
	a0.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SOCK_ARG;
	a0.sock_arg = &sock;
	kp.n_args = 1;
	kp.function_name = "tcp_connect";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x94\x8c connect node1 /usr/bin/curl tcp 10.0.0.1:40000 -> 1.1.1.1:443");
	free(s);
	kp.function_name = "tcp_close";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\xa7\xb9 close   node1 /usr/bin/curl tcp 10.0.0.1:40000 -> 1.1.1.1:443");
	free(s);
	a1.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_INT_ARG;
	a1.int_arg = 517;
	kp.n_args = 2;
	kp.function_name = "tcp_sendmsg";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\xa4 sendmsg node1 /usr/bin/curl tcp 10.0.0.1:40000 -> 1.1.1.1:443 bytes 517");
	free(s);

	file.path = "/etc/shadow";
	a0.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_FILE_ARG;
	a0.file_arg = &file;
	a1.int_arg = 0x04;
	kp.function_name = "security_file_permission";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\x9a read    node1 /usr/bin/curl /etc/shadow");
	free(s);
	a1.int_arg = 0x02;
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\x9d write   node1 /usr/bin/curl /etc/shadow");
	free(s);
	a1.int_arg = 0x08;	/* neither: the function's own name */
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xe2\x9d\x93 security_file_permission node1 /usr/bin/curl /etc/shadow");
	free(s);
	a1.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_UINT_ARG;
	a1.uint_arg = 0x05;
	kp.function_name = "security_mmap_file";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\x9d mmap-rx node1 /usr/bin/curl /etc/shadow");
	free(s);
	kp.function_name = "security_file_truncate";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\x9d truncate node1 /usr/bin/curl /etc/shadow");
	free(s);
	kp.n_args = 0;
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xe2\x9d\x93 security_file_truncate node1 /usr/bin/curl ");
	free(s);
	path.path = "/tmp/a b";
	a0.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_PATH_ARG;
	a0.path_arg = &path;
	kp.n_args = 1;
	kp.function_name = "security_path_truncate";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\x9d truncate node1 /usr/bin/curl \"/tmp/a b\"");
	free(s);
	a1.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_FILE_ARG;
	a1.file_arg = &file;
	kp.n_args = 2;
	kp.function_name = "fd_install";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x93\xac open    node1 /usr/bin/curl /etc/shadow");
	free(s);

	attr.progtype = "BPF_PROG_TYPE_KPROBE";
	attr.progname = "probe";
	attr.insncnt = 12;
	a0.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BPF_ATTR_ARG;
	a0.bpf_attr_arg = &attr;
	kp.n_args = 1;
	kp.function_name = "bpf_check";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x90\x9d bpf_load node1 /usr/bin/curl BPF_PROG_TYPE_KPROBE probe instruction count 12");
	free(s);
	map.maptype = "BPF_MAP_TYPE_HASH";
	map.mapname = "m";
	map.keysize = 4;
	map.valuesize = 8;
	map.maxentries = 1024;
	a0.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BPF_MAP_ARG;
	a0.bpf_map_arg = &map;
	kp.function_name = "security_bpf_map_create";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x97\xba bpf_map_create node1 /usr/bin/curl BPF_MAP_TYPE_HASH m key size 4 value size 8 max entries 1024");
	free(s);
	perf.type = "PERF_TYPE_TRACEPOINT";
	perf.kprobefunc = "";
	a0.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_PERF_EVENT_ARG;
	a0.perf_event_arg = &perf;
	kp.function_name = "security_perf_event_alloc";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x90\x9d perf_event_alloc node1 /usr/bin/curl PERF_TYPE_TRACEPOINT ");
	free(s);
	kp.function_name = "proc_exec_connector";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xf0\x9f\x94\xa7 proc_exec_connector node1 /usr/bin/curl");
	free(s);
}

/* Untrusted strings never reach the terminal raw: no ESC, no newline, whatever the field. */
/* upstream's HumanStackTrace: the event line, then "Kernel:" and "User:" blocks */
static void test_kprobe_stack_traces(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	Tetragon__StackTraceEntry k0 = TETRAGON__STACK_TRACE_ENTRY__INIT, k1 = TETRAGON__STACK_TRACE_ENTRY__INIT,
				  u0 = TETRAGON__STACK_TRACE_ENTRY__INIT, u1 = TETRAGON__STACK_TRACE_ENTRY__INIT;
	Tetragon__StackTraceEntry *ks[] = { &k0, &k1 }, *us[] = { &u0, &u1 };
	char *s;

	(void)state;
	proc.binary = "/usr/bin/curl";
	kp.process = &proc;
	kp.function_name = "kfree_skb_reason";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
	ev.process_kprobe = &kp;
	ev.node_name = "node1";
	k0.address = 0xffffffffa13f2de5ULL;
	k0.symbol = "kfree_skb_reason";
	k0.offset = 5;
	k1.symbol = "do_syscall_64";	/* address hidden: 0x0, as upstream's */
	k1.offset = 0x58;
	u0.address = 0x7f878cf2752bULL;
	u0.symbol = "__connect";
	u0.module = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	u0.offset = 0x12752b;
	u1.symbol = "";
	u1.module = "/usr/lib/x86_64-linux-gnu/libcurl.so.4.7.0";
	u1.offset = 0x1a167;
	kp.n_kernel_stack_trace = 2;
	kp.kernel_stack_trace = ks;
	kp.n_user_stack_trace = 2;
	kp.user_stack_trace = us;
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xe2\x9d\x93 syscall node1 /usr/bin/curl kfree_skb_reason\n"
			       "Kernel:\n"
			       "   0xffffffffa13f2de5: kfree_skb_reason+0x5\n"
			       "   0x0: do_syscall_64+0x58\n"
			       "User:\n"
			       "   0x7f878cf2752b: __connect (/usr/lib/x86_64-linux-gnu/libc.so.6+0x12752b)\n"
			       "   0x0: (/usr/lib/x86_64-linux-gnu/libcurl.so.4.7.0+0x1a167)");
	free(s);
}

static void test_no_raw_control_bytes(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessTracepoint tp = TETRAGON__PROCESS_TRACEPOINT__INIT;
	Tetragon__ProcessLsm lsm = TETRAGON__PROCESS_LSM__INIT;
	Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT;
	Tetragon__Pod pod = TETRAGON__POD__INIT;
	struct fixture f;
	char *s;

	(void)state;
	/* a binary and arguments an unprivileged user chose */
	setup_exec(&f, "/tmp/\x1b]0;owned\x07x", "\x1b[2J\ncleared");
	s = encode(&f.ev, 0, 0);
	assert_string_equal(s, "🚀 process node1 \"/tmp/\\x1b]0;owned\\ax\" \"\\x1b[2J\\ncleared\"");
	free(s);
	/* what the server sends: pod names, tracepoint and function names */
	proc.binary = "/bin/sh";
	pod.namespace_ = "ns\x1b[31m";
	pod.name = "p\nq";
	proc.pod = &pod;
	tp.process = &proc;
	tp.subsys = "sched\x1b[0m";
	tp.event = "ev";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT;
	ev.process_tracepoint = &tp;
	s = encode(&ev, 0, 0);
	assert_null(strchr(s, '\x1b'));
	assert_null(strchr(s, '\n'));
	assert_string_equal(s, "⁉️ tracepoint \"ns\\x1b[31m\"/\"p\\nq\" /bin/sh \"sched\\x1b[0m\" ev");
	free(s);
	proc.pod = NULL;
	lsm.process = &proc;
	lsm.function_name = "file_open\x1b";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM;
	ev.process_lsm = &lsm;
	ev.node_name = "node1";
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "🔒 LSM     node1 /bin/sh \"file_open\\x1b\"");
	free(s);
	kp.process = &proc;
	kp.function_name = "sys_x\x1b[31m";
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
	ev.process_kprobe = &kp;
	s = encode(&ev, 0, 0);
	assert_string_equal(s, "\xe2\x9d\x93 syscall node1 /bin/sh \"sys_x\\x1b[31m\"");
	free(s);
}

static void test_go_quote(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	go_quote(&sb, "a\"b\\c\n\t\x01\xff é", 12);
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\n\\t\\x01\\xff é\"");
	strbuf_reset(&sb);
	go_maybe_quote(&sb, "plain/path");
	assert_string_equal(sb.buf, "plain/path");
	strbuf_reset(&sb);
	go_maybe_quote(&sb, "has space");
	assert_string_equal(sb.buf, "\"has space\"");
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_plain),
		cmocka_unit_test(test_exec_quoted_args_and_pod),
		cmocka_unit_test(test_exit_status_and_signal),
		cmocka_unit_test(test_caps_trailer_at_column_120),
		cmocka_unit_test(test_color_and_timestamp),
		cmocka_unit_test(test_no_process_is_enoent),
		cmocka_unit_test(test_go_quote),
		cmocka_unit_test(test_no_raw_control_bytes),
		cmocka_unit_test(test_uprobe),
		cmocka_unit_test(test_loader),
		cmocka_unit_test(test_kprobe_syscalls),
		cmocka_unit_test(test_kprobe_kernel_functions),
		cmocka_unit_test(test_kprobe_stack_traces),
	};
	return cmocka_run_group_tests_name("compact", tests, NULL, NULL);
}
