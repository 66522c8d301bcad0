// SPDX-License-Identifier: Apache-2.0
/*
 * Per-object stand-ins for the kernel's BTF in CO-RE relocation (core_btf.h).
 *
 * libbpf finds a relocation's target candidates by (essential) name among
 * the kernel's types and then walks only what those types reach (members,
 * array elements, pointees, typedefs). So the kernel types named in the
 * object's own BTF, closed over every type they reference, give libbpf the
 * same candidates and the same layouts: the relocated program is identical
 * (same prog tag). Only BTF type ids differ, which our programs never ask
 * for (no bpf_core_type_id_kernel, no typed ksyms).
 *
 * With a custom BTF, libbpf does not fall back to module BTFs for a name
 * vmlinux lacks; when a module does have such a name, no stand-in is made.
 */
#include "sensors/core_btf.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "sensors/policy_btf.h"
#include "util/log.h"

#define CORE_BTF_MAX 16

static struct {
	const char *key;
	int fd;		/* memfd of the BTF, -1: none (libbpf's default) */
	char path[32];
} cache[CORE_BTF_MAX];
static size_t ncache;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct name {
	const char *s;
	size_t len;	/* up to a "___flavor" suffix, as libbpf compares */
	int kind;
	bool in_vmlinux;	/* a candidate of its kind there: libbpf looks no further */
};

static size_t essential_len(const char *s)
{
	const char *p = strstr(s, "___");

	return p ? (size_t)(p - s) : strlen(s);
}

static int cmp_name(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	int c = strncmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Kinds a relocation can name (not functions, variables, sections, tags). */
static bool nameable(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DATASEC:
	case BTF_KIND_DECL_TAG:
		return false;
	default:
		return t->name_off != 0;
	}
}

/* libbpf takes an enum for an enum64 and back */
static int kind_class(const struct btf_type *t)
{
	return btf_kind(t) == BTF_KIND_ENUM64 ? BTF_KIND_ENUM : btf_kind(t);
}

/* [*lo, *hi): the entries of v named s; false when none is. */
static bool find(struct name *v, size_t n, const char *s, size_t *lo, size_t *hi)
{
	struct name k = { .s = s, .len = essential_len(s) };
	struct name *m = bsearch(&k, v, n, sizeof(*v), cmp_name);

	if (!m)
		return false;
	*lo = *hi = (size_t)(m - v);
	while (*lo > 0 && !cmp_name(&v[*lo - 1], &k))
		--*lo;
	while (*hi < n && !cmp_name(&v[*hi], &k))
		++*hi;
	return true;
}

/* Calls f on every type id t refers to; with the new BTF's ids it rewrites them. */
static void refs(struct btf_type *t, void (*f)(__u32 *id, void *ctx), void *ctx)
{
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		f(&t->type, ctx);
		break;
	case BTF_KIND_ARRAY:
		f(&btf_array(t)->type, ctx);
		f(&btf_array(t)->index_type, ctx);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (__u16 i = 0; i < btf_vlen(t); i++)
			f(&btf_members(t)[i].type, ctx);
		break;
	case BTF_KIND_FUNC_PROTO:
		f(&t->type, ctx);
		for (__u16 i = 0; i < btf_vlen(t); i++)
			f(&btf_params(t)[i].type, ctx);
		break;
	case BTF_KIND_DATASEC:
		for (__u16 i = 0; i < btf_vlen(t); i++)
			f(&btf_var_secinfos(t)[i].type, ctx);
		break;
	default:
		break;
	}
}

struct walk {
	uint8_t *mark;
	__u32 *stack;
	size_t sp;
	__u32 *map;	/* old id -> new id */
};

static void push(__u32 *id, void *ctx)
{
	struct walk *w = ctx;

	if (*id && !w->mark[*id]) {
		w->mark[*id] = 1;
		w->stack[w->sp++] = *id;
	}
}

static void remap(__u32 *id, void *ctx)
{
	*id = ((struct walk *)ctx)->map[*id];
}

/* Does a module's BTF define a name the object uses and vmlinux lacks? */
static bool module_has(const struct btf *vm, struct name *v, size_t n)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[300];
		struct btf *mb;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		mb = btf__parse_split(path, (struct btf *)vm);
		if (libbpf_get_error(mb)) {
			/* unreadable: it might hold one, so keep libbpf's own search */
			found = true;
			break;
		}
		for (__u32 id = btf__type_cnt(vm); id < btf__type_cnt(mb) && !found; id++) {
			const struct btf_type *t = btf__type_by_id(mb, id);
			size_t lo, hi;

			if (!nameable(t) || !find(v, n, btf__name_by_offset(mb, t->name_off), &lo, &hi))
				continue;
			/* any local type of that name vmlinux lacks */
			for (size_t i = lo; i < hi; i++)
				found |= !v[i].in_vmlinux;
		}
		btf__free(mb);
	}
	closedir(d);
	return found;
}

/* The stand-in as a memfd, or -errno. */
static int build(const void *elf, size_t sz, const char *key)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = key);
	const struct btf *vm = policy_btf_vmlinux(NULL, 0);
	struct bpf_object *obj = NULL;
	const struct btf *lb;
	struct name *names = NULL;
	struct walk w = { 0 };
	struct btf *nb = NULL;
	size_t nnames = 0, kept = 0;
	__u32 n, ln;
	int fd = -ENOMEM;

	if (!vm)
		return -ENODATA;
	obj = bpf_object__open_mem(elf, sz, &oo);
	if (libbpf_get_error(obj)) {
		obj = NULL;
		fd = -EINVAL;
		goto out;
	}
	lb = bpf_object__btf(obj);
	if (!lb) {
		fd = -ENODATA;
		goto out;
	}
	ln = btf__type_cnt(lb);
	names = calloc(ln, sizeof(*names));
	n = btf__type_cnt(vm);
	w.mark = calloc(n, 1);
	w.stack = calloc(n, sizeof(*w.stack));
	w.map = calloc(n, sizeof(*w.map));
	if (!names || !w.mark || !w.stack || !w.map)
		goto out;
	for (__u32 id = 1; id < ln; id++) {
		const struct btf_type *t = btf__type_by_id(lb, id);

		if (nameable(t)) {
			names[nnames].s = btf__name_by_offset(lb, t->name_off);
			names[nnames].len = essential_len(names[nnames].s);
			names[nnames].kind = kind_class(t);
			nnames++;
		}
	}
	qsort(names, nnames, sizeof(*names), cmp_name);
	/* every candidate libbpf could pick, then all they reach */
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(vm, id);
		size_t lo, hi;

		if (nameable(t) && find(names, nnames, btf__name_by_offset(vm, t->name_off), &lo, &hi)) {
			for (size_t i = lo; i < hi; i++)
				names[i].in_vmlinux |= names[i].kind == kind_class(t);
			push(&id, &w);
		}
	}
	while (w.sp) {
		__u32 id = w.stack[--w.sp];

		/* only reads: push() never writes the id */
		refs((struct btf_type *)btf__type_by_id(vm, id), push, &w);
	}
	for (size_t i = 0; i < nnames; i++)
		if (!names[i].in_vmlinux) {
			if (module_has(vm, names, nnames)) {
				fd = -ENOENT;
				goto out;
			}
			break;
		}
	nb = btf__new_empty();
	if (libbpf_get_error(nb)) {
		nb = NULL;
		goto out;
	}
	for (__u32 id = 1; id < n; id++) {
		int nid;

		if (!w.mark[id])
			continue;
		nid = btf__add_type(nb, vm, btf__type_by_id(vm, id));
		if (nid < 0) {
			fd = nid;
			goto out;
		}
		w.map[id] = (__u32)nid;
		kept++;
	}
	/* the copies still hold vmlinux ids: the types are nb's own, written in place */
	for (__u32 id = 1; id < btf__type_cnt(nb); id++)
		refs((struct btf_type *)btf__type_by_id(nb, id), remap, &w);
	{
		__u32 rsz;
		const void *raw = btf__raw_data(nb, &rsz);
		ssize_t wr;

		if (!raw)
			goto out;
		fd = memfd_create("tetragon-core-btf", MFD_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			goto out;
		}
		wr = write(fd, raw, rsz);
		if (wr != (ssize_t)rsz) {
			close(fd);
			fd = wr < 0 ? -errno : -EIO;
			goto out;
		}
	}
	log_debug("CO-RE BTF for %s: %zu of %u kernel types", key, kept, n - 1);
out:
	btf__free(nb);
	free(w.map);
	free(w.stack);
	free(w.mark);
	free(names);
	bpf_object__close(obj);
	return fd;
}

const char *core_btf_path(const char *key, const void *elf, size_t sz)
{
	const char *path = NULL;
	size_t i;

	if (!elf || !sz)
		return NULL;
	pthread_mutex_lock(&lock);
	for (i = 0; i < ncache && strcmp(cache[i].key, key); i++)
		;
	if (i == ncache && ncache < CORE_BTF_MAX) {
		int fd = build(elf, sz, key);

		cache[i].key = key;
		cache[i].fd = fd;
		if (fd >= 0) {
			snprintf(cache[i].path, sizeof(cache[i].path), "/proc/self/fd/%d", fd);
			/* libbpf opens it by name: without /proc, its own way */
			if (access(cache[i].path, R_OK)) {
				int err = -errno;

				close(fd);
				cache[i].fd = fd = err;
			}
		}
		if (fd < 0)
			log_debug("CO-RE BTF for %s: libbpf reads the kernel's own (%s)", key, strerror(-fd));
		ncache++;
	}
	if (i < ncache && cache[i].fd >= 0)
		path = cache[i].path;
	pthread_mutex_unlock(&lock);
	return path;
}
