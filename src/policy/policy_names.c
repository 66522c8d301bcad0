// SPDX-License-Identifier: Apache-2.0
/* Spellings of the policy enums, shared by the parser and by printers. */
#include <stddef.h>

#include "policy/policy.h"
#include "policy/policy_names.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every spelling the CRD enum accepts; the first one of a type is canonical. */
const struct tp_name_map tp_arg_type_map[] = {
	{ "auto", TP_ARG_AUTO },
	{ "int", TP_ARG_INT },
	{ "int8", TP_ARG_INT8 },
	{ "sint8", TP_ARG_INT8 },
	{ "uint8", TP_ARG_UINT8 },
	{ "int16", TP_ARG_INT16 },
	{ "sint16", TP_ARG_INT16 },
	{ "uint16", TP_ARG_UINT16 },
	{ "int32", TP_ARG_INT32 },
	{ "sint32", TP_ARG_INT32 },
	{ "uint32", TP_ARG_UINT32 },
	{ "int64", TP_ARG_INT64 },
	{ "sint64", TP_ARG_INT64 },
	{ "long", TP_ARG_INT64 },
	{ "uint64", TP_ARG_UINT64 },
	{ "ulong", TP_ARG_UINT64 },
	{ "size_t", TP_ARG_SIZE_T },
	{ "char_buf", TP_ARG_CHAR_BUF },
	{ "char_iovec", TP_ARG_CHAR_IOVEC },
	{ "skb", TP_ARG_SKB },
	{ "sock", TP_ARG_SOCK },
	{ "sockaddr", TP_ARG_SOCKADDR },
	{ "socket", TP_ARG_SOCKET },
	{ "sockaddr_un", TP_ARG_SOCKADDR_UN },
	{ "string", TP_ARG_STRING },
	{ "fd", TP_ARG_FD },
	{ "file", TP_ARG_FILE },
	{ "filename", TP_ARG_FILENAME },
	{ "path", TP_ARG_PATH },
	{ "nop", TP_ARG_NOP },
	{ "bpf_attr", TP_ARG_BPF_ATTR },
	{ "perf_event", TP_ARG_PERF_EVENT },
	{ "bpf_map", TP_ARG_BPF_MAP },
	{ "user_namespace", TP_ARG_USER_NAMESPACE },
	{ "capability", TP_ARG_CAPABILITY },
	{ "kiocb", TP_ARG_KIOCB },
	{ "iov_iter", TP_ARG_IOV_ITER },
	{ "cred", TP_ARG_CRED },
	{ "const_buf", TP_ARG_CONST_BUF },
	{ "load_info", TP_ARG_LOAD_INFO },
	{ "module", TP_ARG_MODULE },
	{ "syscall64", TP_ARG_SYSCALL64 },
	{ "kernel_cap_t", TP_ARG_KERNEL_CAP_T },
	{ "cap_inheritable", TP_ARG_CAP_INHERITABLE },
	{ "cap_permitted", TP_ARG_CAP_PERMITTED },
	{ "cap_effective", TP_ARG_CAP_EFFECTIVE },
	{ "linux_binprm", TP_ARG_LINUX_BINPRM },
	{ "data_loc", TP_ARG_DATA_LOC },
	{ "net_device", TP_ARG_NET_DEVICE },
	{ "bpf_cmd", TP_ARG_BPF_CMD },
	{ "dentry", TP_ARG_DENTRY },
	{ "bpf_prog", TP_ARG_BPF_PROG },
	{ NULL, 0 },
};

/*
 * matchArgs/matchData/matchReturnArgs operators: the CRD spellings first
 * (these are listed in error messages), then the lower-case and other
 * aliases upstream's SelectorOp() also accepts (flag set).
 */
const struct tp_name_map tp_arg_op_map[] = {
	{ "Equal", TP_OP_EQUAL },
	{ "NotEqual", TP_OP_NOT_EQUAL },
	{ "Prefix", TP_OP_PREFIX },
	{ "NotPrefix", TP_OP_NOT_PREFIX },
	{ "Postfix", TP_OP_POSTFIX },
	{ "NotPostfix", TP_OP_NOT_POSTFIX },
	{ "GreaterThan", TP_OP_GT },
	{ "LessThan", TP_OP_LT },
	{ "GT", TP_OP_GT },
	{ "LT", TP_OP_LT },
	{ "Mask", TP_OP_MASK },
	{ "SPort", TP_OP_SPORT },
	{ "NotSPort", TP_OP_NOT_SPORT },
	{ "SPortPriv", TP_OP_SPORT_PRIV },
	{ "NotSportPriv", TP_OP_NOT_SPORT_PRIV },
	{ "DPort", TP_OP_DPORT },
	{ "NotDPort", TP_OP_NOT_DPORT },
	{ "DPortPriv", TP_OP_DPORT_PRIV },
	{ "NotDPortPriv", TP_OP_NOT_DPORT_PRIV },
	{ "SAddr", TP_OP_SADDR },
	{ "NotSAddr", TP_OP_NOT_SADDR },
	{ "DAddr", TP_OP_DADDR },
	{ "NotDAddr", TP_OP_NOT_DADDR },
	{ "Protocol", TP_OP_PROTOCOL },
	{ "Family", TP_OP_FAMILY },
	{ "State", TP_OP_STATE },
	{ "InMap", TP_OP_IN_MAP },
	{ "NotInMap", TP_OP_NOT_IN_MAP },
	{ "CapabilitiesGained", TP_OP_CAPABILITIES_GAINED },
	{ "InRange", TP_OP_IN_RANGE },
	{ "NotInRange", TP_OP_NOT_IN_RANGE },
	{ "SubString", TP_OP_SUBSTRING },
	{ "SubStringIgnCase", TP_OP_SUBSTRING_IGNCASE },
	{ "CelExpr", TP_OP_CEL_EXPR },
	{ "FileType", TP_OP_FILE_TYPE },
	{ "NotFileType", TP_OP_NOT_FILE_TYPE },
	/* aliases */
	{ "gt", TP_OP_GT, 1 },
	{ "lt", TP_OP_LT, 1 },
	{ "eq", TP_OP_EQUAL, 1 },
	{ "neq", TP_OP_NOT_EQUAL, 1 },
	{ "prefix", TP_OP_PREFIX, 1 },
	{ "notprefix", TP_OP_NOT_PREFIX, 1 },
	{ "postfix", TP_OP_POSTFIX, 1 },
	{ "notpostfix", TP_OP_NOT_POSTFIX, 1 },
	{ "mask", TP_OP_MASK, 1 },
	{ "saddr", TP_OP_SADDR, 1 },
	{ "Saddr", TP_OP_SADDR, 1 },
	{ "daddr", TP_OP_DADDR, 1 },
	{ "Daddr", TP_OP_DADDR, 1 },
	{ "notsaddr", TP_OP_NOT_SADDR, 1 },
	{ "NotSaddr", TP_OP_NOT_SADDR, 1 },
	{ "notdaddr", TP_OP_NOT_DADDR, 1 },
	{ "NotDaddr", TP_OP_NOT_DADDR, 1 },
	{ "sport", TP_OP_SPORT, 1 },
	{ "Sport", TP_OP_SPORT, 1 },
	{ "dport", TP_OP_DPORT, 1 },
	{ "Dport", TP_OP_DPORT, 1 },
	{ "protocol", TP_OP_PROTOCOL, 1 },
	{ "notsport", TP_OP_NOT_SPORT, 1 },
	{ "NotSport", TP_OP_NOT_SPORT, 1 },
	{ "notdport", TP_OP_NOT_DPORT, 1 },
	{ "NotDport", TP_OP_NOT_DPORT, 1 },
	{ "sportpriv", TP_OP_SPORT_PRIV, 1 },
	{ "SportPriv", TP_OP_SPORT_PRIV, 1 },
	{ "dportpriv", TP_OP_DPORT_PRIV, 1 },
	{ "DportPriv", TP_OP_DPORT_PRIV, 1 },
	{ "notsportpriv", TP_OP_NOT_SPORT_PRIV, 1 },
	{ "NotSPortPriv", TP_OP_NOT_SPORT_PRIV, 1 },
	{ "notdportpriv", TP_OP_NOT_DPORT_PRIV, 1 },
	{ "NotDportPriv", TP_OP_NOT_DPORT_PRIV, 1 },
	{ "family", TP_OP_FAMILY, 1 },
	{ "state", TP_OP_STATE, 1 },
	{ NULL, 0 },
};

/* matchBinaries / matchParentBinaries (CRD enum + SelectorOp aliases). */
const struct tp_name_map tp_binary_op_map[] = {
	{ "In", TP_OP_IN },
	{ "NotIn", TP_OP_NOT_IN },
	{ "Prefix", TP_OP_PREFIX },
	{ "NotPrefix", TP_OP_NOT_PREFIX },
	{ "Postfix", TP_OP_POSTFIX },
	{ "NotPostfix", TP_OP_NOT_POSTFIX },
	{ "prefix", TP_OP_PREFIX, 1 },
	{ "notprefix", TP_OP_NOT_PREFIX, 1 },
	{ "postfix", TP_OP_POSTFIX, 1 },
	{ "notpostfix", TP_OP_NOT_POSTFIX, 1 },
	{ NULL, 0 },
};

/* matchPIDs, matchNamespaces, matchNamespaceChanges, matchCapabilities... */
const struct tp_name_map tp_in_op_map[] = {
	{ "In", TP_OP_IN },
	{ "NotIn", TP_OP_NOT_IN },
	{ NULL, 0 },
};

/* Upstream lower-cases action names before looking them up. */
const struct tp_name_map tp_action_map[] = {
	{ "Post", TP_ACTION_POST },
	{ "Sigkill", TP_ACTION_SIGKILL },
	{ "Override", TP_ACTION_OVERRIDE },
	{ "GetUrl", TP_ACTION_GETURL },
	{ "DnsLookup", TP_ACTION_DNSLOOKUP },
	{ "NoPost", TP_ACTION_NOPOST },
	{ "Signal", TP_ACTION_SIGNAL },
	{ "TrackSock", TP_ACTION_TRACKSOCK },
	{ "UntrackSock", TP_ACTION_UNTRACKSOCK },
	{ "NotifyEnforcer", TP_ACTION_NOTIFY_ENFORCER },
	{ "CleanupEnforcerNotification", TP_ACTION_CLEANUP_ENFORCER_NOTIFICATION },
	{ "Set", TP_ACTION_SET },
	{ NULL, 0 },
};

/* Upstream lower-cases namespace names too; numbering matches enum tp_ns_type. */
const struct tp_name_map tp_ns_map[] = {
	{ "Uts", TP_NS_UTS },
	{ "Ipc", TP_NS_IPC },
	{ "Mnt", TP_NS_MNT },
	{ "Pid", TP_NS_PID },
	{ "PidForChildren", TP_NS_PID_FOR_CHILDREN },
	{ "Net", TP_NS_NET },
	{ "Time", TP_NS_TIME },
	{ "TimeForChildren", TP_NS_TIME_FOR_CHILDREN },
	{ "Cgroup", TP_NS_CGROUP },
	{ "User", TP_NS_USER },
	{ NULL, 0 },
};

const struct tp_name_map tp_cap_set_map[] = {
	{ "Effective", TP_CAPS_EFFECTIVE },
	{ "Inheritable", TP_CAPS_INHERITABLE },
	{ "Permitted", TP_CAPS_PERMITTED },
	{ NULL, 0 },
};

const struct tp_name_map tp_list_type_map[] = {
	{ "syscalls", TP_LIST_SYSCALLS },
	{ "generated_syscalls", TP_LIST_GENERATED_SYSCALLS },
	{ "generated_ftrace", TP_LIST_GENERATED_FTRACE },
	{ NULL, 0 },
};

const struct tp_name_map tp_label_op_map[] = {
	{ "In", TP_LABEL_IN },
	{ "NotIn", TP_LABEL_NOT_IN },
	{ "Exists", TP_LABEL_EXISTS },
	{ "DoesNotExist", TP_LABEL_DOES_NOT_EXIST },
	{ NULL, 0 },
};

const struct tp_name_map tp_rate_limit_scope_map[] = {
	{ "thread", TP_RATE_LIMIT_THREAD },
	{ "process", TP_RATE_LIMIT_PROCESS },
	{ "global", TP_RATE_LIMIT_GLOBAL },
	{ NULL, 0 },
};

/*
 * Linux capability numbers. Upstream resolves names through its protobuf
 * enum, where number 1 is spelled "DAC_OVERRIDE" (no CAP_ prefix); the
 * parser accepts both spellings.
 */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

const char *tp_capability_name(unsigned cap)
{
	return cap < N(cap_names) ? cap_names[cap] : NULL;
}

unsigned tp_capability_count(void)
{
	return N(cap_names);
}

/* Canonical (first) spelling of value v in a map. */
static const char *map_name(const struct tp_name_map *m, int v)
{
	for (; m->name; m++)
		if (m->value == v)
			return m->name;
	return "?";
}

const char *tp_kind_name(enum tp_kind k)
{
	return k == TP_KIND_TRACING_POLICY_NAMESPACED ? "TracingPolicyNamespaced" : "TracingPolicy";
}

const char *tp_hook_kind_name(enum tp_hook_kind k)
{
	switch (k) {
	case TP_HOOK_KPROBE:
		return "kprobes";
	case TP_HOOK_FENTRY:
		return "fentries";
	case TP_HOOK_TRACEPOINT:
		return "tracepoints";
	case TP_HOOK_UPROBE:
		return "uprobes";
	case TP_HOOK_LSM:
		return "lsmhooks";
	case TP_HOOK_USDT:
		return "usdts";
	default:
		return "";
	}
}

const char *tp_arg_type_name(enum tp_arg_type t)
{
	return map_name(tp_arg_type_map, t);
}

const char *tp_op_name(enum tp_op op)
{
	if (op == TP_OP_IN)
		return "In";
	if (op == TP_OP_NOT_IN)
		return "NotIn";
	return map_name(tp_arg_op_map, op);
}

const char *tp_action_name(enum tp_action_type a)
{
	return map_name(tp_action_map, a);
}

const char *tp_ns_type_name(enum tp_ns_type ns)
{
	return map_name(tp_ns_map, ns);
}

const char *tp_cap_set_name(enum tp_cap_set c)
{
	return map_name(tp_cap_set_map, c);
}

const char *tp_list_type_name(enum tp_list_type t)
{
	return t == TP_LIST_NONE ? "" : map_name(tp_list_type_map, t);
}
