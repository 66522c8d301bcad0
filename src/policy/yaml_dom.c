// SPDX-License-Identifier: Apache-2.0
/* YAML DOM built from libyaml's event stream (see yaml_dom.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "policy/arena.h"
#include "policy/yaml_dom.h"

/* ---- builder ---------------------------------------------------------------- */

struct frame {
	struct ydom_node *node;
	struct ydom_node **tmp;	/* seq: items; map: key, value, key, value... */
	size_t n, cap;
};

struct builder {
	struct tp_arena *arena;
	struct frame stack[YDOM_MAX_DEPTH];
	size_t depth;
	struct ydom_doc *docs;
	size_t ndocs, capdocs;
	size_t nodes;
	struct ydom_error *err;
	int rc;
};

static int fail(struct builder *b, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct builder *b, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	b->err->line = line;
	b->err->col = col;
	va_start(ap, fmt);
	vsnprintf(b->err->msg, sizeof(b->err->msg), fmt, ap);
	va_end(ap);
	b->rc = -EINVAL;
	return -EINVAL;
}

static int oom(struct builder *b)
{
	b->err->line = b->err->col = 0;
	snprintf(b->err->msg, sizeof(b->err->msg), "out of memory");
	b->rc = -ENOMEM;
	return -ENOMEM;
}

static int tmp_push(struct builder *b, struct frame *f, struct ydom_node *n)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct ydom_node **t = realloc(f->tmp, cap * sizeof(*t));

		if (!t)
			return oom(b);
		f->tmp = t;
		f->cap = cap;
	}
	f->tmp[f->n++] = n;
	return 0;
}

static int attach(struct builder *b, struct ydom_node *n)
{
	if (!b->depth) {
		if (!b->ndocs)
			return fail(b, n->line, n->col, "YAML content outside a document");
		b->docs[b->ndocs - 1].root = n;
		return 0;
	}
	return tmp_push(b, &b->stack[b->depth - 1], n);
}

static struct ydom_node *new_node(struct builder *b, const yaml_event_t *ev, enum ydom_kind kind)
{
	struct ydom_node *n;
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor) {
		fail(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
		     "YAML anchors (&%s) are not supported in policies", (const char *)anchor);
		return NULL;
	}
	if (++b->nodes > YDOM_MAX_NODES) {
		fail(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
		     "document too large: more than %u YAML nodes", YDOM_MAX_NODES);
		return NULL;
	}
	n = tp_arena_alloc(b->arena, sizeof(*n));
	if (!n) {
		oom(b);
		return NULL;
	}
	n->kind = kind;
	n->line = ev->start_mark.line + 1;
	n->col = ev->start_mark.column + 1;
	/* the core schema's tags are fine; application tags mean nothing to a policy */
	if (tag && strncmp((const char *)tag, "tag:yaml.org,2002:", 18) && strcmp((const char *)tag, "!")) {
		fail(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
		     "YAML tag %.64s is not supported in policies", (const char *)tag);
		return NULL;
	}
	if (tag) {
		n->tag = tp_arena_memdup(b->arena, (const char *)tag, strlen((const char *)tag));
		if (!n->tag) {
			oom(b);
			return NULL;
		}
	}
	return n;
}

struct keyref {
	const struct ydom_node *key;
	size_t idx;
};

static int keyref_cmp(const void *pa, const void *pb)
{
	const struct keyref *a = pa, *b = pb;
	int r;

	if (a->key->len != b->key->len)
		return a->key->len < b->key->len ? -1 : 1;
	r = memcmp(a->key->str, b->key->str, a->key->len);
	if (r)
		return r;
	return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

/* Kubernetes' strict decoder refuses duplicate keys; so do we. */
static int check_duplicates(struct builder *b, const struct ydom_node *map)
{
	struct keyref *refs;
	size_t i, n = 0, dup = SIZE_MAX, first = 0;

	if (map->npairs < 2)
		return 0;
	refs = malloc(map->npairs * sizeof(*refs));
	if (!refs)
		return oom(b);
	for (i = 0; i < map->npairs; i++) {
		if (map->pairs[i].key->kind != YDOM_SCALAR)
			continue;
		refs[n].key = map->pairs[i].key;
		refs[n].idx = i;
		n++;
	}
	qsort(refs, n, sizeof(*refs), keyref_cmp);
	for (i = 1; i < n; i++) {
		if (refs[i].key->len != refs[i - 1].key->len ||
		    memcmp(refs[i].key->str, refs[i - 1].key->str, refs[i].key->len))
			continue;
		/* report the earliest repeated occurrence in document order */
		if (dup == SIZE_MAX || refs[i].idx < dup) {
			dup = refs[i].idx;
			first = refs[i - 1].idx;
		}
	}
	free(refs);
	if (dup != SIZE_MAX) {
		const struct ydom_node *k = map->pairs[dup].key, *f = map->pairs[first].key;

		return fail(b, k->line, k->col, "duplicate key \"%.*s\" (first defined at line %u, column %u)",
			    (int)(k->len > 64 ? 64 : k->len), k->str, f->line, f->col);
	}
	return 0;
}

static int push_frame(struct builder *b, const yaml_event_t *ev, enum ydom_kind kind)
{
	struct ydom_node *n;
	struct frame *f;

	if (b->depth == YDOM_MAX_DEPTH)
		return fail(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			    "nesting deeper than %d levels", YDOM_MAX_DEPTH);
	n = new_node(b, ev, kind);
	if (!n)
		return b->rc;
	if (kind == YDOM_SEQ)
		n->style = ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE ? YDOM_FLOW : YDOM_BLOCK;
	else
		n->style = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE ? YDOM_FLOW : YDOM_BLOCK;
	f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = n;
	return 0;
}

static int pop_frame(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];
	struct ydom_node *n = f->node;
	size_t i;
	int rc = 0;

	if (n->kind == YDOM_SEQ) {
		n->nitems = f->n;
		if (f->n) {
			n->items = tp_arena_alloc(b->arena, f->n * sizeof(*n->items));
			if (!n->items)
				rc = oom(b);
			else
				memcpy(n->items, f->tmp, f->n * sizeof(*n->items));
		}
	} else {
		n->npairs = f->n / 2;
		if (n->npairs) {
			n->pairs = tp_arena_alloc(b->arena, n->npairs * sizeof(*n->pairs));
			if (!n->pairs) {
				rc = oom(b);
			} else {
				for (i = 0; i < n->npairs; i++) {
					n->pairs[i].key = f->tmp[2 * i];
					n->pairs[i].value = f->tmp[2 * i + 1];
				}
				rc = check_duplicates(b, n);
			}
		}
	}
	free(f->tmp);
	f->tmp = NULL;
	if (rc)
		return rc;
	return attach(b, n);
}

static int add_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct ydom_node *n = new_node(b, ev, YDOM_SCALAR);

	if (!n)
		return b->rc;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->style = YDOM_SINGLE_QUOTED;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = YDOM_DOUBLE_QUOTED;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		n->style = YDOM_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = YDOM_FOLDED;
		break;
	default:
		n->style = YDOM_PLAIN;
		break;
	}
	n->len = ev->data.scalar.length;
	n->str = tp_arena_memdup(b->arena, (const char *)ev->data.scalar.value, n->len);
	if (!n->str)
		return oom(b);
	return attach(b, n);
}

static int start_doc(struct builder *b, const yaml_event_t *ev)
{
	if (b->ndocs == b->capdocs) {
		size_t cap = b->capdocs ? b->capdocs * 2 : 4;
		struct ydom_doc *d = realloc(b->docs, cap * sizeof(*d));

		if (!d)
			return oom(b);
		b->docs = d;
		b->capdocs = cap;
	}
	memset(&b->docs[b->ndocs], 0, sizeof(b->docs[0]));
	b->docs[b->ndocs].line = ev->start_mark.line + 1;
	b->docs[b->ndocs].col = ev->start_mark.column + 1;
	b->ndocs++;
	return 0;
}

/* libyaml reports reader errors (bad UTF-8, control bytes) by byte offset only. */
static void offset_to_pos(const char *buf, size_t len, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int parser_error(struct builder *b, const yaml_parser_t *p, const char *buf, size_t len)
{
	unsigned line, col;

	if (p->error == YAML_MEMORY_ERROR)
		return oom(b);
	if (p->error == YAML_READER_ERROR) {
		offset_to_pos(buf, len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			return fail(b, line, col, "YAML error: %s (byte 0x%02x)",
				    p->problem ? p->problem : "invalid input", (unsigned)p->problem_value & 0xff);
		return fail(b, line, col, "YAML error: %s", p->problem ? p->problem : "invalid input");
	}
	line = p->problem_mark.line + 1;
	col = p->problem_mark.column + 1;
	if (p->context)
		return fail(b, line, col, "YAML syntax error: %s %s at line %u, column %u",
			    p->problem ? p->problem : "invalid syntax", p->context,
			    (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
	return fail(b, line, col, "YAML syntax error: %s", p->problem ? p->problem : "invalid syntax");
}

int ydom_parse(const char *buf, size_t len, struct ydom_stream **out, struct ydom_error *err)
{
	struct builder b = { .err = err };
	struct ydom_stream *s = NULL;
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false;
	size_t i;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (len > YDOM_MAX_INPUT)
		return fail(&b, 0, 0, "input too large (%zu bytes, limit %u)", len, YDOM_MAX_INPUT);
	b.arena = tp_arena_new();
	if (!b.arena)
		return oom(&b);
	if (!yaml_parser_initialize(&p)) {
		tp_arena_free(b.arena);
		return oom(&b);
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);

	while (!done && !b.rc) {
		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(&b, &p, buf, len);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			start_doc(&b, &ev);
			break;
		case YAML_SCALAR_EVENT:
			add_scalar(&b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			push_frame(&b, &ev, YDOM_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			push_frame(&b, &ev, YDOM_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			pop_frame(&b);
			break;
		case YAML_ALIAS_EVENT:
			fail(&b, ev.start_mark.line + 1, ev.start_mark.column + 1,
			     "YAML aliases (*%s) are not supported in policies",
			     (const char *)ev.data.alias.anchor);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	while (b.depth)
		free(b.stack[--b.depth].tmp);

	if (b.rc)
		goto fail;
	s = calloc(1, sizeof(*s));
	if (!s) {
		oom(&b);
		goto fail;
	}
	/* a document whose content libyaml never produced cannot happen, but be safe */
	for (i = 0; i < b.ndocs; i++) {
		if (!b.docs[i].root) {
			fail(&b, b.docs[i].line, b.docs[i].col, "empty YAML document");
			free(s);
			goto fail;
		}
	}
	s->docs = b.docs;
	s->ndocs = b.ndocs;
	s->arena = b.arena;
	*out = s;
	return 0;
fail:
	free(b.docs);
	tp_arena_free(b.arena);
	return b.rc;
}

void ydom_stream_free(struct ydom_stream *s)
{
	if (!s)
		return;
	free(s->docs);
	tp_arena_free(s->arena);
	free(s);
}

bool ydom_is_null(const struct ydom_node *n)
{
	if (!n || n->kind != YDOM_SCALAR || n->style != YDOM_PLAIN)
		return false;
	if (n->tag && strcmp(n->tag, "tag:yaml.org,2002:null"))
		return false;
	return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

const struct ydom_node *ydom_map_get(const struct ydom_node *map, const char *key)
{
	size_t i, klen = strlen(key);

	if (!map || map->kind != YDOM_MAP)
		return NULL;
	for (i = 0; i < map->npairs; i++) {
		const struct ydom_node *k = map->pairs[i].key;

		if (k->kind == YDOM_SCALAR && k->len == klen && !memcmp(k->str, key, klen))
			return map->pairs[i].value;
	}
	return NULL;
}

const char *ydom_kind_name(const struct ydom_node *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case YDOM_SEQ:
		return "a list";
	case YDOM_MAP:
		return "a mapping";
	default:
		return ydom_is_null(n) ? "null" : "a scalar";
	}
}
