// SPDX-License-Identifier: Apache-2.0
/* Kernel-structure arguments -> upstream's KprobeArgument messages (policy_structs.h). */
#include "sensors/policy_structs.h"

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "abi/msg_generic.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Names upstream reports (uapi numbering); a number without one reads as its decimal. */
static const char *const families[] = {
	"AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_AX25", "AF_IPX", "AF_APPLETALK", "AF_NETROM", "AF_BRIDGE",
	"AF_ATMPVC", "AF_X25", "AF_INET6", "AF_ROSE", "AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY",
	"AF_NETLINK", "AF_PACKET", "AF_ASH", "AF_ECONET", "AF_ATMSVC", "AF_RDS", NULL, "AF_IRDA", "AF_PPPOX",
	"AF_WANPIPE", "AF_LLC", "AF_IB", "AF_MPLS", "AF_CAN", "AF_TIPC", "AF_BLUETOOTH", "AF_IUCV", "AF_RXRPC",
	"AF_ISDN", "AF_PHONET", "AF_IEEE802154", "AF_CAIF", "AF_ALG", "AF_NFC", "AF_VSOCK", "AF_KCM",
	"AF_QIPCRTR", "AF_SMC", "AF_XDP", "AF_MCTP",
};

static const char *const sock_types[] = {
	NULL, "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET", "SOCK_DCCP", NULL, NULL,
	NULL, "SOCK_PACKET",
};

static const struct {
	unsigned num;
	const char *name;
} protocols[] = {
	{ 0, "IPPROTO_IP" }, { 1, "IPPROTO_ICMP" }, { 2, "IPPROTO_IGMP" }, { 4, "IPPROTO_IPIP" },
	{ 6, "IPPROTO_TCP" }, { 8, "IPPROTO_EGP" }, { 12, "IPPROTO_PUP" }, { 17, "IPPROTO_UDP" },
	{ 22, "IPPROTO_IDP" }, { 29, "IPPROTO_TP" }, { 33, "IPPROTO_DCCP" }, { 41, "IPPROTO_IPV6" },
	{ 46, "IPPROTO_RSVP" }, { 47, "IPPROTO_GRE" }, { 50, "IPPROTO_ESP" }, { 51, "IPPROTO_AH" },
	{ 92, "IPPROTO_MTP" }, { 94, "IPPROTO_BEETPH" }, { 98, "IPPROTO_ENCAP" }, { 103, "IPPROTO_PIM" },
	{ 108, "IPPROTO_COMP" }, { 132, "IPPROTO_SCTP" }, { 136, "IPPROTO_UDPLITE" }, { 137, "IPPROTO_MPLS" },
	{ 143, "IPPROTO_ETHERNET" }, { 255, "IPPROTO_RAW" }, { 262, "IPPROTO_MPTCP" },
};

static const char *const tcp_states[] = {
	NULL, "TCP_ESTABLISHED", "TCP_SYN_SENT", "TCP_SYN_RECV", "TCP_FIN_WAIT1", "TCP_FIN_WAIT2",
	"TCP_TIME_WAIT", "TCP_CLOSE", "TCP_CLOSE_WAIT", "TCP_LAST_ACK", "TCP_LISTEN", "TCP_CLOSING",
	"TCP_NEW_SYN_RECV",
};

static const char *const prog_types[] = {
	"BPF_PROG_TYPE_UNSPEC", "BPF_PROG_TYPE_SOCKET_FILTER", "BPF_PROG_TYPE_KPROBE", "BPF_PROG_TYPE_SCHED_CLS",
	"BPF_PROG_TYPE_SCHED_ACT", "BPF_PROG_TYPE_TRACEPOINT", "BPF_PROG_TYPE_XDP", "BPF_PROG_TYPE_PERF_EVENT",
	"BPF_PROG_TYPE_CGROUP_SKB", "BPF_PROG_TYPE_CGROUP_SOCK", "BPF_PROG_TYPE_LWT_IN", "BPF_PROG_TYPE_LWT_OUT",
	"BPF_PROG_TYPE_LWT_XMIT", "BPF_PROG_TYPE_SOCK_OPS", "BPF_PROG_TYPE_SK_SKB", "BPF_PROG_TYPE_CGROUP_DEVICE",
	"BPF_PROG_TYPE_SK_MSG", "BPF_PROG_TYPE_RAW_TRACEPOINT", "BPF_PROG_TYPE_CGROUP_SOCK_ADDR",
	"BPF_PROG_TYPE_LWT_SEG6LOCAL", "BPF_PROG_TYPE_LIRC_MODE2", "BPF_PROG_TYPE_SK_REUSEPORT",
	"BPF_PROG_TYPE_FLOW_DISSECTOR", "BPF_PROG_TYPE_CGROUP_SYSCTL", "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE",
	"BPF_PROG_TYPE_CGROUP_SOCKOPT", "BPF_PROG_TYPE_TRACING", "BPF_PROG_TYPE_STRUCT_OPS", "BPF_PROG_TYPE_EXT",
	"BPF_PROG_TYPE_LSM", "BPF_PROG_TYPE_SK_LOOKUP", "BPF_PROG_TYPE_SYSCALL",
};

static const char *const map_types[] = {
	"BPF_MAP_TYPE_UNSPEC", "BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_ARRAY", "BPF_MAP_TYPE_PROG_ARRAY",
	"BPF_MAP_TYPE_PERF_EVENT_ARRAY", "BPF_MAP_TYPE_PERCPU_HASH", "BPF_MAP_TYPE_PERCPU_ARRAY",
	"BPF_MAP_TYPE_STACK_TRACE", "BPF_MAP_TYPE_CGROUP_ARRAY", "BPF_MAP_TYPE_LRU_HASH",
	"BPF_MAP_TYPE_LRU_PERCPU_HASH", "BPF_MAP_TYPE_LPM_TRIE", "BPF_MAP_TYPE_ARRAY_OF_MAPS",
	"BPF_MAP_TYPE_HASH_OF_MAPS", "BPF_MAP_TYPE_DEVMAP", "BPF_MAP_TYPE_SOCKMAP", "BPF_MAP_TYPE_CPUMAP",
	"BPF_MAP_TYPE_XSKMAP", "BPF_MAP_TYPE_SOCKHASH", "BPF_MAP_TYPE_CGROUP_STORAGE",
	"BPF_MAP_TYPE_REUSEPORT_SOCKARRAY", "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE", "BPF_MAP_TYPE_QUEUE",
	"BPF_MAP_TYPE_STACK", "BPF_MAP_TYPE_SK_STORAGE", "BPF_MAP_TYPE_DEVMAP_HASH", "BPF_MAP_TYPE_STRUCT_OPS",
	"BPF_MAP_TYPE_RINGBUF", "BPF_MAP_TYPE_INODE_STORAGE", "BPF_MAP_TYPE_TASK_STORAGE",
	"BPF_MAP_TYPE_BLOOM_FILTER",
};

static const char *const perf_types[] = {
	"PERF_TYPE_HARDWARE", "PERF_TYPE_SOFTWARE", "PERF_TYPE_TRACEPOINT", "PERF_TYPE_HW_CACHE",
	"PERF_TYPE_RAW", "PERF_TYPE_BREAKPOINT", "PERF_TYPE_MAX",
};

/* tbl[v], or v in decimal into num (16 bytes) */
static char *name_of(const char *const *tbl, size_t n, unsigned v, char *num)
{
	if (v < n && tbl[v])
		return (char *)tbl[v];
	snprintf(num, 16, "%u", v);
	return num;
}

static char *protocol_name(unsigned v, char *num)
{
	for (size_t i = 0; i < N(protocols); i++)
		if (protocols[i].num == v)
			return (char *)protocols[i].name;
	snprintf(num, 16, "%u", v);
	return num;
}

/* An address of a tuple as text into out (INET6_ADDRSTRLEN); "" for other families. */
static char *addr_text(unsigned family, const uint8_t *a, char *out)
{
	out[0] = 0;
	if (family == AF_INET)
		inet_ntop(AF_INET, a, out, INET6_ADDRSTRLEN);
	else if (family == AF_INET6)
		inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
	return out;
}

/* Record bytes into a zeroed struct: a short record (unreadable pointer) reads as zeros. */
static void take(void *dst, size_t n, const void *b, size_t len)
{
	memset(dst, 0, n);
	if (b && len >= n)
		memcpy(dst, b, n);
}

/* A fixed char array as a C string in out (n + 1 bytes). */
static char *cstr(const char *s, size_t n, char *out)
{
	size_t l = strnlen(s, n);

	memcpy(out, s, l);
	out[l] = 0;
	return out;
}

static void fill_userns(struct arg_struct_store *st, const struct gt_userns *u)
{
	tetragon__user_namespace__init(&st->userns);
	google__protobuf__int32_value__init(&st->level);
	google__protobuf__uint32_value__init(&st->nsuid);
	google__protobuf__uint32_value__init(&st->nsgid);
	tetragon__namespace__init(&st->ns);
	st->level.value = u->level;
	st->nsuid.value = u->uid;
	st->nsgid.value = u->gid;
	st->ns.inum = u->inum;
	st->ns.is_host = u->level == 0;	/* upstream: level 0 is the host's */
	st->userns.level = &st->level;
	st->userns.uid = &st->nsuid;
	st->userns.gid = &st->nsgid;
	st->userns.ns = &st->ns;
}

static size_t cap_list(uint64_t mask, Tetragon__CapabilitiesType *out)
{
	size_t n = 0;

	for (unsigned i = 0; i < 64; i++)
		if ((mask & (1ULL << i)) && tp_capability_name(i))
			out[n++] = (Tetragon__CapabilitiesType)i;
	return n;
}

static void fill_cred(struct arg_struct_store *st, const struct gt_cred *c)
{
	Tetragon__ProcessCredentials *m = &st->m.cred;
	const uint32_t ids[8] = { c->uid, c->gid, c->euid, c->egid, c->suid, c->sgid, c->fsuid, c->fsgid };
	Google__Protobuf__UInt32Value **dst[8] = { &m->uid, &m->gid, &m->euid, &m->egid,
						  &m->suid, &m->sgid, &m->fsuid, &m->fsgid };

	tetragon__process_credentials__init(m);
	for (int i = 0; i < 8; i++) {
		google__protobuf__uint32_value__init(&st->ids[i]);
		st->ids[i].value = ids[i];
		*dst[i] = &st->ids[i];
	}
	for (int i = 0; i < 8; i++)
		if (c->securebits & (1u << i))
			st->securebits[m->n_securebits++] = (Tetragon__SecureBitsType)(1u << i);
	m->securebits = st->securebits;
	tetragon__capabilities__init(&st->caps);
	st->caps.n_permitted = cap_list(c->permitted, st->capv[0]);
	st->caps.permitted = st->capv[0];
	st->caps.n_effective = cap_list(c->effective, st->capv[1]);
	st->caps.effective = st->capv[1];
	st->caps.n_inheritable = cap_list(c->inheritable, st->capv[2]);
	st->caps.inheritable = st->capv[2];
	m->caps = &st->caps;
	fill_userns(st, &c->userns);
	m->user_ns = &st->userns;
}

/* The taint bits upstream names (TaintedBitsType): the module-related ones. */
static size_t taint_list(uint64_t t, Tetragon__TaintedBitsType *out)
{
	static const unsigned bits[] = { 0, 1, 2, 10, 12, 13, 15, 18 };
	size_t n = 0;

	for (size_t i = 0; i < N(bits); i++)
		if (t & (1ULL << bits[i]))
			out[n++] = (Tetragon__TaintedBitsType)(1u << bits[i]);
	return n;
}

bool policy_struct_arg(Tetragon__KprobeArgument *a, enum tp_arg_type t, const void *b, size_t len, char *strbuf,
		       struct arg_struct_store *st)
{
	/* strbuf carves: two addresses, then names and numbers */
	char *s1 = strbuf, *s2 = strbuf + 64, *n1 = strbuf + 128, *n2 = strbuf + 144, *n3 = strbuf + 160,
	     *txt = strbuf + 176;

	switch (t) {
	case TP_ARG_SOCK:
	case TP_ARG_SOCKET: {
		struct gt_sock s;
		Tetragon__KprobeSock *m = &st->m.sock;

		take(&s, sizeof(s), b, len);
		tetragon__kprobe_sock__init(m);
		m->family = name_of(families, N(families), s.t.family, n1);
		m->type = name_of(sock_types, N(sock_types), s.type, n2);
		m->protocol = protocol_name(s.t.protocol, n3);
		m->mark = s.mark;
		m->priority = s.priority;
		m->saddr = addr_text(s.t.family, s.t.saddr, s1);
		m->daddr = addr_text(s.t.family, s.t.daddr, s2);
		m->sport = s.t.sport;
		m->dport = s.t.dport;
		m->cookie = s.cookie;
		m->state = name_of(tcp_states, N(tcp_states), s.state, txt);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SOCK_ARG;
		a->sock_arg = m;
		return true;
	}
	case TP_ARG_SKB: {
		struct gt_skb s;
		Tetragon__KprobeSkb *m = &st->m.skb;

		take(&s, sizeof(s), b, len);
		tetragon__kprobe_skb__init(m);
		m->hash = s.hash;
		m->len = s.len;
		m->priority = s.priority;
		m->mark = s.mark;
		m->saddr = addr_text(s.t.family, s.t.saddr, s1);
		m->daddr = addr_text(s.t.family, s.t.daddr, s2);
		m->sport = s.t.sport;
		m->dport = s.t.dport;
		m->proto = s.t.protocol;
		m->sec_path_len = s.secpath_len;
		m->sec_path_olen = s.secpath_olen;
		m->protocol = protocol_name(s.t.protocol, n3);
		m->family = name_of(families, N(families), s.t.family, n1);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_SKB_ARG;
		a->skb_arg = m;
		return true;
	}
	case TP_ARG_CRED: {
		struct gt_cred c;

		take(&c, sizeof(c), b, len);
		fill_cred(st, &c);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_PROCESS_CREDENTIALS_ARG;
		a->process_credentials_arg = &st->m.cred;
		return true;
	}
	case TP_ARG_USER_NAMESPACE: {
		struct gt_userns u;

		take(&u, sizeof(u), b, len);
		fill_userns(st, &u);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_USER_NS_ARG;
		a->user_ns_arg = &st->userns;
		return true;
	}
	case TP_ARG_BPF_ATTR:
	case TP_ARG_BPF_PROG: {
		struct gt_bpf_prog p;
		char *type;

		take(&p, sizeof(p), b, len);
		type = name_of(prog_types, N(prog_types), p.type, n1);
		cstr(p.name, sizeof(p.name), txt);
		if (t == TP_ARG_BPF_ATTR) {
			tetragon__kprobe_bpf_attr__init(&st->m.bpfattr);
			st->m.bpfattr.progtype = type;
			st->m.bpfattr.insncnt = p.insn_cnt;
			st->m.bpfattr.progname = txt;
			a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BPF_ATTR_ARG;
			a->bpf_attr_arg = &st->m.bpfattr;
		} else {
			tetragon__kprobe_bpf_prog__init(&st->m.bpfprog);
			st->m.bpfprog.progtype = type;
			st->m.bpfprog.insncnt = p.insn_cnt;
			st->m.bpfprog.progname = txt;
			a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BPF_PROG_ARG;
			a->bpf_prog_arg = &st->m.bpfprog;
		}
		return true;
	}
	case TP_ARG_BPF_MAP: {
		struct gt_bpf_map p;
		Tetragon__KprobeBpfMap *m = &st->m.bpfmap;

		take(&p, sizeof(p), b, len);
		tetragon__kprobe_bpf_map__init(m);
		m->maptype = name_of(map_types, N(map_types), p.type, n1);
		m->keysize = p.key_size;
		m->valuesize = p.value_size;
		m->maxentries = p.max_entries;
		m->mapname = cstr(p.name, sizeof(p.name), txt);
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BPF_MAP_ARG;
		a->bpf_map_arg = m;
		return true;
	}
	case TP_ARG_PERF_EVENT: {
		struct gt_perf_event p;
		Tetragon__KprobePerfEvent *m = &st->m.perf;

		take(&p, sizeof(p), b, len);
		tetragon__kprobe_perf_event__init(m);
		m->kprobefunc = cstr(p.func, sizeof(p.func), txt);
		m->type = name_of(perf_types, N(perf_types), p.type, n1);
		m->config = p.config;
		m->probeoffset = p.probe_offset;
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_PERF_EVENT_ARG;
		a->perf_event_arg = m;
		return true;
	}
	case TP_ARG_MODULE:
	case TP_ARG_LOAD_INFO: {
		struct gt_module p;
		Tetragon__KernelModule *m = &st->m.module;

		take(&p, sizeof(p), b, len);
		tetragon__kernel_module__init(m);
		m->name = cstr(p.name, sizeof(p.name), txt);
		/* upstream: load_info reports signature_ok, a struct module does not */
		if (t == TP_ARG_LOAD_INFO) {
			google__protobuf__bool_value__init(&st->sigok);
			st->sigok.value = !!(p.sig_ok & GT_MOD_SIG_OK);
			m->signature_ok = &st->sigok;
		}
		m->n_tainted = taint_list(p.taints, st->taints);
		m->tainted = st->taints;
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_MODULE_ARG;
		a->module_arg = m;
		return true;
	}
	case TP_ARG_NET_DEVICE:
		/* the name, read as a string */
		tetragon__kprobe_net_dev__init(&st->m.netdev);
		memcpy(txt, b ? b : "", len < 64 ? len : 63);
		txt[len < 64 ? len : 63] = 0;
		st->m.netdev.name = txt;
		a->arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_NET_DEV_ARG;
		a->net_dev_arg = &st->m.netdev;
		return true;
	default:
		return false;
	}
}
