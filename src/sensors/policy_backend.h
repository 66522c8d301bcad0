/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook back-ends of the policy engine: one per implementation (a BPF
 * program type and how it is attached), not per policy section. A syscall
 * kprobe is served by "syscall fentry" or "syscall kprobe" (its __x64_sys_
 * function) where the kernel allows, else by "syscall tracepoint"; a
 * kernel-function kprobe by "kprobe" or "kprobe.multi", chosen at load
 * time. The driver (policy_driver.c) runs the same sequence for each:
 *
 *   check       why the hook cannot run here (before anything is loaded)
 *   instances   the BPF objects the hook needs: policy_inst_add() each
 *   open        the back-end's skeleton; returns its rodata gt_prog_cfg
 *   prepare     argument layout and the back-end's own rodata (after the
 *               driver wrote hook_id, msg_op and agent_tgid)
 *               -- the driver compiles the selectors, sizes the maps,
 *                  shares the lifecycle sensor's maps --
 *   load        the skeleton's load
 *               -- the driver writes the selector maps --
 *   attach      links into hi->links
 *   destroy     the skeleton (links and selector state are the driver's)
 *
 * and the records of every back-end become events in policy_events.c by
 * its event type. Adding a back-end: a bpf/generic_<x>.bpf.c over
 * bpf/lib/gt_common.h and gt_args.h (its raw fetch), a
 * src/sensors/policy_<x>.c defining a struct policy_backend, its line in
 * policy_backend_of() (policy_backend.c).
 */
#ifndef TG_SENSORS_POLICY_BACKEND_H
#define TG_SENSORS_POLICY_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

struct hook_inst;
struct bpf_link;
struct bpf_map;
struct bpf_object;
struct bpf_program;
struct btf_hook;
struct policy_engine;
struct gt_prog_cfg;
struct msg_generic;
struct strbuf;

/* The event a back-end's records become (policy_events.c). */
enum policy_event_type {
	POLICY_EV_KPROBE,	/* process_kprobe */
	POLICY_EV_TRACEPOINT,	/* process_tracepoint */
	POLICY_EV_UPROBE,	/* process_uprobe */
	POLICY_EV_LSM,		/* process_lsm */
	POLICY_EV_USDT,		/* process_usdt */
};

struct policy_backend {
	const char *name;		/* "kprobe.multi", "syscall tracepoint"...: policy statuses, logs */
	enum tp_hook_kind section;	/* the policy section it serves */
	uint32_t msg_op;		/* MSG_OP_GENERIC_* of its records (metrics label msg_op) */
	enum policy_event_type event;
	const char *sensor;		/* upstream's sensor name ("generic_kprobe") */
	const char *label;		/* upstream's hook label prefix ("kprobe": "kprobe:fd_install") */
	bool returns;			/* has return probes: matchReturnArgs, matchReturnActions */
	bool overrides;			/* can run the Override action (its check chooses how: policy_override.c) */
	/* NULL: not implemented (a table slot); the hook is refused naming the section */
	const char *(*check)(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			     size_t len);
	const char *(*instances)(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, char *why,
				 size_t len);
	struct gt_prog_cfg *(*open)(struct hook_inst *hi, char *why, size_t len);
	const char *(*prepare)(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len);
	int (*load)(struct hook_inst *hi);
	const char *(*attach)(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len);
	void (*destroy)(struct hook_inst *hi);
	/* process_kprobe's function_name of a record (NULL: hi->function) */
	const char *(*function_name)(const struct hook_inst *hi, const struct msg_generic *m, char *buf, size_t len);
	/* what the instance is attached to, for statuses ("syscalls/sys_enter_openat"); NULL: subsys/event */
	void (*describe)(const struct hook_inst *hi, struct strbuf *sb);
};

/* The table (policy_backend.c): every implemented back-end and the slots of the ones to come. */
extern const struct policy_backend policy_be_tracepoint, policy_be_syscall_tp, policy_be_syscall_fentry,
	policy_be_syscall_kprobe, policy_be_rawtp, policy_be_uprobe,
	policy_be_kprobe, policy_be_kprobe_multi, policy_be_fentry, policy_be_lsm, policy_be_usdt;

/* The back-end that serves hook h of p on this kernel (e may be NULL: features only). */
const struct policy_backend *policy_backend_of(struct policy_engine *e, const struct tp_policy *p,
					       const struct tp_hook *h);
/* Upstream's sensor name of a section ("generic_kprobe"), "generic" for none. */
const char *policy_section_sensor(enum tp_hook_kind k);
/*
 * The distinct record opcodes of the table, ascending (every MSG_OP_GENERIC_*
 * upstream counts, implemented or not); returns how many, at most max.
 */
size_t policy_backend_msg_ops(uint32_t *out, size_t max);
/* Is op the opcode of policy engine records (policy_engine_handle)? */
bool policy_backend_owns_op(uint32_t op);
/* Upstream's hook label of h for selector counters ("kprobe:sys_openat", "uprobe:/bin/bash:readline"). */
void policy_backend_hook_label(const struct tp_hook *h, char *buf, size_t len);

/*
 * The driver (policy_driver.c), for the back-ends' instances(): a new
 * instance of h, its names set by the caller, then loaded and attached
 * (policy_inst_attach: on failure it is freed and the reason returned).
 */
struct hook_inst *policy_inst_new(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h,
				  const struct policy_backend *be);
const char *policy_inst_attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len);
/* A link for hi (it owns it from now on); -ENOMEM. */
int policy_inst_link(struct hook_inst *hi, struct bpf_link *l);

/*
 * What the back-ends' open() and prepare() share (policy_prepare.c).
 *
 * open(): skeleton skel (NULL: its open failed, errno says why) taken into
 * hi with its object and rodata gt_xcfg (NULL: the back-end has none);
 * returns its rodata gt_cfg, or NULL with why. POLICY_OPENED() passes a
 * skeleton's own: opened by name_bpf__open(), or by CORE_BTF_OPEN(name)
 * (core_btf.h) to relocate against the CO-RE stand-in BTF.
 */
struct gt_prog_cfg *policy_inst_opened(struct hook_inst *hi, void *skel, struct bpf_object *obj, void *cfg,
				       void *xcfg, char *why, size_t len);
#define POLICY_OPENED(hi, skel, why, len)                                                                    \
	((skel) ? policy_inst_opened((hi), (skel), (skel)->obj, (void *)&(skel)->rodata->gt_cfg,              \
				     (void *)&(skel)->rodata->gt_xcfg, (why), (len)) :                         \
		  policy_inst_opened((hi), NULL, NULL, NULL, NULL, (why), (len)))

/*
 * The arguments of h typed from BTF (bh: a function's, a raw tracepoint's
 * or an LSM hook's) into pc and hi (either may be NULL: a check), with
 * pc's nargs and raw_nargs; what names the hook in the refusal of too many
 * arguments ("lsm hook file_open"). A reason or NULL.
 */
const char *policy_btf_layout(const struct tp_hook *h, const struct btf_hook *bh, const char *what,
			      struct gt_prog_cfg *pc, struct hook_inst *hi, char *why, size_t len);
/*
 * Argument i of a user-space hook (uprobe, usdt) into hi->cfg and hi: an
 * integer, else a user string, or with resolve: typed from the binary's BTF
 * (fn: the function whose prototype types it, or NULL; what names the hook
 * in messages); read from offset (a register, a slot). A reason or NULL.
 */
const char *policy_user_arg(struct hook_inst *hi, size_t i, uint16_t offset, const char *fn, const char *what,
			    char *why, size_t len);
/* Does h need a return probe (return: true, or a returnCopy argument)? */
bool policy_hook_has_return(const struct tp_hook *h);
/* returnArg's reporting type (auto and fd: int); TP_ARG_NOP without return: true and a returnArg. */
enum tp_arg_type policy_hook_ret_type(const struct tp_hook *h);
/* The same into *t, refused unless an integer type; a reason or NULL. */
const char *policy_hook_int_ret(const struct tp_hook *h, enum tp_arg_type *t, char *why, size_t len);
/*
 * The return probe of hi: without hi->has_return ret_prog (if given) is not
 * loaded; with it hi->cfg says so and gt_ret holds entries calls in
 * flight. A reason or NULL.
 */
const char *policy_ret_prepare(struct hook_inst *hi, struct bpf_program *ret_prog, struct bpf_map *gt_ret,
			       uint32_t entries, char *why, size_t len);
/*
 * Kernel function fn as the target of a trampoline or LSM program entry
 * and, unless NULL, of ret; 0 or -errno. Call it right before the load,
 * and load even when it fails: libbpf holds the kernel's BTF from the
 * lookup until a load (failing or not) frees it.
 */
int policy_attach_targets(const char *fn, struct bpf_program *entry, struct bpf_program *ret);

/* The fields every back-end of the kprobe section shares: upstream's generic_kprobe sensor, process_kprobe. */
#define POLICY_KPROBE_SECTION                                                                                 \
	.section = TP_HOOK_KPROBE, .msg_op = MSG_OP_GENERIC_KPROBE, .event = POLICY_EV_KPROBE,                 \
	.sensor = "generic_kprobe", .label = "kprobe", .returns = true, .overrides = true

#endif
