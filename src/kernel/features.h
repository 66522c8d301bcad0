/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What BPF features this kernel offers. Each one is proven the way the agent
 * would use it: a tiny program is loaded, attached, and made to run (it
 * counts its runs in a map); config files and tracefs listings are not
 * trusted, since lockdown, seccomp or a missing lsm=bpf defeat them.
 */
#ifndef TG_KERNEL_FEATURES_H
#define TG_KERNEL_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum kfeature {
	KF_BTF,			/* /sys/kernel/btf/vmlinux parses */
	KF_RINGBUF,		/* BPF_MAP_TYPE_RINGBUF */
	KF_TRACEPOINT,		/* perf tracepoint syscalls/sys_enter_read */
	KF_RAW_TRACEPOINT,	/* raw_tp sys_enter */
	KF_TP_BTF,		/* BTF-typed raw tracepoint sys_enter */
	KF_KPROBE,		/* perf kprobe on vfs_read */
	KF_KRETPROBE,
	KF_KPROBE_MULTI,	/* BPF_TRACE_KPROBE_MULTI link (fprobe) */
	KF_FENTRY,		/* BPF trampoline on vfs_read */
	KF_FEXIT,
	KF_BPF_LSM,		/* lsm/file_open; needs "bpf" in lsm= */
	KF_OVERRIDE_RETURN,	/* bpf_override_return on a syscall */
	KF_UPROBE,		/* uprobe on a function of this binary */
	KF_URETPROBE,
	KF_SEND_SIGNAL,		/* bpf_send_signal helper (Sigkill action) */
	KF_FMOD_RET,		/* BPF_MODIFY_RETURN on a security_ function (Override) */
	KF_FMOD_RET_SYSCALL,	/* BPF_MODIFY_RETURN on a syscall: CONFIG_FUNCTION_ERROR_INJECTION */
	KF__COUNT,
};

/* Short, stable name ("kprobe", "bpf_lsm", ...), as printed. */
const char *kfeature_name(enum kfeature f);

/*
 * Probe one feature: true when it works; otherwise @why (may be NULL) says
 * what failed ("attach kprobe vfs_read: Operation not permitted"). On
 * success @why says what ran. Needs root.
 */
bool kfeature_probe(enum kfeature f, char *why, size_t len);

/*
 * `tetragon --probe-features`: the kernel release, then one line per
 * feature, "NAME: yes (what ran)" or "NAME: no (why)". Returns 0, or 1 when
 * not root (nothing can be probed then).
 */
int kfeatures_print(FILE *out);

#endif
