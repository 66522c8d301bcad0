/* SPDX-License-Identifier: Apache-2.0 */
/* Scalar syntaxes found in policies (internal to src/policy). */
#ifndef TG_POLICY_VALUES_H
#define TG_POLICY_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Integers with the syntax of Go's strconv.ParseInt/ParseUint, which
 * upstream uses for match values: base 0 takes 0x/0o/0b prefixes, a leading
 * 0 for octal and '_' separators; base 10 is plain decimal. bits is 8..64.
 * Return 0, -EINVAL (syntax) or -ERANGE.
 */
int tp_parse_go_uint(const char *s, size_t n, int base, int bits, uint64_t *out);
int tp_parse_go_int(const char *s, size_t n, int base, int bits, int64_t *out);

/* "1.2.3.4", "::1", "10.0.0.0/8", "fd00::/64" (host bits may be set, as upstream). */
int tp_parse_ip_prefix(const char *s, size_t n, uint8_t *family, uint8_t addr[16], uint8_t *prefix_len);

bool tp_valid_dns_subdomain(const char *s);
bool tp_valid_dns_label(const char *s);
bool tp_valid_label_key(const char *s);
bool tp_valid_label_value(const char *s);

/*
 * Names that reach tracefs paths, the kernel or logs (policy_limits.h has
 * the bounds): a tracefs subsystem or event name ([A-Za-z0-9_-], not
 * starting with '-', so never "/", "." or ".."); a kernel symbol
 * ([A-Za-z0-9_.]); a user-space symbol or USDT name (no whitespace or
 * control characters); free text shown to people (no control characters:
 * C0, DEL, and the C1 range U+0080..U+009F).
 */
bool tp_valid_tracefs_name(const char *s);
bool tp_valid_ksym(const char *s);
bool tp_valid_symbol(const char *s, size_t max);
bool tp_has_control(const char *s, size_t n);

/* Steps of a resolve path ("mm.owner.comm", "f[2].g") or -1 when malformed. */
int tp_resolve_path_depth(const char *s);

/* Levenshtein distance (case-insensitive), capped for long strings. */
unsigned tp_edit_distance(const char *a, const char *b);

#endif
