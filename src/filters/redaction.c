// SPDX-License-Identifier: Apache-2.0
#include "filters/redaction.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/pbjson.h"
#include "filters/regex.h"
#include "tetragon/events.pb-c.h"
#include "util/log.h"
#include "util/strbuf.h"

struct redaction_filter {
	struct tg_regex **binary, **redact;
	size_t nbinary, nredact;
};

struct redaction_list {
	struct redaction_filter *f;
	size_t n;
};

static const struct redaction_list *global;
static uint64_t redacted;

void redaction_free(struct redaction_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->f[i].nbinary; j++)
			tg_regex_free(l->f[i].binary[j]);
		for (size_t j = 0; j < l->f[i].nredact; j++)
			tg_regex_free(l->f[i].redact[j]);
		free(l->f[i].binary);
		free(l->f[i].redact);
	}
	free(l->f);
	free(l);
}

size_t redaction_count(const struct redaction_list *l)
{
	return l ? l->n : 0;
}

static int compile_all(char **pats, size_t n, bool captures, struct tg_regex ***out, int64_t mem, size_t fi,
		       const char *field, char *err, size_t errlen)
{
	char why[512];

	*out = n ? calloc(n, sizeof(**out)) : NULL;
	if (n && !*out) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int r = captures ? tg_regex_compile_captures(&(*out)[i], pats[i], mem, why, sizeof(why)) :
				   tg_regex_compile(&(*out)[i], pats[i], mem, why, sizeof(why));

		if (r) {
			snprintf(err, errlen, "filter %zu: %s[%zu]: %s", fi + 1, field, i, why);
			return r;
		}
		if (captures && tg_regex_ngroups((*out)[i]) > REDACTION_MAX_GROUPS) {
			snprintf(err, errlen, "filter %zu: %s[%zu]: %d capture groups, the limit is %d", fi + 1, field,
				 i, tg_regex_ngroups((*out)[i]), REDACTION_MAX_GROUPS);
			return -E2BIG;
		}
	}
	return 0;
}

int redaction_parse(const char *text, struct redaction_list **out, char *err, size_t errlen)
{
	ProtobufCMessage **v = NULL;
	struct redaction_list *l;
	size_t n = 0, total = 0, i;
	int64_t mem;
	int r;

	*out = NULL;
	if (!text)
		return 0;
	r = pbjson_decode_stream(text, &tetragon__redaction_filter__descriptor, &v, &n, err, errlen);
	if (r)
		return r;
	if (!n)
		return 0;
	if (n > REDACTION_MAX_FILTERS) {
		snprintf(err, errlen, "%zu filters, the limit is %d", n, REDACTION_MAX_FILTERS);
		pbjson_free_array(v, n);
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		const Tetragon__RedactionFilter *f = (const Tetragon__RedactionFilter *)v[i];

		total += f->n_redact + f->n_binary_regex;
	}
	if (total > REDACTION_MAX_REGEXPS) {
		snprintf(err, errlen, "%zu regexps in all, the limit is %d", total, REDACTION_MAX_REGEXPS);
		pbjson_free_array(v, n);
		return -E2BIG;
	}
	/* the compiled programs share REDACTION_MEM, each at most TG_REGEX_MAX_MEM */
	mem = total ? REDACTION_MEM / (int64_t)total : TG_REGEX_MAX_MEM;
	if (mem > TG_REGEX_MAX_MEM)
		mem = TG_REGEX_MAX_MEM;
	l = calloc(1, sizeof(*l));
	if (l)
		l->f = calloc(n, sizeof(*l->f));
	if (!l || !l->f) {
		free(l);
		pbjson_free_array(v, n);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->n = n;
	for (i = 0; i < n && !r; i++) {
		const Tetragon__RedactionFilter *f = (const Tetragon__RedactionFilter *)v[i];

		if (!f->n_redact) {
			snprintf(err, errlen, "filter %zu: no \"redact\" regexps: it would redact nothing", i + 1);
			r = -EINVAL;
			break;
		}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		size_t nmatch = f->n_match;
#pragma GCC diagnostic pop

		if (nmatch)
			log_warn("--redaction-filters: filter %zu: \"match\" is deprecated and ignored, as upstream does; "
				 "use \"binary_regex\"", i + 1);
		r = compile_all(f->binary_regex, f->n_binary_regex, false, &l->f[i].binary, mem, i, "binary_regex",
				err, errlen);
		l->f[i].nbinary = f->n_binary_regex;
		if (r)
			break;
		r = compile_all(f->redact, f->n_redact, true, &l->f[i].redact, mem, i, "redact", err, errlen);
		l->f[i].nredact = f->n_redact;
	}
	pbjson_free_array(v, n);
	if (r) {
		redaction_free(l);
		return r;
	}
	*out = l;
	return 0;
}

static size_t utf8_width(const char *s, size_t len, size_t pos)
{
	unsigned char c = (unsigned char)s[pos];
	size_t w = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;

	return pos + w > len ? 1 : w;
}

/*
 * Go's Regexp.ReplaceAllStringFunc walk (an empty match right after a match
 * is skipped; the search moves on at least one character), with upstream's
 * replacement: each group of the match, outermost first, by REDACTION_STR.
 * Returns 1 and @out filled when something was replaced, 0 when not, or
 * -ENOMEM / -E2BIG (over REDACTION_MAX_OUT).
 */
static int redact_one(const struct tg_regex *re, const char *s, size_t len, struct strbuf *out)
{
	size_t spans[2 * (REDACTION_MAX_GROUPS + 1)];
	int ng = tg_regex_ngroups(re) + 1;
	size_t search = 0, last_end = 0;
	bool changed = false;

	while (search <= len && tg_regex_find(re, s, len, search, spans, ng)) {
		size_t ms = spans[0], me = spans[1], w;

		strbuf_add(out, s + last_end, ms - last_end);
		if (me > last_end || ms == 0) {
			size_t prev = ms;

			for (int g = 1; g < ng; g++) {
				/* a group that did not take part, or inside one already redacted */
				if (spans[2 * g] == (size_t)-1 || spans[2 * g] < prev)
					continue;
				strbuf_add(out, s + prev, spans[2 * g] - prev);
				strbuf_adds(out, REDACTION_STR);
				prev = spans[2 * g + 1];
				changed = true;
			}
			strbuf_add(out, s + prev, me - prev);
		}
		last_end = me;
		if (out->oom)
			return -ENOMEM;
		if (out->len > REDACTION_MAX_OUT)
			return -E2BIG;
		w = search < len ? utf8_width(s, len, search) : 1;
		if (search + w > me)
			search += w;
		else if (search + 1 > me)
			search++;
		else
			search = me;
	}
	strbuf_add(out, s + last_end, len - last_end);
	if (out->oom)
		return -ENOMEM;
	if (out->len > REDACTION_MAX_OUT)
		return -E2BIG;
	return changed;
}

static bool binary_matches(const struct redaction_filter *f, const char *binary)
{
	if (!f->nbinary)
		return true;
	for (size_t i = 0; i < f->nbinary; i++)
		if (tg_regex_match(f->binary[i], binary))
			return true;
	return false;
}

int redaction_apply(const struct redaction_list *l, const char *binary, const char *args, char **out)
{
	char *cur = NULL;
	int changed = 0;

	*out = NULL;
	if (!l || !args)
		return 0;
	binary = binary ? binary : "";
	for (size_t i = 0; i < l->n; i++) {
		if (!binary_matches(&l->f[i], binary))
			continue;
		for (size_t j = 0; j < l->f[i].nredact; j++) {
			const char *s = cur ? cur : args;
			struct strbuf sb = STRBUF_INIT;
			int r = redact_one(l->f[i].redact[j], s, strlen(s), &sb);

			if (r == -E2BIG) {
				/* never the secret: all of it */
				strbuf_free(&sb);
				free(cur);
				*out = strdup(REDACTION_STR);
				return *out ? 1 : -ENOMEM;
			}
			if (r < 0) {
				strbuf_free(&sb);
				free(cur);
				return r;
			}
			if (r == 0) {
				strbuf_free(&sb);
				continue;
			}
			free(cur);
			cur = strbuf_detach(&sb, NULL);
			if (!cur)
				return -ENOMEM;
			changed = 1;
		}
	}
	*out = cur;
	return changed;
}

void redaction_set_global(const struct redaction_list *l)
{
	global = l;
}

int redaction_args(const char *binary, char **args)
{
	char *r = NULL;
	int err;

	if (!global || !*args)
		return 0;
	err = redaction_apply(global, binary, *args, &r);
	if (err < 0) {
		/* out of memory: the arguments go, not the secret */
		free(*args);
		*args = strdup(REDACTION_STR);
		return -ENOMEM;
	}
	if (err > 0) {
		free(*args);
		*args = r;
		__atomic_add_fetch(&redacted, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

int redaction_active(void)
{
	return global != NULL;
}

uint64_t redaction_redacted(void)
{
	return __atomic_load_n(&redacted, __ATOMIC_RELAXED);
}
