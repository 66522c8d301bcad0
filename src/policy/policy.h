/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed model of an upstream Tetragon TracingPolicy / TracingPolicyNamespaced
 * (cilium.io/v1alpha1), produced by tp_parse() after full offline validation.
 *
 * Conventions: optional strings are NULL when unset; every array comes with
 * its element count; enums replace every string the schema enumerates; each
 * object remembers its source position (pos) so a later stage (the policy
 * compiler) can report errors against the user's file too. All memory of a
 * policy belongs to the policy and is released by tp_policy_free().
 */
#ifndef TG_POLICY_POLICY_H
#define TG_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct tp_arena;

struct tp_pos {
	unsigned line, col;	/* 1-based; 0 when synthesized */
};

enum tp_kind {
	TP_KIND_TRACING_POLICY,
	TP_KIND_TRACING_POLICY_NAMESPACED,
};

/* One policy may use only one of these sections (upstream restriction). */
enum tp_hook_kind {
	TP_HOOK_NONE,
	TP_HOOK_KPROBE,
	TP_HOOK_FENTRY,
	TP_HOOK_TRACEPOINT,
	TP_HOOK_UPROBE,
	TP_HOOK_LSM,
	TP_HOOK_USDT,
};

/* Argument types; schema aliases (int32/sint32, long/int64...) collapse. */
enum tp_arg_type {
	TP_ARG_AUTO,
	TP_ARG_INT,
	TP_ARG_INT8,
	TP_ARG_UINT8,
	TP_ARG_INT16,
	TP_ARG_UINT16,
	TP_ARG_INT32,
	TP_ARG_UINT32,
	TP_ARG_INT64,
	TP_ARG_UINT64,
	TP_ARG_SIZE_T,
	TP_ARG_CHAR_BUF,
	TP_ARG_CHAR_IOVEC,
	TP_ARG_SKB,
	TP_ARG_SOCK,
	TP_ARG_SOCKADDR,
	TP_ARG_SOCKET,
	TP_ARG_SOCKADDR_UN,
	TP_ARG_STRING,
	TP_ARG_FD,
	TP_ARG_FILE,
	TP_ARG_FILENAME,
	TP_ARG_PATH,
	TP_ARG_NOP,
	TP_ARG_BPF_ATTR,
	TP_ARG_PERF_EVENT,
	TP_ARG_BPF_MAP,
	TP_ARG_USER_NAMESPACE,
	TP_ARG_CAPABILITY,
	TP_ARG_KIOCB,
	TP_ARG_IOV_ITER,
	TP_ARG_CRED,
	TP_ARG_CONST_BUF,
	TP_ARG_LOAD_INFO,
	TP_ARG_MODULE,
	TP_ARG_SYSCALL64,
	TP_ARG_KERNEL_CAP_T,
	TP_ARG_CAP_INHERITABLE,
	TP_ARG_CAP_PERMITTED,
	TP_ARG_CAP_EFFECTIVE,
	TP_ARG_LINUX_BINPRM,
	TP_ARG_DATA_LOC,
	TP_ARG_NET_DEVICE,
	TP_ARG_BPF_CMD,
	TP_ARG_DENTRY,
	TP_ARG_BPF_PROG,
	TP_ARG__COUNT,
};

enum tp_arg_source {
	TP_SRC_DEFAULT,		/* function/tracepoint argument */
	TP_SRC_CURRENT_TASK,	/* data: walk from current task_struct */
	TP_SRC_PT_REGS,		/* data: register named by resolve */
};

/* An entry of args, data, or returnArg. */
struct tp_arg {
	struct tp_pos pos;
	uint32_t index;
	enum tp_arg_type type;
	char *resolve;		/* BTF path, NULL when unset */
	uint32_t size_arg_index;	/* 1-based, 0 = unset */
	bool return_copy;
	bool max_data;
	char *label;
	enum tp_arg_source source;
	char *btf_type;
	char *btf_type_module;
};

/* Operators of every selector kind; aliases ("eq", "gt", "saddr"...) collapse. */
enum tp_op {
	TP_OP_EQUAL,
	TP_OP_NOT_EQUAL,
	TP_OP_PREFIX,
	TP_OP_NOT_PREFIX,
	TP_OP_POSTFIX,
	TP_OP_NOT_POSTFIX,
	TP_OP_GT,
	TP_OP_LT,
	TP_OP_MASK,
	TP_OP_IN_RANGE,
	TP_OP_NOT_IN_RANGE,
	TP_OP_IN_MAP,
	TP_OP_NOT_IN_MAP,
	TP_OP_SPORT,
	TP_OP_NOT_SPORT,
	TP_OP_SPORT_PRIV,
	TP_OP_NOT_SPORT_PRIV,
	TP_OP_DPORT,
	TP_OP_NOT_DPORT,
	TP_OP_DPORT_PRIV,
	TP_OP_NOT_DPORT_PRIV,
	TP_OP_SADDR,
	TP_OP_NOT_SADDR,
	TP_OP_DADDR,
	TP_OP_NOT_DADDR,
	TP_OP_PROTOCOL,
	TP_OP_FAMILY,
	TP_OP_STATE,
	TP_OP_CAPABILITIES_GAINED,
	TP_OP_SUBSTRING,
	TP_OP_SUBSTRING_IGNCASE,
	TP_OP_CEL_EXPR,
	TP_OP_FILE_TYPE,
	TP_OP_NOT_FILE_TYPE,
	TP_OP_IN,
	TP_OP_NOT_IN,
	TP_OP__COUNT,
};

enum tp_value_kind {
	TP_VAL_RAW,		/* argument type unknown offline (auto, resolve): text only */
	TP_VAL_STRING,		/* u.bytes: bytes to compare (trailing NULs already trimmed for "string") */
	TP_VAL_INT,		/* u.i */
	TP_VAL_UINT,		/* u.u */
	TP_VAL_INT_RANGE,	/* u.irange, inclusive */
	TP_VAL_UINT_RANGE,	/* u.urange, inclusive (ports, protocols, InMap ranges) */
	TP_VAL_ADDR,		/* u.addr: IPv4/IPv6 address with prefix length */
	TP_VAL_LIST,		/* u.list: "list:NAME" in InMap/NotInMap */
	TP_VAL_CAPS,		/* u.u: capability bit mask */
	TP_VAL_FILE_TYPE,	/* u.u: S_IFMT value (S_IFREG, S_IFDIR...) */
	TP_VAL_CEL,		/* CEL source in str */
	TP_VAL_PLACEHOLDER,	/* unexpanded "${VAR}" (envsubst templates); must be substituted before loading */
};

struct tp_value {
	struct tp_pos pos;
	enum tp_value_kind kind;
	char *str;		/* the value as written (NUL-terminated; may hold NULs) */
	size_t len;
	union {
		struct {
			const char *s;
			size_t len;
		} bytes;
		int64_t i;
		uint64_t u;
		struct {
			int64_t lo, hi;
		} irange;
		struct {
			uint64_t lo, hi;
		} urange;
		struct {
			uint8_t family;	/* 4 or 6 */
			uint8_t prefix_len;
			uint8_t addr[16];	/* network order, IPv4 in the first 4 bytes */
		} addr;
		struct {
			size_t index;	/* into policy->lists */
		} list;
	} u;
};

/* matchArgs, matchData and matchReturnArgs entries. */
struct tp_arg_filter {
	struct tp_pos pos;
	enum tp_op op;
	uint32_t index;		/* as written (0 when omitted) */
	uint32_t *args;		/* "args: [...]": positions in the spec's args/data list */
	size_t nargs;
	struct tp_value *values;
	size_t nvalues;
	size_t *value_items;	/* position of each value in the YAML list */
	/*
	 * Resolved against the hook: position of the filtered argument in
	 * hook->args (matchArgs), hook->data (matchData) or 0 for returnArg;
	 * -1 when it cannot be resolved offline. type is that argument's
	 * declared type (TP_ARG_AUTO when unknown or determined by BTF).
	 */
	int slot;
	enum tp_arg_type type;
};

struct tp_pid_filter {
	struct tp_pos pos;
	enum tp_op op;		/* TP_OP_IN / TP_OP_NOT_IN */
	uint32_t *values;
	size_t nvalues;
	bool is_namespace_pid;
	bool follow_forks;
};

struct tp_binary_filter {
	struct tp_pos pos;
	enum tp_op op;		/* In, NotIn, Prefix, NotPrefix, Postfix, NotPostfix */
	char **values;
	size_t nvalues;
	bool follow_children;
};

/* Numbering follows upstream (bit positions in matchNamespaceChanges masks). */
enum tp_ns_type {
	TP_NS_UTS,
	TP_NS_IPC,
	TP_NS_MNT,
	TP_NS_PID,
	TP_NS_PID_FOR_CHILDREN,
	TP_NS_NET,
	TP_NS_TIME,
	TP_NS_TIME_FOR_CHILDREN,
	TP_NS_CGROUP,
	TP_NS_USER,
	TP_NS__COUNT,
};

struct tp_ns_value {
	bool host_ns;		/* "host_ns": resolved to the host's inode at load time */
	uint32_t inum;
};

struct tp_ns_filter {
	struct tp_pos pos;
	enum tp_ns_type ns;
	enum tp_op op;
	struct tp_ns_value *values;
	size_t nvalues;
};

struct tp_ns_change_filter {
	struct tp_pos pos;
	enum tp_op op;
	uint32_t ns_mask;	/* bit (1 << enum tp_ns_type) */
};

enum tp_cap_set {
	TP_CAPS_EFFECTIVE,
	TP_CAPS_INHERITABLE,
	TP_CAPS_PERMITTED,
};

struct tp_caps_filter {
	struct tp_pos pos;
	enum tp_cap_set type;
	enum tp_op op;
	bool is_namespace_capability;
	uint64_t mask;		/* bit (1 << CAP_xxx) */
};

enum tp_action_type {
	TP_ACTION_POST,
	TP_ACTION_SIGKILL,
	TP_ACTION_OVERRIDE,
	TP_ACTION_GETURL,
	TP_ACTION_DNSLOOKUP,
	TP_ACTION_NOPOST,
	TP_ACTION_SIGNAL,
	TP_ACTION_TRACKSOCK,
	TP_ACTION_UNTRACKSOCK,
	TP_ACTION_NOTIFY_ENFORCER,
	TP_ACTION_CLEANUP_ENFORCER_NOTIFICATION,
	TP_ACTION_SET,
	TP_ACTION__COUNT,
};

enum tp_rate_limit_scope {
	TP_RATE_LIMIT_THREAD,
	TP_RATE_LIMIT_PROCESS,
	TP_RATE_LIMIT_GLOBAL,
};

/* Which action parameters were written (struct tp_action.params). */
enum {
	TP_AP_ARG_URL = 1u << 0,
	TP_AP_ARG_FQDN = 1u << 1,
	TP_AP_ARG_ERROR = 1u << 2,
	TP_AP_ARG_SIG = 1u << 3,
	TP_AP_ARG_SOCK = 1u << 4,
	TP_AP_ARG_INDEX = 1u << 5,
	TP_AP_ARG_VALUE = 1u << 6,
	TP_AP_ARG_REGS = 1u << 7,
	TP_AP_ARG_NEW_SYMBOL = 1u << 8,
	TP_AP_ARG_NEW_ADDR = 1u << 9,
	TP_AP_ARG_NEW_OFFSET = 1u << 10,
	TP_AP_RATE_LIMIT = 1u << 11,
	TP_AP_RATE_LIMIT_SCOPE = 1u << 12,
	TP_AP_KERNEL_STACK_TRACE = 1u << 13,
	TP_AP_USER_STACK_TRACE = 1u << 14,
	TP_AP_IMA_HASH = 1u << 15,
};

struct tp_action {
	struct tp_pos pos;
	enum tp_action_type type;
	unsigned params;	/* TP_AP_* of the parameters present */
	int32_t arg_error;
	uint32_t arg_sig;
	uint32_t arg_sock;
	uint32_t arg_index;
	uint32_t arg_value;
	char *arg_url;
	char *arg_fqdn;
	char **arg_regs;
	size_t narg_regs;
	char *arg_new_symbol;
	uint64_t arg_new_addr;
	int64_t arg_new_offset;
	uint32_t rate_limit_ms;	/* 0 = none; saturates like upstream */
	enum tp_rate_limit_scope rate_limit_scope;
	bool kernel_stack_trace;
	bool user_stack_trace;
	bool ima_hash;
};

enum tp_label_op {
	TP_LABEL_IN,
	TP_LABEL_NOT_IN,
	TP_LABEL_EXISTS,
	TP_LABEL_DOES_NOT_EXIST,
};

struct tp_label {
	char *key;
	char *value;
};

struct tp_label_req {
	struct tp_pos pos;
	char *key;
	enum tp_label_op op;
	char **values;
	size_t nvalues;
};

/* Kubernetes LabelSelector; present-but-empty ({}) means "match everything". */
struct tp_label_selector {
	struct tp_pos pos;
	struct tp_label *labels;
	size_t nlabels;
	struct tp_label_req *exprs;
	size_t nexprs;
};

struct tp_workloads {
	struct tp_pos pos;
	struct tp_label_selector *pod;		/* NULL when unset */
	struct tp_label_selector *container;
	struct tp_label_selector *host;
};

/*
 * A selector. Macros listed in the YAML are already expanded into the
 * filter arrays (as upstream does before compiling); macros[] keeps the
 * names for reference.
 */
struct tp_selector {
	struct tp_pos pos;
	char *label;
	struct tp_pid_filter *pids;
	size_t npids;
	struct tp_arg_filter *args;
	size_t nargs;
	struct tp_arg_filter *data;
	size_t ndata;
	struct tp_arg_filter *return_args;
	size_t nreturn_args;
	struct tp_action *actions;
	size_t nactions;
	struct tp_action *return_actions;
	size_t nreturn_actions;
	struct tp_binary_filter *binaries;
	size_t nbinaries;
	struct tp_binary_filter *parent_binaries;
	size_t nparent_binaries;
	struct tp_ns_filter *namespaces;
	size_t nnamespaces;
	struct tp_ns_change_filter *ns_changes;
	size_t nns_changes;
	struct tp_caps_filter *caps;
	size_t ncaps;
	struct tp_caps_filter *cap_changes;
	size_t ncap_changes;
	struct tp_workloads *workloads;	/* NULL when unset */
	char **macros;
	size_t nmacros;
};

enum tp_digest_algo {
	TP_DIGEST_SHA1,
	TP_DIGEST_SHA256,
	TP_DIGEST_SHA384,
	TP_DIGEST_SHA512,
	TP_DIGEST_BUILD_ID,
};

struct tp_digest {
	enum tp_digest_algo algo;
	char *hex;		/* lower case */
};

/*
 * One hook. Which fields are meaningful depends on kind:
 *   kprobe/fentry: call (+call_list), syscall, ret, return_arg_action,
 *                  ignore_call_not_found, data, return_arg
 *   tracepoint:    subsystem, event, raw
 *   uprobe:        path, btf_path, symbols/offsets/addrs, ref_ctr_offsets,
 *                  digests, ignore_digest_failure, ret, data, return_arg
 *   usdt:          path, btf_path, provider, name
 *   lsm:           hook
 * and all of them: message, tags, args, selectors.
 */
struct tp_hook {
	struct tp_pos pos;
	enum tp_hook_kind kind;

	char *call;
	long call_list;		/* index into policy->lists for "list:NAME", else -1 */
	bool syscall;		/* schema default true */
	bool ret;
	bool has_return_arg_action;
	enum tp_action_type return_arg_action;	/* TRACKSOCK / UNTRACKSOCK */
	bool ignore_call_not_found;

	char *subsystem;
	char *event;
	bool raw;

	char *path;
	char *btf_path;
	char **symbols;
	size_t nsymbols;
	uint64_t *offsets;
	size_t noffsets;
	uint64_t *addrs;
	size_t naddrs;
	uint64_t *ref_ctr_offsets;
	size_t nref_ctr_offsets;
	struct tp_digest *digests;
	size_t ndigests;
	bool ignore_digest_failure;

	char *provider;
	char *name;

	char *hook;

	char *message;		/* NULL when unset; longer than 256 bytes is truncated upstream */
	char **tags;
	size_t ntags;
	struct tp_arg *args;
	size_t nargs;
	struct tp_arg *data;
	size_t ndata;
	struct tp_arg *return_arg;	/* NULL when unset */
	struct tp_selector *selectors;
	size_t nselectors;
};

enum tp_list_type {
	TP_LIST_NONE,		/* type omitted: plain function names */
	TP_LIST_SYSCALLS,
	TP_LIST_GENERATED_SYSCALLS,
	TP_LIST_GENERATED_FTRACE,
};

struct tp_list {
	struct tp_pos pos;
	char *name;
	enum tp_list_type type;
	char **values;
	size_t nvalues;
	char *pattern;		/* generated_ftrace regex */
	bool validated;
};

struct tp_option {
	struct tp_pos pos;
	char *name;
	char *value;		/* "" when omitted */
};

struct tp_enforcer {
	struct tp_pos pos;
	char **calls;
	size_t ncalls;
};

struct tp_macro {
	struct tp_pos pos;
	char *name;
	struct tp_selector sel;	/* argument filters are not typed (no hook context) */
};

enum tp_policy_mode {
	TP_MODE_UNSET,
	TP_MODE_ENFORCE,
	TP_MODE_MONITOR,
};

enum tp_override_method {
	TP_OVERRIDE_DEFAULT,
	TP_OVERRIDE_RETURN,	/* "override-return" */
	TP_OVERRIDE_FMOD_RET,	/* "fmod-ret" */
};

/* How syscall kprobes attach (option syscall-attach, this agent's own): auto chooses per kernel. */
enum tp_syscall_attach {
	TP_SYSCALL_ATTACH_AUTO,
	TP_SYSCALL_ATTACH_TRACEPOINT,	/* "tracepoint": syscalls/sys_enter_<name> */
	TP_SYSCALL_ATTACH_KPROBE,	/* "kprobe": a kprobe on __x64_sys_<name> */
	TP_SYSCALL_ATTACH_FENTRY,	/* "fentry": a BPF trampoline on __x64_sys_<name> */
};

/* spec.options with known names, parsed (unknown names are kept in options[] only). */
struct tp_spec_opts {
	enum tp_policy_mode policy_mode;
	bool disable_kprobe_multi;
	bool disable_uprobe_multi;
	enum tp_override_method override_method;
	uint32_t sleepable_preload_size;	/* 0 = default */
	enum tp_syscall_attach syscall_attach;
};

struct tp_policy {
	struct tp_pos pos;	/* start of the YAML document */
	unsigned doc_index;	/* 0-based document number in the stream */
	enum tp_kind kind;
	char *name;
	struct tp_pos name_pos;	/* of metadata.name */
	char *namespace;	/* NULL when unset */

	enum tp_hook_kind hook_kind;	/* TP_HOOK_NONE when the policy has no hooks */
	struct tp_hook *hooks;
	size_t nhooks;

	struct tp_list *lists;
	size_t nlists;
	struct tp_option *options;
	size_t noptions;
	struct tp_spec_opts opts;
	struct tp_enforcer *enforcers;
	size_t nenforcers;
	struct tp_macro *macros;
	size_t nmacros;
	struct tp_label_selector *pod_selector;	/* NULL when unset */
	struct tp_label_selector *container_selector;
	struct tp_label_selector *host_selector;
	struct tp_label_selector *node_selector;
	bool loader;
	struct tp_pos kind_pos;		/* of the kind field */
	struct tp_pos loader_pos;	/* of spec.loader, when set */

	struct tp_arena *arena;	/* owns everything above */
};

struct tp_policy_set {
	struct tp_policy **policies;
	size_t n;
};

/* ---- diagnostics ------------------------------------------------------------ */

enum tp_severity {
	TP_SEV_ERROR,
	TP_SEV_WARNING,
};

struct tp_diag {
	enum tp_severity sev;
	unsigned line, col;	/* 0 when not tied to a position (I/O errors) */
	char *path;		/* field path like spec.kprobes[0].args[1].type, may be "" */
	char *msg;
};

struct tp_diags {
	struct tp_diag *v;
	size_t n, cap;
	size_t nerrors;		/* including dropped ones */
	size_t nwarnings;
	size_t dropped;		/* diagnostics beyond max that were not kept */
	size_t max;		/* 0 = TP_MAX_DIAGS */
};

#define TP_DIAGS_INIT { 0 }

void tp_diags_free(struct tp_diags *d);
/* "file:line:col: [warning: ]path: message" (position/path omitted when absent). */
void tp_diag_format(const struct tp_diag *d, const char *file, struct strbuf *sb);

/* ---- parsing ---------------------------------------------------------------- */

/*
 * Parse and validate every YAML document of buf as a policy. file is only
 * used to label diagnostics. Returns 0 with *out set when there is no
 * error (warnings may still be present in d); -EINVAL when d holds at least
 * one error (*out is NULL); -ENOMEM on allocation failure.
 */
int tp_parse(const char *file, const char *buf, size_t len, struct tp_policy_set **out, struct tp_diags *d);
/* Same, reading path ("-" reads stdin). I/O errors are -errno and one diagnostic. */
int tp_parse_file(const char *path, struct tp_policy_set **out, struct tp_diags *d);

void tp_policy_free(struct tp_policy *p);
void tp_policy_set_free(struct tp_policy_set *s);
/* Detach policy i so it outlives the set (the slot becomes NULL). */
struct tp_policy *tp_policy_set_take(struct tp_policy_set *s, size_t i);

/* ---- what this agent runs ---------------------------------------------------- */

/*
 * "It parses" and "this agent can run it" are separate questions: tp_parse()
 * answers the first (upstream's schema and checks), this the part of the
 * second that needs no kernel: workload scoping the agent cannot apply in
 * the kernel (matchWorkloads: refused, as it would apply to the whole host;
 * a TracingPolicyNamespaced without a namespace; a nodeSelector other than
 * {}, as this agent does not know its node's labels; namespaced policies,
 * podSelector and containerSelector are scoped by src/k8s/scope.c, and
 * refused by the engine without it), features
 * it does not implement (loader, enforcers) and the limits of its BPF
 * selectors (policy_limits.h, TP_AGENT_*). The agent runs it before loading
 * a policy and "tetra tracingpolicy validate" after parsing, so both refuse
 * with one message. Errors go to d like the parser's (line, column, field
 * path); returns how many were added.
 */
size_t tp_check_agent(const struct tp_policy *p, struct tp_diags *d);

/*
 * matchPIDs entries of one selector are AND'ed; fold them into one In or
 * NotIn set as the BPF filter evaluates it. 0; -EINVAL when the entries
 * disagree on followForks/isNamespacePID; -E2BIG when more than
 * TP_AGENT_MAX_PIDS distinct values remain.
 */
int tp_fold_pids(const struct tp_selector *s, uint32_t *out, size_t *nout, bool *is_in);

/* Add one diagnostic (deduplicated, capped at d->max like the parser's). */
void tp_diag_add(struct tp_diags *d, enum tp_severity sev, unsigned line, unsigned col, const char *path,
		 const char *msg);

/* ---- names ------------------------------------------------------------------ */

const char *tp_kind_name(enum tp_kind k);
/* YAML section name ("kprobes", "tracepoints"...), "" for TP_HOOK_NONE */
const char *tp_hook_kind_name(enum tp_hook_kind k);
const char *tp_arg_type_name(enum tp_arg_type t);
const char *tp_op_name(enum tp_op op);
const char *tp_action_name(enum tp_action_type a);
const char *tp_ns_type_name(enum tp_ns_type ns);
const char *tp_cap_set_name(enum tp_cap_set c);
const char *tp_list_type_name(enum tp_list_type t);
/* "CAP_CHOWN"... for 0..40, NULL otherwise */
const char *tp_capability_name(unsigned cap);

#endif
