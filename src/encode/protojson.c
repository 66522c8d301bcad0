// SPDX-License-Identifier: Apache-2.0
/*
 * Descriptor-driven protobuf JSON for protobuf-c messages. The rules follow
 * Go's protojson (UseProtoNames, compact): see encode/protojson.h for the
 * few places where we write something instead of failing.
 */
#include "encode/protojson.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode/tetragon_field_order.h"

#define MAX_DEPTH	256
#define MAX_ORDER_TABLES 8

static const struct protojson_field_order *order_tables[MAX_ORDER_TABLES] = {
	tetragon_field_order,
};
static unsigned n_order_tables = 1;
/* Bumped when a table is added: plans built before are rebuilt. */
static unsigned order_gen = 1;

int protojson_add_field_order(const struct protojson_field_order *table)
{
	unsigned i;

	for (i = 0; i < n_order_tables; i++)
		if (order_tables[i] == table)
			return 0;
	if (n_order_tables >= MAX_ORDER_TABLES)
		return -ENOSPC;
	order_tables[n_order_tables++] = table;
	__atomic_add_fetch(&order_gen, 1, __ATOMIC_RELEASE);
	return 0;
}

static const uint16_t *field_order_lookup(const ProtobufCMessageDescriptor *d)
{
	const struct protojson_field_order *e;
	unsigned i;

	for (i = 0; i < n_order_tables; i++)
		for (e = order_tables[i]; e->message; e++)
			if (e->n_fields == d->n_fields && !strcmp(e->message, d->name))
				return e->index;
	return NULL;
}

/* ---- output helpers -------------------------------------------------------- */

/* strbuf_add without the call when it fits: events are many tiny appends. */
static inline void put(struct strbuf *sb, const void *p, size_t n)
{
	if (sb->len + n < sb->cap) {
		memcpy(sb->buf + sb->len, p, n);
		sb->len += n;
		sb->buf[sb->len] = '\0';
	} else {
		strbuf_add(sb, p, n);
	}
}

static inline void putc_(struct strbuf *sb, char c)
{
	if (sb->len + 1 < sb->cap) {
		sb->buf[sb->len++] = c;
		sb->buf[sb->len] = '\0';
	} else {
		strbuf_add(sb, &c, 1);
	}
}

#define PUTS(sb, lit) put(sb, lit, sizeof(lit) - 1)

/* A field's key: plans keep KEY_PAD readable bytes past each key, so a
 * short one is copied with one fixed-size move (the excess is overwritten). */
#define KEY_PAD 32
static inline void put_key(struct strbuf *sb, const char *key, size_t n)
{
	if (n <= KEY_PAD && sb->len + KEY_PAD < sb->cap) {
		memcpy(sb->buf + sb->len, key, KEY_PAD);
		sb->len += n;
		sb->buf[sb->len] = '\0';
	} else {
		put(sb, key, n);
	}
}

/* ---- scalars ------------------------------------------------------------- */

static void add_u64(struct strbuf *sb, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(sb, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void add_i64(struct strbuf *sb, int64_t v)
{
	if (v < 0) {
		putc_(sb, '-');
		add_u64(sb, (uint64_t)0 - (uint64_t)v);
	} else {
		add_u64(sb, (uint64_t)v);
	}
}

/*
 * Byte classes for string output: 0 copy as is, 1 needs a backslash
 * escape, 2 starts a multi-byte (or invalid) UTF-8 sequence.
 */
static const unsigned char byte_class[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 2,
};

/*
 * Whether any of the 8 bytes at p is not plain ASCII to copy as is: a
 * control byte, '"', '\\' or >= 0x80 (the classic has-zero-byte tricks).
 */
static inline bool needs_care(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t x, q, b;

	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	return ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high) != 0;
}

/* Length of the valid UTF-8 sequence at s (Go's utf8.DecodeRune rules), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* the second byte's range excludes overlongs, surrogates, > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static void put_escape(struct strbuf *sb, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	switch (c) {
	case '"':  esc[1] = '"'; break;
	case '\\': esc[1] = '\\'; break;
	case '\b': esc[1] = 'b'; break;
	case '\f': esc[1] = 'f'; break;
	case '\n': esc[1] = 'n'; break;
	case '\r': esc[1] = 'r'; break;
	case '\t': esc[1] = 't'; break;
	default:
		put(sb, esc, 6);
		return;
	}
	put(sb, esc, 2);
}

/*
 * protojson escapes only '"', '\\' and control characters (short forms where
 * JSON has them, else lowercase \u00xx). It rejects invalid UTF-8; we put
 * one U+FFFD per run of bad bytes, as strings.ToValidUTF8 does.
 */
static void add_json_string(struct strbuf *sb, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0, w;
	bool bad_run = false;

	if (sb->len + n + 2 >= sb->cap && strbuf_grow(sb, n + 2))
		return;
	/* the usual string is plain ASCII throughout: one scan, one copy */
	while (i + 8 <= n && !needs_care(s + i))
		i += 8;
	while (i < n && !byte_class[s[i]])
		i++;
	if (i == n) {
		char *d = sb->buf + sb->len;

		d[0] = '"';
		memcpy(d + 1, s, n);
		d[n + 1] = '"';
		sb->len += n + 2;
		sb->buf[sb->len] = '\0';
		return;
	}
	putc_(sb, '"');
	while (i < n) {
		unsigned char c = s[i];

		switch (byte_class[c]) {
		case 0:
			/* the common case: a run of plain ASCII, 8 bytes at a time */
			i++;
			while (i + 8 <= n && !needs_care(s + i))
				i += 8;
			while (i < n && !byte_class[s[i]])
				i++;
			bad_run = false;
			continue;
		case 1:
			put(sb, s + start, i - start);
			put_escape(sb, c);
			start = ++i;
			bad_run = false;
			continue;
		default:
			w = utf8_seq_len(s + i, n - i);
			if (w) {
				i += w;
				bad_run = false;
				continue;
			}
			put(sb, s + start, i - start);
			if (!bad_run)
				PUTS(sb, "\xef\xbf\xbd");
			bad_run = true;
			start = ++i;
		}
	}
	put(sb, s + start, i - start);
	putc_(sb, '"');
}

static void add_cstring(struct strbuf *sb, const char *s)
{
	add_json_string(sb, s ? s : "", s ? strlen(s) : 0);
}

/*
 * Float formatting as protojson does it: the shortest decimal that parses
 * back to the same float32/float64, printed like Go's strconv 'f' format,
 * or 'e' format below 1e-6 and from 1e21 up (exponent without leading
 * zero when negative, at least two digits when positive).
 */
struct decimal {
	char d[24];	/* significant digits, no leading zero unless value is 0 */
	int nd;
	int exp;	/* value = d[0].d[1]d[2]... * 10^exp */
};

static void decimal_parse(struct decimal *dec, const char *s)
{
	dec->nd = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && dec->nd < (int)sizeof(dec->d))
			dec->d[dec->nd++] = *s;
	dec->exp = *s == 'e' ? atoi(s + 1) : 0;
}

static void decimal_format(const struct decimal *dec, char *buf, size_t len)
{
	snprintf(buf, len, "%c.%.*se%d", dec->d[0], dec->nd - 1, dec->d + 1, dec->exp);
}

/* Next decimal up with the same number of digits. */
static void decimal_bump(struct decimal *dec)
{
	int i;

	for (i = dec->nd - 1; i >= 0; i--) {
		if (dec->d[i] != '9') {
			dec->d[i]++;
			return;
		}
		dec->d[i] = '0';
	}
	/* 9.99 -> 10.0: keep the digit count, shift the exponent */
	dec->d[0] = '1';
	dec->exp++;
}

static bool round_trips(const char *s, double v, bool f32)
{
	if (f32)
		return strtof(s, NULL) == (float)v;
	return strtod(s, NULL) == v;
}

static void shortest_decimal(struct decimal *dec, double a, bool f32)
{
	int p, maxp = f32 ? 9 : 17;
	char buf[48];
	struct decimal up;

	for (p = 1; p <= maxp; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, a);
		decimal_parse(dec, buf);
		if (round_trips(buf, a, f32))
			break;
		/*
		 * Just above a power of two the rounding interval is lopsided:
		 * the nearest p-digit decimal may miss it while the next one
		 * up still parses back. Shortest-digit algorithms take it.
		 */
		up = *dec;
		decimal_bump(&up);
		decimal_format(&up, buf, sizeof(buf));
		if (round_trips(buf, a, f32)) {
			*dec = up;
			break;
		}
	}
	while (dec->nd > 1 && dec->d[dec->nd - 1] == '0')
		dec->nd--;
}

static void add_float(struct strbuf *sb, double v, bool f32)
{
	struct decimal dec;
	double a = fabs(v);
	bool efmt;
	int dp;

	if (isnan(v)) {
		PUTS(sb, "\"NaN\"");
		return;
	}
	if (isinf(v)) {
		if (v > 0)
			PUTS(sb, "\"Infinity\"");
		else
			PUTS(sb, "\"-Infinity\"");
		return;
	}
	if (f32)
		efmt = a != 0 && ((float)a < 1e-6f || (float)a >= 1e21f);
	else
		efmt = a != 0 && (a < 1e-6 || a >= 1e21);
	shortest_decimal(&dec, a, f32);
	if (signbit(v))
		putc_(sb, '-');
	if (efmt) {
		putc_(sb, dec.d[0]);
		if (dec.nd > 1) {
			putc_(sb, '.');
			put(sb, dec.d + 1, (size_t)dec.nd - 1);
		}
		if (dec.exp < 0)
			strbuf_addf(sb, "e-%d", -dec.exp);
		else
			strbuf_addf(sb, "e+%02d", dec.exp);
		return;
	}
	dp = dec.exp + 1;	/* digits before the decimal point */
	if (dp <= 0) {
		PUTS(sb, "0.");
		strbuf_addn(sb, '0', (size_t)-dp);
		put(sb, dec.d, (size_t)dec.nd);
	} else if (dp >= dec.nd) {
		put(sb, dec.d, (size_t)dec.nd);
		strbuf_addn(sb, '0', (size_t)(dp - dec.nd));
	} else {
		put(sb, dec.d, (size_t)dp);
		putc_(sb, '.');
		put(sb, dec.d + dp, (size_t)(dec.nd - dp));
	}
}

/* ---- well-known types ---------------------------------------------------- */

enum wkt {
	WKT_NONE,
	WKT_TIMESTAMP,
	WKT_DURATION,
	WKT_WRAPPER,
	WKT_ANY,
	WKT_FIELD_MASK,
};

static enum wkt wkt_kind(const ProtobufCMessageDescriptor *d)
{
	static const struct {
		const char *name;
		size_t len;
		enum wkt kind;
	} known[] = {
#define WKT(n, k) { n, sizeof(n) - 1, k }
		WKT("Timestamp", WKT_TIMESTAMP),
		WKT("Duration", WKT_DURATION),
		WKT("UInt32Value", WKT_WRAPPER),
		WKT("UInt64Value", WKT_WRAPPER),
		WKT("Int32Value", WKT_WRAPPER),
		WKT("Int64Value", WKT_WRAPPER),
		WKT("BoolValue", WKT_WRAPPER),
		WKT("StringValue", WKT_WRAPPER),
		WKT("BytesValue", WKT_WRAPPER),
		WKT("FloatValue", WKT_WRAPPER),
		WKT("DoubleValue", WKT_WRAPPER),
		WKT("FieldMask", WKT_FIELD_MASK),
		WKT("Any", WKT_ANY),
#undef WKT
	};
	const char *n = d->short_name, *p = d->package_name;
	size_t len, i;

	/* cheap rejection first: this runs for every message written */
	if (!p || p[0] != 'g' || !n || strcmp(p, "google.protobuf"))
		return WKT_NONE;
	len = strlen(n);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].len == len && !memcmp(n, known[i].name, len))
			return known[i].kind;
	return WKT_NONE;
}

/* Field id of a well-known type if it has the expected shape, else NULL (encode generically). */
static const ProtobufCFieldDescriptor *wkt_field(const ProtobufCMessageDescriptor *d,
						 unsigned id, ProtobufCType type, bool repeated)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, id);

	if (!f || f->type != type || (f->label == PROTOBUF_C_LABEL_REPEATED) != repeated)
		return NULL;
	return f;
}

#define MEMBER(m, off, type) (*(const type *)((const char *)(m) + (off)))

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Zero-padded decimal of exactly width digits, two at a time. */
static char *fmt_digits(char *p, uint32_t v, int width)
{
	int i = width;

	while (i >= 2) {
		i -= 2;
		memcpy(p + i, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (i)
		p[0] = (char)('0' + v % 10);
	return p + width;
}

/* Fractions take 0, 3, 6 or 9 digits, the fewest that are exact. */
static void add_fraction(struct strbuf *sb, uint32_t nanos)
{
	char buf[16] = { 0 };
	int width = 9;

	if (!nanos)
		return;
	if (nanos % 1000000 == 0) {
		nanos /= 1000000;
		width = 3;
	} else if (nanos % 1000 == 0) {
		nanos /= 1000;
		width = 6;
	}
	buf[0] = '.';
	fmt_digits(buf + 1, nanos, width);
	if (sb->len + sizeof(buf) < sb->cap) {
		/* one fixed-size move; the bytes past the digits are overwritten */
		memcpy(sb->buf + sb->len, buf, sizeof(buf));
		sb->len += (size_t)width + 1;
		sb->buf[sb->len] = '\0';
	} else {
		put(sb, buf, (size_t)width + 1);
	}
}

#define TS_MIN_SECONDS (-62135596800LL)	/* 0001-01-01T00:00:00Z */
#define TS_MAX_SECONDS 253402300799LL	/* 9999-12-31T23:59:59Z */
#define DUR_MAX_SECONDS 315576000000LL	/* 10000 years */
#define NANOS_PER_SEC 1000000000LL

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static _Thread_local struct {
	int64_t secs;
	bool valid;
	char text[20];	/* "2006-01-02T15:04:05 with the opening quote */
} ts_cache;

static void add_timestamp(struct strbuf *sb, int64_t secs, int64_t nanos)
{
	int64_t days, rem, z, era, doe, yoe, y, doy, mp, d, m;
	char buf[24], *p;

	/* protojson refuses out-of-range values; we clamp instead */
	secs = clamp64(secs, TS_MIN_SECONDS - 1, TS_MAX_SECONDS + 1);
	if (nanos < 0 || nanos >= NANOS_PER_SEC) {
		int64_t q = nanos / NANOS_PER_SEC, r = nanos % NANOS_PER_SEC;

		if (r < 0) {
			r += NANOS_PER_SEC;
			q--;
		}
		secs += q;
		nanos = r;
	}
	if (secs < TS_MIN_SECONDS) {
		secs = TS_MIN_SECONDS;
		nanos = 0;
	} else if (secs > TS_MAX_SECONDS) {
		secs = TS_MAX_SECONDS;
		nanos = NANOS_PER_SEC - 1;
	}

	/* events come in bursts of the same second: its text is kept */
	if (secs == ts_cache.secs && ts_cache.valid) {
		put(sb, ts_cache.text, sizeof(ts_cache.text));
		add_fraction(sb, (uint32_t)nanos);
		PUTS(sb, "Z\"");
		return;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* days since 1970-01-01 -> proleptic Gregorian civil date */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;

	p = buf;
	*p++ = '"';
	p = fmt_digits(p, (uint32_t)y, 4);
	*p++ = '-';
	p = fmt_digits(p, (uint32_t)m, 2);
	*p++ = '-';
	p = fmt_digits(p, (uint32_t)d, 2);
	*p++ = 'T';
	p = fmt_digits(p, (uint32_t)(rem / 3600), 2);
	*p++ = ':';
	p = fmt_digits(p, (uint32_t)(rem / 60 % 60), 2);
	*p++ = ':';
	p = fmt_digits(p, (uint32_t)(rem % 60), 2);
	put(sb, buf, (size_t)(p - buf));
	if ((size_t)(p - buf) == sizeof(ts_cache.text)) {
		memcpy(ts_cache.text, buf, sizeof(ts_cache.text));
		ts_cache.secs = secs;
		ts_cache.valid = true;
	}
	add_fraction(sb, (uint32_t)nanos);
	PUTS(sb, "Z\"");
}

static void add_duration(struct strbuf *sb, int64_t secs, int64_t nanos)
{
	bool neg;

	/* protojson refuses these; normalise so the string stays meaningful */
	secs = clamp64(secs, -DUR_MAX_SECONDS, DUR_MAX_SECONDS);
	nanos = clamp64(nanos, -(NANOS_PER_SEC - 1), NANOS_PER_SEC - 1);
	if (secs > 0 && nanos < 0) {
		secs--;
		nanos += NANOS_PER_SEC;
	} else if (secs < 0 && nanos > 0) {
		secs++;
		nanos -= NANOS_PER_SEC;
	}
	neg = secs < 0 || nanos < 0;
	putc_(sb, '"');
	if (neg)
		putc_(sb, '-');
	add_u64(sb, (uint64_t)(secs < 0 ? -secs : secs));
	add_fraction(sb, (uint32_t)(nanos < 0 ? -nanos : nanos));
	PUTS(sb, "s\"");
}

/* protojson's lowerCamelCase: drop '_', upper-case a lowercase letter after it. */
static void add_camel(struct strbuf *sb, const char *s)
{
	bool after_us = false;

	for (; s && *s; s++) {
		char c = *s;

		if (c != '_')
			putc_(sb, after_us && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c);
		after_us = c == '_';
	}
}

/* ---- messages ------------------------------------------------------------ */

/* set by protojson_encode_cached() for the duration of one call */
static _Thread_local protojson_fragment_fn fragment_fn;

static int enc_message(struct strbuf *sb, const ProtobufCMessageDescriptor *d,
		       const ProtobufCMessage *m, int depth);
static int enc_singular(struct strbuf *sb, const ProtobufCFieldDescriptor *f,
			const void *val, int depth);

static size_t value_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 4;
	}
}

/* proto3 implicit presence: set when not the zero value (-0.0 counts as set). */
static bool is_zero(const ProtobufCFieldDescriptor *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)v == 0;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)v == 0 && !signbit(*(const float *)v);
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)v == 0 && !signbit(*(const double *)v);
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)v;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)v;

		return !s || !*s;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)v)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(const void *const *)v == NULL;
	default:
		return *(const uint32_t *)v == 0;
	}
}

/* ---- maps ---------------------------------------------------------------- */

static bool is_map_key_type(ProtobufCType t)
{
	return t != PROTOBUF_C_TYPE_FLOAT && t != PROTOBUF_C_TYPE_DOUBLE &&
	       t != PROTOBUF_C_TYPE_BYTES && t != PROTOBUF_C_TYPE_MESSAGE &&
	       t != PROTOBUF_C_TYPE_ENUM;
}

/*
 * protobuf-c 1.4 has no map flag: a map<K,V> field is a repeated message
 * field whose type is the nested "<FieldName>Entry" protoc synthesises, with
 * key = 1 and value = 2.
 */
static bool is_map_field(const ProtobufCMessageDescriptor *parent,
			 const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *e = f->descriptor;
	const char *n, *s;
	size_t plen;
	bool cap = true;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || !e ||
	    e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
	    strcmp(e->fields[0].name, "key") || strcmp(e->fields[1].name, "value") ||
	    e->fields[0].label == PROTOBUF_C_LABEL_REPEATED ||
	    e->fields[1].label == PROTOBUF_C_LABEL_REPEATED ||
	    !is_map_key_type(e->fields[0].type))
		return false;
	/* e->name must be parent->name + "." + MapEntryName(f->name) */
	plen = strlen(parent->name);
	n = e->name;
	if (strncmp(n, parent->name, plen) || n[plen] != '.')
		return false;
	n += plen + 1;
	for (s = f->name; *s; s++) {
		char c = *s;

		if (c == '_') {
			cap = true;
			continue;
		}
		if (cap && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		cap = false;
		if (*n++ != c)
			return false;
	}
	return !strcmp(n, "Entry");
}

struct map_sort {
	const ProtobufCMessage *const *entries;
	const ProtobufCFieldDescriptor *key;
};

static int key_cmp(const struct map_sort *ms, size_t a, size_t b)
{
	const ProtobufCFieldDescriptor *k = ms->key;
	const void *x = (const char *)ms->entries[a] + k->offset;
	const void *y = (const char *)ms->entries[b] + k->offset;

	switch (k->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)x, *t = *(const char *const *)y;

		return strcmp(s ? s : "", t ? t : "");
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: {
		int64_t s = *(const int64_t *)x, t = *(const int64_t *)y;

		return (s > t) - (s < t);
	}
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t s = *(const uint64_t *)x, t = *(const uint64_t *)y;

		return (s > t) - (s < t);
	}
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: {
		int32_t s = *(const int32_t *)x, t = *(const int32_t *)y;

		return (s > t) - (s < t);
	}
	case PROTOBUF_C_TYPE_BOOL: {
		int s = !!*(const protobuf_c_boolean *)x, t = !!*(const protobuf_c_boolean *)y;

		return s - t;
	}
	default: {
		uint32_t s = *(const uint32_t *)x, t = *(const uint32_t *)y;

		return (s > t) - (s < t);
	}
	}
}

/* Sort by key, then by position so the last duplicate wins (as in Go's unmarshal). */
static int entry_cmp(const void *pa, const void *pb, void *arg)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int r = key_cmp(arg, a, b);

	return r ? r : (a > b) - (a < b);
}

static void add_map_key(struct strbuf *sb, const ProtobufCFieldDescriptor *k, const void *v)
{
	switch (k->type) {
	case PROTOBUF_C_TYPE_STRING:
		add_cstring(sb, *(const char *const *)v);
		return;
	case PROTOBUF_C_TYPE_BOOL:
		if (*(const protobuf_c_boolean *)v)
			PUTS(sb, "\"true\"");
		else
			PUTS(sb, "\"false\"");
		return;
	default:
		putc_(sb, '"');
		/* JSON object keys are strings, numbers included */
		switch (k->type) {
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
		case PROTOBUF_C_TYPE_SFIXED64:
			add_i64(sb, *(const int64_t *)v);
			break;
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
			add_u64(sb, *(const uint64_t *)v);
			break;
		case PROTOBUF_C_TYPE_UINT32:
		case PROTOBUF_C_TYPE_FIXED32:
			add_u64(sb, *(const uint32_t *)v);
			break;
		default:
			add_i64(sb, *(const int32_t *)v);
		}
		putc_(sb, '"');
	}
}

static int enc_map(struct strbuf *sb, const ProtobufCFieldDescriptor *f,
		   const ProtobufCMessage *const *entries, size_t n, int depth)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	struct map_sort ms = { entries, &ed->fields[0] };
	const ProtobufCFieldDescriptor *vf = &ed->fields[1];
	size_t stack_idx[32], *idx = stack_idx, cnt = 0, i;
	bool first = true;
	int r = 0;

	if (n > 32) {
		idx = malloc(n * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (entries[i])
			idx[cnt++] = i;
	qsort_r(idx, cnt, sizeof(*idx), entry_cmp, &ms);

	putc_(sb, '{');
	for (i = 0; i < cnt && !r; i++) {
		const ProtobufCMessage *e = entries[idx[i]];

		if (i + 1 < cnt && !key_cmp(&ms, idx[i], idx[i + 1]))
			continue;
		if (!first)
			putc_(sb, ',');
		first = false;
		add_map_key(sb, ms.key, (const char *)e + ms.key->offset);
		putc_(sb, ':');
		r = enc_singular(sb, vf, (const char *)e + vf->offset, depth);
	}
	putc_(sb, '}');
	if (idx != stack_idx)
		free(idx);
	return r;
}

/* ---- fields -------------------------------------------------------------- */

/*
 * An enum's names, quoted and escaped once, by value: capability lists
 * name dozens per process. Dense enums only (values min..min+ENUM_SPAN);
 * built on first use, shared by every thread, never freed.
 */
#define ENUM_SPAN 1024
#define ENUM_SLOTS 512

struct enum_names {
	const ProtobufCEnumDescriptor *ed;
	int32_t min;
	uint32_t n;
	bool null_value;		/* google.protobuf.NullValue: always null */
	struct { uint32_t off, len; } *v;	/* len 0: no name, write the number */
	char *text;
};

static struct enum_names *enum_table[ENUM_SLOTS];

static struct enum_names *enum_names_build(const ProtobufCEnumDescriptor *ed)
{
	struct enum_names *e = calloc(1, sizeof(*e));
	struct strbuf text = STRBUF_INIT;
	int32_t min = INT32_MAX, max = INT32_MIN;

	if (!e)
		return NULL;
	e->ed = ed;
	e->null_value = ed->name && !strcmp(ed->name, "google.protobuf.NullValue");
	for (unsigned i = 0; i < ed->n_values; i++) {
		if (ed->values[i].value < min)
			min = ed->values[i].value;
		if (ed->values[i].value > max)
			max = ed->values[i].value;
	}
	if (ed->n_values && (int64_t)max - min < ENUM_SPAN) {
		e->min = min;
		e->n = (uint32_t)((int64_t)max - min + 1);
		e->v = calloc(e->n, sizeof(*e->v));
		if (!e->v)
			goto fail;
		for (uint32_t i = 0; i < e->n; i++) {
			const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, min + (int32_t)i);
			size_t start = text.len;

			if (!ev || !ev->name)
				continue;
			add_cstring(&text, ev->name);
			e->v[i].off = (uint32_t)start;
			e->v[i].len = (uint32_t)(text.len - start);
		}
		if (text.oom)
			goto fail;
		e->text = strbuf_detach(&text, NULL);
	}
	return e;
fail:
	strbuf_free(&text);
	free(e->v);
	free(e);
	return NULL;
}

static const struct enum_names *enum_names_of(const ProtobufCEnumDescriptor *ed)
{
	size_t h = ((uintptr_t)ed >> 4) * 0x9e3779b97f4a7c15ULL >> 40;

	for (size_t i = 0; i < ENUM_SLOTS; i++) {
		struct enum_names **slot = &enum_table[(h + i) & (ENUM_SLOTS - 1)];
		struct enum_names *e = __atomic_load_n(slot, __ATOMIC_ACQUIRE), *ne;

		if (e && e->ed == ed)
			return e;
		if (e)
			continue;
		ne = enum_names_build(ed);
		if (!ne)
			return NULL;
		if (__atomic_compare_exchange_n(slot, &e, ne, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return ne;
		free(ne->v);
		free(ne->text);
		free(ne);
		i--;	/* taken meanwhile: look at it again */
	}
	return NULL;
}

static void add_enum(struct strbuf *sb, const ProtobufCEnumDescriptor *ed, int32_t v)
{
	const struct enum_names *e = ed ? enum_names_of(ed) : NULL;
	const ProtobufCEnumValue *ev;

	if (e) {
		uint32_t i = (uint32_t)((int64_t)v - e->min);

		if (e->null_value) {
			PUTS(sb, "null");
			return;
		}
		if (i < e->n && e->v[i].len) {
			put(sb, e->text + e->v[i].off, e->v[i].len);
			return;
		}
		if (e->n) {
			add_i64(sb, v);	/* no name for this value */
			return;
		}
	}
	/* sparse enum (or out of memory) */
	if (ed && ed->name && !strcmp(ed->name, "google.protobuf.NullValue")) {
		PUTS(sb, "null");
		return;
	}
	ev = ed ? protobuf_c_enum_descriptor_get_value(ed, v) : NULL;
	if (ev && ev->name)
		add_cstring(sb, ev->name);
	else
		add_i64(sb, v);
}

/* One value of field f stored at val (an element, for repeated fields). */
static int enc_singular(struct strbuf *sb, const ProtobufCFieldDescriptor *f,
			const void *val, int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		add_i64(sb, *(const int32_t *)val);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		add_u64(sb, *(const uint32_t *)val);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		putc_(sb, '"');
		add_i64(sb, *(const int64_t *)val);
		putc_(sb, '"');
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		putc_(sb, '"');
		add_u64(sb, *(const uint64_t *)val);
		putc_(sb, '"');
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		add_float(sb, *(const float *)val, true);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		add_float(sb, *(const double *)val, false);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		if (*(const protobuf_c_boolean *)val)
			PUTS(sb, "true");
		else
			PUTS(sb, "false");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		add_enum(sb, f->descriptor, *(const int32_t *)val);
		break;
	case PROTOBUF_C_TYPE_STRING:
		add_cstring(sb, *(const char *const *)val);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = val;

		putc_(sb, '"');
		if (b->len && b->data)
			strbuf_add_base64(sb, b->data, b->len);
		putc_(sb, '"');
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		if (!f->descriptor) {
			PUTS(sb, "{}");
			break;
		}
		return enc_message(sb, f->descriptor, *(const ProtobufCMessage *const *)val, depth + 1);
	default:
		PUTS(sb, "null");
	}
	return 0;
}

static int enc_field(struct strbuf *sb, const ProtobufCFieldDescriptor *f, bool is_map,
		     const ProtobufCMessage *m, int depth)
{
	const char *v = (const char *)m + f->offset;
	size_t n, i, step;
	int r = 0;

	if (f->label != PROTOBUF_C_LABEL_REPEATED)
		return enc_singular(sb, f, v, depth);

	n = MEMBER(m, f->quantifier_offset, size_t);
	v = *(const char *const *)v;
	if (is_map)
		return enc_map(sb, f, (const ProtobufCMessage *const *)v, n, depth + 1);
	step = value_size(f->type);
	putc_(sb, '[');
	for (i = 0; i < n && !r; i++) {
		if (i)
			putc_(sb, ',');
		r = enc_singular(sb, f, v + i * step, depth);
	}
	putc_(sb, ']');
	return r;
}

/* ---- plans ---------------------------------------------------------------------- */

/*
 * What encoding a message type takes, worked out once per descriptor and
 * kept: its fields in declaration order with their keys ready to copy, how
 * each one's presence is decided, the members of each oneof as one step
 * (one read of the case instead of a test per member: GetEventsResponse has
 * 20-odd), maps told apart, the well-known type and its fields.
 */
enum presence {
	P_ONEOF,
	/* the usual proto3 fields, tested inline */
	P_PTR,			/* a message: set when not NULL */
	P_STR,			/* a string: set when not NULL nor "" */
	P_U32,			/* a 4-byte scalar or enum other than float: set when not 0 */
	P_REPEATED,
	P_REQUIRED,
	P_OPTIONAL,
	P_IMPLICIT,		/* the other proto3 scalars: is_zero() */
};

struct step {
	const ProtobufCFieldDescriptor *f;
	const char *key;	/* ,"name": (the comma skipped for the first) */
	uint16_t keylen;
	uint8_t presence;
	bool is_map;
	uint16_t group;		/* P_ONEOF: members from here on sharing the case (>= 1) */
};

struct plan {
	const ProtobufCMessageDescriptor *d;
	unsigned gen;
	enum wkt wkt;
	const ProtobufCFieldDescriptor *w1, *w2;	/* the well-known type's fields */
	unsigned nsteps;
	struct step *steps;
	char *keys;
	struct plan *retired;	/* rebuilt plans stay reachable, never freed */
};

static void plan_free(struct plan *pl)
{
	if (!pl)
		return;
	free(pl->steps);
	free(pl->keys);
	free(pl);
}

static enum presence presence_of(const ProtobufCFieldDescriptor *f)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return P_REPEATED;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return P_ONEOF;
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return P_REQUIRED;
	case PROTOBUF_C_LABEL_OPTIONAL:
		return P_OPTIONAL;
	default:
		break;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_MESSAGE:
		return P_PTR;
	case PROTOBUF_C_TYPE_STRING:
		return P_STR;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return P_U32;
	default:
		return P_IMPLICIT;
	}
}

static struct plan *plan_build(const ProtobufCMessageDescriptor *d, unsigned gen)
{
	const uint16_t *order = field_order_lookup(d);
	struct plan *pl = calloc(1, sizeof(*pl));
	size_t keybytes = 0, off = 0;
	struct step *head = NULL;

	if (!pl)
		return NULL;
	pl->d = d;
	pl->gen = gen;
	pl->wkt = wkt_kind(d);
	switch (pl->wkt) {
	case WKT_TIMESTAMP:
	case WKT_DURATION:
		pl->w1 = wkt_field(d, 1, PROTOBUF_C_TYPE_INT64, false);
		pl->w2 = wkt_field(d, 2, PROTOBUF_C_TYPE_INT32, false);
		if (!pl->w1 || !pl->w2)
			pl->wkt = WKT_NONE;
		break;
	case WKT_WRAPPER:
		pl->w1 = protobuf_c_message_descriptor_get_field(d, 1);
		if (!pl->w1 || pl->w1->label == PROTOBUF_C_LABEL_REPEATED || strcmp(pl->w1->name, "value"))
			pl->wkt = WKT_NONE;
		break;
	case WKT_ANY:
		pl->w1 = wkt_field(d, 1, PROTOBUF_C_TYPE_STRING, false);
		if (!pl->w1)
			pl->wkt = WKT_NONE;
		break;
	case WKT_FIELD_MASK:
		pl->w1 = wkt_field(d, 1, PROTOBUF_C_TYPE_STRING, true);
		if (!pl->w1)
			pl->wkt = WKT_NONE;
		break;
	default:
		break;
	}
	/* unexpected layout for a well-known name: plain fields, as any message */
	for (unsigned i = 0; i < d->n_fields; i++)
		keybytes += strlen(d->fields[i].name) + 4;
	pl->steps = calloc(d->n_fields ? d->n_fields : 1, sizeof(*pl->steps));
	pl->keys = calloc(1, keybytes + KEY_PAD);
	if (!pl->steps || !pl->keys) {
		plan_free(pl);
		return NULL;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		unsigned idx = order ? order[i] : i;
		const ProtobufCFieldDescriptor *f;
		struct step *st;
		size_t nl;

		if (idx >= d->n_fields)
			continue;
		f = &d->fields[idx];
		st = &pl->steps[pl->nsteps++];
		st->f = f;
		st->presence = (uint8_t)presence_of(f);
		st->is_map = f->label == PROTOBUF_C_LABEL_REPEATED && is_map_field(d, f);
		/* proto field names are plain identifiers: nothing to escape */
		nl = strlen(f->name);
		st->key = pl->keys + off;
		st->keylen = (uint16_t)(nl + 4);
		pl->keys[off++] = ',';
		pl->keys[off++] = '"';
		memcpy(pl->keys + off, f->name, nl);
		off += nl;
		pl->keys[off++] = '"';
		pl->keys[off++] = ':';
		/* a oneof's members are declared together: one step reads the case */
		if (st->presence == P_ONEOF && head && head->f->quantifier_offset == f->quantifier_offset &&
		    head + head->group == st) {
			head->group++;
		} else {
			head = st->presence == P_ONEOF ? st : NULL;
			st->group = 1;
		}
	}
	return pl;
}

/* Plans by descriptor, shared by every thread: published with a CAS, never freed. */
#define PLAN_SLOTS 2048
static struct plan *plans[PLAN_SLOTS];
static struct plan *retired_plans;

static const struct plan *plan_of(const ProtobufCMessageDescriptor *d, struct plan **tmp)
{
	unsigned gen = __atomic_load_n(&order_gen, __ATOMIC_ACQUIRE);
	size_t h = ((uintptr_t)d >> 4) * 0x9e3779b97f4a7c15ULL >> 40;

	for (size_t i = 0; i < PLAN_SLOTS; i++) {
		struct plan **slot = &plans[(h + i) & (PLAN_SLOTS - 1)];
		struct plan *pl = __atomic_load_n(slot, __ATOMIC_ACQUIRE), *np;

		if (pl && pl->d != d)
			continue;
		if (pl && pl->gen == gen)
			return pl;
		np = plan_build(d, gen);
		if (!np)
			return NULL;
		if (__atomic_compare_exchange_n(slot, &pl, np, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (pl) {
				/* a field-order table came: the old plan stays reachable */
				pl->retired = __atomic_load_n(&retired_plans, __ATOMIC_RELAXED);
				while (!__atomic_compare_exchange_n(&retired_plans, &pl->retired, pl, true,
								    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
					;
			}
			return np;
		}
		plan_free(np);
		i--;	/* somebody else filled the slot: look again */
	}
	/* the table is full (thousands of message types): build and drop */
	*tmp = plan_build(d, gen);
	return *tmp;
}

static bool step_present(const struct step *st, const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f = st->f;
	const void *v = (const char *)m + f->offset;
	const void *p;

	switch (st->presence) {
	case P_REPEATED:
		return MEMBER(m, f->quantifier_offset, size_t) > 0 && *(const void *const *)v != NULL;
	case P_REQUIRED:
		return f->type != PROTOBUF_C_TYPE_MESSAGE || *(const void *const *)v;
	case P_OPTIONAL:
		/* protobuf-c: pointers equal to the default are "not set", as on the wire */
		if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING) {
			p = *(const void *const *)v;
			return p && p != f->default_value;
		}
		return MEMBER(m, f->quantifier_offset, protobuf_c_boolean);
	default:
		return !is_zero(f, v);
	}
}

static int enc_fields(struct strbuf *sb, const struct plan *pl, const ProtobufCMessage *m, int depth)
{
	const struct step *st, *end = pl->steps + pl->nsteps;
	bool first = true;
	int r;

	putc_(sb, '{');
	for (st = pl->steps; st < end;) {
		const struct step *use = st;

		if (st->presence == P_ONEOF) {
			/* selected members are written even when zero */
			uint32_t c = MEMBER(m, st->f->quantifier_offset, uint32_t);
			const struct step *g = st + st->group;

			st = g;
			if (!c)
				continue;
			for (; use < g && use->f->id != c; use++)
				;
			if (use == g || (use->f->type == PROTOBUF_C_TYPE_MESSAGE &&
					 !*(const void *const *)((const char *)m + use->f->offset)))
				continue;
		} else {
			const void *v = (const char *)m + st->f->offset;
			bool set;

			st++;
			switch (use->presence) {
			case P_PTR:
				set = *(const void *const *)v != NULL;
				break;
			case P_STR:
				set = *(const char *const *)v && **(const char *const *)v;
				break;
			case P_U32:
				set = *(const uint32_t *)v != 0;
				break;
			default:
				set = step_present(use, m);
			}
			if (!set)
				continue;
		}
		put_key(sb, use->key + first, use->keylen - first);
		first = false;
		r = enc_field(sb, use->f, use->is_map, m, depth);
		if (r)
			return r;
	}
	putc_(sb, '}');
	return 0;
}

static int enc_wkt(struct strbuf *sb, const struct plan *pl, const ProtobufCMessage *m, int depth)
{
	const ProtobufCFieldDescriptor *a = pl->w1, *b = pl->w2;
	const char *s;
	size_t i, n;

	switch (pl->wkt) {
	case WKT_TIMESTAMP:
		add_timestamp(sb, MEMBER(m, a->offset, int64_t), MEMBER(m, b->offset, int32_t));
		return 0;
	case WKT_DURATION:
		add_duration(sb, MEMBER(m, a->offset, int64_t), MEMBER(m, b->offset, int32_t));
		return 0;
	case WKT_WRAPPER:
		/* the bare value, written even when zero: the wrapper is present */
		return enc_singular(sb, a, (const char *)m + a->offset, depth);
	case WKT_ANY:
		/*
		 * protojson expands the packed message; without a type registry
		 * we can only name it. An empty Any is {} there too.
		 */
		s = MEMBER(m, a->offset, const char *);
		if (!s || !*s) {
			PUTS(sb, "{}");
			return 0;
		}
		PUTS(sb, "{\"@type\":");
		add_cstring(sb, s);
		putc_(sb, '}');
		return 0;
	case WKT_FIELD_MASK: {
		struct strbuf paths = STRBUF_INIT;
		const char *const *v;

		n = MEMBER(m, a->quantifier_offset, size_t);
		v = MEMBER(m, a->offset, const char *const *);
		for (i = 0; v && i < n; i++) {
			if (i)
				putc_(&paths, ',');
			add_camel(&paths, v[i]);
		}
		if (paths.oom) {
			strbuf_free(&paths);
			return -ENOMEM;
		}
		add_json_string(sb, paths.buf ? paths.buf : "", paths.len);
		strbuf_free(&paths);
		return 0;
	}
	default:
		return 1;
	}
}

static int enc_message(struct strbuf *sb, const ProtobufCMessageDescriptor *d,
		       const ProtobufCMessage *m, int depth)
{
	struct plan *tmp_plan = NULL;
	const struct plan *pl;
	void *tmp;
	int r;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	if (!m) {
		/* a NULL element or map value stands for the type's empty message */
		tmp = malloc(d->sizeof_message);
		if (!tmp)
			return -ENOMEM;
		protobuf_c_message_init(d, tmp);
		r = enc_message(sb, d, tmp, depth);
		free(tmp);
		return r;
	}
	if (fragment_fn && depth > 0) {
		struct protojson_fragment *f = fragment_fn(m);

		if (f) {
			if (!f->json) {
				struct strbuf tmp = STRBUF_INIT;
				protojson_fragment_fn fn = fragment_fn;

				fragment_fn = NULL;	/* the fragment is encoded in full */
				r = enc_message(&tmp, d, m, depth);
				fragment_fn = fn;
				if (!r && tmp.oom)
					r = -ENOMEM;
				if (r) {
					strbuf_free(&tmp);
					return r;
				}
				f->json = strbuf_detach(&tmp, &f->len);
				if (!f->json)
					return -ENOMEM;
			}
			put(sb, f->json, f->len);
			return 0;
		}
	}
	pl = plan_of(d, &tmp_plan);
	if (!pl)
		return -ENOMEM;
	r = pl->wkt != WKT_NONE ? enc_wkt(sb, pl, m, depth) : enc_fields(sb, pl, m, depth);
	plan_free(tmp_plan);
	return r;
}

int protojson_encode(struct strbuf *out, const ProtobufCMessage *msg)
{
	size_t start = out->len;
	int r;

	if (!msg || !msg->descriptor ||
	    msg->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return -EINVAL;
	r = enc_message(out, msg->descriptor, msg, 0);
	if (!r && out->oom)
		r = -ENOMEM;
	if (r) {
		out->len = start;
		if (out->buf)
			out->buf[start] = '\0';
	}
	return r;
}

int protojson_encode_cached(struct strbuf *out, const ProtobufCMessage *msg, protojson_fragment_fn fn)
{
	protojson_fragment_fn saved = fragment_fn;
	int r;

	fragment_fn = fn;
	r = protojson_encode(out, msg);
	fragment_fn = saved;
	return r;
}

void protojson_fragment_release(struct protojson_fragment *f)
{
	free(f->json);
	f->json = NULL;
	f->len = 0;
}
