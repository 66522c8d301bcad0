// SPDX-License-Identifier: Apache-2.0
/*
 * policy_yaml_set_mode(): the YAML is read into an array of libyaml events,
 * the spec/options nodes are found in it by walking node boundaries, and the
 * events are emitted again with the old policy-mode entries left out and the
 * new one inserted. Working on events (not a DOM) keeps every scalar's
 * style and tag as written.
 */
#include "policy/policy_mode_yaml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/strbuf.h"

#define MAX_EVENTS (1u << 20)	/* a policy is far smaller; bounds memory on hostile input */

struct evs {
	yaml_event_t *v;
	size_t n, cap;
};

/* Where new events go: before event idx, the whole options entry or one item. */
struct insert {
	size_t idx;
	bool whole;
};

static void evs_free(struct evs *e)
{
	for (size_t i = 0; i < e->n; i++)
		yaml_event_delete(&e->v[i]);
	free(e->v);
}

static int read_events(const char *yaml, size_t len, struct evs *e, char *err, size_t errlen)
{
	yaml_parser_t p;
	int ret = 0;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
	for (;;) {
		yaml_event_t ev;

		if (e->n == e->cap) {
			size_t cap = e->cap ? e->cap * 2 : 256;
			yaml_event_t *v;

			if (cap > MAX_EVENTS) {
				snprintf(err, errlen, "the YAML is too large (more than %u nodes)", MAX_EVENTS);
				ret = -EINVAL;
				break;
			}
			v = realloc(e->v, cap * sizeof(*v));
			if (!v) {
				ret = -ENOMEM;
				break;
			}
			e->v = v;
			e->cap = cap;
		}
		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR) {
				ret = -ENOMEM;
				break;
			}
			snprintf(err, errlen, "%zu:%zu: %s%s%s", p.problem_mark.line + 1, p.problem_mark.column + 1,
				 p.problem ? p.problem : "invalid YAML", p.context ? " " : "", p.context ? p.context : "");
			ret = -EINVAL;
			break;
		}
		e->v[e->n++] = ev;
		if (ev.type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return ret;
}

/* Index just past the node that starts at event i. */
static size_t node_end(const struct evs *e, size_t i)
{
	int depth = 0;

	do {
		switch (e->v[i].type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		i++;
	} while (depth > 0 && i < e->n);
	return i;
}

static bool is_scalar(const yaml_event_t *ev, const char *s)
{
	size_t l = strlen(s);

	return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length == l && !memcmp(ev->data.scalar.value, s, l);
}

/* The value of key in the mapping starting at m, or 0 (events 0 is never a value). */
static size_t map_get(const struct evs *e, size_t m, const char *key)
{
	size_t i = m + 1;

	while (i < e->n && e->v[i].type != YAML_MAPPING_END_EVENT) {
		size_t v = node_end(e, i);

		if (v >= e->n)
			return 0;
		if (is_scalar(&e->v[i], key))
			return v;
		i = node_end(e, v);
	}
	return 0;
}

static const char *ev_kind(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT: return ev->data.scalar.length ? "a scalar" : "empty";
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_ALIAS_EVENT: return "an alias";
	default: return "not a value";
	}
}

/*
 * Mark the events of document root r: keep[i] false for dropped options
 * items; one insertion point. Returns 1 when the document has a spec, 0
 * for an empty document, -EINVAL with err.
 */
static int plan_doc(const struct evs *e, size_t r, bool *keep, struct insert *ins, char *err, size_t errlen)
{
	const yaml_event_t *root = &e->v[r];
	size_t spec, opts, i;

	if (root->type == YAML_SCALAR_EVENT && !root->data.scalar.length)
		return 0;
	if (root->type != YAML_MAPPING_START_EVENT) {
		snprintf(err, errlen, "%zu:%zu: the policy is %s, not a mapping", root->start_mark.line + 1,
			 root->start_mark.column + 1, ev_kind(root));
		return -EINVAL;
	}
	spec = map_get(e, r, "spec");
	if (!spec) {
		snprintf(err, errlen, "%zu:%zu: yaml does not include spec section", root->start_mark.line + 1,
			 root->start_mark.column + 1);
		return -EINVAL;
	}
	if (e->v[spec].type != YAML_MAPPING_START_EVENT) {
		snprintf(err, errlen, "%zu:%zu: spec is %s, not a mapping", e->v[spec].start_mark.line + 1,
			 e->v[spec].start_mark.column + 1, ev_kind(&e->v[spec]));
		return -EINVAL;
	}
	opts = map_get(e, spec, "options");
	if (!opts) {
		ins->idx = node_end(e, spec) - 1;	/* spec's MAPPING_END */
		ins->whole = true;
		return 1;
	}
	if (e->v[opts].type != YAML_SEQUENCE_START_EVENT) {
		snprintf(err, errlen, "%zu:%zu: spec.options is %s, not a list", e->v[opts].start_mark.line + 1,
			 e->v[opts].start_mark.column + 1, ev_kind(&e->v[opts]));
		return -EINVAL;
	}
	for (i = opts + 1; i < e->n && e->v[i].type != YAML_SEQUENCE_END_EVENT;) {
		size_t end = node_end(e, i), name;

		if (e->v[i].type != YAML_MAPPING_START_EVENT) {
			snprintf(err, errlen, "%zu:%zu: spec.options item is %s, not a mapping",
				 e->v[i].start_mark.line + 1, e->v[i].start_mark.column + 1, ev_kind(&e->v[i]));
			return -EINVAL;
		}
		name = map_get(e, i, "name");
		if (name && is_scalar(&e->v[name], "policy-mode"))
			memset(keep + i, 0, (end - i) * sizeof(*keep));
		i = end;
	}
	ins->idx = i;	/* options' SEQUENCE_END */
	ins->whole = false;
	return 1;
}

static int emit_scalar(yaml_emitter_t *em, const char *s)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, -1, 1, 1, YAML_ANY_SCALAR_STYLE))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

/* [options:] [- ] {name: policy-mode, value: MODE} */
static int emit_insert(yaml_emitter_t *em, const char *mode, bool whole)
{
	yaml_event_t ev;

	if (whole) {
		if (!emit_scalar(em, "options") ||
		    !yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_ANY_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return 0;
	}
	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_ANY_MAPPING_STYLE) ||
	    !yaml_emitter_emit(em, &ev) || !emit_scalar(em, "name") || !emit_scalar(em, "policy-mode") ||
	    !emit_scalar(em, "value") || !emit_scalar(em, mode) || !yaml_mapping_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	if (whole && (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev)))
		return 0;
	return 1;
}

static int write_out(void *data, unsigned char *buf, size_t size)
{
	struct strbuf *sb = data;

	strbuf_add(sb, buf, size);
	return !sb->oom;
}

int policy_yaml_set_mode(const char *yaml, size_t len, const char *mode, char **out, size_t *outlen, char *err,
			 size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	struct insert *ins = NULL;
	struct evs e = { 0 };
	size_t nins = 0, k = 0, i;
	yaml_emitter_t em;
	bool *keep = NULL, specs = false;
	int ret;

	*out = NULL;
	if (mode && !*mode)
		mode = NULL;
	if (mode && strcmp(mode, "enforce") && strcmp(mode, "monitor")) {
		snprintf(err, errlen, "invalid mode: \"%s\" (want enforce or monitor)", mode);
		return -EINVAL;
	}
	ret = read_events(yaml, len, &e, err, errlen);
	if (ret)
		goto out;
	keep = malloc(e.n * sizeof(*keep));
	ins = calloc(e.n, sizeof(*ins));	/* at most one per document */
	if (!keep || !ins) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < e.n; i++)
		keep[i] = true;
	for (i = 0; mode && i < e.n; i++) {
		if (e.v[i].type != YAML_DOCUMENT_START_EVENT || i + 1 >= e.n)
			continue;
		ret = plan_doc(&e, i + 1, keep, &ins[nins], err, errlen);
		if (ret < 0)
			goto out;
		if (ret) {
			nins++;
			specs = true;
		}
		ret = 0;
	}
	if (mode && !specs) {
		snprintf(err, errlen, "yaml does not include spec section");
		ret = -EINVAL;
		goto out;
	}

	if (!yaml_emitter_initialize(&em)) {
		ret = -ENOMEM;
		goto out;
	}
	yaml_emitter_set_output(&em, write_out, &sb);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);	/* never fold long values */
	for (i = 0; i < e.n && !ret; i++) {
		if (k < nins && ins[k].idx == i) {
			if (!emit_insert(&em, mode, ins[k].whole))
				ret = -EIO;
			k++;
		}
		if (ret)
			break;
		if (!keep[i]) {
			yaml_event_delete(&e.v[i]);
			continue;
		}
		/* the emitter owns the event from here, even when it fails */
		if (!yaml_emitter_emit(&em, &e.v[i]))
			ret = -EIO;
		memset(&e.v[i], 0, sizeof(e.v[i]));
	}
	if (ret == -EIO) {
		snprintf(err, errlen, "cannot write the YAML: %s", em.problem ? em.problem : "emitter error");
		ret = sb.oom || em.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
	yaml_emitter_delete(&em);
	if (!ret && sb.oom)
		ret = -ENOMEM;
	if (!ret) {
		*out = strbuf_detach(&sb, outlen);
		if (!*out)
			ret = -ENOMEM;
	}
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	strbuf_free(&sb);
	evs_free(&e);
	free(keep);
	free(ins);
	return ret;
}

int policy_yaml_split(const char *yaml, size_t len, char ***docs, size_t *ndocs, char *err, size_t errlen)
{
	struct evs e = { 0 };
	char **v = NULL;
	size_t n = 0, i = 0;
	int ret;

	*docs = NULL;
	*ndocs = 0;
	ret = read_events(yaml, len, &e, err, errlen);
	while (!ret && i < e.n) {
		struct strbuf sb = STRBUF_INIT;
		yaml_emitter_t em;
		yaml_event_t ev;
		size_t end = i;
		bool empty;
		char **nv;

		if (e.v[i].type != YAML_DOCUMENT_START_EVENT) {
			i++;
			continue;
		}
		while (end < e.n && e.v[end].type != YAML_DOCUMENT_END_EVENT)
			end++;
		if (end == e.n)
			break;
		/* an empty document ("---" alone) holds no policy */
		empty = end == i + 2 && e.v[i + 1].type == YAML_SCALAR_EVENT && !e.v[i + 1].data.scalar.length;
		if (empty || end == i + 1) {
			i = end + 1;
			continue;
		}
		if (!yaml_emitter_initialize(&em)) {
			ret = -ENOMEM;
			break;
		}
		yaml_emitter_set_output(&em, write_out, &sb);
		yaml_emitter_set_unicode(&em, 1);
		yaml_emitter_set_width(&em, -1);
		yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
		if (!yaml_emitter_emit(&em, &ev))
			ret = -EIO;
		for (size_t k = i; k <= end && !ret; k++) {
			if (!yaml_emitter_emit(&em, &e.v[k]))
				ret = -EIO;
			memset(&e.v[k], 0, sizeof(e.v[k]));	/* the emitter owns it */
		}
		if (!ret) {
			yaml_stream_end_event_initialize(&ev);
			if (!yaml_emitter_emit(&em, &ev))
				ret = -EIO;
		}
		if (ret == -EIO)
			snprintf(err, errlen, "cannot write the YAML: %s", em.problem ? em.problem : "emitter error");
		yaml_emitter_delete(&em);
		nv = ret ? NULL : realloc(v, (n + 1) * sizeof(*v));
		if (!ret && (!nv || sb.oom))
			ret = -ENOMEM;
		if (!ret) {
			v = nv;
			v[n] = strbuf_detach(&sb, NULL);
			if (!v[n])
				ret = -ENOMEM;
			else
				n++;
		} else if (nv) {
			v = nv;
		}
		strbuf_free(&sb);
		i = end + 1;
	}
	evs_free(&e);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		for (size_t k = 0; k < n; k++)
			free(v[k]);
		free(v);
		return ret;
	}
	*docs = v;
	*ndocs = n;
	return 0;
}
