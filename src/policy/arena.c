// SPDX-License-Identifier: Apache-2.0
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/arena.h"

struct tp_arena_chunk {
	struct tp_arena_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct tp_arena {
	struct tp_arena_chunk *head;
	size_t next_cap;
};

/*
 * Chunks start small and double up to CHUNK_MAX: a file can hold thousands
 * of tiny policies, each with its own arena.
 */
#define CHUNK_MIN 512u
#define CHUNK_MAX (32u << 10)

struct tp_arena *tp_arena_new(void)
{
	return calloc(1, sizeof(struct tp_arena));
}

void tp_arena_free(struct tp_arena *a)
{
	struct tp_arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *tp_arena_alloc(struct tp_arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct tp_arena_chunk *c = a->head;

	if (size > SIZE_MAX / 2)
		return NULL;
	size = size ? (size + align - 1) & ~(align - 1) : align;
	if (!c || c->cap - c->used < size) {
		size_t step = a->next_cap ? a->next_cap : CHUNK_MIN;
		size_t cap = size > step ? size : step;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		if (step < CHUNK_MAX)
			a->next_cap = step * 2;
		/* an oversized chunk goes behind the current one so its free room stays usable */
		if (a->head && cap > step) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	c->used += size;
	return memset(c->data + c->used - size, 0, size);
}

void *tp_arena_calloc(struct tp_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return tp_arena_alloc(a, n * size);
}

char *tp_arena_memdup(struct tp_arena *a, const char *s, size_t n)
{
	char *d;

	if (n == SIZE_MAX)
		return NULL;
	d = tp_arena_alloc(a, n + 1);
	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

char *tp_arena_strdup(struct tp_arena *a, const char *s)
{
	return tp_arena_memdup(a, s, strlen(s));
}
