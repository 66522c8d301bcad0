/* SPDX-License-Identifier: Apache-2.0 */
/* Checks and preparation of the host before any BPF is loaded. */
#ifndef TG_KERNEL_ENVIRONMENT_H
#define TG_KERNEL_ENVIRONMENT_H

struct env_opts {
	const char *btf_path;		/* NULL = /sys/kernel/btf/vmlinux */
	const char *bpffs_path;		/* NULL = /sys/fs/bpf */
	const char *tracefs_path;	/* NULL = /sys/kernel/tracing */
};

/*
 * Verifies root, BTF and kernel version; mounts bpffs and tracefs when they
 * are missing; raises RLIMIT_MEMLOCK. Logs a clear reason and returns
 * -errno on the first fatal problem.
 */
int env_prepare(const struct env_opts *o);

/* Mount @fstype at @path unless something is mounted there already. */
int env_ensure_mounted(const char *path, const char *fstype, unsigned long magic);

#endif
