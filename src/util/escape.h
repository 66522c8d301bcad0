/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Escaping of untrusted text for places that are read as lines by people and
 * programs: the agent's log and tetra's stderr. Policy fields, gRPC requests
 * and process names may hold newlines and terminal escape codes; after this
 * they are one line of printable text.
 *
 * Escapes: \n \r \t by name; every other C0 control byte, DEL (ESC too) and
 * the C1 controls (U+0080..U+009F, which some terminals obey as CSI...) as
 * \xNN of their bytes; bytes of invalid UTF-8 as \xNN. Valid UTF-8 passes
 * through. With ESC_QUOTED, '"' and '\' are escaped too (a logfmt value).
 */
#ifndef TG_UTIL_ESCAPE_H
#define TG_UTIL_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct strbuf;

enum {
	ESC_QUOTED = 1,		/* escape '"' and '\' as well */
};

/*
 * Escape s[0..len) into dst, writing whole escapes or UTF-8 sequences only:
 * when the next one does not fit in cap bytes, stop. Returns the bytes
 * written (dst is not NUL-terminated); *consumed says how much of s went in
 * (< len: the output was cut).
 */
size_t esc_bounded(char *dst, size_t cap, const char *s, size_t len, unsigned flags, size_t *consumed);
/* Append s escaped. */
void strbuf_add_escaped(struct strbuf *sb, const char *s, size_t len, unsigned flags);
/* True when s would come out of the escaper unchanged (ignoring ESC_QUOTED). */
bool esc_is_clean(const char *s, size_t len);

/*
 * Print untrusted text to a terminal or log stream: escaped, except that a
 * newline starts a new line indented by two spaces, so a multi-line server
 * message stays readable but cannot start a line of its own. Trailing
 * newlines are dropped; no newline is added.
 */
void esc_fputs_lines(const char *s, FILE *f);

#endif
