// SPDX-License-Identifier: Apache-2.0
/*
 * Kernel BPF feature probes (`tetragon --probe-features`). Each probe loads a
 * hand-assembled program that counts its runs in a one-slot array, attaches
 * it the way a sensor would, makes this process hit the hook, and reads the
 * count back: "attached" is not enough (a BPF LSM program attaches fine on a
 * kernel booted without lsm=bpf, and never runs).
 */
#include "kernel/features.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/environment.h"

#define TRACEFS_MAGIC_NR 0x74726163
/* Stable, exported, never inlined, and reached by read(2). */
#define PROBE_FUNC "vfs_read"
#define LSM_HOOK "bpf_lsm_file_open"
/* Syscall entry points are on the error-injection list (x86_64 names). */
#define OVERRIDE_FUNC "__x64_sys_getppid"
#define OVERRIDE_ERR EDOM
/*
 * fmod_ret needs its target in BTF: a syscall with arguments (those
 * without are aliases, which BTF does not describe); getpgid(0) is harmless.
 */
#define FMOD_SYSCALL_FUNC "__x64_sys_getpgid"

#define LICENSE "Dual BSD/GPL"	/* several helpers and LSM need GPL-compatible */

static const char *const names[KF__COUNT] = {
	[KF_BTF] = "btf",
	[KF_RINGBUF] = "ringbuf",
	[KF_TRACEPOINT] = "tracepoint",
	[KF_RAW_TRACEPOINT] = "raw_tracepoint",
	[KF_TP_BTF] = "tp_btf",
	[KF_KPROBE] = "kprobe",
	[KF_KRETPROBE] = "kretprobe",
	[KF_KPROBE_MULTI] = "kprobe_multi",
	[KF_FENTRY] = "fentry",
	[KF_FEXIT] = "fexit",
	[KF_BPF_LSM] = "bpf_lsm",
	[KF_OVERRIDE_RETURN] = "override_return",
	[KF_UPROBE] = "uprobe",
	[KF_URETPROBE] = "uretprobe",
	[KF_SEND_SIGNAL] = "send_signal",
	[KF_FMOD_RET] = "fmod_ret",
	[KF_FMOD_RET_SYSCALL] = "fmod_ret_syscall",
};

const char *kfeature_name(enum kfeature f)
{
	return (unsigned)f < KF__COUNT ? names[f] : "?";
}

struct probe {
	char *why;
	size_t len;
	int map_fd;
	int prog_fd;
	int attach_fd;
	struct btf *btf;
};

__attribute__((format(printf, 2, 3)))
static bool say(struct probe *p, const char *fmt, ...)
{
	int saved = errno;	/* callers look at the failure's errno after */
	va_list ap;

	if (p->why && p->len) {
		va_start(ap, fmt);
		vsnprintf(p->why, p->len, fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return false;
}

static void append(struct probe *p, const char *s)
{
	size_t n = p->why ? strlen(p->why) : 0;

	if (p->why && n + 1 < p->len)
		snprintf(p->why + n, p->len - n, "%s", s);
}

/* ---- hand-assembled programs ------------------------------------------------------- */

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MAX_INSNS 16

/* counts[0]++ ; return 0 (0 is also "allow" for an LSM hook) */
static size_t counter_prog(struct bpf_insn *in, int map_fd)
{
	size_t n = 0;

	in[n++] = INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0);
	in[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	in[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
	in[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd);
	in[n++] = INSN(0, 0, 0, 0, 0);
	in[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	in[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0);
	in[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
	in[n++] = INSN(BPF_STX | BPF_DW | BPF_ATOMIC, BPF_REG_0, BPF_REG_1, 0, BPF_ADD);
	in[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	in[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

/*
 * if (current tgid == @tgid) helper(r1, r2); return 0. Only this process is
 * affected by an override or a signal, whoever else hits the hook.
 */
static size_t self_only_prog(struct bpf_insn *in, int tgid, int helper, int r1_from_ctx, int r1, int r2)
{
	size_t n = 0;

	in[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	in[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid);
	in[n++] = INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32);
	in[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 3, tgid);
	in[n++] = r1_from_ctx ? INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0)
			      : INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, r1);
	in[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, r2);
	in[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, helper);
	in[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	in[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

/* return (current tgid == @tgid) ? @ret : 0: an fmod_ret program that fails this process' calls only. */
static size_t self_fail_prog(struct bpf_insn *in, int tgid, int ret)
{
	size_t n = 0;

	in[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid);
	in[n++] = INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32);
	in[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, tgid);
	in[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, ret);
	in[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	in[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	in[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

/* The verifier's last line that is not its statistics says why it refused. */
static const char *log_tail(char *log)
{
	char *end = log + strlen(log), *p;

	for (;;) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		p = strrchr(log, '\n');
		p = p ? p + 1 : log;
		if (p == log || (strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17)))
			return p;
		end = p;
	}
}

static bool load(struct probe *p, const char *what, enum bpf_prog_type type,
		 enum bpf_attach_type eat, __u32 btf_id, const struct bpf_insn *in, size_t n)
{
	static char log[8192];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat, .attach_btf_id = btf_id,
		    .log_buf = log, .log_size = sizeof(log));

	log[0] = '\0';
	p->prog_fd = bpf_prog_load(type, "tg_feature", LICENSE, in, n, &o);
	if (p->prog_fd < 0) {
		int err = p->prog_fd;

		p->prog_fd = -1;
		return say(p, "load %s: %s%s%s", what, strerror(-err), log[0] ? ": " : "",
			   log[0] ? log_tail(log) : "");
	}
	return true;
}

static bool load_counter(struct probe *p, const char *what, enum bpf_prog_type type,
			 enum bpf_attach_type eat, __u32 btf_id)
{
	struct bpf_insn in[MAX_INSNS];

	p->map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tg_feature", 4, 8, 1, NULL);
	if (p->map_fd < 0) {
		int err = p->map_fd;

		p->map_fd = -1;
		return say(p, "array map: %s", strerror(-err));
	}
	return load(p, what, type, eat, btf_id, in, counter_prog(in, p->map_fd));
}

/* ---- attaching ------------------------------------------------------------------ */

static bool vmlinux_id(struct probe *p, const char *name, int kind, __u32 *id)
{
	int r;

	if (!p->btf) {
		p->btf = btf__load_vmlinux_btf();
		if (!p->btf)
			return say(p, "no vmlinux BTF: %s", strerror(errno));
	}
	r = btf__find_by_name_kind(p->btf, name, kind);
	if (r < 0)
		return say(p, "%s is not in the kernel's BTF", name);
	*id = (__u32)r;
	return true;
}

static int read_sysfs_int(const char *path, const char *fmt, int *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, fmt, v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* A kprobe or uprobe through its perf PMU, with the program on it. */
static bool attach_pmu(struct probe *p, const char *pmu, bool ret, const char *name, uint64_t off)
{
	struct perf_event_attr a;
	char path[128];
	int type, bit = 0, err;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu);
	err = read_sysfs_int(path, "%d", &type);
	if (err)
		return say(p, "no %s PMU (%s: %s): the kernel lacks CONFIG_%s_EVENTS", pmu, path,
			   strerror(-err), !strcmp(pmu, "kprobe") ? "KPROBE" : "UPROBE");
	if (ret) {
		snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/format/retprobe", pmu);
		err = read_sysfs_int(path, "config:%d", &bit);
		if (err || bit < 0 || bit > 63)
			return say(p, "%s PMU has no retprobe bit (%s)", pmu, path);
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = (__u32)type;
	a.config = ret ? 1ULL << bit : 0;
	a.config1 = (__u64)(uintptr_t)name;	/* kprobe_func / uprobe_path */
	a.config2 = off;			/* probe_offset */
	a.sample_period = 1;
	p->attach_fd = (int)syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (p->attach_fd < 0)
		return say(p, "perf_event_open %s%s %s: %s", pmu, ret ? " (return)" : "", name,
			   strerror(errno));
	if (ioctl(p->attach_fd, PERF_EVENT_IOC_SET_BPF, p->prog_fd) ||
	    ioctl(p->attach_fd, PERF_EVENT_IOC_ENABLE, 0))
		return say(p, "attach to %s %s: %s", pmu, name, strerror(errno));
	return true;
}

/* fentry/fexit/LSM/tp_btf: the program's BTF target is its attach point. */
static bool attach_btf(struct probe *p, const char *what)
{
	p->attach_fd = bpf_raw_tracepoint_open(NULL, p->prog_fd);
	if (p->attach_fd < 0) {
		int err = p->attach_fd;

		p->attach_fd = -1;
		return say(p, "attach %s: %s", what, strerror(-err));
	}
	return true;
}

/* ---- making the hooks fire ----------------------------------------------------- */

/* Probed by the uprobe tests: a real call, never inlined or cloned. */
__attribute__((noinline)) int tg_features_uprobe_target(int x);
__attribute__((noinline)) int tg_features_uprobe_target(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

static int (*volatile uprobe_target)(int) = tg_features_uprobe_target;

/* read(2) -> sys_enter, vfs_read; open(2) -> file_open; and the uprobe. */
static void trigger(void)
{
	char buf[64];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			buf[0] = '\0';
		close(fd);
	}
	(void)uprobe_target(1);
}

static bool ran(struct probe *p, const char *what, const char *hint)
{
	__u32 k = 0;
	__u64 v = 0;

	trigger();
	if (bpf_map_lookup_elem(p->map_fd, &k, &v))
		return say(p, "reading the run counter: %s", strerror(errno));
	if (!v)
		return say(p, "%s attached but never ran%s", what, hint ? hint : "");
	say(p, "%s ran", what);
	return true;
}

/* ---- the probes ------------------------------------------------------------------ */

static bool tracepoint_id(struct probe *p, const char *event, int *id)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];
	int err = -ENOENT;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
			snprintf(path, sizeof(path), "%s/events/%s/id", roots[i], event);
			err = read_sysfs_int(path, "%d", id);
			if (!err)
				return true;
		}
		/* the agent mounts tracefs itself; so may we */
		if (pass == 0 && env_ensure_mounted(roots[0], "tracefs", TRACEFS_MAGIC_NR))
			break;
	}
	return say(p, "tracepoint %s: no id in tracefs: %s", event, strerror(-err));
}

static bool probe_tracepoint(struct probe *p)
{
	struct perf_event_attr a;
	int id;

	if (!tracepoint_id(p, "syscalls/sys_enter_read", &id) ||
	    !load_counter(p, "tracepoint", BPF_PROG_TYPE_TRACEPOINT, 0, 0))
		return false;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = (__u64)id;
	a.sample_period = 1;
	p->attach_fd = (int)syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (p->attach_fd < 0)
		return say(p, "perf_event_open tracepoint syscalls/sys_enter_read: %s", strerror(errno));
	if (ioctl(p->attach_fd, PERF_EVENT_IOC_SET_BPF, p->prog_fd) ||
	    ioctl(p->attach_fd, PERF_EVENT_IOC_ENABLE, 0))
		return say(p, "attach tracepoint: %s", strerror(errno));
	return ran(p, "syscalls/sys_enter_read", NULL);
}

static bool probe_raw_tracepoint(struct probe *p)
{
	if (!load_counter(p, "raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0))
		return false;
	p->attach_fd = bpf_raw_tracepoint_open("sys_enter", p->prog_fd);
	if (p->attach_fd < 0) {
		int err = p->attach_fd;

		p->attach_fd = -1;
		return say(p, "attach raw_tracepoint sys_enter: %s", strerror(-err));
	}
	return ran(p, "raw_tp/sys_enter", NULL);
}

static bool probe_tracing(struct probe *p, enum bpf_prog_type type, enum bpf_attach_type eat,
			  const char *target, int kind, const char *what, const char *hint)
{
	__u32 id = 0;

	return vmlinux_id(p, target, kind, &id) && load_counter(p, what, type, eat, id) &&
	       attach_btf(p, what) && ran(p, what, hint);
}

static bool probe_kprobe(struct probe *p, bool ret)
{
	const char *what = ret ? "kretprobe/" PROBE_FUNC : "kprobe/" PROBE_FUNC;

	return load_counter(p, what, BPF_PROG_TYPE_KPROBE, 0, 0) &&
	       attach_pmu(p, "kprobe", ret, PROBE_FUNC, 0) && ran(p, what, NULL);
}

static bool probe_kprobe_multi(struct probe *p)
{
	const char *syms[] = { PROBE_FUNC };
	LIBBPF_OPTS(bpf_link_create_opts, o, .kprobe_multi.syms = syms, .kprobe_multi.cnt = 1);

	if (!load_counter(p, "kprobe_multi", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, 0))
		return false;
	p->attach_fd = bpf_link_create(p->prog_fd, 0, BPF_TRACE_KPROBE_MULTI, &o);
	if (p->attach_fd < 0) {
		int err = p->attach_fd;

		p->attach_fd = -1;
		return say(p, "kprobe_multi link on %s: %s%s", PROBE_FUNC, strerror(-err),
			   err == -EOPNOTSUPP ? " (no fprobe support: CONFIG_FPROBE)" : "");
	}
	return ran(p, "kprobe_multi/" PROBE_FUNC, NULL);
}

static bool probe_override(struct probe *p)
{
	struct bpf_insn in[MAX_INSNS];
	size_t n = self_only_prog(in, getpid(), BPF_FUNC_override_return, 1, 0, -OVERRIDE_ERR);
	long r;

	if (!load(p, "bpf_override_return", BPF_PROG_TYPE_KPROBE, 0, 0, in, n)) {
		/* "unknown func" (6.1) or "cannot use helper" (6.12) */
		if (p->why && strstr(p->why, "bpf_override_return#"))
			append(p, " (the kernel lacks CONFIG_BPF_KPROBE_OVERRIDE)");
		return false;
	}
	if (!attach_pmu(p, "kprobe", false, OVERRIDE_FUNC, 0)) {
		if (errno == EINVAL)
			append(p, " (" OVERRIDE_FUNC " is not error-injectable here: "
				  "CONFIG_FUNCTION_ERROR_INJECTION)");
		return false;
	}
	errno = 0;
	r = syscall(SYS_getppid);
	if (r != -1 || errno != OVERRIDE_ERR)
		return say(p, "attached to " OVERRIDE_FUNC " but getppid() was not overridden");
	say(p, OVERRIDE_FUNC " made to return -EDOM");
	return true;
}

/*
 * fmod_ret on @func made to fail this process' calls with EDOM, then
 * @call() (which reaches it) must see EDOM. The kernel allows fmod_ret on
 * security_ functions and on the error-injection list, which is empty
 * without CONFIG_FUNCTION_ERROR_INJECTION (Debian's kernels).
 */
static bool probe_fmod_ret(struct probe *p, const char *func, long (*call)(void))
{
	struct bpf_insn in[MAX_INSNS];
	size_t n = self_fail_prog(in, getpid(), -OVERRIDE_ERR);
	char what[96];
	__u32 id = 0;
	long r;

	snprintf(what, sizeof(what), "fmod_ret/%s", func);
	if (!vmlinux_id(p, func, BTF_KIND_FUNC, &id))
		return false;
	if (!load(p, what, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, id, in, n)) {
		if (p->why && strstr(p->why, "is not modifiable"))
			append(p, " (not error-injectable here: the kernel lacks CONFIG_FUNCTION_ERROR_INJECTION)");
		return false;
	}
	if (!attach_btf(p, what))
		return false;
	errno = 0;
	r = call();
	if (r != -1 || errno != OVERRIDE_ERR)
		return say(p, "attached %s but the call was not made to fail", what);
	say(p, "%s made to return -EDOM", func);
	return true;
}

/* open(2) reaches security_file_open */
static long open_self(void)
{
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

static long call_getpgid(void)
{
	return syscall(SYS_getpgid, 0);
}

/* This binary and the file offset of the uprobe target, from /proc/self/maps. */
static bool self_offset(struct probe *p, char *path, size_t len, uint64_t *off)
{
	uintptr_t addr = (uintptr_t)uprobe_target;
	char line[4352];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return say(p, "/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, pgoff;
		char perms[8], *s;
		int at = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &pgoff, &at) < 4 ||
		    addr < start || addr >= end || !at)
			continue;
		s = line + at;
		s[strcspn(s, "\n")] = '\0';
		fclose(f);
		if (s[0] != '/')
			return say(p, "the uprobe target is not in a file mapping (%s)", s);
		snprintf(path, len, "%s", s);
		*off = addr - start + pgoff;
		return true;
	}
	fclose(f);
	return say(p, "the uprobe target is in no mapping of /proc/self/maps");
}

static bool probe_uprobe(struct probe *p, bool ret)
{
	const char *what = ret ? "uretprobe" : "uprobe";
	char path[4096];
	uint64_t off = 0;

	return self_offset(p, path, sizeof(path), &off) &&
	       load_counter(p, what, BPF_PROG_TYPE_KPROBE, 0, 0) &&
	       attach_pmu(p, "uprobe", ret, path, off) && ran(p, what, NULL);
}

/* Threads of this process (/proc/self/stat field 20); 0 when unknown. */
static long own_threads(void)
{
	char buf[1024], *q;
	long n = 0;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* past the command name, which may hold spaces and parentheses */
	q = strrchr(buf, ')');
	for (int field = 2; q && field < 20; field++)
		q = strchr(q + 1, ' ');
	if (q)
		n = strtol(q + 1, NULL, 10);
	return n;
}

/* bpf_send_signal, as the Sigkill action uses it, with a harmless blocked signal. */
static bool probe_send_signal(struct probe *p)
{
	struct bpf_insn in[MAX_INSNS];
	size_t n = self_only_prog(in, getpid(), BPF_FUNC_send_signal, 0, SIGUSR2, 0);
	struct timespec zero = { 0, 0 };
	sigset_t set, old, pending;
	bool ok;

	/*
	 * The signal goes to the whole process and only this thread blocks it:
	 * another thread would take SIGUSR2 and end the process.
	 */
	if (own_threads() != 1)
		return say(p, "not probed: the process runs other threads (probe it before they start, "
			      "as tetragon --probe-features does)");
	if (!load(p, "bpf_send_signal", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0, in, n))
		return false;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, &old))
		return say(p, "sigprocmask: %s", strerror(errno));
	p->attach_fd = bpf_raw_tracepoint_open("sys_enter", p->prog_fd);
	if (p->attach_fd < 0) {
		int err = p->attach_fd;

		p->attach_fd = -1;
		sigprocmask(SIG_SETMASK, &old, NULL);
		return say(p, "attach raw_tracepoint sys_enter: %s", strerror(-err));
	}
	trigger();
	close(p->attach_fd);
	p->attach_fd = -1;
	ok = !sigpending(&pending) && sigismember(&pending, SIGUSR2);
	while (sigtimedwait(&set, NULL, &zero) == SIGUSR2)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!ok)
		return say(p, "bpf_send_signal(SIGUSR2) from raw_tp/sys_enter sent nothing");
	say(p, "SIGUSR2 sent from raw_tp/sys_enter");
	return true;
}

static bool probe_btf(struct probe *p)
{
	p->btf = btf__load_vmlinux_btf();
	if (!p->btf)
		return say(p, "/sys/kernel/btf/vmlinux: %s (CONFIG_DEBUG_INFO_BTF=y is needed)",
			   strerror(errno));
	say(p, "vmlinux BTF, %u types", btf__type_cnt(p->btf));
	return true;
}

static bool probe_ringbuf(struct probe *p)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "tg_feature", 0, 0, 4096, NULL);

	if (fd < 0)
		return say(p, "ring buffer map: %s", strerror(-fd));
	close(fd);
	say(p, "map created");
	return true;
}

static const char *const lsm_hint = ": \"bpf\" is not among the active LSMs (boot with lsm=...,bpf)";

bool kfeature_probe(enum kfeature f, char *why, size_t len)
{
	struct probe p = { .why = why, .len = len, .map_fd = -1, .prog_fd = -1, .attach_fd = -1 };
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	bool ok = false;

	if (why && len)
		why[0] = '\0';
	setrlimit(RLIMIT_MEMLOCK, &rl);	/* kernels before 5.11 charge BPF to memlock */
	switch (f) {
	case KF_BTF: ok = probe_btf(&p); break;
	case KF_RINGBUF: ok = probe_ringbuf(&p); break;
	case KF_TRACEPOINT: ok = probe_tracepoint(&p); break;
	case KF_RAW_TRACEPOINT: ok = probe_raw_tracepoint(&p); break;
	case KF_TP_BTF:
		ok = probe_tracing(&p, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, "btf_trace_sys_enter",
				   BTF_KIND_TYPEDEF, "tp_btf/sys_enter", NULL);
		break;
	case KF_KPROBE: ok = probe_kprobe(&p, false); break;
	case KF_KRETPROBE: ok = probe_kprobe(&p, true); break;
	case KF_KPROBE_MULTI: ok = probe_kprobe_multi(&p); break;
	case KF_FENTRY:
		ok = probe_tracing(&p, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, PROBE_FUNC,
				   BTF_KIND_FUNC, "fentry/" PROBE_FUNC, NULL);
		break;
	case KF_FEXIT:
		ok = probe_tracing(&p, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, PROBE_FUNC,
				   BTF_KIND_FUNC, "fexit/" PROBE_FUNC, NULL);
		break;
	case KF_BPF_LSM:
		ok = probe_tracing(&p, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, LSM_HOOK, BTF_KIND_FUNC,
				   "lsm/file_open", lsm_hint);
		break;
	case KF_OVERRIDE_RETURN: ok = probe_override(&p); break;
	case KF_UPROBE: ok = probe_uprobe(&p, false); break;
	case KF_URETPROBE: ok = probe_uprobe(&p, true); break;
	case KF_SEND_SIGNAL: ok = probe_send_signal(&p); break;
	case KF_FMOD_RET: ok = probe_fmod_ret(&p, "security_file_open", open_self); break;
	case KF_FMOD_RET_SYSCALL: ok = probe_fmod_ret(&p, FMOD_SYSCALL_FUNC, call_getpgid); break;
	default: say(&p, "unknown feature %d", (int)f); break;
	}
	if (p.attach_fd >= 0)
		close(p.attach_fd);
	if (p.prog_fd >= 0)
		close(p.prog_fd);
	if (p.map_fd >= 0)
		close(p.map_fd);
	btf__free(p.btf);
	return ok;
}

int kfeatures_print(FILE *out)
{
	struct utsname u;
	char why[512];

	if (geteuid() != 0) {
		fprintf(stderr, "tetragon --probe-features must run as root: it loads BPF programs\n");
		return 1;
	}
	if (uname(&u) == 0)
		fprintf(out, "kernel: %s %s\n", u.release, u.machine);
	for (int f = 0; f < KF__COUNT; f++) {
		bool ok = kfeature_probe((enum kfeature)f, why, sizeof(why));

		fprintf(out, "%s: %s (%s)\n", names[f], ok ? "yes" : "no", why);
		fflush(out);
	}
	return 0;
}
