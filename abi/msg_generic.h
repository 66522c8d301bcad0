/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel <-> user ABI of the policy engine's generic programs
 * (bpf/generic_*.bpf.c, one per hook back-end): their per-hook
 * configuration (struct gt_prog_cfg in rodata, selectors in gt_config) and
 * the record they post on the policy ring buffer.
 */
#ifndef TG_ABI_MSG_GENERIC_H
#define TG_ABI_MSG_GENERIC_H

#include "abi/msg_process.h"
#include "abi/gt_resolve.h"

#define MSG_OP_GENERIC_KPROBE		13	/* upstream's numbers */
#define MSG_OP_GENERIC_TRACEPOINT	14
#define MSG_OP_GENERIC_UPROBE		15
#define MSG_OP_GENERIC_LSM		16
#define MSG_OP_GENERIC_USDT		28
#define MSG_OP_DATA			24	/* struct msg_gt_chunk (upstream's number for its data events) */

#define GT_MAX_ARGS	5
/*
 * Argument bytes (strings, paths, buffers, sockaddrs) are packed one after
 * the other in the record's data, which follows struct msg_generic: a record
 * is as long as its arguments. One argument keeps up to GT_ARG_MAX bytes
 * (upstream's 4096), a record up to GT_DATA_MAX; what does not fit is cut.
 */
#define GT_ARG_MAX	4096	/* power of two */
#define GT_CONST_BUF_MAX 1023	/* bytes of a tracepoint's array of longs read (upstream's) */
#define GT_DATA_MAX	8192	/* power of two */
#define GT_STR_MAX	256	/* bytes of a string the selectors compare (gt_strs keys; power of two) */
/*
 * Selector limits, upstream's (src/policy/policy_limits.h). String values,
 * binaries and InMap sets live in per-hook BPF maps, not in gt_config.
 */
#define GT_MAX_SEL	5	/* selectors per hook */
#define GT_MAX_ARGF	5	/* matchArgs entries per selector */
#define GT_MAX_VALS	4	/* inline integer values per matchArgs entry */
#define GT_MAX_PIDS	4
#define GT_MAX_NSF	10	/* matchNamespaces entries per selector */
#define GT_MAX_NSVALS	4
#define GT_MAX_CAPF	4	/* matchCapabilities + matchCapabilityChanges entries per selector */
#define GT_BIN_MAX	256
#define GT_MAX_RETF	2	/* matchReturnArgs entries per selector */

/*
 * How an argument is decoded (bpf/lib/gt_args.h). Arguments are read in two
 * stages: each program fetches the raw word at gt_arg_cfg.offset, which is a
 * record offset (tracepoints: size bytes there), a register or raw argument
 * position (kprobes, uprobes, raw tracepoints); an optional resolve: path
 * (abi/gt_resolve.h) follows it; then one shared decoder turns the word
 * into the record's value by kind.
 */
enum gt_arg_kind {
	GT_ARG_NONE,
	GT_ARG_INT,		/* the word, cut to size bytes, sign-extended when is_signed */
	GT_ARG_STR_USER,	/* the word points to a user string (GT_ARGF_KMEM: or a kernel one) */
	GT_ARG_STR_KERNEL,	/* the word points to a kernel string */
	GT_ARG_CHAR_ARRAY,	/* tracepoints: size bytes in the record at offset */
	GT_ARG_DATA_LOC,	/* tracepoints: u32 (len << 16 | off) at offset */
	GT_ARG_FILE_PTR,	/* struct file *: its path, walked in the kernel */
	GT_ARG_PATH_PTR,	/* struct path *: the path */
	GT_ARG_BINPRM_PTR,	/* struct linux_binprm *: the path of bprm->file */
	GT_ARG_FD,		/* the word is an int fd: ival = fd, str = its path (task's fd table) */
	GT_ARG_BUF_USER,	/* a pointer: bytes, sized by the size_off argument or, returnCopy, by ret */
	GT_ARG_SOCKADDR_USER,	/* a pointer to a struct sockaddr: str = its bytes, ival = family */
	GT_ARG_SYSCALL64,	/* a syscall id; GT_SYSCALL64_I386 set for a compat task */
	GT_ARG_IOVEC_USER,	/* a pointer to struct iovec[count at size_off]: their bytes, concatenated */
	GT_ARG_DENTRY_PTR,	/* struct dentry *: its path within its file system (no mount) */
	/*
	 * Kernel structures read field by field into the fixed records below
	 * (their bytes are the argument's; a record shorter than its struct
	 * means the pointer could not be read).
	 */
	GT_ARG_SOCK_PTR,	/* struct sock *: struct gt_sock */
	GT_ARG_SOCKET_PTR,	/* struct socket *: its sk, as struct gt_sock */
	GT_ARG_SKB_PTR,		/* struct sk_buff *: struct gt_skb */
	GT_ARG_CRED_PTR,	/* struct cred *: struct gt_cred */
	GT_ARG_USERNS_PTR,	/* struct user_namespace *: struct gt_userns */
	GT_ARG_BPF_ATTR_PTR,	/* union bpf_attr * (BPF_PROG_LOAD's): struct gt_bpf_prog */
	GT_ARG_BPF_PROG_PTR,	/* struct bpf_prog *: struct gt_bpf_prog */
	GT_ARG_BPF_MAP_PTR,	/* struct bpf_map *: struct gt_bpf_map */
	GT_ARG_PERF_EVENT_PTR,	/* struct perf_event *: struct gt_perf_event */
	GT_ARG_MODULE_PTR,	/* struct module *: struct gt_module */
	GT_ARG_LOAD_INFO_PTR,	/* struct load_info *: struct gt_module */
	GT_ARG_NET_DEV_PTR,	/* struct net_device *: its name, a string */
	GT_ARG_KIOCB_PTR,	/* struct kiocb *: the path of its ki_filp */
	/*
	 * struct iov_iter *: the bytes a user-backed iterator describes
	 * (ITER_UBUF: the buffer; ITER_IOVEC: its first iovec), up to its
	 * count; ival = those bytes' full size (upstream's)
	 */
	GT_ARG_IOV_ITER_PTR,
	GT_ARG_CONST_BUF,	/* tracepoints: size_off bytes of the record at offset (an array of longs) */
};

/*
 * The addresses and ports of a socket or packet, which the network
 * operators (SAddr, DAddr, SPort, DPort, Protocol, Family, State) match.
 */
struct gt_net_tuple {
	__u16 family;		/* AF_INET, AF_INET6 (others: no addresses or ports) */
	__u16 protocol;		/* IPPROTO_*: the socket's, or the packet's layer 4 */
	__u16 sport;		/* host order */
	__u16 dport;
	__u8 saddr[16];		/* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
};

struct gt_sock {
	struct gt_net_tuple t;
	__u16 type;		/* SOCK_STREAM... */
	__u8 state;		/* TCP_ESTABLISHED... (skc_state) */
	__u8 pad;
	__u32 mark;
	__u32 priority;
	__u32 pad2;
	__u64 cookie;		/* the struct sock's address, as upstream's */
};

struct gt_skb {
	struct gt_net_tuple t;
	__u32 hash;
	__u32 len;
	__u32 priority;
	__u32 mark;
	__u32 secpath_len;	/* the IPsec sec_path extension's len, olen (0: none) */
	__u32 secpath_olen;
};

struct gt_userns {
	__s32 level;		/* 0: the initial (host) user namespace */
	__u32 uid;		/* its owner */
	__u32 gid;
	__u32 inum;
};

struct gt_cred {
	__u32 uid, gid, euid, egid, suid, sgid, fsuid, fsgid;
	__u32 securebits;
	__u32 pad;
	__u64 permitted;
	__u64 effective;
	__u64 inheritable;
	struct gt_userns userns;
};

#define GT_OBJ_NAME_LEN 16	/* BPF_OBJ_NAME_LEN, IFNAMSIZ */

struct gt_bpf_prog {
	__u32 type;		/* BPF_PROG_TYPE_* */
	__u32 insn_cnt;
	char name[GT_OBJ_NAME_LEN];
};

struct gt_bpf_map {
	__u32 type;		/* BPF_MAP_TYPE_* */
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	char name[GT_OBJ_NAME_LEN];
};

#define GT_KSYM_LEN 128
struct gt_perf_event {
	__u32 type;		/* PERF_TYPE_* */
	__u32 pad;
	__u64 config;
	__u64 probe_offset;
	char func[GT_KSYM_LEN];	/* a kprobe PMU event's function */
};

#define GT_MODULE_NAME_LEN 56
struct gt_module {
	char name[GT_MODULE_NAME_LEN];
	__u32 sig_ok;		/* GT_MOD_SIG_* */
	__u32 pad;
	__u64 taints;
};

/*
 * Socket tracking (TrackSock/UntrackSock): map "gt_socktrack", shared by
 * every generic program, from a struct sock's address to the process that
 * owns it. An event whose sock or socket argument is tracked reports that
 * process (packets sent from softirq context, for one).
 */
struct gt_sock_owner {
	__u32 pid;		/* execve_map key of the owner */
	__u32 tid;
	__u64 ktime;
};

enum gt_track_op { GT_TRACK_NONE, GT_TRACK_SOCK, GT_UNTRACK_SOCK };

/*
 * Per-instance rodata "gt_xcfg" (beside gt_cfg): the selectors' socket
 * tracking actions and how a return value reads beyond an integer.
 */
struct gt_xcfg {
	__u8 sel_track[GT_MAX_SEL];	/* enum gt_track_op of matchActions */
	__u8 sel_sock[GT_MAX_SEL];	/* argSock: the argument slot of the sock */
	__u8 ret_track;			/* returnArgAction, on the returned sock */
	__u8 ret_kind;			/* GT_ARG_SOCK_PTR: the return value, read into slot nargs */
	/*
	 * LSM hooks, Post imaHash: the selector's record waits in gt_ret
	 * (key pid_tgid) for the hook's sleepable program, which appends the
	 * IMA hash of the hook's file (GT_MSG_IMA) and posts it
	 */
	__u8 sel_ima[GT_MAX_SEL];
	__u8 ima_bprm;			/* the file is the linux_binprm's (else the struct file * argument 0) */
};

/* GT_MSG_IMA: the record's data ends with this (after the arguments' bytes) */
#define GT_IMA_HASH_MAX 64
struct gt_ima_hash {
	__s32 algo;		/* bpf_ima_file_hash(): enum hash_algo, or a negative errno */
	__u32 pad;
	__u8 hash[GT_IMA_HASH_MAX];
};

#define GT_MOD_SIG_OK	0x1	/* load_info: the signature checked out */
#define GT_MOD_SIG_KNOWN 0x2	/* load_info: sig_ok was read (upstream reports it then) */

#define GT_SYSCALL64_I386	0x80000000u	/* upstream's flag of 32-bit syscalls */

/* gt_arg_cfg.flags */
#define GT_ARGF_RETURN_COPY	0x1	/* GT_ARG_BUF_USER read at the return, ret bytes */
#define GT_ARGF_SIZE_ARG	0x2	/* GT_ARG_BUF_USER: byte count in the argument at size_off */
#define GT_ARGF_SIZE32		0x4	/* that count is 4 bytes (else 8) */
#define GT_ARGF_KMEM		0x8	/* the pointer may be a kernel one: kernel memory first, user if that fails */
/*
 * data: entries (upstream's source:). Their slots follow the args. SRC_TASK:
 * the word is the current task_struct's address, its resolve: walk reads
 * kernel memory. SRC_REGS: the word is the register at byte offset of the
 * hook's struct pt_regs (the registers of the call; of the user program for
 * syscalls and uprobes), size_off bytes of it (eax: 4).
 */
#define GT_ARGF_SRC_TASK	0x10
#define GT_ARGF_SRC_REGS	0x20
/*
 * maxData (GT_ARG_BUF_USER, GT_ARG_IOV_ITER_PTR; never with returnCopy):
 * the bytes past what the record keeps, up to GT_MAXDATA_MAX in all, are
 * posted once a selector matched as struct msg_gt_chunk records ahead of
 * the record, which counts them in the argument's flags (GT_ARGV_CHUNKS).
 */
#define GT_ARGF_MAX_DATA	0x40

struct gt_arg_cfg {
	__u16 offset;		/* record offset, or register/argument position */
	__u8 size;
	__u8 kind;
	__u8 is_signed;
	__u8 flags;		/* GT_ARGF_* */
	__u16 size_off;		/* GT_ARGF_SIZE_ARG: where the byte count is, as offset */
};

/*
 * Per-instance configuration every generic program has in its rodata
 * ("gt_cfg", written before load): the hook, its record opcode and how to
 * read its arguments.
 */
struct gt_prog_cfg {
	__u32 hook_id;		/* in the records; never reused */
	__u32 msg_op;		/* MSG_OP_GENERIC_* of the records */
	__u32 nargs;
	__u32 agent_tgid;	/* the agent's own calls are never traced */
	__u32 has_return;	/* the record waits in gt_ret for the return program */
	__u32 raw_nargs;	/* raw tracepoints, kprobes: arguments the hook has (fetches past them are pruned) */
	__u16 ret_size;		/* return probes: bytes of the return value (a register's upper bits are not it) */
	__u16 ret_signed;	/* it is sign-extended from ret_size bytes */
	struct gt_arg_cfg args[GT_MAX_ARGS];
	struct gt_resolve resolve[GT_MAX_ARGS];
};

enum gt_op {
	GT_OP_NONE, GT_OP_EQ, GT_OP_NEQ, GT_OP_PREFIX, GT_OP_NOT_PREFIX, GT_OP_POSTFIX,
	GT_OP_NOT_POSTFIX, GT_OP_GT, GT_OP_LT, GT_OP_MASK, GT_OP_IN_RANGE,
	GT_OP_IN, GT_OP_NOT_IN, GT_OP_NOT_IN_RANGE, GT_OP_IN_MAP, GT_OP_NOT_IN_MAP,
	/*
	 * sockaddr arguments (GT_ARG_SOCKADDR_USER, AF_INET/AF_INET6 only):
	 * the address against CIDRs in gt_strs (key: id, 4 or 6, address bytes;
	 * prefixlen 16 + CIDR bits), the port (host order) against lo/hi ranges
	 * or, nvals 0, the gt_ints set id, or the port below 1024.
	 */
	GT_OP_ADDR, GT_OP_NOT_ADDR, GT_OP_PORT, GT_OP_NOT_PORT, GT_OP_PORT_PRIV, GT_OP_NOT_PORT_PRIV,
	/* sock and skb arguments (struct gt_net_tuple): lo/hi ranges on the field gt_argf.net names */
	GT_OP_NET_FIELD,
	/* past GT_OP_NET_FIELD: integer and string operators again */
	GT_OP_FILE_TYPE, GT_OP_NOT_FILE_TYPE,	/* (mode >> 12) of a path argument: bit in lo[0] */
	GT_OP_CAPS_GAINED,	/* the set of slot lo[0] has a bit this one has not (slot: the old set) */
	GT_OP_SUBSTRING,	/* a value (gt_strs, Prefix-keyed) starts at some byte of the string */
	GT_OP_SUBSTRING_IGNCASE,	/* the same, ASCII letters folded to lower case (the values are stored so) */
};

/* gt_argf.net: which part of a socket or packet an operator reads */
enum gt_net_sel {
	GT_NET_SOCKADDR,	/* a struct sockaddr (GT_ARG_SOCKADDR_USER): its address and port */
	GT_NET_SRC,		/* struct gt_net_tuple: saddr, sport */
	GT_NET_DST,		/* daddr, dport */
	GT_NET_FAMILY,		/* GT_OP_NET_FIELD on family */
	GT_NET_PROTOCOL,	/* on protocol */
	GT_NET_STATE,		/* on gt_sock.state */
};

/*
 * The action a record reports: the selector's strongest (Sigkill, Signal,
 * Override, Post). A monitor-mode policy (GT_CFG_MONITOR) reports the same
 * and applies none of the first three.
 */
enum gt_action { GT_ACT_POST, GT_ACT_NOPOST, GT_ACT_SIGKILL, GT_ACT_SIGNAL, GT_ACT_OVERRIDE, GT_ACT_GETURL,
		 GT_ACT_DNSLOOKUP, GT_ACT_NOTIFY_ENFORCER, GT_ACT_SET };

/*
 * String values (matchArgs on strings, matchBinaries, matchParentBinaries)
 * are entries of the per-hook LPM trie "gt_strs": data is the filter's id
 * then the string (reversed for Postfix/NotPostfix), prefixlen counts bits
 * of both. An exact match is the longest prefix whose stored length equals
 * the argument's. Integers of InMap/NotInMap are keys of the hash "gt_ints".
 */
#define GT_LPM_DATA	256
struct gt_lpm_key {
	__u32 prefixlen;
	__u8 id;
	__u8 s[GT_LPM_DATA - 1];
};

struct gt_lpm_val {
	__u32 len;		/* value length in bytes */
};

struct gt_int_key {
	__u32 id;
	__u32 pad;
	__u64 val;
};

struct gt_argf {
	__u8 slot;		/* index into the hook's args */
	__u8 op;
	__u8 nvals;		/* inline integer values */
	__u8 is_str;		/* string ops: lookups in gt_strs with id */
	__u8 id;		/* map id of the string or InMap values */
	__u8 net;		/* enum gt_net_sel: network operators */
	__u8 pad[2];
	__s64 lo[GT_MAX_VALS];	/* integer value (or range low), as u64 for unsigned args */
	__s64 hi[GT_MAX_VALS];
};

/* matchBinaries / matchParentBinaries */
struct gt_binf {
	__u8 op;		/* GT_OP_NONE, EQ(In), NEQ(NotIn), (NOT_)PREFIX, (NOT_)POSTFIX */
	__u8 id;		/* map id in gt_strs */
	__u8 follow;		/* followChildren: test mbset_bit of the process instead */
	__u8 pad[5];
	__u64 mbset_bit;
};

enum gt_ns_idx {		/* struct msg_ns order */
	GT_NS_UTS, GT_NS_IPC, GT_NS_MNT, GT_NS_PID, GT_NS_PID_FOR_CHILDREN, GT_NS_NET,
	GT_NS_TIME, GT_NS_TIME_FOR_CHILDREN, GT_NS_CGROUP, GT_NS_USER, GT_NS__COUNT,
};

struct gt_nsf {
	__u8 ns;		/* enum gt_ns_idx */
	__u8 op;		/* GT_OP_IN, GT_OP_NOT_IN */
	__u8 nvals;
	__u8 pad;
	__u32 vals[GT_MAX_NSVALS];
};

enum gt_cap_set { GT_CAPS_EFFECTIVE, GT_CAPS_INHERITABLE, GT_CAPS_PERMITTED };

struct gt_capf {
	__u8 set;		/* enum gt_cap_set */
	/*
	 * GT_OP_IN: any of mask held; GT_OP_NOT_IN: none held. With chg
	 * (matchCapabilityChanges, against exec_nscaps): GT_OP_IN, a capability
	 * of mask changed; GT_OP_NOT_IN, none of mask did but another one did.
	 */
	__u8 op;
	__u8 chg;
	__u8 pad;
	__u32 host_userns;	/* isNamespaceCapability: host user ns inum (never matches there) */
	__u64 mask;
};

#define GT_PID_NS	0x1	/* isNamespacePID */
#define GT_PID_FOLLOW	0x2	/* followForks */
#define GT_PID_DEPTH	10	/* ancestors followForks looks at */

enum gt_rate_scope { GT_RATE_THREAD, GT_RATE_PROCESS, GT_RATE_GLOBAL };

struct gt_selector {
	__u8 nargf;
	__u8 nnsf;
	__u8 ncapf;
	__u8 pid_op;		/* GT_OP_NONE, IN, NOT_IN */
	__u8 npids;
	__u8 pid_flags;		/* GT_PID_* */
	__u8 rate_scope;	/* enum gt_rate_scope */
	__u8 post;		/* 1 unless NoPost */
	__u32 action;		/* enum gt_action, strongest of the selector's actions */
	__u32 sig;
	__u32 pids[GT_MAX_PIDS];
	__u64 rate_ns;		/* Post rateLimit, 0 = none */
	struct gt_binf bin;
	struct gt_binf pbin;
	struct gt_argf argf[GT_MAX_ARGF];
	struct gt_nsf nsf[GT_MAX_NSF];
	struct gt_capf capf[GT_MAX_CAPF];
	/* return probes (sys_exit): matchReturnArgs on ret, matchReturnActions */
	__u8 nretf;
	__u8 ret_post;		/* 1 unless NoPost */
	__u8 ret_signed;
	__u8 override;		/* Override: the hook returns override_err (lib/gt_common.h) */
	__u32 ret_action;	/* enum gt_action */
	__u32 ret_sig;
	__s32 override_err;	/* argError: a negative errno */
	struct gt_argf retf[GT_MAX_RETF];	/* slot unused: they test ret */
	__u8 stack;		/* GT_STACK_*: Post's kernelStackTrace, userStackTrace */
	__u8 agent_act;		/* GetUrl/DnsLookup: the record goes to the agent, which runs them */
	__u8 enf;		/* GT_ENF_*: NotifyEnforcer, CleanupEnforcerNotification */
	__u8 enf_sig;		/* NotifyEnforcer argSig (0: none) */
	__s16 enf_err;		/* NotifyEnforcer argError (0: none) */
	__u16 nschg;		/* matchNamespaceChanges: bit (1 << enum gt_ns_idx) | GT_NSCHG_* */
	__u8 enf_arg;		/* NotifyEnforcer: 1 + the slot whose value names the call (raw_syscalls' id), 0: none */
	__u8 pad2[5];
};

/*
 * nschg: with GT_NSCHG_ON, the selector matches when one of the namespaces
 * of the low bits (GT_NSCHG_NOT_IN: of the others) differs from the one
 * exec_nscaps recorded for the process (abi/msg_process.h).
 */
#define GT_NSCHG_MASK	0x3ff
#define GT_NSCHG_ON	0x4000
#define GT_NSCHG_NOT_IN	0x8000

#define GT_ENF_NOTIFY	1
#define GT_ENF_CLEANUP	2

/*
 * NotifyEnforcer (spec.enforcers): what the policy's hooks leave for the
 * calling thread in the policy's map gt_enforcer (key: pid_tgid), which its
 * enforcer program on the syscall function (bpf/generic_enforcer.bpf.c)
 * takes and applies: the signal, then the error the syscall returns.
 * hook_id and arg say which notification it is (the missed counters).
 */
struct gt_enf_val {
	__s32 err;
	__u32 sig;
	__u32 hook_id;		/* the hook that notified */
	__u32 arg;		/* the value of its enf_arg slot (a syscall id), 0 without one */
};

/*
 * Notifications the enforcer missed (upstream's
 * tetragon_enforcer_missed_notifications_total): the policy's map
 * gt_enf_missed counts them by the notification they lost and why, a
 * later NotifyEnforcer of the thread replacing it (OVERWRITTEN) or a
 * CleanupEnforcerNotification finding it never taken (NOACTION).
 */
enum { GT_ENF_MISSED_OVERWRITTEN = 1, GT_ENF_MISSED_NOACTION = 2 };
struct gt_enf_missed_key {
	__u32 hook_id;
	__u32 arg;
	__u32 reason;		/* GT_ENF_MISSED_* */
};
#define GT_ENF_MISSED_MAX 128	/* distinct keys, as upstream's */

#define GT_CFG_MONITOR	0x1	/* policy-mode monitor: report the actions, apply none */
#define GT_CFG_SCOPE	0x2	/* the policy acts only on the workloads in gt_scope (below) */
#define GT_CFG_SCOPE_HOST 0x4	/* and on host workloads: tasks in no pod's cgroup (gt_scope_pods) */

struct gt_config {
	__u32 nsel;		/* 0: every call matches and posts */
	__u32 flags;		/* GT_CFG_* */
	struct gt_selector sel[GT_MAX_SEL];
};

/* Key of the rateLimit LRU: selector, scope (tid, tgid or 0) and argument digest. */
#define GT_RATE_ARG_BYTES 40
struct gt_rate_key {
	__u32 sel;
	__u32 pad;
	__u64 scope;
	__u8 data[GT_MAX_ARGS * GT_RATE_ARG_BYTES];
};

/*
 * The walked executable path of a process, cached per tgid for matchBinaries
 * (map gt_bin_cache, shared by every generic program): valid while the
 * process' execve_map key has this exec ktime, so an exec invalidates it.
 */
struct gt_bin_cache_val {
	__u64 ktime;
	__u32 len;
	__u32 pad;
	char bin[GT_BIN_MAX];
};

/*
 * Per-hook counters (array map "gt_stats"). A call out of the policy's
 * workload scope counts as FILTERED and SCOPE_FILTERED.
 */
enum { GT_STAT_MATCHED, GT_STAT_FILTERED, GT_STAT_LOST, GT_STAT_RATE_LIMITED, GT_STAT_SCOPE_FILTERED,
       GT_STAT__COUNT };

/*
 * Workload scope (TracingPolicyNamespaced, podSelector, containerSelector,
 * hostSelector; gt_config flags GT_CFG_SCOPE*, run-time values so every
 * kernel's verifier checks the path whether or not a policy uses it):
 * gt_scope, a hash of cgroup2 ids (value unused) shared by every program of
 * the policy and kept by the agent (src/k8s/scope.c) as pods come and go. A
 * task is in scope when its cgroup or one of its first GT_SCOPE_LEVELS
 * ancestors is in the set: a pod's own cgroup covers every container the
 * pod runs, before the runtime names them.
 */
#define GT_SCOPE_LEVELS	16
#define GT_SCOPE_MAX	65536	/* cgroup ids of one policy, and of all pods */

struct gt_arg_val {
	__u32 kind;
	__u32 len;		/* bytes kept in the record's data (no NUL) */
	__s64 ival;
	__u32 off;		/* where they start in the record's data */
	__u32 flags;		/* GT_ARGV_* */
};

#define GT_ARGV_UNRESOLVED	0x1	/* a path walk gave up (upstream's unresolvedPathComponents) */
#define GT_ARGV_TRUNCATED	0x2	/* the limits cut the bytes */
#define GT_ARGV_MODE_SHIFT	16	/* path kinds: the inode's i_mode in the upper 16 bits (FileType) */
#define GT_ARGV_CHUNK_LOST	0x4	/* maxData: the ring buffer had no room for a chunk (the bytes stop there) */
/* maxData buffers: how many msg_gt_chunk records were posted for the argument, in the upper 16 bits */
#define GT_ARGV_CHUNKS_SHIFT	16

/*
 * maxData: up to GT_MAXDATA_MAX bytes of an argument in all (upstream's
 * 327360), the record's own first ones then GT_CHUNK_MAX bytes per chunk.
 * A chunk names the record it belongs to by hook, thread and the record's
 * ktime (common.ktime); the thread posts its chunks, in order, right
 * before that record (return probes: before holding it), so user space
 * meets them first on the one ring buffer.
 */
#define GT_MAXDATA_MAX	327360
#define GT_CHUNK_MAX	4096
#define GT_MAXDATA_CHUNKS ((GT_MAXDATA_MAX + GT_CHUNK_MAX - 1) / GT_CHUNK_MAX)
struct msg_gt_chunk {
	struct msg_common common;	/* op MSG_OP_DATA; ktime: the record's */
	__u32 hook_id;
	__u32 tid;
	__u32 slot;		/* the argument */
	__u32 off;		/* where these bytes start in the argument's */
	__u32 len;		/* bytes of data used */
	__u32 seq;		/* 0, 1... for the argument */
	char data[GT_CHUNK_MAX];
};

struct msg_generic {
	struct msg_common common;
	struct msg_execve_key key;	/* current incarnation of the tgid (pid 0: unknown) */
	__u32 hook_id;
	__u32 tid;
	__u32 tgid;
	__u32 action;		/* enum gt_action applied */
	__u32 sel;		/* selector that matched (nsel when none configured) */
	__u32 nargs;
	struct gt_arg_val args[GT_MAX_ARGS];
	/* return probes: the entry is held in gt_ret until sys_exit fills these */
	__s64 ret;
	__u32 flags;		/* GT_MSG_* */
	__u32 ret_action;	/* enum gt_action of matchReturnActions */
	/*
	 * generated syscall lists (raw_syscalls/sys_enter): the x86_64 syscall
	 * number; kprobes: the function's index in the instance's functions
	 */
	__u32 func_id;
	__u32 data_len;		/* bytes of data after this header (at most GT_DATA_MAX) */
	/*
	 * Post kernelStackTrace/userStackTrace (GT_MSG_KSTACK, GT_MSG_USTACK):
	 * the stacks' return addresses (u64 each, innermost first) in data at
	 * stack_off, the kernel's kstack_len bytes then the user's ustack_len
	 * bytes; a length of 0: the kernel gave none (or the record was full).
	 */
	__u32 stack_off;
	__u16 kstack_len;
	__u16 ustack_len;
	/* char data[data_len]: the arguments' bytes (gt_arg_val.off/len), then the stacks */
};

#define GT_MSG_RETURN	0x1	/* ret and ret_action are set */
#define GT_MSG_KSTACK	0x2	/* a kernel stack was asked for */
#define GT_MSG_USTACK	0x4	/* a user stack was asked for */
#define GT_MSG_NOPOST	0x8	/* posted for the agent's actions only (NoPost): no event */
#define GT_MSG_ACTION_FAILED 0x10	/* a program's own action (USDT Set) could not be applied */
#define GT_MSG_IMA	0x20	/* data ends with a struct gt_ima_hash */
/* upstream's PERF_MAX_STACK_DEPTH frames at most per stack */
#define GT_STACK_FRAMES	127
#define GT_STACK_MAX	(GT_STACK_FRAMES * 8)
/* gt_selector.stack */
#define GT_STACK_KERNEL	0x1
#define GT_STACK_USER	0x2

_Static_assert(sizeof(struct gt_arg_cfg) == 8, "gt_arg_cfg layout");
_Static_assert(sizeof(struct gt_prog_cfg) == 28 + 8 * GT_MAX_ARGS + sizeof(struct gt_resolve) * GT_MAX_ARGS,
	       "gt_prog_cfg layout");
_Static_assert(sizeof(struct gt_lpm_key) == 4 + GT_LPM_DATA, "gt_lpm_key layout");
_Static_assert(sizeof(struct gt_argf) == 72, "gt_argf layout");
_Static_assert(sizeof(struct gt_binf) == 16, "gt_binf layout");
_Static_assert(sizeof(struct gt_nsf) == 20, "gt_nsf layout");
_Static_assert(sizeof(struct gt_capf) == 16, "gt_capf layout");
_Static_assert(sizeof(struct gt_selector) == 40 + 32 + 72 * GT_MAX_ARGF + 20 * GT_MAX_NSF + 16 * GT_MAX_CAPF +
		       16 + 72 * GT_MAX_RETF + 16,
	       "gt_selector layout");
_Static_assert(sizeof(struct gt_arg_val) == 24, "gt_arg_val layout");
_Static_assert(sizeof(struct gt_net_tuple) == 40, "gt_net_tuple layout");
_Static_assert(sizeof(struct gt_sock) == 64, "gt_sock layout");
_Static_assert(sizeof(struct gt_skb) == 64, "gt_skb layout");
_Static_assert(sizeof(struct gt_cred) == 80, "gt_cred layout");
_Static_assert(sizeof(struct gt_bpf_map) == 32, "gt_bpf_map layout");
_Static_assert(sizeof(struct gt_perf_event) == 24 + GT_KSYM_LEN, "gt_perf_event layout");
_Static_assert(sizeof(struct gt_module) == 72, "gt_module layout");
_Static_assert(sizeof(struct msg_gt_chunk) == 40 + GT_CHUNK_MAX, "msg_gt_chunk layout");
_Static_assert(sizeof(struct msg_generic) == 16 + 16 + 24 + 24 * GT_MAX_ARGS + 32, "msg_generic layout");

#endif
