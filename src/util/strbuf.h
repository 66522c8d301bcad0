/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer used by every encoder and sink. */
#ifndef TG_UTIL_STRBUF_H
#define TG_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;	/* always NUL-terminated when cap > 0 */
	size_t len;
	size_t cap;
	int oom;	/* sticky: an allocation failed, content is incomplete */
};

#define STRBUF_INIT { 0 }

void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* Ensure room for n more bytes; returns 0 or -ENOMEM (and sets sb->oom). */
int strbuf_grow(struct strbuf *sb, size_t n);
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append n copies of c. */
void strbuf_addn(struct strbuf *sb, char c, size_t n);
/* Base64 (standard alphabet, padded), as protobuf JSON and exec_id use. */
void strbuf_add_base64(struct strbuf *sb, const void *data, size_t n);
/* Detach the buffer; the caller frees it. Never NULL unless out of memory. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

#endif
