// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "policy/policy_values.h"
#include "policy/policy_limits.h"

static int lower(int c)
{
	return c | 0x20;
}

/* Go allows '_' only between digits, or between a base prefix and a digit. */
static bool underscores_ok(const char *s, size_t n)
{
	char saw = '^';
	bool hex = false;
	size_t i = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s[1]) == 'x';
	}
	for (; i < n; i++) {
		if ((s[i] >= '0' && s[i] <= '9') || (hex && lower(s[i]) >= 'a' && lower(s[i]) <= 'f')) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

int tp_parse_go_uint(const char *s, size_t n, int base, int bits, uint64_t *out)
{
	const char *s0 = s;
	size_t n0 = n, i;
	bool base0 = base == 0, seen_us = false;
	uint64_t v = 0, max = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;

	if (!n)
		return -EINVAL;
	if (base0) {
		base = 10;
		if (s[0] == '0') {
			if (n >= 3 && lower(s[1]) == 'b') {
				base = 2;
				s += 2, n -= 2;
			} else if (n >= 3 && lower(s[1]) == 'o') {
				base = 8;
				s += 2, n -= 2;
			} else if (n >= 3 && lower(s[1]) == 'x') {
				base = 16;
				s += 2, n -= 2;
			} else {
				base = 8;
				s += 1, n -= 1;
			}
		}
	}
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i], d;

		if (c == '_' && base0) {
			seen_us = true;
			continue;
		}
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (lower(c) >= 'a' && lower(c) <= 'z')
			d = lower(c) - 'a' + 10;
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (max - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (seen_us && !underscores_ok(s0, n0))
		return -EINVAL;
	*out = v;
	return 0;
}

int tp_parse_go_int(const char *s, size_t n, int base, int bits, int64_t *out)
{
	bool neg = false;
	uint64_t u, cutoff = UINT64_C(1) << (bits - 1);
	int rc;

	if (!n)
		return -EINVAL;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		n--;
	}
	rc = tp_parse_go_uint(s, n, base, bits, &u);
	if (rc)
		return rc;
	if ((!neg && u >= cutoff) || (neg && u > cutoff))
		return -ERANGE;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int tp_parse_ip_prefix(const char *s, size_t n, uint8_t *family, uint8_t addr[16], uint8_t *prefix_len)
{
	char buf[64];
	const char *slash;
	unsigned bits = 0, maxbits;
	size_t alen;

	if (!n || n >= sizeof(buf) || memchr(s, '\0', n))
		return -EINVAL;
	slash = memchr(s, '/', n);
	alen = slash ? (size_t)(slash - s) : n;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = 4;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = 6;
		maxbits = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		const char *p = slash + 1, *end = s + n;

		/* decimal, no sign, no leading zeros (Go's netip.ParsePrefix) */
		if (p == end || (end - p > 1 && *p == '0') || end - p > 3)
			return -EINVAL;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			bits = bits * 10 + (unsigned)(*p - '0');
		}
		if (bits > maxbits)
			return -ERANGE;
	} else {
		bits = maxbits;
	}
	*prefix_len = (uint8_t)bits;
	return 0;
}

static bool is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(int c)
{
	return isascii(c) && isalnum(c);
}

static bool dns_label_n(const char *s, size_t n)
{
	size_t i;

	if (!n || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool tp_valid_dns_label(const char *s)
{
	return dns_label_n(s, strlen(s));
}

static bool dns_subdomain_n(const char *s, size_t n)
{
	size_t start = 0, i;

	if (!n || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t len = i - start, j;

			/* each dot-separated part is a label, except that 63 is not enforced per part */
			if (!len || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1]))
				return false;
			for (j = start; j < i; j++)
				if (!is_lower_alnum(s[j]) && s[j] != '-')
					return false;
			start = i + 1;
		}
	}
	return true;
}

bool tp_valid_dns_subdomain(const char *s)
{
	return dns_subdomain_n(s, strlen(s));
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63 bytes */
static bool label_name_n(const char *s, size_t n, bool allow_empty)
{
	size_t i;

	if (!n)
		return allow_empty;
	if (n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

bool tp_valid_label_value(const char *s)
{
	return label_name_n(s, strlen(s), true);
}

bool tp_valid_label_key(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash)
		return label_name_n(s, strlen(s), false);
	return dns_subdomain_n(s, (size_t)(slash - s)) && label_name_n(slash + 1, strlen(slash + 1), false);
}

bool tp_valid_tracefs_name(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > TP_MAX_TRACEFS_NAME_LEN || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

bool tp_valid_ksym(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > TP_MAX_KSYM_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

bool tp_valid_symbol(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (!n || n > max || tp_has_control(s, n))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == ' ')
			return false;
	return true;
}

bool tp_has_control(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return true;
		/* U+0080..U+009F are C2 80..C2 9F in UTF-8 */
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return true;
	}
	return false;
}

/* Same splitting rules as upstream's BTF path formatter. */
int tp_resolve_path_depth(const char *s)
{
	bool in_bracket = false, bad = false;
	size_t i, cur = 0;
	int depth = 0;

	for (i = 0; s[i]; i++) {
		char c = s[i], prev = i ? s[i - 1] : 0;

		switch (c) {
		case '.':
			if (in_bracket || prev == '.') {
				bad = true;
				break;
			}
			if (cur) {
				depth++;
				cur = 0;
			}
			break;
		case '[':
			if (in_bracket || prev == '.') {
				bad = true;
				break;
			}
			if (cur)
				depth++;
			in_bracket = true;
			cur = 1;
			break;
		case ']':
			if (!in_bracket || prev == '[') {
				bad = true;
				break;
			}
			in_bracket = false;
			depth++;
			cur = 0;
			break;
		default:
			cur++;
			break;
		}
	}
	if (bad || in_bracket)
		return -1;
	return depth + (cur ? 1 : 0);
}

unsigned tp_edit_distance(const char *a, const char *b)
{
	unsigned row[65], i, j, la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la > 64 || lb > 64)
		return 1000;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned up = row[j], best;

			best = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}
