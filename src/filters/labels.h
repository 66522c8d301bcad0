/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes label selectors ("app=web,tier in (fe,be),!canary"), as the
 * `labels` event filter takes them: requirements are ANDed; operators =, ==,
 * !=, in, notin, exists (key), does-not-exist (!key), > and < on integers.
 * "!=" and "notin" also match when the label is absent, as in Kubernetes.
 */
#ifndef TG_FILTERS_LABELS_H
#define TG_FILTERS_LABELS_H

#include <stdbool.h>
#include <stddef.h>

struct label_selector;

/* A label lookup: returns the value of key, or NULL when absent. */
typedef const char *(*label_get_fn)(const void *labels, const char *key);

/* Returns 0, or -EINVAL with a message naming the offending part in err. */
int label_selector_parse(const char *s, struct label_selector **out, char *err, size_t errlen);
bool label_selector_match(const struct label_selector *sel, label_get_fn get, const void *labels);
void label_selector_free(struct label_selector *sel);

#endif
