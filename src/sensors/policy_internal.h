/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between the policy engine's modules: generic_policy.c (policies:
 * files, the API's management, statuses, counters), policy_driver.c (the
 * load sequence of every hook back-end), policy_backend.c (the back-end
 * table, kernel features), the back-ends (policy_tracepoint.c,
 * policy_rawtp.c, policy_uprobe.c, policy_kprobe.c), policy_btf.c (BTF
 * argument typing, resolve:), policy_selectors.c (selectors -> gt_config
 * and value maps), policy_support.c (shared refusals) and policy_events.c
 * (kernel records -> process_kprobe/process_tracepoint/process_uprobe).
 */
#ifndef TG_SENSORS_POLICY_INTERNAL_H
#define TG_SENSORS_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/msg_generic.h"
#include "abi/usdt_arg.h"
#include "policy/policy.h"
#include "sensors/generic_policy.h"

struct bpf_link;
struct bpf_object;
struct btf;
struct policy_engine;
struct policy_backend;
struct gt_prog_cfg;
struct gt_config;

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
	bool nscaps;			/* a selector compares with exec_nscaps */
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

/*
 * One BPF object of a hook, loaded and attached by the driver
 * (policy_driver.c) through its back-end (policy_backend.h): a hook, one
 * syscall of a hook's list, one symbol of a uprobe, or every function of a
 * kprobe hook (one program on several functions).
 */
struct hook_inst {
	struct tp_policy *p;
	const struct tp_hook *h;
	const struct policy_backend *be;
	char subsys[64], event[96];	/* names the instance in logs and stats ("syscalls", "sys_enter_openat") */
	char function[128];	/* syscalls: __x64_sys_<name>; uprobes: the symbol */
	char **funcs;		/* kprobes: the functions, indexed by the records' func_id */
	size_t nfuncs;
	enum tp_arg_type types[GT_MAX_ARGS];	/* reporting type per slot */
	bool is_signed[GT_MAX_ARGS];
	unsigned size[GT_MAX_ARGS];
	void *skel;			/* the back-end's skeleton */
	struct gt_prog_cfg *cfg;	/* its rodata configuration (until load) */
	struct gt_xcfg *xcfg;		/* its rodata socket tracking and return kind (until load) */
	uint64_t uprobe_offset;		/* uprobes by offset; function[] holds the symbol */
	uint64_t ref_ctr_offset;	/* uprobes, usdts: the semaphore's file offset (0: none) */
	struct usdt_arg_spec usdt_args[GT_MAX_ARGS];	/* usdts: where each argument is */
	struct bpf_link **links;	/* every attachment, return probes included */
	size_t nlinks;
	bool has_return;		/* return: true or a returnCopy argument */
	bool generated;			/* a generated syscall list on raw_syscalls/sys_enter */
	bool skipped;			/* nothing attached: digests did not match, every function missing (ignored) */
	size_t nmissing;		/* kprobes: functions not found, ignore: callNotFound */
	enum tp_arg_type ret_type;	/* returnArg's reporting type (TP_ARG_NOP: none) */
	struct bpf_object *obj;		/* the loaded object, whichever its skeleton */
	uint32_t id;		/* hook_id in records; never reused */
	struct policy_engine *e;
	struct gt_config *sel;	/* the compiled selectors (written to gt_config) */
	struct sel_maps sm;
	struct policy_scope scope;	/* the policy's workload scope (flags 0: none) */
	/* Override (policy_override.c): the mechanism (enum policy_ovr) and its companion programs */
	int ovr;
	void **ovr_skels;
	size_t novr;
	char pin[512];		/* --keep-sensors-on-exit: its directory under the bpffs tree, "" none */
};

/* tracefs's available_filter_functions, sorted, loaded once per engine. */
struct ftrace_funcs {
	char **v;
	size_t n;
	int err;		/* 0, or -errno why it could not be read */
	bool loaded;
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
	int nscaps_fd;			/* its exec_nscaps (namespace/capability changes), 0 = none */
	struct sel_follow follow[64];	/* followChildren bits in use */
	size_t nfollow;
	struct msg_ns host_ns;		/* for host_ns and isNamespaceCapability */
	bool host_ns_done;
	const char *tracefs;
	const char *tracefs_opt;	/* as given (NULL = the default) */
	struct ftrace_funcs ftrace;	/* kprobes: what can be probed */
	bool dry_run;			/* compile only: nothing is loaded nor attached (tests) */
	uint32_t next_id;
	uint64_t next_policy_id;
	int bin_cache_fd;		/* gt_bin_cache shared by every instance, -1 = each its own */
	int socktrack_fd;		/* gt_socktrack (TrackSock) shared by every instance, -1 = each its own */
	/* policy_engine_account(): the last record's instance and policy (reset by management calls) */
	const struct hook_inst *acct_hi;
	struct loaded_policy *acct_lp;
	uint64_t stale_records;		/* of instances torn down since, dropped */
	/* between hook attaches: the agent reads the lifecycle records meanwhile */
	void (*pump)(void *ctx);
	void *pump_ctx;
	char hook_buf[1024];		/* policy_engine_hook()'s attached text */
	struct stack_syms *stacks;	/* Post kernelStackTrace/userStackTrace symbols (first use) */
	bool expose_stack_addresses;
	struct agent_actions *actions;	/* GetUrl, DnsLookup (first use) */
	struct policy_chunks *chunks;	/* maxData chunks waiting for their record (first use) */
	struct policy_enforcer **enf;	/* spec.enforcers of the enabled policies (policy_enforcer.c) */
	struct policy_loader *loader;	/* spec.loader's perf events while a policy asks (policy_loader.c) */
	size_t nenf;
	const struct policy_scope_ops *scope_ops;	/* NULL: scoped policies are refused */
	void *scope_ctx;
	char *scope_missing;		/* why there is no scope provider, NULL: no --enable-k8s-api */
	struct policy_scope scope_cur;	/* the scope of the policy being attached */
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

/* rodata variable name of obj set to v (before load); 0 or -errno (policy_override.c) */
struct bpf_object;
int policy_set_rodata_u32(struct bpf_object *obj, const char *name, uint32_t v);

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

/*
 * Syscall kprobes (policy_tracepoint.c, policy_syscall.c): the check every
 * syscall back-end runs (the syscall's tracepoint format types its
 * arguments whichever attaches), their shared instances() (one per
 * syscall, each on the back-end policy_syscall_backend() chooses), and the
 * argument layout from hi->subsys/hi->event's format.
 */
const char *policy_syscall_check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h,
				 char *why, size_t len);
const char *policy_syscall_instances(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h,
				     char *why, size_t len);
const char *policy_tp_compile_args(struct hook_inst *hi, const char *tracefs, char *why, size_t len);
/* A syscalls list served like a generated one, by one program on raw_syscalls/sys_enter (long, no returns...). */
bool policy_syscall_list_raw(const struct tp_policy *p, const struct tp_hook *h);
/*
 * The back-end syscall name of h attaches to here: its __x64_sys_ function
 * by fentry or kprobe where the kernel allows, else its tracepoint (the
 * policy's syscall-attach option may force one). NULL (why says) when the
 * forced one cannot serve it.
 */
const struct policy_backend *policy_syscall_backend(struct policy_engine *e, const struct tp_policy *p,
						    const struct tp_hook *h, const char *name, char *why, size_t len);

/* Size and sign of an integer argument type; false for other types. */
bool policy_int_type(enum tp_arg_type t, unsigned *size, bool *sgn);

/* uprobes: the file offset of a virtual address of an ELF file; 0 or -errno with why */
int uprobe_addr_offset(const char *path, uint64_t addr, uint64_t *off, char *why, size_t len);

/* Why the selectors of h cannot run on back-end be (yet), or NULL (policy_support.c). */
/*
 * data: entries (policy_data.c): why hook h cannot read them on back-end be
 * (NULL: it can); their slots after the args in hi's configuration.
 */
const char *policy_data_check(const struct policy_backend *be, const struct tp_hook *h, char *why, size_t len);
const char *policy_data_prepare(struct hook_inst *hi, char *why, size_t len);
const char *policy_selectors_unsupported(const struct policy_backend *be, const struct tp_hook *h, char *why,
					 size_t len);
/* Why argument type t is not read by a back-end: a sentence for messages. */
const char *policy_arg_type_why(enum tp_arg_type t);

/*
 * Is kernel feature f (src/kernel/features.h, an enum kfeature) there? Its
 * probe runs once per process; why says what failed. Tests may replace the
 * probe (policy_features_override).
 */
bool policy_feature(int f, char *why, size_t len);
void policy_features_override(bool (*fn)(int f, char *why, size_t len));

/* An integer argument type's reporting, for BTF-typed hooks and returnArgs: false for others. */
bool policy_ret_type_ok(enum tp_arg_type t);

/* tracefs available_filter_functions of e (loaded on first use): is name there? -errno when unreadable. */
int policy_ftrace_has(struct policy_engine *e, const char *name);
/* Every name it lists that re matches, in ftrace order (deduplicated); -errno. */
struct tg_regex;
int policy_ftrace_match(struct policy_engine *e, const struct tg_regex *re, char ***out, size_t *n);
void policy_ftrace_free(struct ftrace_funcs *f);

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

/* Why hook h of p cannot run here (its back-end's check, then the selectors), or NULL. */
const char *policy_check_hook(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h,
			      char *why, size_t len);

/*
 * The driver (policy_driver.c): every hook of p attached, or none (on
 * failure the instances of p are torn down and the reason returned);
 * detach tears them down (records still queued for them are dropped: ids
 * are not reused).
 */
const char *policy_attach_policy(struct policy_engine *e, struct tp_policy *p, char *why, size_t len);
const char *policy_scope_unsupported(const struct policy_engine *e, const struct tp_policy *p, const char *file,
				     char *why, size_t len);
void policy_detach_policy(struct policy_engine *e, const struct tp_policy *p);
void policy_inst_free(struct hook_inst *hi);

/*
 * Override (policy_override.c), chosen per hook and shown in its status:
 * the LSM program's own return value; or a companion program on each
 * kernel function the hook's program runs on (kprobes; a syscall's
 * __x64_sys_ function for syscall kprobes), which applies the error the
 * generic program left for the thread (gt_override, bpf/lib/gt_common.h).
 */
enum policy_ovr {
	POLICY_OVR_NONE,
	POLICY_OVR_LSM,		/* the BPF LSM program's return value */
	POLICY_OVR_FMOD_RET,	/* a BPF_MODIFY_RETURN program */
	POLICY_OVR_RETURN,	/* a kprobe calling bpf_override_return */
};
/* Does a selector of h have the Override action? */
bool policy_hook_overrides(const struct tp_hook *h);
/* "fmod_ret", "bpf_override_return", "the LSM hook's return value" */
const char *policy_ovr_name(int m);
/*
 * The mechanism that makes kernel function func (a security_ function, a
 * syscall's __x64_sys_<name>, ...) return an Override's error for hook
 * what ("kprobe on security_inode_mkdir"), honouring the policy's
 * override-method: *m, or a reason naming what this kernel lacks and the
 * lsmhook that would do the same. syscall: the syscall's name for a
 * syscall kprobe, else NULL.
 */
const char *policy_ovr_choose(const struct tp_policy *p, const char *what, const char *func, const char *syscall,
			      int *m, char *why, size_t len);
/*
 * policy_ovr_choose() for every function of hook h (its call or list
 * values; syscall: they are syscalls, overridden on __x64_sys_<name>),
 * which must agree: *m (POLICY_OVR_NONE when no selector overrides), or a
 * reason.
 */
const char *policy_ovr_hook(const struct tp_policy *p, const struct tp_hook *h, const char *what,
			    const char *const *funcs, size_t n, bool syscall, int *m, char *why, size_t len);
/* Size the instance's gt_override map (before load): a reason or NULL. */
const char *policy_ovr_prepare(struct hook_inst *hi, struct bpf_object *obj, char *why, size_t len);
/* Load and attach hi's companion programs (after its object is loaded, before it is attached). */
const char *policy_ovr_attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len);
void policy_ovr_free(struct hook_inst *hi);
/* ", Override by fmod_ret on security_inode_mkdir" for statuses; nothing without Override */
struct strbuf;
void policy_ovr_describe(const struct hook_inst *hi, struct strbuf *sb);
/*
 * spec.enforcers (policy_enforcer.c): the policy's map and enforcer
 * programs, attached before its hooks (which share the map); a reason
 * naming what this kernel lacks, or NULL (also when it has none).
 */
struct policy_enforcer;
const char *policy_enforcer_attach(struct policy_engine *e, const struct tp_policy *p, char *why, size_t len);
void policy_enforcer_detach(struct policy_engine *e, const struct tp_policy *p);
/* spec.loader: true (policy_loader.c): its events on while an enabled policy asks; a reason or NULL. */
const char *policy_loader_attach(struct policy_engine *e, const struct tp_policy *p, char *why, size_t len);
void policy_loader_detach(struct policy_engine *e, const struct tp_policy *p);
/* The policy's gt_enforcer map, -1 without an enforcer. */
int policy_enforcer_map_fd(const struct policy_engine *e, const struct tp_policy *p);
/* Its gt_enf_missed map (the notifications the enforcer missed), -1 without an enforcer. */
int policy_enforcer_missed_fd(const struct policy_engine *e, const struct tp_policy *p);
/* "enforcer by fmod_ret on __x64_sys_dup, ..." for statuses; nothing without one */
void policy_enforcer_describe(const struct policy_engine *e, const struct tp_policy *p, struct strbuf *sb);

/* Tests: the active-LSM list file (/sys/kernel/security/lsm) read by the LSM back-end. */
void policy_lsm_list_override(const char *path);

/* The live instance whose records carry id, or NULL. */
const struct hook_inst *policy_engine_find(const struct policy_engine *e, uint32_t id);

#endif
