// SPDX-License-Identifier: Apache-2.0
/* Allow/deny list compilation and matching; field filters are in fields.c. */
#include "filters/filters.h"
#include "event/process_facts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters_internal.h"
#include "filters/labels.h"
#include "filters/pbjson.h"
#include "filters/regex.h"
#include "util/log.h"

/* pid_set children cache: warn when it gets this big, then at each doubling. */
#define CHILD_CACHE_WARN 8192

/*
 * Bounds on what a request's regexps may cost (a GetEvents stream, the export
 * flags, tetra's stdin mode): at most FILTER_MAX_REGEXPS over all its filters,
 * sharing FILTER_REGEX_MEM of RE2 memory (program and matching caches), each
 * at most TG_REGEX_MAX_MEM. So a request holds at most 8 MiB of regexp state
 * and each regexp has at least 64 KiB.
 */
#define FILTER_MAX_REGEXPS 128
#define FILTER_REGEX_MEM (8 << 20)

/* The Filter fields that hold regexps: cfilter member, proto field. */
#define REGEX_FIELDS(X)                                 \
	X(binary, binary_regex)                         \
	X(parent_binary, parent_binary_regex)           \
	X(args, arguments_regex)                        \
	X(parent_args, parent_arguments_regex)          \
	X(pod, pod_regex)                               \
	X(container_id, container_id)                   \
	X(container_name, container_name_regex)         \
	X(ns_regex, namespace_regex)                    \
	X(ancestor_binary, ancestor_binary_regex)

struct regex_list {
	struct tg_regex **v;
	size_t n;
};

/* What compiling one request's filters shares. */
struct compile_ctx {
	int64_t regex_mem;	/* each regexp's RE2 budget */
	size_t nregex;
};

/* Open-addressing set of pid+1 (0 marks an empty slot). */
struct u32set {
	uint32_t *v;
	size_t cap, n;
};

enum cap_kind { CAP_ANY, CAP_ALL, CAP_EXACTLY, CAP_NONE };

struct cap_match {
	bool set;
	enum cap_kind kind;
	uint64_t mask;
};

/* One compiled Filter: each member is active when non-empty / set. */
struct cfilter {
	struct regex_list binary, parent_binary, args, parent_args, pod, container_id, container_name, ns_regex,
		ancestor_binary;
	char **namespaces;
	size_t n_namespaces;
	uint32_t *pids;
	size_t n_pids;
	uint32_t *pid_set;
	size_t n_pid_set;
	struct u32set children;
	size_t child_warn;
	int *event_set;
	size_t n_event_set;
	char **policy_names;
	size_t n_policy_names;
	struct label_selector **labels;
	size_t n_labels;
	int health_check;	/* -1 unset, else the wanted value */
	int in_init_tree;	/* -1 unset */
	bool caps;
	struct cap_match cap_permitted, cap_effective, cap_inheritable;
};

/* ---- small helpers ------------------------------------------------------------ */

static int ferr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int ferr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void regex_list_free(struct regex_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		tg_regex_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int regex_list_compile(struct regex_list *l, char *const *pats, size_t n, const struct compile_ctx *cx,
			      const char *where, char *err, size_t errlen)
{
	size_t i;

	if (!n)
		return 0;
	l->v = calloc(n, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		char why[320], total[32];
		int r = tg_regex_compile(&l->v[i], pats[i], cx->regex_mem, why, sizeof(why));

		if (r == -E2BIG && cx->regex_mem < TG_REGEX_MAX_MEM) {
			tg_regex_fmt_size(total, sizeof(total), FILTER_REGEX_MEM);
			return ferr(err, errlen, "%s[%zu]: %s: this request's %zu regexps share %s", where, i, why,
				    cx->nregex, total);
		}
		if (r == -EINVAL || r == -E2BIG)
			return ferr(err, errlen, "%s[%zu]: %s", where, i, why);
		if (r)
			return r;
		l->n++;
	}
	return 0;
}

static bool regex_list_match(const struct regex_list *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (tg_regex_match(l->v[i], s))
			return true;
	return false;
}

static int dup_strings(char ***dst, size_t *ndst, char *const *src, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	*dst = calloc(n, sizeof(char *));
	if (!*dst)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		(*dst)[i] = strdup(src[i] ? src[i] : "");
		if (!(*dst)[i])
			return -ENOMEM;
		*ndst = i + 1;
	}
	return 0;
}

static void free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static bool u32set_has(const struct u32set *s, uint32_t pid)
{
	size_t i;

	if (!s->cap)
		return false;
	for (i = hash32(pid) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->v[i])
			return false;
		if (s->v[i] == pid + 1)
			return true;
	}
}

static int u32set_add(struct u32set *s, uint32_t pid)
{
	size_t i;

	if (u32set_has(s, pid))
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64, j;
		uint32_t *nv = calloc(ncap, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		for (j = 0; j < s->cap; j++) {
			if (!s->v[j])
				continue;
			for (i = hash32(s->v[j] - 1) & (ncap - 1); nv[i]; i = (i + 1) & (ncap - 1))
				;
			nv[i] = s->v[j];
		}
		free(s->v);
		s->v = nv;
		s->cap = ncap;
	}
	for (i = hash32(pid) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		;
	s->v[i] = pid + 1;
	s->n++;
	return 0;
}

/* ---- event accessors ------------------------------------------------------------ */

int filter_event_type(const Tetragon__GetEventsResponse *ev)
{
	return ev ? (int)ev->event_case : 0;
}

const ProtobufCMessage *filter_event_inner(const Tetragon__GetEventsResponse *ev)
{
	const ProtobufCFieldDescriptor *f;

	if (!ev || !ev->event_case)
		return NULL;
	f = protobuf_c_message_descriptor_get_field(ev->base.descriptor, (unsigned)ev->event_case);
	if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return *(const ProtobufCMessage *const *)((const char *)ev + f->offset);
}

/* A singular message or string field of the inner event by name. */
static const void *inner_field(const Tetragon__GetEventsResponse *ev, const char *name, ProtobufCType type)
{
	const ProtobufCMessage *m = filter_event_inner(ev);
	const ProtobufCFieldDescriptor *f;

	if (!m)
		return NULL;
	f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	if (!f || f->type != type || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
		return NULL;
	return *(const void *const *)((const char *)m + f->offset);
}

static const Tetragon__Process *get_process(const Tetragon__GetEventsResponse *ev)
{
	return inner_field(ev, "process", PROTOBUF_C_TYPE_MESSAGE);
}

static const Tetragon__Process *get_parent(const Tetragon__GetEventsResponse *ev)
{
	return inner_field(ev, "parent", PROTOBUF_C_TYPE_MESSAGE);
}

/* The inner event's `ancestors` (*n of them), NULL when it has none. */
static Tetragon__Process *const *get_ancestors(const Tetragon__GetEventsResponse *ev, size_t *n)
{
	const ProtobufCMessage *m = filter_event_inner(ev);
	const ProtobufCFieldDescriptor *f;

	*n = 0;
	if (!m)
		return NULL;
	f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "ancestors");
	if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	*n = *(const size_t *)((const char *)m + f->quantifier_offset);
	return *(Tetragon__Process *const *const *)((const char *)m + f->offset);
}

/* --enable-ancestors of the agent (ANCESTORS_*): what ancestor_binary_regex may ask for. */
static uint32_t ancestors_enabled;

void filters_set_ancestors(uint32_t bits)
{
	ancestors_enabled = bits;
}

/* Upstream's check: every event type the filter applies to (all that can have ancestors when none is named) has them. */
static int check_ancestors(const Tetragon__EventType *set, size_t n, const char *where, char *err, size_t errlen)
{
	static const Tetragon__EventType all[] = {
		TETRAGON__EVENT_TYPE__PROCESS_EXEC, TETRAGON__EVENT_TYPE__PROCESS_EXIT,
		TETRAGON__EVENT_TYPE__PROCESS_KPROBE, TETRAGON__EVENT_TYPE__PROCESS_TRACEPOINT,
		TETRAGON__EVENT_TYPE__PROCESS_LOADER, TETRAGON__EVENT_TYPE__PROCESS_UPROBE,
		TETRAGON__EVENT_TYPE__PROCESS_LSM, TETRAGON__EVENT_TYPE__PROCESS_USDT,
	};

	if (!n) {
		set = all;
		n = sizeof(all) / sizeof(all[0]);
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t bit = 0;
		const ProtobufCEnumValue *v;

		switch (set[i]) {
		case TETRAGON__EVENT_TYPE__PROCESS_EXEC:
		case TETRAGON__EVENT_TYPE__PROCESS_EXIT: bit = ANCESTORS_BASE; break;
		case TETRAGON__EVENT_TYPE__PROCESS_KPROBE: bit = ANCESTORS_KPROBE; break;
		case TETRAGON__EVENT_TYPE__PROCESS_TRACEPOINT: bit = ANCESTORS_TRACEPOINT; break;
		case TETRAGON__EVENT_TYPE__PROCESS_LOADER: bit = ANCESTORS_LOADER; break;
		case TETRAGON__EVENT_TYPE__PROCESS_UPROBE: bit = ANCESTORS_UPROBE; break;
		case TETRAGON__EVENT_TYPE__PROCESS_LSM: bit = ANCESTORS_LSM; break;
		case TETRAGON__EVENT_TYPE__PROCESS_USDT: bit = ANCESTORS_USDT; break;
		default: break;
		}
		if (bit && (ancestors_enabled & ANCESTORS_BASE) && (ancestors_enabled & bit))
			continue;
		v = protobuf_c_enum_descriptor_get_value(&tetragon__event_type__descriptor, (int)set[i]);
		return ferr(err, errlen, "%s.ancestor_binary_regex: ancestors are not enabled for %s event type, cannot "
			    "configure ancestor filter (--enable-ancestors)", where, v ? v->name : "unknown");
	}
	return 0;
}

/* Like upstream: only these event types carry a policy name for filtering. */
static const char *get_policy_name(const Tetragon__GetEventsResponse *ev)
{
	switch (ev->event_case) {
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE:
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT:
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE:
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM:
		return inner_field(ev, "policy_name", PROTOBUF_C_TYPE_STRING);
	default:
		return NULL;
	}
}

static const char *str(const char *s)
{
	return s ? s : "";
}

static const char *pod_label(const void *labels, const char *key)
{
	const Tetragon__Pod *pod = labels;
	size_t i;

	for (i = 0; i < pod->n_pod_labels; i++)
		if (pod->pod_labels[i] && !strcmp(str(pod->pod_labels[i]->key), key))
			return str(pod->pod_labels[i]->value);
	return NULL;
}

static bool can_be_health_check(const Tetragon__Process *p)
{
	return p && p->pod && p->pod->container && p->pod->container->maybe_exec_probe;
}

static uint64_t cap_bits(const Tetragon__CapabilitiesType *v, size_t n)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned)v[i] < 64)
			m |= 1ULL << v[i];
	return m;
}

static bool cap_ok(const struct cap_match *c, uint64_t have)
{
	if (!c->set)
		return true;
	switch (c->kind) {
	case CAP_ANY:
		return (have & c->mask) != 0;
	case CAP_ALL:
		return (have & c->mask) == c->mask;
	case CAP_EXACTLY:
		return have == c->mask;
	case CAP_NONE:
		return (have & c->mask) == 0;
	}
	return false;
}

/* ---- matching ------------------------------------------------------------------ */

static bool pid_in(const uint32_t *v, size_t n, uint32_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

static bool match_pid_set(struct cfilter *f, const Tetragon__GetEventsResponse *ev,
			  const Tetragon__Process *p)
{
	const Tetragon__Process *parent;
	uint32_t pid, ppid;

	if (!p)
		return false;
	pid = p->pid ? p->pid->value : 0;
	if (pid_in(f->pid_set, f->n_pid_set, pid) || u32set_has(&f->children, pid))
		return true;
	parent = get_parent(ev);
	if (!parent)
		return false;
	ppid = parent->pid ? parent->pid->value : 0;
	if (!pid_in(f->pid_set, f->n_pid_set, ppid) && !u32set_has(&f->children, ppid))
		return false;
	/* remember the child so its own children match later */
	if (!u32set_add(&f->children, pid) && f->children.n == f->child_warn) {
		log_warn("pid_set filter cache has %zu entries; consider not using pid_set filters",
			 f->children.n);
		f->child_warn *= 2;
	}
	return true;
}

static bool match_one(struct cfilter *f, const Tetragon__GetEventsResponse *ev)
{
	const Tetragon__Process *p = get_process(ev), *pp;
	size_t i;

	if (f->n_event_set) {
		int t = filter_event_type(ev);
		bool ok = false;

		for (i = 0; i < f->n_event_set && !ok; i++)
			ok = f->event_set[i] == t;
		if (!ok)
			return false;
	}
	if (f->binary.n && (!p || !regex_list_match(&f->binary, str(p->binary))))
		return false;
	if (f->parent_binary.n) {
		pp = get_parent(ev);
		if (!pp || !regex_list_match(&f->parent_binary, str(pp->binary)))
			return false;
	}
	if (f->ancestor_binary.n) {
		size_t na;
		Tetragon__Process *const *a = get_ancestors(ev, &na);
		bool ok = false;

		for (i = 0; i < na && !ok; i++)
			ok = a[i] && regex_list_match(&f->ancestor_binary, str(a[i]->binary));
		if (!ok)
			return false;
	}
	if (f->health_check >= 0) {
		bool hc = can_be_health_check(p) || can_be_health_check(get_parent(ev));

		if (hc != (bool)f->health_check)
			return false;
	}
	if (f->n_namespaces) {
		bool ok = false;

		if (!p)
			return false;
		for (i = 0; i < f->n_namespaces && !ok; i++)
			ok = p->pod ? !strcmp(f->namespaces[i], str(p->pod->namespace_)) : !f->namespaces[i][0];
		if (!ok)
			return false;
	}
	if (f->ns_regex.n && (!p || !p->pod || !regex_list_match(&f->ns_regex, str(p->pod->namespace_))))
		return false;
	if (f->n_pids && (!p || !pid_in(f->pids, f->n_pids, p->pid ? p->pid->value : 0)))
		return false;
	if (f->n_pid_set && !match_pid_set(f, ev, p))
		return false;
	if (f->args.n && (!p || !regex_list_match(&f->args, str(p->arguments))))
		return false;
	if (f->parent_args.n) {
		pp = get_parent(ev);
		if (!pp || !regex_list_match(&f->parent_args, str(pp->arguments)))
			return false;
	}
	if (f->n_labels) {
		bool ok = false;

		if (!p || !p->pod)
			return false;	/* host processes never match label selectors */
		for (i = 0; i < f->n_labels && !ok; i++)
			ok = label_selector_match(f->labels[i], pod_label, p->pod);
		if (!ok)
			return false;
	}
	if (f->pod.n && (!p || !p->pod || !regex_list_match(&f->pod, str(p->pod->name))))
		return false;
	if (f->n_policy_names) {
		const char *pn = get_policy_name(ev);
		bool ok = false;

		if (!pn || !*pn)
			return false;
		for (i = 0; i < f->n_policy_names && !ok; i++)
			ok = !strcmp(f->policy_names[i], pn);
		if (!ok)
			return false;
	}
	if (f->caps) {
		if (!p || !p->cap)
			return false;
		if (!cap_ok(&f->cap_effective, cap_bits(p->cap->effective, p->cap->n_effective)) ||
		    !cap_ok(&f->cap_inheritable, cap_bits(p->cap->inheritable, p->cap->n_inheritable)) ||
		    !cap_ok(&f->cap_permitted, cap_bits(p->cap->permitted, p->cap->n_permitted)))
			return false;
	}
	if (f->container_id.n && (!p || !regex_list_match(&f->container_id, str(p->docker))))
		return false;
	if (f->in_init_tree >= 0) {
		/* a missing flag counts as false, like upstream */
		bool v = p && p->in_init_tree && p->in_init_tree->value;

		if (v != (bool)f->in_init_tree)
			return false;
	}
	if (f->container_name.n && (!p || !p->pod || !p->pod->container ||
				    !regex_list_match(&f->container_name, str(p->pod->container->name))))
		return false;
	return true;
}

static bool match_any(struct cfilter *v, size_t n, const Tetragon__GetEventsResponse *ev)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (match_one(&v[i], ev))
			return true;
	return false;
}

bool filter_set_match(struct filter_set *fs, const Tetragon__GetEventsResponse *ev)
{
	if (!fs)
		return true;
	if (fs->nallow && !match_any(fs->allow, fs->nallow, ev))
		return false;
	return !(fs->ndeny && match_any(fs->deny, fs->ndeny, ev));
}

bool filter_set_has_field_filters(const struct filter_set *fs)
{
	return fs && fs->nfields;
}

bool filter_set_is_noop(const struct filter_set *fs)
{
	return !fs || (!fs->nallow && !fs->ndeny && !fs->nfields);
}

/* ---- compilation ---------------------------------------------------------------- */

static void cfilter_free(struct cfilter *f)
{
	size_t i;

#define FREE(list, field) regex_list_free(&f->list);
	REGEX_FIELDS(FREE)
#undef FREE
	free_strings(f->namespaces, f->n_namespaces);
	free(f->pids);
	free(f->pid_set);
	free(f->children.v);
	free(f->event_set);
	free_strings(f->policy_names, f->n_policy_names);
	for (i = 0; i < f->n_labels; i++)
		label_selector_free(f->labels[i]);
	free(f->labels);
	memset(f, 0, sizeof(*f));
}

static int compile_capset(struct cap_match *c, const Tetragon__CapFilterSet *s, const char *where, char *err,
			  size_t errlen)
{
	static const char *const kinds[] = { "any", "all", "exactly", "none" };
	const Tetragon__CapabilitiesType *v[] = { s ? s->any : NULL, s ? s->all : NULL, s ? s->exactly : NULL,
						  s ? s->none : NULL };
	size_t n[] = { s ? s->n_any : 0, s ? s->n_all : 0, s ? s->n_exactly : 0, s ? s->n_none : 0 };
	int defined = 0, k, which = 0;
	size_t i;

	if (!s)
		return 0;
	for (k = 0; k < 4; k++) {
		if (!n[k])
			continue;
		defined++;
		which = k;
		/* cap_bits would drop an unknown value silently */
		for (i = 0; i < n[k]; i++)
			if (!protobuf_c_enum_descriptor_get_value(&tetragon__capabilities_type__descriptor,
								  (int)v[k][i]))
				return ferr(err, errlen, "%s.%s[%zu]: unknown capability %d", where, kinds[k], i,
					    (int)v[k][i]);
	}
	if (defined != 1)
		return ferr(err, errlen, "%s: a capability filter must define exactly one of any, all, exactly, none",
			    where);
	c->set = true;
	c->kind = (enum cap_kind)which;	/* same order as kinds[] */
	c->mask = cap_bits(v[which], n[which]);
	return 0;
}

const char *filter_quote(char *buf, size_t len, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && i < 64 && o + 4 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (i < n && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (len)
		buf[o] = '\0';
	return buf;
}

int filter_check_event_set(const Tetragon__EventType *v, size_t n, const char *where, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i] == TETRAGON__EVENT_TYPE__UNDEF)
			return ferr(err, errlen, "%s[%zu]: UNDEF is not an event type", where, i);
		if (!protobuf_c_enum_descriptor_get_value(&tetragon__event_type__descriptor, (int)v[i]))
			return ferr(err, errlen, "%s[%zu]: unknown event type %d", where, i, (int)v[i]);
	}
	return 0;
}

static int compile_one(struct cfilter *f, const Tetragon__Filter *in, const struct compile_ctx *cx,
		       const char *where, char *err, size_t errlen)
{
	char w[96];
	size_t i;
	int r;

	f->health_check = in->health_check ? (int)in->health_check->value : -1;
	f->in_init_tree = in->in_init_tree ? (int)in->in_init_tree->value : -1;
	f->child_warn = CHILD_CACHE_WARN;

	if (in->n_cel_expression)
		return ferr(err, errlen, "%s.cel_expression: CEL expression filters are not supported by this agent",
			    where);
	snprintf(w, sizeof(w), "%s.event_set", where);
	r = filter_check_event_set(in->event_set, in->n_event_set, w, err, errlen);
	if (!r && in->n_ancestor_binary_regex)
		r = check_ancestors(in->event_set, in->n_event_set, where, err, errlen);
	if (r)
		return r;

#define RX(list, field)                                                                             \
	do {                                                                                        \
		snprintf(w, sizeof(w), "%s." #field, where);                                        \
		r = regex_list_compile(&f->list, in->field, in->n_##field, cx, w, err, errlen);     \
		if (r)                                                                              \
			return r;                                                                   \
	} while (0);
	REGEX_FIELDS(RX)
#undef RX

	r = dup_strings(&f->namespaces, &f->n_namespaces, in->namespace_, in->n_namespace_);
	if (!r)
		r = dup_strings(&f->policy_names, &f->n_policy_names, in->policy_names, in->n_policy_names);
	if (r)
		return r;
	if (in->n_pid) {
		f->pids = malloc(in->n_pid * sizeof(*f->pids));
		if (!f->pids)
			return -ENOMEM;
		memcpy(f->pids, in->pid, in->n_pid * sizeof(*f->pids));
		f->n_pids = in->n_pid;
	}
	if (in->n_pid_set) {
		f->pid_set = malloc(in->n_pid_set * sizeof(*f->pid_set));
		if (!f->pid_set)
			return -ENOMEM;
		memcpy(f->pid_set, in->pid_set, in->n_pid_set * sizeof(*f->pid_set));
		f->n_pid_set = in->n_pid_set;
	}
	if (in->n_event_set) {
		f->event_set = malloc(in->n_event_set * sizeof(*f->event_set));
		if (!f->event_set)
			return -ENOMEM;
		for (i = 0; i < in->n_event_set; i++)
			f->event_set[i] = (int)in->event_set[i];
		f->n_event_set = in->n_event_set;
	}
	if (in->n_labels) {
		f->labels = calloc(in->n_labels, sizeof(*f->labels));
		if (!f->labels)
			return -ENOMEM;
		for (i = 0; i < in->n_labels; i++) {
			char why[256];

			r = label_selector_parse(str(in->labels[i]), &f->labels[i], why, sizeof(why));
			if (r) {
				if (r == -EINVAL)
					ferr(err, errlen, "%s.labels[%zu]: invalid pod label filter: %s", where, i, why);
				return r;
			}
			f->n_labels = i + 1;
		}
	}
	if (in->capabilities) {
		snprintf(w, sizeof(w), "%s.capabilities.permitted", where);
		r = compile_capset(&f->cap_permitted, in->capabilities->permitted, w, err, errlen);
		if (!r) {
			snprintf(w, sizeof(w), "%s.capabilities.effective", where);
			r = compile_capset(&f->cap_effective, in->capabilities->effective, w, err, errlen);
		}
		if (!r) {
			snprintf(w, sizeof(w), "%s.capabilities.inheritable", where);
			r = compile_capset(&f->cap_inheritable, in->capabilities->inheritable, w, err, errlen);
		}
		if (r)
			return r;
		f->caps = true;
	}
	return 0;
}

static int compile_list(struct cfilter **out, size_t *nout, Tetragon__Filter *const *in, size_t n,
			const struct compile_ctx *cx, const char *name, char *err, size_t errlen)
{
	size_t i;

	if (!n)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		char where[64];
		int r;

		*nout = i + 1;
		if (!in[i])
			continue;	/* a null filter matches everything, as an empty one */
		snprintf(where, sizeof(where), "%s[%zu]", name, i);
		r = compile_one(&(*out)[i], in[i], cx, where, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

/* Counts the request's regexps into *total; refuses the first one over the limit. */
static int count_regexps(Tetragon__Filter *const *in, size_t n, const char *name, size_t *total, char *err,
			 size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!in[i])
			continue;
#define COUNT(list, field)                                                                            \
		if (*total + in[i]->n_##field > FILTER_MAX_REGEXPS)                                   \
			return ferr(err, errlen, "%s[%zu]." #field "[%zu]: too many regexps, the limit is %d " \
				    "per request (over all its filters)", name, i,                         \
				    FILTER_MAX_REGEXPS - *total, FILTER_MAX_REGEXPS);                       \
		*total += in[i]->n_##field;
		REGEX_FIELDS(COUNT)
#undef COUNT
	}
	return 0;
}

void filter_set_free(struct filter_set *fs)
{
	size_t i;

	if (!fs)
		return;
	for (i = 0; i < fs->nallow; i++)
		cfilter_free(&fs->allow[i]);
	free(fs->allow);
	for (i = 0; i < fs->ndeny; i++)
		cfilter_free(&fs->deny[i]);
	free(fs->deny);
	field_filters_free(fs->fields, fs->nfields);
	free(fs);
}

int filter_set_compile(struct filter_set **out, const struct filter_spec *spec, char *err, size_t errlen)
{
	struct filter_set *fs = calloc(1, sizeof(*fs));
	struct compile_ctx cx = { 0 };
	int r;

	*out = NULL;
	if (!fs)
		return -ENOMEM;
	r = count_regexps(spec->allow, spec->nallow, "allow_list", &cx.nregex, err, errlen);
	if (!r)
		r = count_regexps(spec->deny, spec->ndeny, "deny_list", &cx.nregex, err, errlen);
	if (cx.nregex)
		cx.regex_mem = FILTER_REGEX_MEM / (int64_t)cx.nregex;
	if (cx.regex_mem > TG_REGEX_MAX_MEM)
		cx.regex_mem = TG_REGEX_MAX_MEM;
	if (!r)
		r = compile_list(&fs->allow, &fs->nallow, spec->allow, spec->nallow, &cx, "allow_list", err, errlen);
	if (!r)
		r = compile_list(&fs->deny, &fs->ndeny, spec->deny, spec->ndeny, &cx, "deny_list", err, errlen);
	if (!r)
		r = field_filters_compile(&fs->fields, &fs->nfields, spec->fields, spec->nfields, err, errlen);
	if (r) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		filter_set_free(fs);
		return r;
	}
	*out = fs;
	return 0;
}

int filter_set_from_request(struct filter_set **out, const Tetragon__GetEventsRequest *req, char *err,
			    size_t errlen)
{
	struct filter_spec spec = {
		.allow = req->allow_list, .nallow = req->n_allow_list,
		.deny = req->deny_list, .ndeny = req->n_deny_list,
		.fields = req->field_filters, .nfields = req->n_field_filters,
	};

	return filter_set_compile(out, &spec, err, errlen);
}

static int parse_flag(const char *flag, const char *text, const ProtobufCMessageDescriptor *d,
		      ProtobufCMessage ***v, size_t *n, char *err, size_t errlen)
{
	char why[320];
	int r = pbjson_decode_stream(text, d, v, n, why, sizeof(why));

	if (r)
		snprintf(err, errlen, "%s: %s", flag, why);
	return r;
}

/* "allow_list[2].pid: ..." -> "--export-allowlist: line 3: pid: ..." */
static void name_flag_line(const char *why, char *err, size_t errlen)
{
	static const struct { const char *prefix, *flag; } map[] = {
		{ "allow_list[", "--export-allowlist" },
		{ "deny_list[", "--export-denylist" },
		{ "field_filters[", "--field-filters" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t l = strlen(map[i].prefix);
		unsigned long idx;
		char *end;

		if (strncmp(why, map[i].prefix, l))
			continue;
		idx = strtoul(why + l, &end, 10);
		if (*end != ']')
			break;
		end++;
		if (*end == '.' || *end == ':')
			end++;
		while (*end == ' ')
			end++;
		snprintf(err, errlen, "%s: line %lu: %s", map[i].flag, idx + 1, end);
		return;
	}
	snprintf(err, errlen, "%s", why);
}

int filter_set_from_json(struct filter_set **out, const char *allowlist, const char *denylist,
			 const char *field_filters, bool allow_pid_set, char *err, size_t errlen)
{
	ProtobufCMessage **allow = NULL, **deny = NULL, **fields = NULL;
	size_t nallow = 0, ndeny = 0, nfields = 0, i;
	struct filter_spec spec;
	char why[384];
	int r;

	*out = NULL;
	r = parse_flag("--export-allowlist", allowlist, &tetragon__filter__descriptor, &allow, &nallow, err, errlen);
	if (!r)
		r = parse_flag("--export-denylist", denylist, &tetragon__filter__descriptor, &deny, &ndeny, err,
			       errlen);
	if (!r)
		r = parse_flag("--field-filters", field_filters, &tetragon__field_filter__descriptor, &fields,
			       &nfields, err, errlen);
	for (i = 0; !r && !allow_pid_set && i < nallow + ndeny; i++) {
		const Tetragon__Filter *f = (const Tetragon__Filter *)(i < nallow ? allow[i] : deny[i - nallow]);

		if (f->n_pid_set)
			r = ferr(err, errlen, "%s: line %zu: pidSet filters use a best-effort approach for tracking "
				 "PIDs and are intended for testing/development, not for production (pass "
				 "--enable-pid-set-filter to allow them)",
				 i < nallow ? "--export-allowlist" : "--export-denylist",
				 (i < nallow ? i : i - nallow) + 1);
	}
	if (!r) {
		spec = (struct filter_spec){
			.allow = (Tetragon__Filter *const *)allow, .nallow = nallow,
			.deny = (Tetragon__Filter *const *)deny, .ndeny = ndeny,
			.fields = (Tetragon__FieldFilter *const *)fields, .nfields = nfields,
		};
		r = filter_set_compile(out, &spec, why, sizeof(why));
		if (r == -EINVAL)
			name_flag_line(why, err, errlen);
		else if (r)
			snprintf(err, errlen, "%s", why);
	}
	pbjson_free_array(allow, nallow);
	pbjson_free_array(deny, ndeny);
	pbjson_free_array(fields, nfields);
	return r;
}
