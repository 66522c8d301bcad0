// SPDX-License-Identifier: Apache-2.0
/*
 * Field filters: FieldMask paths applied to the message inside the event
 * oneof (ProcessExec, ProcessKprobe...), like upstream's fieldmask-based
 * filter. Path parts match field names in snake_case or camelCase; after a
 * map field comes a key ("process.pod.pod_labels.app"). INCLUDE keeps only
 * the listed fields (a listed message field is kept whole unless sub-paths
 * narrow it); EXCLUDE drops them. A path must name a field of at least one
 * of the event types the filter applies to, and a filter needs a path: a
 * typo would otherwise silently filter nothing.
 *
 * The result is built from shallow copies: only structs on a filtered path
 * are new, everything else is shared with the source event.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters_internal.h"
#include "util/strbuf.h"

struct mask {
	char *name;		/* the proto field name ("exec_id") or a map key */
	bool leaf;		/* the whole field */
	struct mask *kids;
	size_t n;
};

struct ffilter {
	int *event_set;
	size_t n_event_set;
	bool invert;
	bool exclude;
	struct mask root;
};

/* Upstream's normalization: drop '_', upper-case the first letter and each one after '_'. */
static char *normalize(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, j = 0;
	bool up = true;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '_') {
			up = true;
			continue;
		}
		out[j++] = up ? (char)toupper((unsigned char)s[i]) : s[i];
		up = false;
	}
	out[j] = '\0';
	return out;
}

static bool name_matches(const char *norm, const char *field)
{
	bool up = true;

	for (; *field; field++) {
		char c = *field;

		if (c == '_') {
			up = true;
			continue;
		}
		if (up)
			c = (char)toupper((unsigned char)c);
		up = false;
		if (*norm++ != c)
			return false;
	}
	return !*norm;
}

static void mask_free(struct mask *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		mask_free(&m->kids[i]);
	free(m->kids);
	free(m->name);
	memset(m, 0, sizeof(*m));
}

static struct mask *mask_child(struct mask *m, const char *part, size_t len)
{
	struct mask *nk;
	char *name = strndup(part, len);
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < m->n; i++) {
		if (!strcmp(m->kids[i].name, name)) {
			free(name);
			return &m->kids[i];
		}
	}
	nk = realloc(m->kids, (m->n + 1) * sizeof(*nk));
	if (!nk) {
		free(name);
		return NULL;
	}
	m->kids = nk;
	memset(&nk[m->n], 0, sizeof(*nk));
	nk[m->n].name = name;
	return &nk[m->n++];
}

/* @path is canonical (resolve_path): its parts are field names or map keys. */
static int mask_add_path(struct mask *root, const char *path)
{
	struct mask *m = root;
	const char *p = path;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		m = mask_child(m, p, len);
		if (!m)
			return -ENOMEM;
		if (!dot)
			break;
		p = dot + 1;
	}
	/* "a" and "a.b": a covers all of a */
	m->leaf = true;
	return 0;
}

static const struct mask *mask_find(const struct mask *m, const char *field)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->kids[i].name, field))
			return &m->kids[i];
	return NULL;
}

static bool is_map_entry(const ProtobufCMessageDescriptor *md)
{
	size_t l = strlen(md->name);

	return md->n_fields == 2 && l > 5 && !strcmp(md->name + l - 5, "Entry") &&
	       !strcmp(md->fields[0].name, "key") && md->fields[0].type == PROTOBUF_C_TYPE_STRING;
}

static bool applies(const struct ffilter *f, int type)
{
	size_t i;

	if (!f->n_event_set)
		return true;
	for (i = 0; i < f->n_event_set; i++)
		if (f->event_set[i] == type)
			return !f->invert;
	return f->invert;
}

/* ---- path checks ---------------------------------------------------------------- */

/* How far a path got in one event message. */
struct resolved {
	size_t depth;					/* parts that named a field or key */
	const ProtobufCMessageDescriptor *md;		/* where the next part was missing */
	const ProtobufCFieldDescriptor *leaf;		/* or: this field has no sub-fields */
	bool map_value;					/* leaf is a map of scalars */
	const char *part;
	size_t partlen;
	struct strbuf canon;				/* "process.exec_id" */
};

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *md, const char *part,
						  size_t len, int *err)
{
	char *norm = normalize(part, len);
	const ProtobufCFieldDescriptor *f = NULL;
	unsigned i;

	if (!norm) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < md->n_fields && !f; i++)
		if (name_matches(norm, md->fields[i].name))
			f = &md->fields[i];
	free(norm);
	return f;
}

/* True when every part of @path names a field of @md (or a map key); r->canon is then the canonical path. */
static bool resolve_path(const ProtobufCMessageDescriptor *md, const char *path, struct resolved *r, int *err)
{
	const char *p = path;

	strbuf_reset(&r->canon);
	r->depth = 0;
	r->leaf = NULL;
	r->map_value = false;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		const ProtobufCFieldDescriptor *f = find_field(md, p, len, err);

		if (!f) {
			r->md = md;
			r->part = p;
			r->partlen = len;
			return false;
		}
		strbuf_adds(&r->canon, f->name);
		r->depth++;
		if (!dot)
			return true;
		p = dot + 1;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
			r->md = md;
			r->leaf = f;
			return false;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED && is_map_entry(f->descriptor)) {
			const ProtobufCMessageDescriptor *ed = f->descriptor;
			const ProtobufCFieldDescriptor *vf = &ed->fields[1];

			dot = strchr(p, '.');
			len = dot ? (size_t)(dot - p) : strlen(p);
			strbuf_addc(&r->canon, '.');
			strbuf_add(&r->canon, p, len);	/* a key, as written */
			r->depth++;
			if (!dot)
				return true;
			p = dot + 1;
			if (vf->type != PROTOBUF_C_TYPE_MESSAGE) {
				r->md = md;
				r->leaf = f;
				r->map_value = true;
				return false;
			}
			md = vf->descriptor;
		} else {
			md = f->descriptor;
		}
		strbuf_addc(&r->canon, '.');
	}
}

/*
 * Check @path against the messages of the event types @f applies to and add
 * its canonical form to f's mask; the message names the event type where it
 * got furthest.
 */
static int add_checked_path(struct ffilter *f, const char *path, const char *where, char *err, size_t errlen)
{
	const ProtobufCMessageDescriptor *rd = &tetragon__get_events_response__descriptor;
	struct resolved best = { .canon = STRBUF_INIT }, cur = { .canon = STRBUF_INIT };
	char q[80], part[80];
	size_t ntypes = 0;
	int r = 0, oom = 0;
	unsigned i;
	bool found = false;
	const char *p;

	filter_quote(q, sizeof(q), path, strlen(path));
	for (p = path;; p++) {
		if (*p == '.' || !*p) {
			if (p == path || p[-1] == '.' || (*p == '.' && !p[1])) {
				snprintf(err, errlen, "%s: invalid path \"%s\"", where, q);
				return -EINVAL;
			}
		}
		if (!*p)
			break;
	}
	best.depth = 0;
	best.md = NULL;
	for (i = 0; i < rd->n_fields && !found; i++) {
		const ProtobufCFieldDescriptor *ef = &rd->fields[i];

		if (!(ef->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || ef->type != PROTOBUF_C_TYPE_MESSAGE ||
		    !applies(f, (int)ef->id))
			continue;
		ntypes++;
		found = resolve_path(ef->descriptor, path, &cur, &oom);
		if (oom || cur.canon.oom) {
			r = -ENOMEM;
			goto out;
		}
		if (found || !best.md || cur.depth > best.depth) {
			struct strbuf t = best.canon;

			best = cur;
			cur.canon = t;
		}
	}
	r = -EINVAL;
	if (!ntypes)
		snprintf(err, errlen, "%s: the filter applies to no event type (invert_event_set with every type)",
			 where);
	else if (found)
		r = mask_add_path(&f->root, best.canon.buf);
	else if (best.leaf && best.map_value)
		snprintf(err, errlen, "%s: path \"%s\": the values of %s.%s have no fields", where, q,
			 best.md->name, best.leaf->name);
	else if (best.leaf)
		snprintf(err, errlen, "%s: path \"%s\": %s.%s has no fields", where, q, best.md->name,
			 best.leaf->name);
	else if (!best.depth && ntypes > 1)
		snprintf(err, errlen, "%s: path \"%s\": no event type has a field \"%s\"", where, q,
			 filter_quote(part, sizeof(part), best.part, best.partlen));
	else
		snprintf(err, errlen, "%s: path \"%s\": %s has no field \"%s\"", where, q, best.md->name,
			 filter_quote(part, sizeof(part), best.part, best.partlen));
out:
	strbuf_free(&best.canon);
	strbuf_free(&cur.canon);
	return r;
}

void field_filters_free(struct ffilter *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].event_set);
		mask_free(&v[i].root);
	}
	free(v);
}

int field_filters_compile(struct ffilter **out, size_t *nout, Tetragon__FieldFilter *const *in, size_t n,
			  char *err, size_t errlen)
{
	struct ffilter *v;
	size_t i, j;

	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*out = v;
	for (i = 0; i < n; i++) {
		const Tetragon__FieldFilter *f = in[i];
		char where[64];
		int r;

		*nout = i + 1;
		if (!f)
			continue;
		if (f->action != TETRAGON__FIELD_FILTER_ACTION__INCLUDE &&
		    f->action != TETRAGON__FIELD_FILTER_ACTION__EXCLUDE) {
			snprintf(err, errlen, "field_filters[%zu]: invalid fieldfilter action: %d", i, (int)f->action);
			return -EINVAL;
		}
		v[i].exclude = f->action == TETRAGON__FIELD_FILTER_ACTION__EXCLUDE;
		v[i].invert = f->invert_event_set && f->invert_event_set->value;
		snprintf(where, sizeof(where), "field_filters[%zu].event_set", i);
		r = filter_check_event_set(f->event_set, f->n_event_set, where, err, errlen);
		if (r)
			return r;
		if (f->n_event_set) {
			v[i].event_set = malloc(f->n_event_set * sizeof(int));
			if (!v[i].event_set)
				return -ENOMEM;
			for (j = 0; j < f->n_event_set; j++)
				v[i].event_set[j] = (int)f->event_set[j];
			v[i].n_event_set = f->n_event_set;
		}
		snprintf(where, sizeof(where), "field_filters[%zu].fields", i);
		if (!f->fields || !f->fields->n_paths) {
			snprintf(err, errlen, "%s: no field paths (a field filter needs at least one)", where);
			return -EINVAL;
		}
		for (j = 0; j < f->fields->n_paths; j++) {
			r = add_checked_path(&v[i], f->fields->paths[j] ? f->fields->paths[j] : "", where, err,
					     errlen);
			if (r)
				return r;
		}
	}
	return 0;
}

/* ---- applying ------------------------------------------------------------------ */

static void *copy_alloc(struct field_copy *c, size_t size)
{
	void *p;

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		void **na = realloc(c->allocs, ncap * sizeof(*na));

		if (!na)
			return NULL;
		c->allocs = na;
		c->cap = ncap;
	}
	p = malloc(size ? size : 1);
	if (p)
		c->allocs[c->n++] = p;
	return p;
}

void field_copy_release(struct field_copy *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->allocs[i]);
	free(c->allocs);
	memset(c, 0, sizeof(*c));
}

static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + f->quantifier_offset) != 0;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(const void *const *)(base + f->offset) != NULL;
	return true;	/* scalars: copying a default is harmless */
}

static size_t value_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

/* Copy one field's storage (value plus count/has/case) from src to dst. */
static void copy_field(ProtobufCMessage *dst, const ProtobufCMessage *src, const ProtobufCFieldDescriptor *f)
{
	char *d = (char *)dst;
	const char *s = (const char *)src;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		memcpy(d + f->quantifier_offset, s + f->quantifier_offset, sizeof(size_t));
		memcpy(d + f->offset, s + f->offset, sizeof(void *));
		return;
	}
	memcpy(d + f->offset, s + f->offset, value_size(f->type));
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		memcpy(d + f->quantifier_offset, s + f->quantifier_offset, sizeof(uint32_t));
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
		 f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
		memcpy(d + f->quantifier_offset, s + f->quantifier_offset, sizeof(protobuf_c_boolean));
}

static void clear_field(ProtobufCMessage *dst, const ProtobufCFieldDescriptor *f)
{
	char *d = (char *)dst;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(uint32_t *)(d + f->quantifier_offset) != f->id)
			return;
		*(uint32_t *)(d + f->quantifier_offset) = 0;
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		*(size_t *)(d + f->quantifier_offset) = 0;
		*(void **)(d + f->offset) = NULL;
		return;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
		*(protobuf_c_boolean *)(d + f->quantifier_offset) = 0;
	if (f->type == PROTOBUF_C_TYPE_STRING)
		*(const char **)(d + f->offset) = f->default_value ? f->default_value : protobuf_c_empty_string;
	else
		memset(d + f->offset, 0, value_size(f->type));
}

static const ProtobufCMessage *filter_msg(struct field_copy *c, const struct mask *m, const ProtobufCMessage *src,
					  bool exclude, int *err);

/* A repeated message field narrowed by sub-paths: each element (or map entries by key). */
static int filter_repeated(struct field_copy *c, const struct mask *m, ProtobufCMessage *dst,
			   const ProtobufCMessage *src, const ProtobufCFieldDescriptor *f, bool exclude)
{
	size_t n = *(const size_t *)((const char *)src + f->quantifier_offset), i, k = 0;
	const ProtobufCMessage *const *in = *(const ProtobufCMessage *const *const *)((const char *)src + f->offset);
	const ProtobufCMessage **out = copy_alloc(c, n * sizeof(*out));
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	bool map = is_map_entry(ed);
	int err = 0;

	if (!out)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!in[i])
			continue;
		if (map) {
			const char *key = *(const char *const *)((const char *)in[i] + ed->fields[0].offset);
			bool listed = false;
			size_t j;

			for (j = 0; j < m->n && !listed; j++)
				listed = !strcmp(m->kids[j].name, key ? key : "");
			if (listed != exclude)
				out[k++] = in[i];
			continue;
		}
		out[k] = filter_msg(c, m, in[i], exclude, &err);
		if (err)
			return err;
		k++;
	}
	*(size_t *)((char *)dst + f->quantifier_offset) = k;
	*(const ProtobufCMessage ***)((char *)dst + f->offset) = out;
	return 0;
}

static const ProtobufCMessage *filter_msg(struct field_copy *c, const struct mask *m, const ProtobufCMessage *src,
					  bool exclude, int *err)
{
	const ProtobufCMessageDescriptor *md = src->descriptor;
	ProtobufCMessage *dst = copy_alloc(c, md->sizeof_message);
	unsigned i;

	if (!dst) {
		*err = -ENOMEM;
		return src;
	}
	if (exclude)
		memcpy(dst, src, md->sizeof_message);
	else
		md->message_init(dst);
	for (i = 0; i < md->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &md->fields[i];
		const struct mask *k = mask_find(m, f->name);
		int r;

		if (!k)
			continue;	/* include: not listed, stays default; exclude: kept */
		if (k->leaf) {
			if (exclude)
				clear_field(dst, f);
			else if (field_present(src, f))
				copy_field(dst, src, f);
			continue;
		}
		/* sub-paths into a message field */
		if (f->type != PROTOBUF_C_TYPE_MESSAGE || !field_present(src, f))
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			r = filter_repeated(c, k, dst, src, f, exclude);
			if (r) {
				*err = r;
				return src;
			}
			continue;
		}
		copy_field(dst, src, f);	/* sets the oneof case too */
		*(const ProtobufCMessage **)((char *)dst + f->offset) =
			filter_msg(c, k, *(const ProtobufCMessage *const *)((const char *)src + f->offset), exclude,
				   err);
		if (*err)
			return src;
	}
	return dst;
}

int filter_set_apply_fields(const struct filter_set *fs, const Tetragon__GetEventsResponse *ev,
			    struct field_copy *c, const Tetragon__GetEventsResponse **res)
{
	const Tetragon__GetEventsResponse *cur = ev;
	int type = filter_event_type(ev);
	size_t i;

	*res = ev;
	if (!fs)
		return 0;
	for (i = 0; i < fs->nfields; i++) {
		const struct ffilter *f = &fs->fields[i];
		const ProtobufCMessage *inner = filter_event_inner(cur), *ninner;
		const ProtobufCFieldDescriptor *fd;
		Tetragon__GetEventsResponse *copy;
		int err = 0;

		if (!f->root.n || !applies(f, type) || !inner)
			continue;
		ninner = filter_msg(c, &f->root, inner, f->exclude, &err);
		if (err)
			return err;
		copy = copy_alloc(c, sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		*copy = *cur;
		fd = protobuf_c_message_descriptor_get_field(cur->base.descriptor, (unsigned)cur->event_case);
		*(const ProtobufCMessage **)((char *)copy + fd->offset) = ninner;
		cur = copy;
	}
	*res = cur;
	return 0;
}
