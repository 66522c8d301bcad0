/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bump allocator for data that lives and dies together (a parsed YAML
 * stream, one parsed policy). Allocations are zeroed; there is no per-object
 * free, tp_arena_free() releases everything.
 */
#ifndef TG_POLICY_ARENA_H
#define TG_POLICY_ARENA_H

#include <stddef.h>

struct tp_arena;

struct tp_arena *tp_arena_new(void);
void tp_arena_free(struct tp_arena *a);
/* Zeroed, max_align_t aligned; NULL on allocation failure. */
void *tp_arena_alloc(struct tp_arena *a, size_t size);
/* n * size with overflow check. */
void *tp_arena_calloc(struct tp_arena *a, size_t n, size_t size);
/* Copy of s[0..n) plus a terminating NUL (s may contain NULs). */
char *tp_arena_memdup(struct tp_arena *a, const char *s, size_t n);
char *tp_arena_strdup(struct tp_arena *a, const char *s);

#endif
