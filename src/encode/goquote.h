/* SPDX-License-Identifier: Apache-2.0 */
/* Go's strconv.Quote, which upstream's compact output uses for untrusted strings. */
#ifndef TG_ENCODE_GOQUOTE_H
#define TG_ENCODE_GOQUOTE_H

#include <stddef.h>

#include "util/strbuf.h"

/* Append @s double-quoted with Go escapes (\a \b \f \n \r \t \v \\ \", \xNN
 * for invalid UTF-8, \uNNNN/\UNNNNNNNN for non-printable runes). */
void go_quote(struct strbuf *out, const char *s, size_t len);
/* Append @s, quoted only when it holds a space or a non-printable rune. */
void go_maybe_quote(struct strbuf *out, const char *s);

#endif
