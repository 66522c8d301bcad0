/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between the policy engine's modules: policy_support.c (what this
 * kernel and engine can run), policy_compile.c (policy -> BPF rodata and
 * selector maps), generic_policy.c (loading, attaching, lifetime) and
 * policy_events.c (kernel records -> process_kprobe/process_tracepoint).
 */
#ifndef TG_SENSORS_POLICY_INTERNAL_H
#define TG_SENSORS_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/msg_generic.h"
#include "policy/policy.h"
#include "sensors/generic_policy.h"

struct generic_tracepoint_bpf;
struct generic_uprobe_bpf;
struct generic_rawtp_bpf;
struct bpf_link;
struct bpf_object;
struct policy_engine;

/* Selector values bound for the hook's maps (policy_selectors.c). */
struct sel_str {
	struct gt_lpm_key key;
	struct gt_lpm_val val;
};

struct sel_follow {
	const struct tp_binary_filter *f;	/* matchBinaries with followChildren */
	uint64_t bit;				/* its mbset bit */
};

struct sel_maps {
	struct sel_str *strs;		/* gt_strs */
	size_t nstrs;
	struct gt_int_key *ints;	/* gt_ints */
	size_t nints;
	uint32_t rate_entries;		/* gt_rate size; 0 without rateLimit */
	struct sel_follow *follow;	/* followChildren bits this instance allocated */
	size_t nfollow;
};

struct loaded_policy {
	struct tp_policy *p;
	char *file;		/* "" when added over gRPC */
	char *domain;		/* "static" (files), "grpc" or the request's */
	char *error;		/* why it is in LOAD_ERROR/ERROR, else NULL */
	uint64_t id;		/* ListTracingPolicies id, never reused */
	int state;		/* enum policy_state; only ENABLED has instances */
	struct policy_actions actions;
	struct policy_actions *sel_actions;	/* per selector, hook after hook; NULL without selectors */
};

/* One attached BPF object: a hook, or one syscall of a hook's list. */
struct hook_inst {
	struct tp_policy *p;
	const struct tp_hook *h;
	char subsys[64], event[96];
	char function[128];	/* kprobes: __x64_sys_<name> */
	enum tp_arg_type types[GT_MAX_ARGS];	/* reporting type per slot */
	bool is_signed[GT_MAX_ARGS];
	unsigned size[GT_MAX_ARGS];
	struct generic_tracepoint_bpf *skel;
	struct generic_uprobe_bpf *uskel;	/* uprobes (policy_uprobe.c) */
	struct generic_rawtp_bpf *rskel;	/* raw tracepoints (policy_rawtp.c) */
	uint64_t uprobe_offset;			/* uprobes by offset; function[] holds the symbol */
	struct bpf_link *link;
	struct bpf_link *link_ret;	/* return probe: syscalls/sys_exit_* */
	bool has_return;		/* return: true or a returnCopy argument */
	bool generated;			/* a generated syscall list on raw_syscalls/sys_enter */
	enum tp_arg_type ret_type;	/* returnArg's reporting type (TP_ARG_NOP: none) */
	struct bpf_object *obj;		/* the loaded object, whichever its skeleton */
	uint32_t id;		/* hook_id in records; never reused */
	struct policy_engine *e;
	struct sel_maps sm;
};

struct policy_engine {
	struct loaded_policy *v;
	size_t n;
	size_t refused;
	struct hook_inst **inst;
	size_t ninst;
	int events_fd, execve_fd;	/* the policy ring buffer and execve_map (lifecycle sensor's) */
	int missed_fd;			/* its per-opcode drop counters, 0 = none */
	int mbset_fd, mbset_cfg_fd;	/* lifecycle sensor's followChildren maps, 0 = none */
	struct sel_follow follow[64];	/* followChildren bits in use */
	size_t nfollow;
	struct msg_ns host_ns;		/* for host_ns and isNamespaceCapability */
	bool host_ns_done;
	const char *tracefs;
	const char *tracefs_opt;	/* as given (NULL = the default) */
	uint32_t next_id;
	uint64_t next_policy_id;
	int bin_cache_fd;		/* gt_bin_cache shared by every instance, -1 = each its own */
	/* policy_engine_account(): the last record's instance and policy (reset by management calls) */
	const struct hook_inst *acct_hi;
	struct loaded_policy *acct_lp;
	uint64_t stale_records;		/* of instances torn down since, dropped */
	/* between hook attaches: the agent reads the lifecycle records meanwhile */
	void (*pump)(void *ctx);
	void *pump_ctx;
};

/* What this agent refuses before the kernel is asked (tp_check_agent), as "FILE:L:C: path: why". */
const char *policy_unsupported(const struct tp_policy *p, const char *file, char *why, size_t len);

/*
 * why = "<what>: <reason>" for an attach that failed with errno err,
 * naming the kernel's limit of programs per tracepoint or probe
 * (BPF_TRACE_MAX_PROGS) when that is the reason. Returns why.
 */
#define POLICY_TRACE_MAX_PROGS 64
const char *policy_attach_failed(const struct policy_engine *e, const char *subsys, const char *event, int err,
				 char *why, size_t len, const char *what);

/* tracefs mount point: t, or /sys/kernel/tracing */
const char *policy_tracefs(const char *t);
/* "sys_openat", "__x64_sys_openat", "openat" -> "openat" */
const char *policy_syscall_base(const char *call);

struct tp_format;
struct tp_field;
/*
 * The format field an args[].index names. Tracepoints count every field of
 * the format, the common_* ones included, as upstream does (raw_syscalls'
 * id is index 4); syscall kprobes count the function's arguments, which
 * follow __syscall_nr in syscalls/sys_enter_*. NULL when out of range.
 */
const struct tp_field *policy_tp_field(const struct tp_format *f, const struct tp_hook *h, unsigned index);
/* How many indices policy_tp_field() accepts. */
size_t policy_tp_nfields(const struct tp_format *f, const struct tp_hook *h);
/*
 * raw_syscalls/sys_enter's "unsigned long args[6]" split into six 8-byte
 * fields, so that syscall kprobe indices 0..5 name them (generated lists).
 */
void policy_raw_syscall_args(struct tp_format *f);

/* Size and sign of an integer argument type; false for other types. */
bool policy_int_type(enum tp_arg_type t, unsigned *size, bool *sgn);

/* uprobes (policy_uprobe.c): why h cannot run here, or NULL */
const char *policy_uprobe_unsupported(const struct tp_hook *h, char *why, size_t len);
/* open, compile, load and attach one uprobe instance; a reason or NULL */
const char *policy_uprobe_attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len);
void policy_uprobe_destroy(struct hook_inst *hi);
/* addrs: the file offset of a virtual address of an ELF file; 0 or -errno with why */
int uprobe_addr_offset(const char *path, uint64_t addr, uint64_t *off, char *why, size_t len);

/* raw tracepoints (policy_rawtp.c), the same three */
const char *policy_rawtp_unsupported(const struct tp_hook *h, char *why, size_t len);
const char *policy_rawtp_attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len);
void policy_rawtp_destroy(struct hook_inst *hi);

/* Argument layout of one instance into the object's rodata; a reason or NULL. */
const char *policy_compile_args(struct hook_inst *hi, struct generic_tracepoint_bpf *skel, const char *tracefs,
				char *why, size_t len);
/*
 * Return probes of a syscall kprobe instance (policy_compile.c): before load,
 * enable and size the exit program's parts (after policy_compile_args);
 * after load, attach it to syscalls/sys_exit_<name>. Reasons or NULL.
 */
const char *policy_return_prepare(struct hook_inst *hi, struct generic_tracepoint_bpf *skel, const char *tracefs,
				  char *why, size_t len);
const char *policy_return_attach(const struct policy_engine *e, struct hook_inst *hi,
				 struct generic_tracepoint_bpf *skel, char *why, size_t len);

/*
 * Selectors of the instance's hook into cfg and hi->sm; a reason or NULL.
 * Then, before the object is loaded, policy_selectors_size() sizes its
 * selector maps; after, policy_selectors_install() fills them and writes
 * cfg (before attach). Any generic program that includes gt_common.h works.
 */
const char *policy_compile_selectors(struct hook_inst *hi, struct gt_config *cfg, char *why, size_t len);
const char *policy_selectors_size(struct hook_inst *hi, struct bpf_object *obj, char *why, size_t len);
const char *policy_selectors_install(struct hook_inst *hi, struct bpf_object *obj, const struct gt_config *cfg,
				     char *why, size_t len);
void policy_selectors_free(struct hook_inst *hi);

/* The live instance whose records carry id, or NULL. */
const struct hook_inst *policy_engine_find(const struct policy_engine *e, uint32_t id);

#endif
