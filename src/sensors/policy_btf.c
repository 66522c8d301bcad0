// SPDX-License-Identifier: Apache-2.0
/*
 * BTF typing of hook arguments and resolve: paths (policy_btf.h), shared by
 * the raw tracepoint and kprobe back-ends.
 */
#include "sensors/policy_btf.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "sensors/policy_internal.h"

static struct btf *vmlinux_btf;
static int vmlinux_err;
static pthread_once_t btf_once = PTHREAD_ONCE_INIT;

/*
 * The kernel's functions by name (BTF_KIND_FUNC ids, sorted): a hook's
 * functions are looked up several times each, and libbpf's lookup by name
 * scans every type (100k+).
 */
static __u32 *func_ids;
static size_t nfuncs;

static int cmp_func(const void *a, const void *b)
{
	const struct btf_type *x = btf__type_by_id(vmlinux_btf, *(const __u32 *)a);
	const struct btf_type *y = btf__type_by_id(vmlinux_btf, *(const __u32 *)b);

	return strcmp(btf__name_by_offset(vmlinux_btf, x->name_off), btf__name_by_offset(vmlinux_btf, y->name_off));
}

static void load_btf(void)
{
	struct btf *b = btf__load_vmlinux_btf();
	__u32 n;

	vmlinux_err = libbpf_get_error(b) ? -ENODATA : 0;
	vmlinux_btf = vmlinux_err ? NULL : b;
	if (!vmlinux_btf)
		return;
	n = btf__type_cnt(vmlinux_btf);
	func_ids = calloc(n, sizeof(*func_ids));
	for (__u32 id = 1; func_ids && id < n; id++)
		if (btf_is_func(btf__type_by_id(vmlinux_btf, id)))
			func_ids[nfuncs++] = id;
	if (nfuncs)
		qsort(func_ids, nfuncs, sizeof(*func_ids), cmp_func);
}

/* The BTF_KIND_FUNC id of name, or -ENOENT. */
static int find_func(const char *name)
{
	size_t lo = 0, hi = nfuncs;

	if (!func_ids)
		return btf__find_by_name_kind(vmlinux_btf, name, BTF_KIND_FUNC);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct btf_type *t = btf__type_by_id(vmlinux_btf, func_ids[mid]);
		int c = strcmp(name, btf__name_by_offset(vmlinux_btf, t->name_off));

		if (!c)
			return (int)func_ids[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

const struct btf *policy_btf_vmlinux(char *why, size_t len)
{
	pthread_once(&btf_once, load_btf);
	if (!vmlinux_btf && why)
		snprintf(why, len, "the kernel's BTF (/sys/kernel/btf/vmlinux) is needed to type the arguments, and "
			 "this kernel has none (CONFIG_DEBUG_INFO_BTF)");
	return vmlinux_btf;
}

static void describe(const struct btf *btf, __u32 id, struct btf_arg *ra)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	const char *name;

	memset(ra, 0, sizeof(*ra));
	ra->kind = GT_ARG_INT;
	ra->size = 8;
	ra->report = TP_ARG_UINT64;
	ra->type_id = id;
	if (!t) {
		snprintf(ra->what, sizeof(ra->what), "unknown");
		return;
	}
	if (btf_is_int(t)) {
		ra->size = t->size;
		ra->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		ra->report = ra->size == 8 ? (ra->is_signed ? TP_ARG_INT64 : TP_ARG_UINT64) :
			     (ra->is_signed ? TP_ARG_INT : TP_ARG_UINT32);
		snprintf(ra->what, sizeof(ra->what), "%s", btf__name_by_offset(btf, t->name_off));
		return;
	}
	if (btf_is_enum(t) || btf_is_enum64(t)) {
		ra->size = t->size;
		ra->report = t->size == 8 ? TP_ARG_INT64 : TP_ARG_INT;
		snprintf(ra->what, sizeof(ra->what), "enum");
		return;
	}
	if (!btf_is_ptr(t)) {
		snprintf(ra->what, sizeof(ra->what), "a %u-byte value", t->size);
		return;
	}
	ra->pointer = true;
	t = btf__type_by_id(btf, btf__resolve_type(btf, t->type));
	name = t ? btf__name_by_offset(btf, t->name_off) : "";
	if (t && btf_is_int(t) && t->size == 1) {
		ra->kind = GT_ARG_STR_KERNEL;
		ra->report = TP_ARG_STRING;
		snprintf(ra->what, sizeof(ra->what), "char *");
		return;
	}
	snprintf(ra->what, sizeof(ra->what), "%s%s *", t && btf_is_struct(t) ? "struct " : t && btf_is_union(t) ?
		 "union " : "", t && !btf_is_void(t) && name && *name ? name : "void");
	if (t && btf_is_struct(t) && name) {
		if (!strcmp(name, "file")) {
			ra->kind = GT_ARG_FILE_PTR;
			ra->report = TP_ARG_FILE;
		} else if (!strcmp(name, "path")) {
			ra->kind = GT_ARG_PATH_PTR;
			ra->report = TP_ARG_PATH;
		} else if (!strcmp(name, "dentry")) {
			ra->kind = GT_ARG_DENTRY_PTR;
			ra->report = TP_ARG_DENTRY;
		} else if (!strcmp(name, "linux_binprm")) {
			ra->kind = GT_ARG_BINPRM_PTR;
			ra->report = TP_ARG_LINUX_BINPRM;
		}
	}
}

/* type id without typedefs and qualifiers */
static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	int r = btf__resolve_type(btf, *id);

	if (r < 0)
		return NULL;
	*id = (__u32)r;
	return btf__type_by_id(btf, *id);
}

/* The member of struct/union t named name (anonymous members searched too): its type and bit offset. */
static bool find_member(const struct btf *btf, const struct btf_type *t, const char *name, __u32 *type,
			__u32 *bits)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		__u32 mid = m->type, sub;
		const struct btf_type *mt;

		if (mn && mn[0] && !strcmp(mn, name)) {
			*type = m->type;
			*bits = btf_member_bit_offset(t, i);
			return true;
		}
		mt = (!mn || !mn[0]) ? skip_mods(btf, &mid) : NULL;
		if (mt && (btf_is_struct(mt) || btf_is_union(mt)) && find_member(btf, mt, name, type, &sub)) {
			*bits = btf_member_bit_offset(t, i) + sub;
			return true;
		}
	}
	return false;
}

/*
 * Walk a resolve: path ("mm.owner.pid", "fdt.fd[0]" on arrays) from an
 * argument that points to BTF type id (a struct or union) into offsets
 * (abi/gt_resolve.h); *final is the field's type. 0, or -EINVAL with the
 * step at fault in why.
 */
static int resolve_walk(const struct btf *btf, __u32 id, const char *path, struct gt_resolve *r, __u32 *final,
			char *why, size_t len)
{
	const struct btf_type *t = skip_mods(btf, &id);
	const char *s = path;
	__u32 off = 0, decl = 0;

	memset(r, 0, sizeof(*r));
	while (*s) {
		char name[128];
		size_t n = strcspn(s, ".[");
		__u32 mtype = 0, bits = 0;

		if (*s == '.') {
			s++;
			continue;
		}
		if (*s == '[') {
			char *end;
			unsigned long idx = strtoul(s + 1, &end, 0);
			const struct btf_array *a;
			__s64 esz;

			if (*end != ']' || !t || !btf_is_array(t)) {
				snprintf(why, len, "resolve \"%s\": %.*s indexes something that is not an array", path,
					 (int)(end - path + 1), path);
				return -EINVAL;
			}
			a = btf_array(t);
			esz = btf__resolve_size(btf, a->type);
			if (esz < 0 || idx >= a->nelems) {
				snprintf(why, len, "resolve \"%s\": index %lu out of range (%u elements)", path, idx,
					 a->nelems);
				return -EINVAL;
			}
			off += (__u32)(idx * (unsigned long)esz);
			id = a->type;
			decl = a->type;
			t = skip_mods(btf, &id);
			s = end + 1;
			continue;
		}
		/* a member: of the struct we are in, or behind the pointer we hold */
		if (t && btf_is_ptr(t)) {
			if (r->n >= GT_RESOLVE_MAX - 1) {
				snprintf(why, len, "resolve \"%s\": more than %d pointers", path, GT_RESOLVE_MAX);
				return -EINVAL;
			}
			r->off[r->n++] = off;
			off = 0;
			id = t->type;
			t = skip_mods(btf, &id);
		}
		snprintf(name, sizeof(name), "%.*s", (int)n, s);
		if (!t || !(btf_is_struct(t) || btf_is_union(t)) || !find_member(btf, t, name, &mtype, &bits)) {
			snprintf(why, len, "resolve \"%s\": %s%s has no member %s", path,
				 t && btf_is_struct(t) ? "struct " : t && btf_is_union(t) ? "union " : "",
				 t ? btf__name_by_offset(btf, t->name_off) : "?", name);
			return -EINVAL;
		}
		if (bits % 8) {
			snprintf(why, len, "resolve \"%s\": %s is a bit field", path, name);
			return -EINVAL;
		}
		off += bits / 8;
		id = mtype;
		decl = mtype;
		t = skip_mods(btf, &id);
		s += n;
	}
	r->off[r->n++] = off;
	/* the member's type as declared (a typedef such as kernel_cap_t names what it holds) */
	*final = decl ? decl : id;
	r->last = GT_RES_LOAD;
	r->size = 8;
	if (t && (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t)))
		r->size = (__u8)(t->size < 8 ? t->size : 8);
	else if (t && (btf_is_array(t) || btf_is_struct(t) || btf_is_union(t)))
		r->last = GT_RES_ADDR;
	return 0;
}

/* resolve_walk() from an argument of BTF type id, which must be a pointer. */
static int resolve_path(const struct btf *btf, __u32 id, const char *path, struct gt_resolve *r, __u32 *final,
			char *why, size_t len)
{
	const struct btf_type *t = skip_mods(btf, &id);

	memset(r, 0, sizeof(*r));
	if (!t || !btf_is_ptr(t)) {
		snprintf(why, len, "resolve \"%s\" needs a pointer to a struct", path);
		return -EINVAL;
	}
	return resolve_walk(btf, t->type, path, r, final, why, len);
}

/* Is type id (typedefs and qualifiers followed) the typedef kernel_cap_t? */
static bool is_kernel_cap_t(const struct btf *btf, __u32 id)
{
	for (int k = 0; k < 8; k++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t)
			return false;
		if (btf_is_typedef(t) && !strcmp(btf__name_by_offset(btf, t->name_off), "kernel_cap_t"))
			return true;
		if (!btf_is_typedef(t) && !btf_is_const(t) && !btf_is_volatile(t) && !btf_is_restrict(t))
			return false;
		id = t->type;
	}
	return false;
}

/*
 * What a resolved field is: like describe(), and an embedded char array
 * reads as a string, an embedded struct path as a path.
 */
static int describe_resolved(const struct btf *btf, __u32 id, bool pointee, const char *path, struct gt_resolve *r,
			     struct btf_arg *ra, char *why, size_t len)
{
	const struct btf_type *t;
	__u32 final = 0, declared;

	/* pointee: id is the struct the argument points to (btfType), else the argument's own type */
	if ((pointee ? resolve_walk : resolve_path)(btf, id, path, r, &final, why, len))
		return -EINVAL;
	describe(btf, final, ra);
	if (r->last != GT_RES_ADDR)
		return 0;
	declared = final;
	t = skip_mods(btf, &final);
	if (t && btf_is_array(t)) {
		__u32 eid = btf_array(t)->type;
		const struct btf_type *et = skip_mods(btf, &eid);

		if (et && btf_is_int(et) && et->size == 1) {
			ra->kind = GT_ARG_STR_KERNEL;
			ra->report = TP_ARG_STRING;
			ra->pointer = false;
			snprintf(ra->what, sizeof(ra->what), "char[%u]", btf_array(t)->nelems);
			return 0;
		}
	}
	/* an embedded kernel_cap_t (cred.cap_effective...): its 64 bits, as an integer */
	if (t && btf_is_struct(t) && t->size == 8 && is_kernel_cap_t(btf, declared)) {
		r->last = GT_RES_LOAD;
		r->size = 8;
		ra->kind = GT_ARG_INT;
		ra->size = 8;
		ra->report = TP_ARG_KERNEL_CAP_T;
		snprintf(ra->what, sizeof(ra->what), "kernel_cap_t");
		return 0;
	}
	if (t && btf_is_struct(t) && !strcmp(btf__name_by_offset(btf, t->name_off), "path")) {
		ra->kind = GT_ARG_PATH_PTR;
		ra->report = TP_ARG_PATH;
		snprintf(ra->what, sizeof(ra->what), "struct path");
		return 0;
	}
	snprintf(why, len, "resolve \"%s\" ends on %s, an embedded struct or array: resolve to one of its "
		 "members (integers, char arrays and struct path can be read)", path, ra->what);
	return -EINVAL;
}

static void fill_params(const struct btf *btf, const struct btf_type *proto, int skip, struct btf_hook *bh)
{
	const struct btf_param *p = btf_params(proto);
	int n = btf_vlen(proto) - skip;

	/* a variadic function's last parameter has type 0 */
	if (n > 0 && !p[skip + n - 1].type)
		n--;
	bh->n = n < 0 ? 0 : n;
	for (int i = 0; i < bh->n && i < BTF_HOOK_MAX_ARGS; i++)
		describe(btf, p[i + skip].type, &bh->args[i]);
	describe(btf, proto->type, &bh->ret);
}

int policy_btf_func(const char *name, struct btf_hook *bh, char *why, size_t len)
{
	const struct btf *btf = policy_btf_vmlinux(why, len);
	const struct btf_type *t;
	int id;

	memset(bh, 0, sizeof(*bh));
	snprintf(bh->what, sizeof(bh->what), "function %s", name);
	bh->any_memory = true;
	if (!btf)
		return -ENODATA;
	id = find_func(name);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t)) {
		snprintf(why, len, "the kernel's BTF has no function %s", name);
		return -ENOENT;
	}
	fill_params(btf, t, 0, bh);
	return 0;
}

int policy_btf_rawtp(const char *event, struct btf_hook *bh, char *why, size_t len)
{
	const struct btf *btf;
	char name[160];
	const struct btf_type *t;
	int id;

	memset(bh, 0, sizeof(*bh));
	snprintf(bh->what, sizeof(bh->what), "raw tracepoint %s", event);
	bh->any_memory = true;	/* kernel pointers; a user one read as such all the same */
	btf = policy_btf_vmlinux(NULL, 0);
	if (!btf) {
		snprintf(why, len, "raw tracepoints need the kernel's BTF (/sys/kernel/btf/vmlinux) to type "
			 "their arguments");
		return -ENOENT;
	}
	snprintf(name, sizeof(name), "btf_trace_%s", event);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t)) {
		snprintf(why, len, "raw tracepoint %s: the kernel's BTF has no %s (no such tracepoint here)",
			 event, name);
		return -ENOENT;
	}
	/* the first parameter is the tracepoint's private data pointer */
	fill_params(btf, t, 1, bh);
	return 0;
}

/* Policy types that read a kernel structure, and the C type BTF must give the argument. */
static const struct {
	enum tp_arg_type type;
	enum gt_arg_kind kind;
	const char *what;
} struct_kinds[] = {
	{ TP_ARG_SOCK, GT_ARG_SOCK_PTR, "struct sock *" },
	{ TP_ARG_SOCKET, GT_ARG_SOCKET_PTR, "struct socket *" },
	{ TP_ARG_SKB, GT_ARG_SKB_PTR, "struct sk_buff *" },
	{ TP_ARG_CRED, GT_ARG_CRED_PTR, "struct cred *" },
	{ TP_ARG_USER_NAMESPACE, GT_ARG_USERNS_PTR, "struct user_namespace *" },
	{ TP_ARG_BPF_ATTR, GT_ARG_BPF_ATTR_PTR, "union bpf_attr *" },
	{ TP_ARG_BPF_PROG, GT_ARG_BPF_PROG_PTR, "struct bpf_prog *" },
	{ TP_ARG_BPF_MAP, GT_ARG_BPF_MAP_PTR, "struct bpf_map *" },
	{ TP_ARG_PERF_EVENT, GT_ARG_PERF_EVENT_PTR, "struct perf_event *" },
	{ TP_ARG_MODULE, GT_ARG_MODULE_PTR, "struct module *" },
	{ TP_ARG_LOAD_INFO, GT_ARG_LOAD_INFO_PTR, "struct load_info *" },
	{ TP_ARG_NET_DEVICE, GT_ARG_NET_DEV_PTR, "struct net_device *" },
};

/* The kind to read for a declared type over BTF's view; false if they disagree. */
static bool arg_kind(const struct tp_arg *a, const struct btf_hook *bh, const struct btf_arg *ra, bool resolved,
		     struct gt_arg_cfg *c, enum tp_arg_type *report)
{
	enum tp_arg_type t = a->type;
	unsigned sz;
	bool sg;

	/* kprobes: a char * or buffer may point to user memory (a __user argument) */
	uint8_t kmem = bh->any_memory ? GT_ARGF_KMEM : 0;

	if (t == TP_ARG_AUTO) {
		c->kind = ra->kind;
		c->size = (uint8_t)ra->size;
		c->is_signed = ra->is_signed;
		if (ra->kind == GT_ARG_STR_KERNEL && !resolved && kmem) {
			c->kind = GT_ARG_STR_USER;
			c->flags |= kmem;
		}
		*report = ra->report;
		return true;
	}
	if (policy_int_type(t, &sz, &sg)) {
		c->kind = GT_ARG_INT;
		c->size = (uint8_t)sz;
		c->is_signed = sg;
		*report = t;
		return true;
	}
	*report = t;
	c->size = 8;
	switch (t) {
	case TP_ARG_NOP:
		/* upstream's nop: an argument slot without a value */
		c->kind = GT_ARG_NONE;
		return true;
	case TP_ARG_STRING:
	case TP_ARG_CHAR_BUF:
		if (ra->kind != GT_ARG_STR_KERNEL && !(t == TP_ARG_CHAR_BUF && ra->pointer))
			return false;
		/* an embedded char array is kernel memory; a char * may be a __user one */
		c->kind = ra->pointer && kmem ? GT_ARG_STR_USER : GT_ARG_STR_KERNEL;
		c->flags |= ra->pointer ? kmem : 0;
		if (t == TP_ARG_CHAR_BUF && (a->size_arg_index || a->return_copy)) {
			c->kind = GT_ARG_BUF_USER;
			return true;
		}
		*report = TP_ARG_STRING;	/* a char_buf without a size reads as a string */
		return true;
	case TP_ARG_FD:
		c->kind = GT_ARG_FD;
		c->is_signed = 1;
		return ra->kind == GT_ARG_INT && !ra->pointer;
	case TP_ARG_FILE:
		c->kind = GT_ARG_FILE_PTR;
		return ra->kind == GT_ARG_FILE_PTR;
	case TP_ARG_PATH:
		c->kind = GT_ARG_PATH_PTR;
		return ra->kind == GT_ARG_PATH_PTR;
	case TP_ARG_DENTRY:
		c->kind = GT_ARG_DENTRY_PTR;
		return ra->kind == GT_ARG_DENTRY_PTR;
	case TP_ARG_LINUX_BINPRM:
		c->kind = GT_ARG_BINPRM_PTR;
		return ra->kind == GT_ARG_BINPRM_PTR;
	case TP_ARG_KIOCB:
		c->kind = GT_ARG_KIOCB_PTR;
		return !strcmp(ra->what, "struct kiocb *");
	case TP_ARG_IOV_ITER:
		c->kind = GT_ARG_IOV_ITER_PTR;
		return !strcmp(ra->what, "struct iov_iter *");
	case TP_ARG_SOCKADDR:
		c->kind = GT_ARG_SOCKADDR_USER;
		c->flags |= kmem;
		return ra->pointer && strstr(ra->what, "sockaddr");
	default:
		break;
	}
	/* kernel structures read field by field (bpf/lib/gt_structs.h) */
	for (size_t k = 0; k < sizeof(struct_kinds) / sizeof(struct_kinds[0]); k++)
		if (struct_kinds[k].type == t) {
			c->kind = struct_kinds[k].kind;
			if (t == TP_ARG_SOCKET)
				*report = TP_ARG_SOCK;	/* upstream reports the socket's sock */
			return !strcmp(ra->what, struct_kinds[k].what);
		}
	return false;
}

const char *policy_btf_struct_what(enum tp_arg_type t)
{
	for (size_t k = 0; k < sizeof(struct_kinds) / sizeof(struct_kinds[0]); k++)
		if (struct_kinds[k].type == t)
			return struct_kinds[k].what;
	return NULL;
}

const char *policy_btf_arg(const struct tp_hook *h, size_t i, const struct btf_hook *bh, struct gt_arg_cfg *c,
			   struct gt_resolve *res, enum tp_arg_type *rep, char *why, size_t len)
{
	const struct btf *btf = policy_btf_vmlinux(NULL, 0);
	const struct tp_arg *a = &h->args[i];
	struct btf_arg rr;

	memset(c, 0, sizeof(*c));
	memset(res, 0, sizeof(*res));
	if ((int)a->index >= bh->n || a->index >= BTF_HOOK_MAX_ARGS) {
		snprintf(why, len, "line %u: %s has %d arguments: index %u is out of range", a->pos.line, bh->what,
			 bh->n, a->index);
		return why;
	}
	rr = bh->args[a->index];
	if (a->resolve) {
		char tmp[384];

		if (!btf || describe_resolved(btf, bh->args[a->index].type_id, false, a->resolve, res, &rr, tmp, sizeof(tmp))) {
			snprintf(why, len, "line %u: %s argument %u (%s): %s", a->pos.line, bh->what, a->index,
				 bh->args[a->index].what, btf ? tmp : "no BTF");
			return why;
		}
	}
	if (!arg_kind(a, bh, &rr, a->resolve && res->last == GT_RES_ADDR, c, rep)) {
		const char *want = policy_btf_struct_what(a->type);

		if (want)
			snprintf(why, len, "line %u: %s argument %u%s%s is %s: type %s reads a %s", a->pos.line,
				 bh->what, a->index, a->resolve ? " resolved to " : "", a->resolve ? a->resolve : "",
				 rr.what, tp_arg_type_name(a->type), want);
		else
			snprintf(why, len, "line %u: %s argument %u%s%s is %s: type %s cannot read it "
				 "(integers, string for char * and char arrays, char_buf for pointers, fd for an int, "
				 "file, path, dentry, linux_binprm, kiocb, iov_iter, sockaddr, sock, socket, skb, cred, "
				 "user_namespace, bpf_attr, bpf_prog, bpf_map, perf_event, module, load_info and net_device "
				 "for those structs are supported)", a->pos.line, bh->what, a->index,
				 a->resolve ? " resolved to " : "", a->resolve ? a->resolve : "", rr.what,
				 tp_arg_type_name(a->type));
		return why;
	}
	c->offset = (uint16_t)a->index;
	/* a capability set behind a pointer (security_capset's const kernel_cap_t *): the 64 bits it points at */
	if ((a->type == TP_ARG_KERNEL_CAP_T || a->type == TP_ARG_CAP_INHERITABLE || a->type == TP_ARG_CAP_PERMITTED ||
	     a->type == TP_ARG_CAP_EFFECTIVE) && rr.pointer && !a->resolve) {
		res->n = 1;
		res->off[0] = 0;
		res->last = GT_RES_LOAD;
		res->size = 8;
	}
	if (c->kind == GT_ARG_BUF_USER) {
		if (a->return_copy)
			c->flags |= GT_ARGF_RETURN_COPY;
		if (a->size_arg_index) {
			/* sizeArgIndex is 1-based, as upstream's */
			unsigned k = a->size_arg_index - 1;

			if ((int)k >= bh->n || k >= BTF_HOOK_MAX_ARGS || bh->args[k].pointer ||
			    bh->args[k].kind != GT_ARG_INT) {
				snprintf(why, len, "line %u: sizeArgIndex %u does not name an integer argument of %s",
					 a->pos.line, a->size_arg_index, bh->what);
				return why;
			}
			c->flags |= GT_ARGF_SIZE_ARG | (bh->args[k].size <= 4 ? GT_ARGF_SIZE32 : 0);
			c->size_off = (uint16_t)k;
		}
	} else if (c->kind == GT_ARG_SOCKADDR_USER) {
		/* a socklen_t after the sockaddr (security_socket_connect, bind...) bounds it */
		unsigned k = a->index + 1;

		if ((int)k < bh->n && k < BTF_HOOK_MAX_ARGS && bh->args[k].kind == GT_ARG_INT && !bh->args[k].pointer) {
			c->flags |= GT_ARGF_SIZE_ARG;
			c->size_off = (uint16_t)k;
		}
	}
	return NULL;
}

const char *policy_btf_task_data(const struct tp_arg *a, struct gt_arg_cfg *c, struct gt_resolve *res,
				 enum tp_arg_type *rep, char *why, size_t len)
{
	const struct btf *btf = policy_btf_vmlinux(NULL, 0);
	struct btf_hook bh = { .n = 0 };	/* kernel memory only: no user pointer is in a task */
	struct btf_arg rr;
	char tmp[384];
	int id;

	memset(c, 0, sizeof(*c));
	memset(res, 0, sizeof(*res));
	id = btf ? btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) : -ENOENT;
	if (id <= 0) {
		snprintf(why, len, "line %u: data source current_task needs the kernel's BTF of struct task_struct "
			 "(/sys/kernel/btf/vmlinux), which this kernel does not have", a->pos.line);
		return why;
	}
	if (describe_resolved(btf, (__u32)id, true, a->resolve, res, &rr, tmp, sizeof(tmp))) {
		snprintf(why, len, "line %u: data resolve %s on current_task (struct task_struct): %s", a->pos.line,
			 a->resolve, tmp);
		return why;
	}
	if (!arg_kind(a, &bh, &rr, res->last == GT_RES_ADDR, c, rep)) {
		snprintf(why, len, "line %u: data resolve %s on current_task is %s: type %s cannot read it",
			 a->pos.line, a->resolve, rr.what, tp_arg_type_name(a->type));
		return why;
	}
	c->flags |= GT_ARGF_SRC_TASK;
	return NULL;
}

/*
 * The struct or union a btfType names in btf: its id, or 0. Upstream looks
 * up a struct; a union is accepted too (the walk reads members either way).
 */
static __u32 find_struct(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	if (id <= 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_UNION);
	return id > 0 ? (__u32)id : 0;
}

const char *policy_btf_user_arg(const struct tp_hook *h, size_t i, const char *func, const char *what,
				struct gt_arg_cfg *c, struct gt_resolve *res, enum tp_arg_type *rep, char *why, size_t len)
{
	const struct tp_arg *a = &h->args[i];
	struct btf_hook bh = { .n = BTF_HOOK_MAX_ARGS };
	struct btf_arg rr;
	struct btf *btf;
	char tmp[384];
	__u32 start = 0;
	bool pointee = true;
	long err;

	memset(c, 0, sizeof(*c));
	memset(res, 0, sizeof(*res));
	if (!h->btf_path) {
		snprintf(why, len, "line %u: %s argument %u: resolve needs the binary's BTF: set btfPath to a BTF file "
			 "of it (pahole -J on a binary with DWARF debug info makes one), and btfType to the struct "
			 "the argument points to", a->pos.line, what, a->index);
		return why;
	}
	/* a raw BTF file, or an ELF file with a .BTF section */
	btf = btf__parse(h->btf_path, NULL);
	err = libbpf_get_error(btf);
	if (err) {
		snprintf(why, len, "line %u: btfPath %s: %s (a raw BTF file or an ELF file with a .BTF section "
			 "is needed)", h->pos.line, h->btf_path, strerror(err < 0 ? (int)-err : (int)err));
		return why;
	}
	if (a->btf_type) {
		start = find_struct(btf, a->btf_type);
		if (!start)
			snprintf(why, len, "line %u: %s argument %u: btfType %s: btfPath %s has no struct %s",
				 a->pos.line, what, a->index, a->btf_type, h->btf_path, a->btf_type);
	} else {
		/* no btfType: the function's own prototype, when the BTF has it (pahole -J keeps functions) */
		int fid = func ? btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) : -ENOENT;
		const struct btf_type *ft = fid > 0 ? btf__type_by_id(btf, btf__type_by_id(btf, fid)->type) : NULL;

		pointee = false;
		if (ft && btf_is_func_proto(ft) && a->index < btf_vlen(ft))
			start = btf_params(ft)[a->index].type;
		if (!start)
			snprintf(why, len, "line %u: %s argument %u: resolve needs btfType, the struct the argument "
				 "points to (btfPath %s has no function %s%s)", a->pos.line, what, a->index,
				 h->btf_path, func ? func : "to type it by", ft ? " with that many arguments" : "");
	}
	if (!start) {
		btf__free(btf);
		return why;
	}
	if (describe_resolved(btf, start, pointee, a->resolve, res, &rr, tmp, sizeof(tmp))) {
		snprintf(why, len, "line %u: %s argument %u%s%s: %s", a->pos.line, what, a->index,
			 a->btf_type ? " as struct " : "", a->btf_type ? a->btf_type : "", tmp);
		btf__free(btf);
		return why;
	}
	btf__free(btf);
	/* user memory: a path or other kernel structure cannot be there */
	if (rr.kind != GT_ARG_INT && rr.kind != GT_ARG_STR_KERNEL) {
		rr.kind = GT_ARG_INT;
		rr.size = 8;
		rr.report = TP_ARG_UINT64;
		rr.pointer = true;
	}
	if (!arg_kind(a, &bh, &rr, res->last == GT_RES_ADDR, c, rep) ||
	    (c->kind != GT_ARG_INT && c->kind != GT_ARG_STR_KERNEL)) {
		snprintf(why, len, "line %u: %s argument %u resolved to %s is %s: type %s cannot read it (integer "
			 "types read integers and pointers, string reads a char * or char array)", a->pos.line, what,
			 a->index, a->resolve, rr.what, tp_arg_type_name(a->type));
		return why;
	}
	/* the binary's memory: every read of the walk and the value is a user one */
	if (c->kind == GT_ARG_STR_KERNEL)
		c->kind = GT_ARG_STR_USER;
	c->offset = (uint16_t)a->index;
	return NULL;
}
