/* SPDX-License-Identifier: Apache-2.0 */
/* Parser of tracefs event format files (events/<subsys>/<event>/format): the
 * layout of a tracepoint's record, which tracepoint policies index into. */
#ifndef TG_TRACING_TP_FORMAT_H
#define TG_TRACING_TP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#define TP_FORMAT_MAX_FIELDS 64

struct tp_field {
	char name[64];
	char type[96];		/* C type as tracefs prints it, e.g. "const char *" */
	unsigned offset;
	unsigned size;
	bool is_signed;
	bool data_loc;		/* __data_loc: (len << 16 | offset) of a dynamic array */
	bool pointer;
	bool char_array;	/* char[N] or __data_loc char[] */
	bool common;		/* common_* header fields, not arguments */
};

struct tp_format {
	char name[128];
	unsigned id;
	size_t nfields;		/* all fields */
	struct tp_field fields[TP_FORMAT_MAX_FIELDS];
};

/* Parse the text of a format file. 0, or -EINVAL with *ret_line at fault. */
int tp_format_parse(const char *text, struct tp_format *ret, unsigned *ret_line);

/*
 * Tracefs subsystem and event names: letters, digits, '_' and '-' (not
 * first), at most TP_FORMAT_MAX_NAME bytes; never '/', "." or "..".
 */
#define TP_FORMAT_MAX_NAME 63
bool tp_format_valid_name(const char *s);

/*
 * Read <tracefs>/events/<subsys>/<event>/format. -ENOENT: no such
 * tracepoint; -EINVAL: a name tp_format_valid_name() refuses (checked
 * before the path is formed) or a malformed format file.
 */
int tp_format_load(const char *tracefs, const char *subsys, const char *event,
		   struct tp_format *ret);

/* The @idx-th non-common field (policy "index"), or NULL. */
const struct tp_field *tp_format_arg(const struct tp_format *f, unsigned idx);
size_t tp_format_nargs(const struct tp_format *f);

#endif
