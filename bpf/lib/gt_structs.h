/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel structures as arguments (included by gt_args.h): each decoder
 * reads the fields a policy type reports into its fixed record of
 * abi/msg_generic.h (struct gt_sock, gt_skb, gt_cred...), which becomes
 * the argument's bytes. A pointer that cannot be read leaves the argument
 * empty (user space reports the type's empty message). Fields a kernel
 * lacks (CO-RE) read as 0.
 */
#ifndef TG_BPF_GT_STRUCTS_H
#define TG_BPF_GT_STRUCTS_H

/* Kernel types this build's vmlinux.h may lack (modules, signatures): relocated where the kernel has them. */
struct load_info___tg {
	const char *name;
	struct module *mod;
	bool sig_ok;
} __attribute__((preserve_access_index));

struct module___sig {
	bool sig_ok;
} __attribute__((preserve_access_index));

/* Room for n bytes of argument i, zeroed; NULL when the record is full. */
static __always_inline void *gt_struct_dst(struct gt_heap *h, __u32 i, __u32 n)
{
	__u32 room;
	char *dst = gt_arg_dst(h, i, &room);

	if (room < n)
		return 0;
	__builtin_memset(dst, 0, n);
	return dst;
}

static __noinline void gt_put_sock(struct gt_heap *h, __u32 i, struct sock *sk)
{
	struct gt_sock *o = gt_struct_dst(h, i, sizeof(struct gt_sock));
	__u16 dport = 0;

	if (!o || !sk)
		return;
	o->t.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	o->t.protocol = BPF_CORE_READ(sk, sk_protocol);
	o->t.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	o->t.dport = bpf_ntohs(dport);
	if (o->t.family == 2) {
		BPF_CORE_READ_INTO((__u32 *)o->t.saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)o->t.daddr, sk, __sk_common.skc_daddr);
	} else if (o->t.family == 10) {
		bpf_probe_read_kernel(o->t.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(o->t.daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	o->type = BPF_CORE_READ(sk, sk_type);
	o->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	o->mark = BPF_CORE_READ(sk, sk_mark);
	o->priority = BPF_CORE_READ(sk, sk_priority);
	o->cookie = (__u64)(unsigned long)sk;
	gt_arg_commit(h, i, sizeof(struct gt_sock));
	/* a tracked sock: its owner is the event's process */
	{
		__u64 key = o->cookie;
		struct gt_sock_owner *ow = bpf_map_lookup_elem(&gt_socktrack, &key);

		if (ow) {
			h->owner = *ow;
			h->owner_set = 1;
		}
	}
}

/*
 * An IPsec packet's sec_path (an skb extension): its len and olen, 0 when
 * the packet has none or the kernel has no XFRM.
 */
static __always_inline void gt_put_secpath(struct gt_skb *o, struct sk_buff *skb)
{
	struct skb_ext *ext;
	struct sec_path *sp;
	__u8 active = 0, off = 0;
	int id;

	if (!bpf_core_field_exists(skb->extensions) || !bpf_core_enum_value_exists(enum skb_ext_id, SKB_EXT_SEC_PATH))
		return;
	id = bpf_core_enum_value(enum skb_ext_id, SKB_EXT_SEC_PATH);
	/* an extension's offset means something only while its bit is set */
	bpf_core_read(&active, sizeof(active), &skb->active_extensions);
	if (id < 0 || id > 7 || !(active & (1u << id)))
		return;
	ext = BPF_CORE_READ(skb, extensions);
	if (!ext || bpf_core_read(&off, sizeof(off), &ext->offset[id & 7]) || !off)
		return;
	/* offsets count 8-byte chunks from the extension's start (skb_ext_get_ptr) */
	sp = (struct sec_path *)((char *)ext + ((__u32)off << 3));
	bpf_core_read(&o->secpath_len, sizeof(o->secpath_len), &sp->len);
	bpf_core_read(&o->secpath_olen, sizeof(o->secpath_olen), &sp->olen);
}

/* The IP and transport headers of a packet: addresses, layer 4 protocol and ports. */
static __noinline void gt_put_skb(struct gt_heap *h, __u32 i, struct sk_buff *skb)
{
	struct gt_skb *o = gt_struct_dst(h, i, sizeof(struct gt_skb));
	unsigned char *head;
	__u16 nh, th;
	__u8 ver = 0;
	__u32 l4 = 0;

	if (!o || !skb)
		return;
	o->hash = BPF_CORE_READ(skb, hash);
	o->len = BPF_CORE_READ(skb, len);
	o->priority = BPF_CORE_READ(skb, priority);
	o->mark = BPF_CORE_READ(skb, mark);
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	th = BPF_CORE_READ(skb, transport_header);
	if (!head || nh == 0xffff || bpf_probe_read_kernel(&ver, 1, head + nh))
		goto out;
	if (ver >> 4 == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			goto out;
		o->t.family = 2;
		o->t.protocol = ip.protocol;
		__builtin_memcpy(o->t.saddr, &ip.saddr, 4);
		__builtin_memcpy(o->t.daddr, &ip.daddr, 4);
		l4 = nh + (ip.ihl & 0xf) * 4;
	} else if (ver >> 4 == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			goto out;
		o->t.family = 10;
		o->t.protocol = ip6.nexthdr;
		__builtin_memcpy(o->t.saddr, &ip6.saddr, 16);
		__builtin_memcpy(o->t.daddr, &ip6.daddr, 16);
		l4 = nh + sizeof(ip6);
	} else {
		goto out;
	}
	/* the transport header where the stack has set it, else right after the IP header */
	if (th != 0xffff && th > nh)
		l4 = th;
	if (o->t.protocol == 6 || o->t.protocol == 17 || o->t.protocol == 132 || o->t.protocol == 136) {
		__u16 ports[2] = {};

		if (!bpf_probe_read_kernel(ports, sizeof(ports), head + l4)) {
			o->t.sport = bpf_ntohs(ports[0]);
			o->t.dport = bpf_ntohs(ports[1]);
		}
	}
out:
	gt_put_secpath(o, skb);
	gt_arg_commit(h, i, sizeof(struct gt_skb));
}

static __always_inline void gt_read_userns(struct gt_userns *o, struct user_namespace *ns)
{
	if (!ns)
		return;
	o->level = BPF_CORE_READ(ns, level);
	o->uid = BPF_CORE_READ(ns, owner.val);
	o->gid = BPF_CORE_READ(ns, group.val);
	o->inum = BPF_CORE_READ(ns, ns.inum);
}

static __noinline void gt_put_userns(struct gt_heap *h, __u32 i, struct user_namespace *ns)
{
	struct gt_userns *o = gt_struct_dst(h, i, sizeof(struct gt_userns));

	if (!o || !ns)
		return;
	gt_read_userns(o, ns);
	gt_arg_commit(h, i, sizeof(struct gt_userns));
}

static __noinline void gt_put_cred(struct gt_heap *h, __u32 i, struct cred *c)
{
	struct gt_cred *o = gt_struct_dst(h, i, sizeof(struct gt_cred));

	if (!o || !c)
		return;
	o->uid = BPF_CORE_READ(c, uid.val);
	o->gid = BPF_CORE_READ(c, gid.val);
	o->euid = BPF_CORE_READ(c, euid.val);
	o->egid = BPF_CORE_READ(c, egid.val);
	o->suid = BPF_CORE_READ(c, suid.val);
	o->sgid = BPF_CORE_READ(c, sgid.val);
	o->fsuid = BPF_CORE_READ(c, fsuid.val);
	o->fsgid = BPF_CORE_READ(c, fsgid.val);
	o->securebits = BPF_CORE_READ(c, securebits);
	/* kernel_cap_t: a u64 since 6.3, two u32 (low word first) before */
	bpf_probe_read_kernel(&o->permitted, 8, &c->cap_permitted);
	bpf_probe_read_kernel(&o->effective, 8, &c->cap_effective);
	bpf_probe_read_kernel(&o->inheritable, 8, &c->cap_inheritable);
	gt_read_userns(&o->userns, BPF_CORE_READ(c, user_ns));
	gt_arg_commit(h, i, sizeof(struct gt_cred));
}

static __noinline void gt_put_bpf(struct gt_heap *h, __u32 i, __u64 v, __u32 kind)
{
	if (kind == GT_ARG_BPF_MAP_PTR) {
		struct gt_bpf_map *o = gt_struct_dst(h, i, sizeof(struct gt_bpf_map));
		struct bpf_map *m = (struct bpf_map *)v;

		if (!o || !m)
			return;
		o->type = BPF_CORE_READ(m, map_type);
		o->key_size = BPF_CORE_READ(m, key_size);
		o->value_size = BPF_CORE_READ(m, value_size);
		o->max_entries = BPF_CORE_READ(m, max_entries);
		bpf_probe_read_kernel_str(o->name, sizeof(o->name), &m->name);
		gt_arg_commit(h, i, sizeof(struct gt_bpf_map));
		return;
	}
	struct gt_bpf_prog *o = gt_struct_dst(h, i, sizeof(struct gt_bpf_prog));

	if (!o || !v)
		return;
	if (kind == GT_ARG_BPF_ATTR_PTR) {
		union bpf_attr *a = (union bpf_attr *)v;

		o->type = BPF_CORE_READ(a, prog_type);
		o->insn_cnt = BPF_CORE_READ(a, insn_cnt);
		bpf_probe_read_kernel_str(o->name, sizeof(o->name), &a->prog_name);
	} else {
		struct bpf_prog *p = (struct bpf_prog *)v;
		struct bpf_prog_aux *aux = BPF_CORE_READ(p, aux);

		o->type = BPF_CORE_READ(p, type);
		o->insn_cnt = BPF_CORE_READ(p, len);
		if (aux)
			bpf_probe_read_kernel_str(o->name, sizeof(o->name), &aux->name);
	}
	gt_arg_commit(h, i, sizeof(struct gt_bpf_prog));
}

static __noinline void gt_put_perf_event(struct gt_heap *h, __u32 i, struct perf_event *e)
{
	struct gt_perf_event *o = gt_struct_dst(h, i, sizeof(struct gt_perf_event));
	__u64 func = 0;

	if (!o || !e)
		return;
	o->type = BPF_CORE_READ(e, attr.type);
	o->config = BPF_CORE_READ(e, attr.config);
	o->probe_offset = BPF_CORE_READ(e, attr.probe_offset);
	/* a kprobe PMU event: attr.kprobe_func, the function's name */
	func = BPF_CORE_READ(e, attr.kprobe_func);
	if (func && bpf_probe_read_kernel_str(o->func, sizeof(o->func), (const void *)func) < 0)
		bpf_probe_read_user_str(o->func, sizeof(o->func), (const void *)func);
	gt_arg_commit(h, i, sizeof(struct gt_perf_event));
}

static __noinline void gt_put_module(struct gt_heap *h, __u32 i, __u64 v, __u32 kind)
{
	struct gt_module *o = gt_struct_dst(h, i, sizeof(struct gt_module));
	struct module *mod = (struct module *)v;

	if (!o || !v)
		return;
	if (kind == GT_ARG_LOAD_INFO_PTR) {
		struct load_info___tg *li = (struct load_info___tg *)v;
		const char *name = 0;

		if (!bpf_core_type_exists(struct load_info___tg))
			return;
		name = BPF_CORE_READ(li, name);
		if (!name || bpf_probe_read_kernel_str(o->name, sizeof(o->name), name) < 0)
			return;
		mod = BPF_CORE_READ(li, mod);
		if (bpf_core_field_exists(li->sig_ok))
			o->sig_ok = GT_MOD_SIG_KNOWN | (BPF_CORE_READ(li, sig_ok) ? GT_MOD_SIG_OK : 0);
		if (mod)
			o->taints = BPF_CORE_READ(mod, taints);
	} else {
		if (bpf_probe_read_kernel_str(o->name, sizeof(o->name), &mod->name) < 0)
			return;
		o->taints = BPF_CORE_READ(mod, taints);
	}
	gt_arg_commit(h, i, sizeof(struct gt_module));
}

/* The argument's structure record, by kind. */
static __always_inline void gt_put_struct(struct gt_heap *h, __u32 i, __u64 v, __u32 kind)
{
	switch (kind) {
	case GT_ARG_SOCKET_PTR:
		v = v ? (__u64)(unsigned long)BPF_CORE_READ((struct socket *)v, sk) : 0;
		/* fallthrough */
	case GT_ARG_SOCK_PTR:
		gt_put_sock(h, i, (struct sock *)v);
		return;
	case GT_ARG_SKB_PTR:
		gt_put_skb(h, i, (struct sk_buff *)v);
		return;
	case GT_ARG_CRED_PTR:
		gt_put_cred(h, i, (struct cred *)v);
		return;
	case GT_ARG_USERNS_PTR:
		gt_put_userns(h, i, (struct user_namespace *)v);
		return;
	case GT_ARG_BPF_ATTR_PTR:
	case GT_ARG_BPF_PROG_PTR:
	case GT_ARG_BPF_MAP_PTR:
		gt_put_bpf(h, i, v, kind);
		return;
	case GT_ARG_PERF_EVENT_PTR:
		gt_put_perf_event(h, i, (struct perf_event *)v);
		return;
	case GT_ARG_MODULE_PTR:
	case GT_ARG_LOAD_INFO_PTR:
		gt_put_module(h, i, v, kind);
		return;
	case GT_ARG_NET_DEV_PTR:
		if (v)
			gt_put_str(h, i, &((struct net_device *)v)->name, GT_MEM_KERNEL);
		return;
	}
}

#endif
