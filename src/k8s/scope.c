// SPDX-License-Identifier: Apache-2.0
#include "k8s/scope.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "abi/msg_generic.h"
#include "agent/loop_call.h"
#include "metrics/exposition.h"
#include "process/cgroup.h"
#include "util/log.h"

#define SCOPE_WATCHES_MAX 8192	/* cgroup directories watched; more are counted, not watched */
#define SCOPE_DEPTH_MAX 32	/* directories deeper than this are not walked */
#define NS_LABEL "k8s:io.kubernetes.pod.namespace"	/* upstream's namespace pseudo-label */

/* ---- label selectors ------------------------------------------------------------- */

bool k8s_label_selector_match(const struct tp_label_selector *sel, const char *(*get)(void *ctx, const char *key),
			      void *ctx)
{
	for (size_t i = 0; i < sel->nlabels; i++) {
		const char *v = get(ctx, sel->labels[i].key);

		if (!v || strcmp(v, sel->labels[i].value ? sel->labels[i].value : ""))
			return false;
	}
	for (size_t i = 0; i < sel->nexprs; i++) {
		const struct tp_label_req *r = &sel->exprs[i];
		const char *v = get(ctx, r->key);
		bool in = false;

		for (size_t k = 0; v && k < r->nvalues; k++)
			if (!strcmp(v, r->values[k]))
				in = true;
		switch (r->op) {
		case TP_LABEL_IN:
			if (!in)
				return false;
			break;
		case TP_LABEL_NOT_IN:
			/* a missing label is not in the set */
			if (in)
				return false;
			break;
		case TP_LABEL_EXISTS:
			if (!v)
				return false;
			break;
		case TP_LABEL_DOES_NOT_EXIST:
			if (v)
				return false;
			break;
		default:
			return false;
		}
	}
	return true;
}

static bool uid_chars(const char *u, size_t l)
{
	if (!l || l > 63)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!isxdigit((unsigned char)u[i]) && u[i] != '-' && u[i] != '_')
			return false;
	return true;
}

bool k8s_scope_pod_dir(const char *name, char *uid, size_t len)
{
	size_t n = strlen(name);
	const char *u = NULL;
	size_t l = 0;

	if (!strncmp(name, "pod", 3)) {
		u = name + 3;
		l = n - 3;
	} else if (!strncmp(name, "kubepods", 8) && n > 6 && !strcmp(name + n - 6, ".slice")) {
		const char *p = NULL;

		for (const char *q = name; q + 4 <= name + n - 6; q++)
			if (!memcmp(q, "-pod", 4))
				p = q;
		if (!p)
			return false;
		u = p + 4;
		l = (size_t)(name + n - 6 - u);
	}
	if (!u || !uid_chars(u, l) || l >= len)
		return false;
	/* systemd's slice names write the uid's '-' as '_' */
	for (size_t i = 0; i < l; i++)
		uid[i] = u[i] == '_' ? '-' : u[i];
	uid[l] = '\0';
	return true;
}

/* ---- state ----------------------------------------------------------------------- */

enum { CG_POD = 1, CG_CONTAINER };

/* A pod's or a container's cgroup directory. */
struct cg_entry {
	int kind;
	char key[K8S_CID_MAX];	/* the pod uid or the container id */
	uint64_t id;
	char *path;		/* under the mount, "/kubepods/besteffort/pod<uid>" */
};

enum sel_mode { SEL_NONE, SEL_ALL, SEL_SOME };

struct scope_pol {
	const struct tp_policy *p;
	char *label;		/* "ns/name" or "name", for logs and metrics */
	const char *ns;		/* the namespace it acts in, NULL: any */
	enum sel_mode pod_mode, cont_mode;
	const struct tp_label_selector *pod, *cont;
	bool host;
	int fd;
	uint64_t *ids;		/* what fd holds, sorted */
	size_t nids;
	uint64_t errors;	/* map updates the kernel refused */
};

struct k8s_scope {
	char mount[512];
	struct loop_calls *calls;
	/* event loop */
	struct scope_pol *pols;
	size_t npols;
	struct k8s_pod **pods;
	size_t npods;
	struct cg_entry *cg;
	size_t ncg;
	int pods_fd;		/* gt_scope_pods: every pod's and known container's cgroup */
	uint64_t *pod_ids;
	size_t npod_ids;
	uint64_t recomputes, map_errors;
	uint64_t conflicts;	/* a pod uid or container id named by two directories */
	/* the cgroup watch thread */
	int ifd, stop_fd;
	pthread_t thread;
	bool started;
	char **wpath;		/* by watch descriptor */
	size_t nwpath;
	size_t nwatches;
	uint64_t watch_full, walk_errors;	/* read by the loop: counters only */
};

static const char *pod_label(void *ctx, const char *key)
{
	const struct k8s_pod *p = ctx;

	for (size_t i = 0; i < p->nlabels; i++)
		if (!strcmp(p->labels[i]->key, key))
			return p->labels[i]->value;
	/* upstream adds the namespace unless the pod has a label of that name */
	if (!strcmp(key, NS_LABEL))
		return p->ns;
	return NULL;
}

struct cfields {
	const char *name, *repo;
};

static const char *container_field(void *ctx, const char *key)
{
	const struct cfields *f = ctx;

	if (!strcmp(key, "name"))
		return f->name;
	if (!strcmp(key, "repo"))
		return f->repo;
	return NULL;
}

static bool pod_matches(const struct scope_pol *sp, const struct k8s_pod *p)
{
	if (sp->ns && strcmp(sp->ns, p->ns ? p->ns : ""))
		return false;
	if (sp->pod_mode == SEL_NONE)
		return false;
	return sp->pod_mode == SEL_ALL || k8s_label_selector_match(sp->pod, pod_label, (void *)p);
}

static bool container_matches(const struct scope_pol *sp, const struct k8s_container *c)
{
	char repo[512] = "";
	struct cfields f = { .name = c->name ? c->name : "", .repo = repo };
	const char *at;

	if (sp->cont_mode != SEL_SOME)
		return sp->cont_mode == SEL_ALL;
	/* upstream: the repository is the image id's part before '@' (docker.io/library/nginx@sha256:...) */
	if (c->image_id && (at = strchr(c->image_id, '@')) && (size_t)(at - c->image_id) < sizeof(repo)) {
		memcpy(repo, c->image_id, (size_t)(at - c->image_id));
		repo[at - c->image_id] = '\0';
	}
	return k8s_label_selector_match(sp->cont, container_field, &f);
}

static int cg_cmp(const void *a, const void *b)
{
	const struct cg_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	return strcmp(x->key, y->key);
}

/*
 * The pod's (uid) or the container's (an id, or a prefix of one as a pod
 * status may have it) cgroup. s->cg is sorted by kind and key: the entries a
 * prefix names start at its lower bound.
 */
static const struct cg_entry *cg_find(const struct k8s_scope *s, int kind, const char *key)
{
	size_t kl = strlen(key), lo = 0, hi = s->ncg;

	if (kind == CG_CONTAINER && kl < 12)
		return NULL;	/* too short to name one container */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cg_entry *e = &s->cg[mid];

		if (e->kind < kind || (e->kind == kind && strcmp(e->key, key) < 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->ncg && s->cg[lo].kind == kind &&
	    (kind == CG_POD ? !strcmp(s->cg[lo].key, key) : !strncmp(s->cg[lo].key, key, kl)))
		return &s->cg[lo];
	return NULL;
}

/* A growable id set. */
struct idset {
	uint64_t *v;
	size_t n, cap;
	bool oom;
};

static void idset_add(struct idset *a, uint64_t id)
{
	if (!id)
		return;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		uint64_t *v = realloc(a->v, cap * sizeof(*v));

		if (!v) {
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = id;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void idset_sort(struct idset *a)
{
	size_t k = 0;

	if (!a->n)
		return;
	qsort(a->v, a->n, sizeof(a->v[0]), cmp_u64);
	for (size_t i = 1; i < a->n; i++)
		if (a->v[i] != a->v[k])
			a->v[++k] = a->v[i];
	a->n = k + 1;
}

/* The container id of a pod status' "<runtime>://<id>". */
static const char *cid_of(const struct k8s_container *c)
{
	if (c->key && *c->key)
		return c->key;
	return NULL;
}

static void desired(const struct k8s_scope *s, const struct scope_pol *sp, struct idset *out)
{
	for (size_t i = 0; i < s->npods; i++) {
		const struct k8s_pod *p = s->pods[i];
		const struct cg_entry *e;

		if (!pod_matches(sp, p))
			continue;
		/* every container: the pod's own cgroup covers them from the first (the kernel walks ancestors) */
		if (sp->cont_mode == SEL_ALL && p->uid && (e = cg_find(s, CG_POD, p->uid)))
			idset_add(out, e->id);
		for (size_t k = 0; k < p->nc; k++) {
			const char *cid = cid_of(&p->c[k]);

			if (cid && container_matches(sp, &p->c[k]) && (e = cg_find(s, CG_CONTAINER, cid)))
				idset_add(out, e->id);
		}
	}
	idset_sort(out);
}

/* Make map fd hold want (sorted) where it held *have (sorted, replaced). Returns how many updates failed. */
static uint64_t sync_map(int fd, uint64_t **have, size_t *nhave, struct idset *want, size_t *added,
			 size_t *removed)
{
	const uint8_t one = 1;
	uint64_t errs = 0;
	size_t i = 0, j = 0;

	*added = *removed = 0;
	while (i < *nhave || j < want->n) {
		if (j >= want->n || (i < *nhave && (*have)[i] < want->v[j])) {
			if (bpf_map_delete_elem(fd, &(*have)[i]) && errno != ENOENT)
				errs++;
			(*removed)++;
			i++;
		} else if (i >= *nhave || want->v[j] < (*have)[i]) {
			if (bpf_map_update_elem(fd, &want->v[j], &one, BPF_ANY))
				errs++;
			(*added)++;
			j++;
		} else {
			i++;
			j++;
		}
	}
	free(*have);
	*have = want->v;
	*nhave = want->n;
	want->v = NULL;
	want->n = want->cap = 0;
	return errs;
}

static void sync_policy(struct k8s_scope *s, struct scope_pol *sp)
{
	struct idset want = { 0 };
	size_t added, removed;
	uint64_t errs;

	desired(s, sp, &want);
	if (want.oom) {
		free(want.v);
		log_warn("k8s scope: policy %s: out of memory: its workloads are left as they were", sp->label);
		return;
	}
	errs = sync_map(sp->fd, &sp->ids, &sp->nids, &want, &added, &removed);
	sp->errors += errs;
	s->map_errors += errs;
	if (errs)
		log_warn("k8s scope: policy %s: the kernel refused %llu cgroup map updates (%d cgroups at most)",
			 sp->label, (unsigned long long)errs, GT_SCOPE_MAX);
	if (added || removed)
		log_info("k8s scope: policy %s acts on %zu cgroups (%zu added, %zu removed)", sp->label, sp->nids,
			 added, removed);
}

/* gt_scope_pods: every pod cgroup found, and the cgroups of the known pods' containers. */
static void sync_pods(struct k8s_scope *s)
{
	struct idset want = { 0 };
	size_t added, removed;

	if (s->pods_fd < 0)
		return;
	for (size_t i = 0; i < s->ncg; i++)
		if (s->cg[i].kind == CG_POD)
			idset_add(&want, s->cg[i].id);
	for (size_t i = 0; i < s->npods; i++)
		for (size_t k = 0; k < s->pods[i]->nc; k++) {
			const char *cid = cid_of(&s->pods[i]->c[k]);
			const struct cg_entry *e = cid ? cg_find(s, CG_CONTAINER, cid) : NULL;

			if (e)
				idset_add(&want, e->id);
		}
	idset_sort(&want);
	if (want.oom) {
		free(want.v);
		return;
	}
	s->map_errors += sync_map(s->pods_fd, &s->pod_ids, &s->npod_ids, &want, &added, &removed);
}

static void recompute(struct k8s_scope *s)
{
	s->recomputes++;
	sync_pods(s);
	for (size_t i = 0; i < s->npols; i++)
		sync_policy(s, &s->pols[i]);
}

/* ---- pods ------------------------------------------------------------------------ */

static void pod_drop(struct k8s_scope *s, size_t i)
{
	k8s_pod_put(s->pods[i]);
	s->pods[i] = s->pods[--s->npods];
}

void k8s_scope_pod_upsert(struct k8s_scope *s, struct k8s_pod *p)
{
	struct k8s_pod **v;

	if (!s || !p || !p->uid)
		return;
	for (size_t i = 0; i < s->npods; i++)
		if (!strcmp(s->pods[i]->uid, p->uid)) {
			p->refs++;
			k8s_pod_put(s->pods[i]);
			s->pods[i] = p;
			recompute(s);
			return;
		}
	v = realloc(s->pods, (s->npods + 1) * sizeof(*v));
	if (!v) {
		log_warn("k8s scope: pod %s/%s: out of memory: policies are not scoped to it", p->ns, p->name);
		return;
	}
	s->pods = v;
	p->refs++;
	s->pods[s->npods++] = p;
	recompute(s);
}

void k8s_scope_pod_delete(struct k8s_scope *s, const char *uid)
{
	if (!s || !uid)
		return;
	for (size_t i = 0; i < s->npods; i++)
		if (!strcmp(s->pods[i]->uid, uid)) {
			pod_drop(s, i);
			recompute(s);
			return;
		}
}

void k8s_scope_pods_replace(struct k8s_scope *s, struct k8s_pod *const *v, size_t n)
{
	struct k8s_pod **nv;

	if (!s)
		return;
	nv = calloc(n + 1, sizeof(*nv));
	if (!nv) {
		log_warn("k8s scope: out of memory: the pod list is not applied to policies");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		v[i]->refs++;
		nv[i] = v[i];
	}
	while (s->npods)
		pod_drop(s, s->npods - 1);
	free(s->pods);
	s->pods = nv;
	s->npods = n;
	recompute(s);
}

/* ---- policies -------------------------------------------------------------------- */

static enum sel_mode mode_of(const struct tp_label_selector *sel)
{
	if (!sel)
		return SEL_NONE;
	return sel->nlabels || sel->nexprs ? SEL_SOME : SEL_ALL;
}

static int scope_acquire(void *ctx, const struct tp_policy *p, struct policy_scope *out, char *why, size_t len)
{
	struct k8s_scope *s = ctx;
	struct scope_pol sp = { .p = p, .fd = -1 };
	struct scope_pol *v;
	enum sel_mode hm = mode_of(p->host_selector);

	memset(out, 0, sizeof(*out));
	sp.ns = p->kind == TP_KIND_TRACING_POLICY_NAMESPACED ? p->namespace : NULL;
	sp.pod = p->pod_selector;
	sp.cont = p->container_selector;
	sp.pod_mode = mode_of(sp.pod);
	sp.cont_mode = mode_of(sp.cont);
	/* upstream's rules (pkg/sensors/k8s.go): one of pod and container selectors implies the other's {} */
	if (sp.pod_mode != SEL_NONE && sp.cont_mode == SEL_NONE)
		sp.cont_mode = SEL_ALL;
	if (sp.cont_mode != SEL_NONE && sp.pod_mode == SEL_NONE)
		sp.pod_mode = SEL_ALL;
	if (!sp.ns && ((sp.pod_mode == SEL_ALL && sp.cont_mode == SEL_ALL && hm == SEL_ALL) ||
		       (sp.pod_mode == SEL_NONE && sp.cont_mode == SEL_NONE && hm == SEL_NONE)))
		return 0;	/* every workload: no filter */
	if (sp.ns && sp.pod_mode == SEL_NONE) {
		sp.pod_mode = SEL_ALL;
		sp.cont_mode = SEL_ALL;
	}
	if (hm == SEL_SOME) {
		snprintf(why, len, "spec.hostSelector: only null and {} are supported");
		return -EINVAL;
	}
	sp.host = hm == SEL_ALL && !sp.ns;
	if (sp.host && s->pods_fd < 0) {
		snprintf(why, len, "cannot create the BPF map of pod cgroups hostSelector needs: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (asprintf(&sp.label, "%s%s%s", sp.ns ? sp.ns : "", sp.ns ? "/" : "", p->name) < 0) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	{
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_NO_PREALLOC);

		sp.fd = bpf_map_create(BPF_MAP_TYPE_HASH, "gt_scope", sizeof(uint64_t), sizeof(uint8_t), GT_SCOPE_MAX,
				       &mo);
	}
	if (sp.fd < 0) {
		int err = -errno;

		snprintf(why, len, "cannot create the BPF map of the policy's workload cgroups: %s", strerror(-err));
		free(sp.label);
		return err;
	}
	v = realloc(s->pols, (s->npols + 1) * sizeof(*v));
	if (!v) {
		close(sp.fd);
		free(sp.label);
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	s->pols = v;
	s->pols[s->npols] = sp;
	sync_policy(s, &s->pols[s->npols]);
	out->flags = GT_CFG_SCOPE | (sp.host ? GT_CFG_SCOPE_HOST : 0);
	out->fd = sp.fd;
	out->pods_fd = s->pods_fd;
	log_info("k8s scope: policy %s acts only on %s%s%s", sp.label,
		 sp.ns ? "the pods of namespace " : "the selected pods", sp.ns ? sp.ns : "",
		 sp.host ? " and host processes" : "");
	s->npols++;
	return 0;
}

static void scope_release(void *ctx, const struct tp_policy *p)
{
	struct k8s_scope *s = ctx;

	for (size_t i = 0; i < s->npols; i++)
		if (s->pols[i].p == p) {
			close(s->pols[i].fd);
			free(s->pols[i].ids);
			free(s->pols[i].label);
			s->pols[i] = s->pols[--s->npols];
			return;
		}
}

const struct policy_scope_ops k8s_scope_ops = { .acquire = scope_acquire, .release = scope_release };

/* ---- cgroups --------------------------------------------------------------------- */

/* What the watch thread found: directories seen (kind, key, id, path) or gone (path). */
struct cg_change {
	struct cg_entry e;
	bool gone;
};

struct cg_batch {
	struct k8s_scope *s;
	struct cg_change *v;
	size_t n, cap;
};

static void batch_add(struct cg_batch *b, const struct cg_change *c)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct cg_change *v = realloc(b->v, cap * sizeof(*v));

		if (!v) {
			free(c->e.path);
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = *c;
}

static void batch_free(struct cg_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].e.path);
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}

static size_t depth_of(const char *path)
{
	size_t n = 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

/* On the event loop: the batch into the index, then the maps. */
static int batch_apply(void *arg)
{
	struct cg_batch *b = arg;
	struct k8s_scope *s = b->s;
	bool changed = false;

	for (size_t i = 0; i < b->n; i++) {
		struct cg_change *c = &b->v[i];
		size_t k;

		for (k = 0; k < s->ncg; k++)
			if (!strcmp(s->cg[k].path, c->e.path))
				break;
		if (c->gone) {
			if (k < s->ncg) {
				free(s->cg[k].path);
				s->cg[k] = s->cg[--s->ncg];
				changed = true;
			}
			continue;
		}
		if (k == s->ncg) {
			/* one key, two directories: the shallower is the runtime's (a deeper one is under it) */
			for (size_t j = 0; j < s->ncg; j++)
				if (s->cg[j].kind == c->e.kind && !strcmp(s->cg[j].key, c->e.key)) {
					s->conflicts++;
					if (depth_of(c->e.path) < depth_of(s->cg[j].path))
						k = j;
					else
						k = SIZE_MAX;
					break;
				}
			if (k == SIZE_MAX)
				continue;
		}
		if (k < s->ncg) {
			if (s->cg[k].id == c->e.id && s->cg[k].kind == c->e.kind && !strcmp(s->cg[k].path, c->e.path))
				continue;
			free(s->cg[k].path);
			s->cg[k] = c->e;
		} else {
			struct cg_entry *v = realloc(s->cg, (s->ncg + 1) * sizeof(*v));

			if (!v)
				continue;
			s->cg = v;
			s->cg[s->ncg++] = c->e;
		}
		c->e.path = NULL;
		changed = true;
	}
	if (changed) {
		qsort(s->cg, s->ncg, sizeof(s->cg[0]), cg_cmp);
		recompute(s);
	}
	return 0;
}

static void watch_set(struct k8s_scope *s, int wd, const char *path)
{
	if (wd < 0)
		return;
	if ((size_t)wd >= s->nwpath) {
		size_t n = (size_t)wd + 64;
		char **v = realloc(s->wpath, n * sizeof(*v));

		if (!v)
			return;
		memset(v + s->nwpath, 0, (n - s->nwpath) * sizeof(*v));
		s->wpath = v;
		s->nwpath = n;
	}
	if (!s->wpath[wd])
		s->nwatches++;
	free(s->wpath[wd]);
	s->wpath[wd] = strdup(path);
}

/* The n-th component of rel counting from its end (0: the last), as a NUL-terminated copy; false past the first. */
static bool component(const char *rel, int n, char *out, size_t len)
{
	const char *end = rel + strlen(rel), *p;

	for (;;) {
		p = end;
		while (p > rel && p[-1] != '/')
			p--;
		if (p == rel)
			return false;	/* rel starts with '/': a component always follows one */
		if (!n--)
			break;
		end = p - 1;
	}
	if ((size_t)(end - p) >= len)
		return false;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return true;
}

/*
 * Is the directory at rel kubelet's cgroup of a pod: pod<uid> (or the
 * systemd driver's slice) right under kubepods or under its QoS class
 * (kubepods/besteffort, kubepods.slice/kubepods-burstable.slice)?
 */
static bool is_pod_dir(const char *rel, char *uid, size_t len)
{
	char name[NAME_MAX + 1], parent[NAME_MAX + 1], grand[NAME_MAX + 1];

	if (!component(rel, 0, name, sizeof(name)) || !k8s_scope_pod_dir(name, uid, len) ||
	    !component(rel, 1, parent, sizeof(parent)))
		return false;
	if (!strncmp(parent, "kubepods", 8))
		return true;
	return (!strcmp(parent, "besteffort") || !strcmp(parent, "burstable")) &&
	       component(rel, 2, grand, sizeof(grand)) && !strncmp(grand, "kubepods", 8);
}

/* Is rel inside a pod's cgroup (one of its ancestors is)? */
static bool in_pod(const char *rel)
{
	char up[PATH_MAX], uid[64];
	char *slash;

	if (snprintf(up, sizeof(up), "%s", rel) >= (int)sizeof(up))
		return true;	/* too deep to tell: not ours */
	while ((slash = strrchr(up, '/')) && slash != up) {
		*slash = '\0';
		if (is_pod_dir(up, uid, sizeof(uid)))
			return true;
	}
	return false;
}

/*
 * rel ("" for the root, else "/a/b") and below into the batch: pod and
 * container directories; directories outside containers and pods are
 * watched for new ones, and a pod's for its containers. Inside a pod only
 * its containers' directories count and nothing below them is read: what a
 * workload may create in its own cgroup never names another pod.
 */
static void walk(struct k8s_scope *s, struct cg_batch *b, const char *rel, int depth)
{
	char full[PATH_MAX], uid[64];
	const char *base = strrchr(rel, '/');
	struct cgroup_container cc;
	struct stat st;
	DIR *d;
	struct dirent *de;
	bool container = false, inside = base && base[1] && in_pod(rel);

	if (snprintf(full, sizeof(full), "%s%s", s->mount, rel) >= (int)sizeof(full))
		return;
	if (stat(full, &st) || !S_ISDIR(st.st_mode))
		return;
	if (base && base[1]) {
		struct cg_change c = { .e = { .id = (uint64_t)st.st_ino } };
		char one[NAME_MAX + 2];

		snprintf(one, sizeof(one), "/%s", base + 1);
		if (!inside && is_pod_dir(rel, uid, sizeof(uid))) {
			c.e.kind = CG_POD;
			snprintf(c.e.key, sizeof(c.e.key), "%s", uid);
		} else if (cgroup_parse_container(one, &cc)) {
			/* the container's own directory: its name is the id */
			c.e.kind = CG_CONTAINER;
			snprintf(c.e.key, sizeof(c.e.key), "%s", cc.id);
			container = true;
		}
		if (c.e.kind) {
			c.e.path = strdup(rel);
			if (c.e.path)
				batch_add(b, &c);
		}
	}
	if (container || inside || depth >= SCOPE_DEPTH_MAX)
		return;
	/* the watch first, then the listing: a directory made in between is seen by one of them */
	if (s->nwatches < SCOPE_WATCHES_MAX) {
		int wd = inotify_add_watch(s->ifd, full, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_ONLYDIR);

		if (wd >= 0)
			watch_set(s, wd, rel);
		else
			__atomic_add_fetch(&s->walk_errors, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&s->watch_full, 1, __ATOMIC_RELAXED);
	}
	d = opendir(full);
	if (!d) {
		__atomic_add_fetch(&s->walk_errors, 1, __ATOMIC_RELAXED);
		return;
	}
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= (int)sizeof(sub))
			continue;
		walk(s, b, sub, depth + 1);
	}
	closedir(d);
}

static void post(struct k8s_scope *s, struct cg_batch *b)
{
	if (b->n)
		loop_calls_run(s->calls, batch_apply, b);
	batch_free(b);
}

static void *watch_thread(void *arg)
{
	struct k8s_scope *s = arg;
	struct cg_batch b = { .s = s };
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

	walk(s, &b, "", 0);
	post(s, &b);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = s->ifd, .events = POLLIN }, { .fd = s->stop_fd, .events = POLLIN } };
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		n = read(s->ifd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			break;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			const char *parent = ev->wd >= 0 && (size_t)ev->wd < s->nwpath ? s->wpath[ev->wd] : NULL;
			char rel[PATH_MAX];

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_IGNORED) {
				if (parent) {
					free(s->wpath[ev->wd]);
					s->wpath[ev->wd] = NULL;
					s->nwatches--;
				}
				continue;
			}
			if (ev->mask & IN_Q_OVERFLOW) {
				/* events lost: walk everything again */
				walk(s, &b, "", 0);
				continue;
			}
			if (!parent || !ev->len || !(ev->mask & IN_ISDIR))
				continue;
			if (snprintf(rel, sizeof(rel), "%s/%s", parent, ev->name) >= (int)sizeof(rel))
				continue;
			if (ev->mask & IN_DELETE) {
				struct cg_change c = { .gone = true, .e = { .path = strdup(rel) } };

				if (c.e.path)
					batch_add(&b, &c);
			} else {
				walk(s, &b, rel, 1);
			}
		}
		post(s, &b);
	}
	batch_free(&b);
	return NULL;
}

/* ---- lifetime -------------------------------------------------------------------- */

int k8s_scope_new(struct k8s_scope **ret, const char *mount, struct loop_calls *calls, char *why, size_t whylen)
{
	struct k8s_scope *s = calloc(1, sizeof(*s));

	*ret = NULL;
	if (!s)
		return -ENOMEM;
	s->ifd = s->stop_fd = -1;
	s->calls = calls;
	if (!mount || !*mount || snprintf(s->mount, sizeof(s->mount), "%s", mount) >= (int)sizeof(s->mount)) {
		snprintf(why, whylen, "no cgroup2 hierarchy is mounted: policies cannot be scoped to pods");
		free(s);
		return -ENOENT;
	}
	/* "/" as the mount: paths below it are "/a/b", not "//a/b" */
	if (!strcmp(s->mount, "/"))
		s->mount[0] = '\0';
	{
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_NO_PREALLOC);

		s->pods_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "gt_scope_pods", sizeof(uint64_t), sizeof(uint8_t),
					    GT_SCOPE_MAX, &mo);
	}
	if (s->pods_fd < 0)
		log_warn("k8s scope: cannot create the BPF map of pod cgroups (%s): policies with hostSelector: {} "
			 "will be refused", strerror(errno));
	*ret = s;
	return 0;
}

int k8s_scope_start(struct k8s_scope *s, char *why, size_t whylen)
{
	int err;

	s->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ifd < 0 || s->stop_fd < 0) {
		snprintf(why, whylen, "cannot watch the cgroup hierarchy %s: inotify: %s", s->mount, strerror(errno));
		return -errno;
	}
	err = -pthread_create(&s->thread, NULL, watch_thread, s);
	if (err) {
		snprintf(why, whylen, "cannot start a thread: %s", strerror(-err));
		return err;
	}
	s->started = true;
	return 0;
}

void k8s_scope_stop(struct k8s_scope *s)
{
	uint64_t one = 1;

	if (!s || !s->started)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) < 0)
		log_warn("k8s scope: cannot stop the cgroup watch: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	s->started = false;
}

void k8s_scope_free(struct k8s_scope *s)
{
	if (!s)
		return;
	k8s_scope_stop(s);
	for (size_t i = 0; i < s->npols; i++) {
		close(s->pols[i].fd);
		free(s->pols[i].ids);
		free(s->pols[i].label);
	}
	free(s->pols);
	while (s->npods)
		pod_drop(s, s->npods - 1);
	free(s->pods);
	for (size_t i = 0; i < s->ncg; i++)
		free(s->cg[i].path);
	free(s->cg);
	for (size_t i = 0; i < s->nwpath; i++)
		free(s->wpath[i]);
	free(s->wpath);
	free(s->pod_ids);
	if (s->pods_fd >= 0)
		close(s->pods_fd);
	if (s->ifd >= 0)
		close(s->ifd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	free(s);
}

/* ---- metrics --------------------------------------------------------------------- */

void k8s_scope_metrics_render(struct strbuf *sb, struct k8s_scope *s)
{
	size_t pods = 0, containers = 0;

	if (!s)
		return;
	for (size_t i = 0; i < s->ncg; i++)
		*(s->cg[i].kind == CG_POD ? &pods : &containers) += 1;
	metrics_family(sb, "tetragon_policy_scope_cgroups",
		       "Cgroups a workload-scoped policy acts on (TracingPolicyNamespaced, podSelector, "
		       "containerSelector), by policy.", METRIC_GAUGE);
	for (size_t i = 0; i < s->npols; i++) {
		const struct metric_label l[2] = { { "policy", s->pols[i].p->name },
						   { "policy_namespace", s->pols[i].ns ? s->pols[i].ns : "" } };

		metrics_sample_u64(sb, "tetragon_policy_scope_cgroups", l, 2, s->pols[i].nids);
	}
	metrics_family(sb, "tetragon_policy_scope_known_cgroups",
		       "Pod and container cgroups found in the cgroup2 hierarchy.", METRIC_GAUGE);
	{
		const struct metric_label lp = { "kind", "pod" }, lc = { "kind", "container" };

		metrics_sample_u64(sb, "tetragon_policy_scope_known_cgroups", &lp, 1, pods);
		metrics_sample_u64(sb, "tetragon_policy_scope_known_cgroups", &lc, 1, containers);
	}
	metrics_family(sb, "tetragon_policy_scope_errors_total",
		       "Workload scope errors: cgroup map updates the kernel refused (map_update), cgroup "
		       "directories not watched (watch_limit) or not readable (walk), a pod or container named by "
		       "two directories (conflict: the shallower is kept).", METRIC_COUNTER);
	{
		const struct metric_label l1 = { "type", "map_update" }, l2 = { "type", "watch_limit" },
					  l3 = { "type", "walk" }, l4 = { "type", "conflict" };

		metrics_sample_u64(sb, "tetragon_policy_scope_errors_total", &l1, 1, s->map_errors);
		metrics_sample_u64(sb, "tetragon_policy_scope_errors_total", &l2, 1,
				   __atomic_load_n(&s->watch_full, __ATOMIC_RELAXED));
		metrics_sample_u64(sb, "tetragon_policy_scope_errors_total", &l3, 1,
				   __atomic_load_n(&s->walk_errors, __ATOMIC_RELAXED));
		metrics_sample_u64(sb, "tetragon_policy_scope_errors_total", &l4, 1, s->conflicts);
	}
}
