/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small read-only DOM over libyaml events. Every node remembers where it
 * started (1-based line and column) so that schema errors can point at the
 * exact spot in the user's file. Anchors and aliases are rejected: policies
 * never need them and aliases are the classic "billion laughs" amplifier.
 * Everything lives in one arena that ydom_stream_free() releases at once.
 */
#ifndef TG_POLICY_YAML_DOM_H
#define TG_POLICY_YAML_DOM_H

#include <stdbool.h>
#include <stddef.h>

enum ydom_kind {
	YDOM_SCALAR,
	YDOM_SEQ,
	YDOM_MAP,
};

enum ydom_style {
	YDOM_PLAIN,
	YDOM_SINGLE_QUOTED,
	YDOM_DOUBLE_QUOTED,
	YDOM_LITERAL,
	YDOM_FOLDED,
	YDOM_FLOW,	/* flow collection ([...] or {...}) */
	YDOM_BLOCK,	/* block collection */
};

struct ydom_node;

struct ydom_pair {
	struct ydom_node *key;
	struct ydom_node *value;
};

struct ydom_node {
	enum ydom_kind kind;
	enum ydom_style style;
	unsigned line, col;
	/* explicit tag as written after expansion ("tag:yaml.org,2002:str"), or NULL */
	const char *tag;
	/* YDOM_SCALAR: NUL-terminated copy; len counts embedded NULs ("\0" escapes) */
	const char *str;
	size_t len;
	/* YDOM_SEQ */
	struct ydom_node **items;
	size_t nitems;
	/* YDOM_MAP, in document order */
	struct ydom_pair *pairs;
	size_t npairs;
};

struct ydom_doc {
	struct ydom_node *root;	/* never NULL: an empty document is a plain empty scalar */
	unsigned line, col;	/* where the document starts */
};

struct ydom_stream {
	struct ydom_doc *docs;
	size_t ndocs;
	struct tp_arena *arena;
};

struct ydom_error {
	unsigned line, col;	/* 1-based; 0 when the position is unknown */
	char msg[256];
};

/* Hard caps that keep hostile input cheap; a real policy is far below them. */
#define YDOM_MAX_INPUT	(16u << 20)	/* bytes */
#define YDOM_MAX_DEPTH	64		/* nesting of collections */
#define YDOM_MAX_NODES	(1u << 20)	/* nodes per stream */

/*
 * Parse a whole YAML stream. Returns 0 and *out on success; -EINVAL with
 * *err filled on a syntax or limit error; -ENOMEM on allocation failure.
 * Duplicate keys in a mapping are a syntax error here, as they are for
 * Kubernetes' strict decoder.
 */
int ydom_parse(const char *buf, size_t len, struct ydom_stream **out, struct ydom_error *err);
void ydom_stream_free(struct ydom_stream *s);

/* A plain scalar spelling null (empty, ~, null, Null, NULL). */
bool ydom_is_null(const struct ydom_node *n);
/* Value of key in a mapping (first match; keys are unique), or NULL. */
const struct ydom_node *ydom_map_get(const struct ydom_node *map, const char *key);
const char *ydom_kind_name(const struct ydom_node *n);

#endif
