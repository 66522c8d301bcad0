/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What every generic program of the policy engine shares (one per hook
 * back-end: tracepoints and syscalls, raw tracepoints, uprobes, kprobes):
 * the maps it shares with the lifecycle sensor, its per-hook config and
 * counters, the per-CPU scratch, and the tail that runs the selectors,
 * applies the action and posts the record. A program gets its scratch with
 * gt_heap_get(), asks gt_select_pre() which selectors can match without
 * looking at the arguments and stops when none can; it then starts the
 * record with gt_args_begin(), reads its arguments into h->m.args (the
 * shared decoders of lib/gt_args.h over the program's own raw fetch), and
 * calls gt_select_and_post() with that answer.
 */
#ifndef TG_BPF_GT_COMMON_H
#define TG_BPF_GT_COMMON_H

#include "abi/msg_generic.h"
#include "lib/path.h"

/* The instance's configuration (abi/msg_generic.h), written by the agent before load. */
const volatile struct gt_prog_cfg gt_cfg = {};

/*
 * Override through a companion program (src/sensors/policy_override.c):
 * set by the agent when a selector of the hook overrides and the program
 * itself cannot (kprobes, syscall tracepoints). The program leaves the
 * error for the calling thread in gt_override; a fmod_ret or
 * bpf_override_return program on the same kernel function, which runs
 * right after it in the same call, takes it and makes the function return
 * it. An LSM program returns the error itself.
 */
const volatile __u32 gt_ovr = 0;

/*
 * Set by the agent when a selector of the hook posts stack traces (Post
 * kernelStackTrace/userStackTrace): bpf_get_stack() is then verified and
 * called; other hooks never reach it, whatever their program type allows.
 */
const volatile __u32 gt_stacks = 0;

/*
 * Shared with the lifecycle sensor (bpf_map__reuse_fd before load): the
 * policy programs' own ring buffer, apart from the lifecycle records, so a
 * flooding policy loses only its own records; and the per-opcode count of
 * records a ring buffer could not take (index op & 31).
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} policy_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} missed_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_EXECVE_MAP_ENTRIES);
	__type(key, __u32);
	__type(value, struct execve_map_value);
} execve_map SEC(".maps");

/* matchNamespaceChanges / matchCapabilityChanges: the lifecycle sensor's (abi/msg_process.h) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_EXECVE_MAP_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct exec_nscaps);
} exec_nscaps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gt_config);
} gt_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GT_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} gt_stats SEC(".maps");

/* Selector values too many for gt_config (msg_generic.h); sized by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct gt_lpm_key);
	__type(value, struct gt_lpm_val);
} gt_strs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct gt_int_key);
	__type(value, __u8);
} gt_ints SEC(".maps");

/* NotifyEnforcer: pid_tgid -> what the policy's enforcer applies (abi/msg_generic.h); the policy's map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct gt_enf_val);
} gt_enforcer SEC(".maps");

/* notifications lost before the enforcer took them (abi/msg_generic.h); the policy's map */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct gt_enf_missed_key);
	__type(value, __u64);
} gt_enf_missed SEC(".maps");

/* Post rateLimit: time of the last post per selector, scope and arguments. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct gt_rate_key);
	__type(value, __u64);
} gt_rate SEC(".maps");

/*
 * The policy's workload scope (abi/msg_generic.h GT_CFG_SCOPE): cgroup2 ids,
 * one map shared by the policy's programs (bpf_map__reuse_fd), 1 entry and
 * unused when the policy is not scoped.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} gt_scope SEC(".maps");

/* Every pod's and container's cgroup the agent knows, for GT_CFG_SCOPE_HOST (one map for all policies). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} gt_scope_pods SEC(".maps");

/* pid_tgid -> the error the companion program makes the function return; sized by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __s32);
} gt_override SEC(".maps");

/*
 * After the selectors ran on a call (err: gt_select_and_post()'s answer):
 * leave err for the companion, or take away an error an earlier call of
 * this thread left and no companion consumed (a compat syscall has another
 * entry point), so it never lands on this one.
 */
static __always_inline void gt_override_leave(__u64 pid_tgid, __s32 err)
{
	if (!gt_ovr)
		return;
	if (err)
		bpf_map_update_elem(&gt_override, &pid_tgid, &err, BPF_ANY);
	else
		bpf_map_delete_elem(&gt_override, &pid_tgid);
}

/* A record held for the hook's return: header and argument bytes. */
struct gt_held {
	struct msg_generic m;
	char data[GT_DATA_MAX];
};

/* Entries held until the hook's return (pid_tgid -> record); sized by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct gt_held);
} gt_ret SEC(".maps");

/*
 * Per-CPU scratch of one event. What the selectors read lazily (binaries,
 * namespaces, capabilities) is flagged *_done and reset by
 * gt_select_pre(); a program only fills m.args and data.
 */
#define GT_PT_REGS_WORDS 21	/* x86_64 struct pt_regs */

/*
 * maxData's chunk loop (gt_post_chunks): in the heap, not on the stack,
 * so the verifier does not follow its counters value by value through
 * every bpf_loop round, and the programs' frames (their calls' combined
 * stack may not pass 512 bytes on 6.1) do not grow.
 */
struct gt_chunk_loop {
	__u64 ptr;		/* the buffer */
	__u64 ktime;
	__u32 off;		/* next byte to post */
	__u32 end;
	__u32 slot;
	__u32 tid;
	__u32 seq;
	__u32 kmem;		/* GT_ARGF_KMEM: kernel memory first */
	__u32 lost;
};

struct gt_heap {
	struct msg_generic m;
	/*
	 * The record's argument bytes, posted right after m. An argument starts
	 * at most at GT_DATA_MAX and reads at most GT_ARG_MAX: the tail is room
	 * for the verifier's worst case, never posted.
	 */
	char data[GT_DATA_MAX + GT_ARG_MAX];
	char bin[GT_BIN_MAX];
	__u32 bin_len;
	__u32 bin_done;
	char pbin[GT_BIN_MAX];
	__u32 pbin_len;
	__u32 pbin_done;
	__u32 ns_done;
	__u32 caps_done;
	/*
	 * The matchBinaries verdicts of the last process that ran this hook on
	 * this CPU, kept across calls: a process' binary changes only at exec.
	 * v_tgid, v_start (its group leader's start_time: a reused pid is
	 * another process) and v_exec (its self_exec_id, which exec bumps) name
	 * the process image; bit i of v_known: selector i's verdict is in bit i
	 * of v_pass. A hot syscall of a filtered binary skips the binary's
	 * lookups from its second call on.
	 */
	__u64 v_start;
	__u64 v_exec;
	__u32 v_tgid;
	__u32 v_known;
	/* a tracked sock among the arguments: the process that owns it (gt_socktrack) */
	__u32 owner_set;
	struct gt_sock_owner owner;
	__u32 v_pass;
	__u32 v_pad;
	struct msg_ns ns;
	__u32 userns;
	__u32 pad;
	__u64 caps[3];		/* enum gt_cap_set order */
	struct gt_lpm_key lkey;
	char lkey_room[GT_LPM_DATA];	/* masked writes past lkey stay in the value */
	struct gt_rate_key rkey;
	char rkey_room[64];
	struct gt_bin_cache_val bc;	/* staging for gt_bin_cache updates */
	/* data: entries with source pt_regs (GT_ARGF_SRC_REGS): the hook's registers, copied by gt_data_regs() */
	__u64 regs[GT_PT_REGS_WORDS];
	/* maxData: each buffer argument's address and full size (gt_put_buf), for gt_post_chunks() */
	__u64 mx_ptr[GT_MAX_ARGS];
	__u64 mx_size[GT_MAX_ARGS];
	struct exec_nscaps nsc_stage;	/* nscaps_get()'s new exec_nscaps entry */
	struct gt_chunk_loop cl;
	struct path_scratch scratch;
};

/* The selectors' socket tracking and the return value's kind (abi/msg_generic.h). */
const volatile struct gt_xcfg gt_xcfg = {};

/* Shared by the engine's programs (bpf_map__reuse_fd); small when not shared. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct gt_sock_owner);
} gt_socktrack SEC(".maps");

/* Shared by the engine's programs (bpf_map__reuse_fd); small when not shared. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct gt_bin_cache_val);
} gt_bin_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gt_heap);
} gt_heap_map SEC(".maps");

/*
 * min(v, max) with the bound learnt on the very register the result lives
 * in: a C clamp lets clang keep using an unclamped copy, whose bound older
 * verifiers (6.1) do not learn through 32-bit register moves.
 */
#define GT_MIN(v, max)                                                                      \
	({                                                                                  \
		__u64 __v = (v);                                                            \
		asm volatile("if %[x] <= %[m] goto +1\n\t%[x] = %[m]" : [x] "+r"(__v) : [m] "i"(max)); \
		__v;                                                                        \
	})

/* The per-CPU scratch, or NULL for the agent's own calls (never traced). */
static __always_inline struct gt_heap *gt_heap_get(__u64 pid_tgid)
{
	__u32 zero = 0;

	if ((__u32)(pid_tgid >> 32) == gt_cfg.agent_tgid)
		return 0;
	return bpf_map_lookup_elem(&gt_heap_map, &zero);
}

/* A new event: no argument bytes yet. */
static __always_inline void gt_args_begin(struct gt_heap *h)
{
	h->m.data_len = 0;
	h->owner_set = 0;
	for (__u32 i = 0; i < GT_MAX_ARGS; i++) {
		h->mx_size[i] = 0;
		h->m.args[i].len = 0;
		h->m.args[i].off = 0;
		h->m.args[i].flags = 0;
	}
}

/*
 * Where argument i's bytes go (the end of the data so far) and, in *room,
 * how many may be written there (at most GT_ARG_MAX, less when the record is
 * nearly full). The caller bounds i below GT_MAX_ARGS, then commits the
 * bytes it kept with gt_arg_commit().
 */
static __always_inline char *gt_arg_dst(struct gt_heap *h, __u32 i, __u32 *room)
{
	__u64 off = GT_MIN(h->m.data_len, GT_DATA_MAX);

	*room = GT_MIN(GT_DATA_MAX - off, GT_ARG_MAX);
	if (i < GT_MAX_ARGS) {
		h->m.args[i].off = off;
		h->m.args[i].len = 0;
		h->m.args[i].flags = 0;
	}
	return &h->data[off];
}

static __always_inline void gt_arg_commit(struct gt_heap *h, __u32 i, __u32 len)
{
	if (i >= GT_MAX_ARGS)
		return;
	h->m.args[i].len = len;
	h->m.data_len = h->m.args[i].off + len;
}

/* Argument i's bytes, for reading up to GT_ARG_MAX of them. */
static __always_inline const char *gt_arg_ptr(struct gt_heap *h, __u32 i)
{
	return &h->data[(i < GT_MAX_ARGS ? h->m.args[i].off : 0) & (GT_DATA_MAX - 1)];
}

static __always_inline void stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&gt_stats, &idx);

	if (v)
		*v += 1;
}

_Static_assert(__builtin_offsetof(struct gt_heap, data) == sizeof(struct msg_generic), "data follows m");
_Static_assert(__builtin_offsetof(struct gt_held, data) == sizeof(struct msg_generic), "data follows m");

#include "lib/gt_selectors.h"

/* The record in h onto the ring buffer: its header and its data_len bytes. */
static __always_inline int gt_post(struct gt_heap *h)
{
	__u32 len = GT_MIN(h->m.data_len, GT_DATA_MAX);

	h->m.data_len = len;
	h->m.common.size = sizeof(h->m) + len;
	if (bpf_ringbuf_output(&policy_events, &h->m, sizeof(h->m) + len, 0)) {
		__u32 op = gt_cfg.msg_op & 31;
		__u64 *v = bpf_map_lookup_elem(&missed_events, &op);

		stat(GT_STAT_LOST);
		if (v)
			*v += 1;
	}
	return 0;
}

/* Before 6.15 (kernfs: parent became the RCU-protected __parent). */
struct kernfs_node___scope_pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

/*
 * Is the current task in the policy's scope: its cgroup in the default
 * (cgroup2) hierarchy, or one of its ancestors, in gt_scope? With
 * GT_CFG_SCOPE_HOST, also when none of them is a pod's or a container's
 * (gt_scope_pods): a host workload. A task with no cgroup is in none.
 */
static __noinline int gt_scope_allows(__u32 flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	int host = (flags & GT_CFG_SCOPE_HOST) != 0, in_pod = 0;

	if (!kn)
		return 0;
	for (int i = 0; i < GT_SCOPE_LEVELS && kn; i++) {
		__u64 id = BPF_CORE_READ(kn, id);

		if (bpf_map_lookup_elem(&gt_scope, &id))
			return 1;
		if (host && bpf_map_lookup_elem(&gt_scope_pods, &id))
			in_pod = 1;
		if (bpf_core_field_exists(((struct kernfs_node___scope_pre615 *)0)->parent))
			kn = BPF_CORE_READ((struct kernfs_node___scope_pre615 *)kn, parent);
		else
			kn = BPF_CORE_READ(kn, __parent);
	}
	return host && !in_pod;
}

/*
 * TrackSock/UntrackSock on the sock of argument slot: its address (the
 * cookie of its struct gt_sock) owned by the current process, or no more.
 */
static __noinline void gt_track_sock(struct gt_heap *h, __u32 slot, __u32 op, __u32 tgid, __u32 tid)
{
	struct gt_sock_owner o = {};
	struct execve_map_value *ev;
	__u64 sk = 0;

	if (!h || slot >= GT_MAX_ARGS || h->m.args[slot].len < sizeof(struct gt_sock))
		return;
	bpf_probe_read_kernel(&sk, sizeof(sk), gt_arg_ptr(h, slot) + __builtin_offsetof(struct gt_sock, cookie));
	if (!sk)
		return;
	if (op == GT_UNTRACK_SOCK) {
		bpf_map_delete_elem(&gt_socktrack, &sk);
		return;
	}
	ev = bpf_map_lookup_elem(&execve_map, &tgid);
	if (!ev)
		return;
	o.pid = ev->key.pid;
	o.ktime = ev->key.ktime;
	o.tid = tid;
	bpf_map_update_elem(&gt_socktrack, &sk, &o, BPF_ANY);
}

/* gt_select_pre()'s answer when the hook has no selectors: every call matches */
#define GT_SEL_ALL	(1u << GT_MAX_SEL)

/*
 * The selectors (bit i: cfg->sel[i]) whose argument-free conditions hold
 * for the current task, GT_SEL_ALL when there are none, 0 when no selector
 * can match whatever the arguments: the call is counted as filtered and the
 * program returns before reading them. A selector matches only when all of
 * its conditions hold, so one that fails here fails for any arguments.
 */
static __always_inline __u32 gt_select_pre(struct gt_heap *h, __u32 tgid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u32 zero = 0, cand = 0;
	struct gt_config *cfg = bpf_map_lookup_elem(&gt_config, &zero);
	__u64 start, xid;

	if (!cfg)
		return 0;
	/* out of the policy's workloads: no selector, no action, whatever the call */
	if ((cfg->flags & GT_CFG_SCOPE) && !gt_scope_allows(cfg->flags)) {
		stat(GT_STAT_FILTERED);
		stat(GT_STAT_SCOPE_FILTERED);
		return 0;
	}
	if (!cfg->nsel)
		return GT_SEL_ALL;
	h->bin_done = 0;
	h->pbin_done = 0;
	h->ns_done = 0;
	h->caps_done = 0;
	start = task->group_leader->start_time;
	xid = task->self_exec_id;
	if (h->v_tgid != tgid || h->v_start != start || h->v_exec != xid) {
		h->v_tgid = tgid;
		h->v_start = start;
		h->v_exec = xid;
		h->v_known = 0;
		h->v_pass = 0;
	}
	for (__u32 i = 0; i < GT_MAX_SEL; i++) {
		if (i >= cfg->nsel)
			break;
		if (gt_sel_pre(h, &cfg->sel[i], tgid, i))
			cand |= 1u << i;
	}
	if (!cand)
		stat(GT_STAT_FILTERED);
	return cand;
}

/*
 * cand: gt_select_pre()'s answer for this call (not 0). ret_key: where a
 * return probe finds the record (gt_ret), pid_tgid unless the program
 * pairs calls otherwise. Returns the error the hook is to return when the
 * selector that matched overrides (a negative errno; never in monitor
 * mode), else 0; NoPost and rateLimit silence the record, not the override.
 */
/*
 * The stacks the selector asks for (want: GT_STACK_*) into the record's data
 * after the arguments: read straight into the record rather than through a
 * stack id map, so a record never names a stack another one overwrote.
 * Whatever GT_DATA_MAX leaves no room for is cut (at worst to nothing).
 */
static __always_inline void gt_stack_fill(void *ctx, struct gt_heap *h, __u32 want)
{
	__u64 off = GT_MIN(h->m.data_len, GT_DATA_MAX);
	long n;

	h->m.stack_off = off;
	h->m.kstack_len = 0;
	h->m.ustack_len = 0;
	if (!gt_stacks)
		return;
	if (want & GT_STACK_KERNEL) {
		h->m.flags |= GT_MSG_KSTACK;
		n = bpf_get_stack(ctx, &h->data[off], GT_STACK_MAX, 0);
		if (n > 0) {
			n = GT_MIN(n, GT_STACK_MAX);
			if (n > GT_DATA_MAX - off)
				n = GT_DATA_MAX - off;
			h->m.kstack_len = n & ~7;
			off += n & ~7;
		}
	}
	off = GT_MIN(off, GT_DATA_MAX);
	if (want & GT_STACK_USER) {
		h->m.flags |= GT_MSG_USTACK;
		n = bpf_get_stack(ctx, &h->data[off], GT_STACK_MAX, BPF_F_USER_STACK);
		if (n > 0) {
			n = GT_MIN(n, GT_STACK_MAX);
			if (n > GT_DATA_MAX - off)
				n = GT_DATA_MAX - off;
			h->m.ustack_len = n & ~7;
			off += n & ~7;
		}
	}
	h->m.data_len = GT_MIN(off, GT_DATA_MAX);
}

/*
 * One chunk per call (bpf_loop): reserved on the ring, filled from the
 * buffer, submitted.
 */
static long gt_chunk_step(__u32 k, void *ctx)
{
	__u32 zero = 0;
	struct gt_heap *h = bpf_map_lookup_elem(&gt_heap_map, &zero);
	struct gt_chunk_loop *c;
	struct msg_gt_chunk *r;
	__u64 n, src;
	long err;

	if (!h)
		return 1;
	c = &h->cl;
	if (c->off >= c->end)
		return 1;
	src = c->ptr + c->off;
	n = GT_MIN(c->end - c->off, GT_CHUNK_MAX);
	r = bpf_ringbuf_reserve(&policy_events, sizeof(*r), 0);
	if (!r) {
		c->lost = 1;
		return 1;
	}
	err = c->kmem ? bpf_probe_read_kernel(r->data, n, (const void *)src) : -1;
	if (err)
		err = bpf_probe_read_user(r->data, n, (const void *)src);
	if (err) {
		/* unreadable from here on: the argument ends at the bytes posted */
		bpf_ringbuf_discard(r, 0);
		return 1;
	}
	r->common.op = MSG_OP_DATA;
	r->common.flags = 0;
	r->common.pad = 0;
	r->common.size = sizeof(*r);
	r->common.ktime = c->ktime;
	r->hook_id = gt_cfg.hook_id;
	r->tid = c->tid;
	r->slot = c->slot;
	r->off = c->off;
	r->len = n;
	r->seq = c->seq;
	bpf_ringbuf_submit(r, 0);
	c->off += n;
	c->seq++;
	return 0;
}

/*
 * maxData: the bytes of each such buffer argument past the record's own,
 * up to GT_MAXDATA_MAX, posted as chunks ahead of the record (only records
 * that are posted pay for them); the argument's flags count them.
 */
static __always_inline void gt_post_chunks(struct gt_heap *h)
{
	struct gt_chunk_loop *c = &h->cl;

	for (__u32 i = 0; i < GT_MAX_ARGS; i++) {
		__u64 size;

		if (i >= gt_cfg.nargs)
			break;
		if (!(gt_cfg.args[i].flags & GT_ARGF_MAX_DATA))
			continue;
		size = h->mx_size[i];
		if (size > GT_MAXDATA_MAX)
			size = GT_MAXDATA_MAX;
		/* nothing kept (an unreadable buffer) or nothing more */
		if (!h->m.args[i].len || size <= h->m.args[i].len)
			continue;
		c->ptr = h->mx_ptr[i];
		c->ktime = h->m.common.ktime;
		c->off = h->m.args[i].len;
		c->end = size;
		c->slot = i;
		c->tid = h->m.tid;
		c->seq = 0;
		c->kmem = gt_cfg.args[i].flags & GT_ARGF_KMEM;
		c->lost = 0;
		bpf_loop(GT_MAXDATA_CHUNKS, gt_chunk_step, NULL, 0);
		h->m.args[i].flags |= (c->seq << GT_ARGV_CHUNKS_SHIFT) | (c->lost ? GT_ARGV_CHUNK_LOST : 0);
		if (c->lost) {
			__u32 op = MSG_OP_DATA;
			__u64 *v = bpf_map_lookup_elem(&missed_events, &op);

			if (v)
				*v += 1;
		}
	}
}

/* Count the notification old (if any) as missed for reason; whether there was one. */
static __always_inline int gt_enf_miss(struct gt_enf_val *old, __u32 reason)
{
	struct gt_enf_missed_key k = {};
	__u64 one = 1, *n;

	if (!old)
		return 0;
	k.hook_id = old->hook_id;
	k.arg = old->arg;
	k.reason = reason;
	n = bpf_map_lookup_elem(&gt_enf_missed, &k);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return 1;
	}
	/* a new key; another CPU may have added it meanwhile */
	if (bpf_map_update_elem(&gt_enf_missed, &k, &one, BPF_NOEXIST)) {
		n = bpf_map_lookup_elem(&gt_enf_missed, &k);
		if (n)
			__sync_fetch_and_add(n, 1);
	}
	return 1;
}

static __always_inline int gt_select_and_post(void *ctx, struct gt_heap *h, __u64 pid_tgid, __u32 cand,
					      __u64 ret_key)
{
	__u32 tgid = pid_tgid >> 32, zero = 0, action = GT_ACT_POST, post = 1;
	struct execve_map_value *ev;
	__u64 sel;
	struct gt_config *cfg;
	int enforce, ovr = 0, failed = 0;

	cfg = bpf_map_lookup_elem(&gt_config, &zero);
	if (!cfg)
		return 0;
	sel = cfg->nsel;
	/* the first selector, in policy order, whose matchArgs hold too */
	for (__u32 i = 0; i < GT_MAX_SEL && !(cand & GT_SEL_ALL); i++) {
		if (i >= cfg->nsel)
			break;
		if ((cand & (1u << i)) && gt_sel_args(h, &cfg->sel[i])) {
			sel = i;
			action = cfg->sel[i].action;
			post = cfg->sel[i].post;
			break;
		}
	}
	if (cfg->nsel && sel >= cfg->nsel) {
		stat(GT_STAT_FILTERED);
		return 0;
	}
	stat(GT_STAT_MATCHED);
	/*
	 * At most GT_MAX_SEL ("no selector") on the 64-bit register every later
	 * "sel < GT_MAX_SEL" tests: 6.1 loses a 32-bit bound through a spill.
	 */
	sel = GT_MIN(sel, GT_MAX_SEL);
	/* monitor mode: the record says what the selector asks for, nothing is applied */
	enforce = !(cfg->flags & GT_CFG_MONITOR);
	if (enforce && action == GT_ACT_SIGKILL)
		bpf_send_signal(9);
	else if (enforce && action == GT_ACT_SIGNAL && sel < GT_MAX_SEL)
		bpf_send_signal(cfg->sel[sel].sig);
	if (enforce && sel < GT_MAX_SEL && cfg->sel[sel].override)
		ovr = cfg->sel[sel].override_err;
	/* the enforcer on the syscall function applies it (or nothing asked for one: it is cleaned up) */
	if (enforce && sel < GT_MAX_SEL && cfg->sel[sel].enf == GT_ENF_NOTIFY) {
		struct gt_enf_val v = { .err = cfg->sel[sel].enf_err, .sig = cfg->sel[sel].enf_sig,
					.hook_id = gt_cfg.hook_id };
		__u32 slot = cfg->sel[sel].enf_arg;

		/* constant indices: a computed one loses its bounds on some compilers' code */
		for (__u32 k = 0; k < GT_MAX_ARGS; k++)
			if (k + 1 == slot)
				v.arg = (__u32)h->m.args[k].ival;
		/* one left for this thread that the enforcer never took: replaced, counted */
		gt_enf_miss(bpf_map_lookup_elem(&gt_enforcer, &pid_tgid), GT_ENF_MISSED_OVERWRITTEN);
		bpf_map_update_elem(&gt_enforcer, &pid_tgid, &v, BPF_ANY);
	} else if (enforce && sel < GT_MAX_SEL && cfg->sel[sel].enf == GT_ENF_CLEANUP) {
		/* one still there: the enforcer did not act on it */
		if (gt_enf_miss(bpf_map_lookup_elem(&gt_enforcer, &pid_tgid), GT_ENF_MISSED_NOACTION))
			bpf_map_delete_elem(&gt_enforcer, &pid_tgid);
	}
#ifdef GT_ON_MATCH
	/* the program's own actions (USDT Set: gt_on_match), before the record is built */
	if (enforce && sel < GT_MAX_SEL && gt_on_match(ctx, (__u32)sel))
		failed = 1;
#endif
	if (sel < GT_MAX_SEL && gt_xcfg.sel_track[sel])
		gt_track_sock(h, gt_xcfg.sel_sock[sel], gt_xcfg.sel_track[sel], tgid, (__u32)pid_tgid);
	/* GetUrl/DnsLookup: the agent needs the record even when no event is to be posted */
	if (!post && !(sel < GT_MAX_SEL && cfg->sel[sel].agent_act))
		return ovr;
	if (sel < GT_MAX_SEL && cfg->sel[sel].rate_ns &&
	    gt_rate_limited(h, &cfg->sel[sel], sel, pid_tgid)) {
		stat(GT_STAT_RATE_LIMITED);
		return ovr;
	}

	/* a change that posts becomes the process' new reference, as upstream */
	if (sel < GT_MAX_SEL)
		gt_nscaps_refresh(h, &cfg->sel[sel], tgid);
	h->m.common.op = gt_cfg.msg_op;
	h->m.common.flags = 0;
	h->m.common.ktime = bpf_ktime_get_ns();
	ev = bpf_map_lookup_elem(&execve_map, &tgid);
	if (ev) {
		h->m.key = ev->key;
	} else {
		h->m.key.pid = 0;
		h->m.key.ktime = 0;
	}
	h->m.key.pad = 0;
	h->m.hook_id = gt_cfg.hook_id;
	h->m.tid = (__u32)pid_tgid;
	h->m.tgid = tgid;
	/* a tracked sock's owner is the event's process (upstream's TrackSock) */
	if (h->owner_set) {
		h->m.key.pid = h->owner.pid;
		h->m.key.ktime = h->owner.ktime;
		h->m.tgid = h->owner.pid;
		h->m.tid = h->owner.tid;
	}
	h->m.action = action;
	h->m.sel = sel;
	h->m.nargs = gt_cfg.nargs;
	h->m.ret = 0;
	h->m.flags = (post ? 0 : GT_MSG_NOPOST) | (failed ? GT_MSG_ACTION_FAILED : 0);
	h->m.ret_action = 0;
	if (post)
		gt_post_chunks(h);
	gt_stack_fill(ctx, h, sel < GT_MAX_SEL ? cfg->sel[sel].stack : 0);
	/*
	 * imaHash: the hook's sleepable program hashes the file, posts and
	 * returns the Override (a program's non-zero verdict would skip it)
	 */
	if (sel < GT_MAX_SEL && gt_xcfg.sel_ima[sel] && post) {
		bpf_map_update_elem(&gt_ret, &pid_tgid, &h->m, BPF_ANY);
		return 0;
	}
	if (gt_cfg.has_return) {
		/* m and the data after it: a struct gt_held */
		bpf_map_update_elem(&gt_ret, &ret_key, &h->m, BPF_ANY);
		return ovr;
	}
	gt_post(h);
	return ovr;
}

/*
 * Return probes (syscall exits, kretprobes, uretprobes): the record this
 * call's entry held in gt_ret under key, moved into h. 0 when there is none
 * (the entry was filtered, or the LRU dropped it).
 */
static __always_inline int gt_return_take(struct gt_heap *h, __u64 key)
{
	struct gt_held *held = bpf_map_lookup_elem(&gt_ret, &key);
	__u32 len;
	long err;

	if (!held)
		return 0;
	len = GT_MIN(held->m.data_len, GT_DATA_MAX);
	err = bpf_probe_read_kernel(&h->m, sizeof(h->m) + len, held);
	bpf_map_delete_elem(&gt_ret, &key);
	return !err;
}

/*
 * matchReturnArgs entry f on the return value: integer operators on ret, or
 * (is_str, uprobes' string returnArg) string operators on the slot f names.
 */
static __always_inline int gt_retf_match(struct gt_heap *h, const struct gt_argf *f, int is_signed)
{
	int any = 0;

	if (f->is_str)
		return gt_argf_match(h, f);
	if (f->op == GT_OP_IN_MAP || f->op == GT_OP_NOT_IN_MAP) {
		struct gt_int_key k = { .id = f->id, .val = h->m.ret };

		any = bpf_map_lookup_elem(&gt_ints, &k) != 0;
	} else {
		for (__u32 k = 0; k < GT_MAX_VALS; k++) {
			if (k >= f->nvals)
				break;
			any = int_match(h->m.ret, f, k, is_signed);
			if (any)
				break;
		}
	}
	return negated(f->op) ? !any : any;
}

/*
 * The held record in h completed with its return value ret (and whatever the
 * caller read at the return): the selector that matched at the entry runs its
 * matchReturnArgs and matchReturnActions, then the record is posted.
 */
static __always_inline int gt_return_post(struct gt_heap *h, __s64 ret)
{
	__u32 zero = 0, sel, action = GT_ACT_POST, post = 1;
	struct gt_config *cfg = bpf_map_lookup_elem(&gt_config, &zero);

	if (!cfg)
		return 0;
	h->m.ret = ret;
	h->m.flags |= GT_MSG_RETURN;
	/* returnArgAction on the returned sock: the entry's process owns it */
	if (gt_xcfg.ret_track && ret) {
		__u64 sk = (__u64)ret;

		if (gt_xcfg.ret_track == GT_UNTRACK_SOCK) {
			bpf_map_delete_elem(&gt_socktrack, &sk);
		} else {
			struct gt_sock_owner o = { .pid = h->m.key.pid, .tid = h->m.tid, .ktime = h->m.key.ktime };

			bpf_map_update_elem(&gt_socktrack, &sk, &o, BPF_ANY);
		}
	}
	sel = h->m.sel;
	if (sel < GT_MAX_SEL && sel < cfg->nsel) {
		const struct gt_selector *s = &cfg->sel[sel];

		for (__u32 k = 0; k < GT_MAX_RETF; k++) {
			if (k >= s->nretf)
				break;
			if (!gt_retf_match(h, &s->retf[k], s->ret_signed)) {
				stat(GT_STAT_FILTERED);
				return 0;
			}
		}
		action = s->ret_action;
		post = s->ret_post;
		if (!(cfg->flags & GT_CFG_MONITOR)) {
			if (action == GT_ACT_SIGKILL)
				bpf_send_signal(9);
			else if (action == GT_ACT_SIGNAL)
				bpf_send_signal(s->ret_sig);
		}
	}
	if (!post)
		return 0;
	h->m.ret_action = action;
	return gt_post(h);
}

#endif
