// SPDX-License-Identifier: Apache-2.0
#include "kernel/environment.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "util/log.h"

#define BPF_FS_MAGIC_NR	0xcafe4a11
#define TRACEFS_MAGIC_NR 0x74726163

/*
 * libbpf's messages, through our log. A verifier log arrives as one huge
 * message whose end says what failed: keep its last lines, one log line each.
 */
#define VERIFIER_TAIL_LINES 24

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf = NULL, *p, *line;
	int n, lines = 0;

	if (level == LIBBPF_DEBUG)
		return 0;
	n = vasprintf(&buf, fmt, ap);
	if (n < 0)
		return 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (!strstr(buf, "\n")) {
		if (level == LIBBPF_WARN)
			log_warn("libbpf: %s", buf);
		else
			log_debug("libbpf: %s", buf);
		free(buf);
		return 0;
	}
	/* multi-line: the first line, then the tail */
	p = buf + n;
	while (p > buf && lines <= VERIFIER_TAIL_LINES)
		if (*--p == '\n')
			lines++;
	line = strchr(buf, '\n');
	*line = '\0';
	log_warn("libbpf: %s%s", buf, p > line ? " [...]" : "");
	for (line = p > line ? p + 1 : line + 1; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		log_warn("libbpf:   %s", line);
		line = nl ? nl + 1 : NULL;
	}
	free(buf);
	return 0;
}

int env_ensure_mounted(const char *path, const char *fstype, unsigned long magic)
{
	struct statfs st;

	if (statfs(path, &st) == 0 && (unsigned long)st.f_type == magic)
		return 0;
	if (mkdir(path, 0700) && errno != EEXIST) {
		int err = -errno;

		log_error("%s is not mounted and %s cannot be created: %s; mount it with "
			  "'mount -t %s none %s'", fstype, path, strerror(-err), fstype, path);
		return err;
	}
	if (mount(fstype, path, fstype, 0, NULL)) {
		int err = -errno;

		log_error("%s is not mounted at %s and mounting it failed: %s; mount it with "
			  "'mount -t %s none %s'", fstype, path, strerror(-err), fstype, path);
		return err;
	}
	log_info("mounted %s at %s", fstype, path);
	return 0;
}

static int kernel_version_ok(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;	/* unknown: let the loader decide */
	if (major < 5 || (major == 5 && minor < 8)) {
		log_error("kernel %s is not supported: Linux 5.8 or newer is required (BTF "
			  "tracepoints, BPF ring buffer)", u.release);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Every map, program and link of a loaded policy holds a descriptor: a few
 * dozen policies pass the usual soft limit of 1024. The soft limit goes up
 * to the hard one (as Go programs, upstream's among them, do at start).
 */
static void raise_nofile(void)
{
	struct rlimit nf;

	if (getrlimit(RLIMIT_NOFILE, &nf) || nf.rlim_cur >= nf.rlim_max)
		return;
	nf.rlim_cur = nf.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &nf))
		log_warn("raising the descriptor limit (RLIMIT_NOFILE) to %llu: %s; many policies may not load",
			 (unsigned long long)nf.rlim_max, strerror(errno));
}

int env_prepare(const struct env_opts *o)
{
	const char *btf = o && o->btf_path ? o->btf_path : "/sys/kernel/btf/vmlinux";
	const char *bpffs = o && o->bpffs_path ? o->bpffs_path : "/sys/fs/bpf";
	const char *tracefs = o && o->tracefs_path ? o->tracefs_path : "/sys/kernel/tracing";
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int err;

	libbpf_set_print(libbpf_print);
	if (geteuid() != 0) {
		log_error("tetragon must run as root: it loads eBPF programs into the kernel "
			  "(try: sudo %s)", program_invocation_name);
		return -EPERM;
	}
	err = kernel_version_ok();
	if (err)
		return err;
	if (access(btf, R_OK)) {
		log_error("kernel BTF not found at %s: the kernel must be built with "
			  "CONFIG_DEBUG_INFO_BTF=y (or pass --btf FILE)", btf);
		return -ENOENT;
	}
	/* Pre-5.11 kernels charge BPF memory to memlock. */
	setrlimit(RLIMIT_MEMLOCK, &rl);
	raise_nofile();
	err = env_ensure_mounted(bpffs, "bpf", BPF_FS_MAGIC_NR);
	if (err)
		return err;
	/* tracefs is only needed by policies; failure here is not fatal. */
	if (env_ensure_mounted(tracefs, "tracefs", TRACEFS_MAGIC_NR))
		log_warn("tracefs unavailable at %s: tracepoint policies will not load", tracefs);
	return 0;
}
