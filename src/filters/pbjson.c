// SPDX-License-Identifier: Apache-2.0
/*
 * Descriptor-driven protobuf JSON decoding into protobuf-c structs. Every
 * allocation goes through malloc and the message stays consistent after each
 * step, so protobuf_c_message_free_unpacked() can free a half-built message
 * when an error stops the decoding.
 */
#include "filters/pbjson.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DEPTH 64

struct dec {
	char *err;
	size_t errlen;
	char path[256];
	size_t pathlen;
	int depth;
	unsigned flags;
};

static int fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct dec *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->err && d->errlen) {
		if (d->pathlen)
			snprintf(d->err, d->errlen, "%s: %s", d->path, msg);
		else
			snprintf(d->err, d->errlen, "%s", msg);
	}
	return -EINVAL;
}

static int oom(struct dec *d)
{
	if (d->err && d->errlen)
		snprintf(d->err, d->errlen, "out of memory");
	return -ENOMEM;
}

/* Field paths for error messages: push returns the old length to pop to. */
static size_t path_push(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_push(struct dec *d, const char *fmt, ...)
{
	size_t old = d->pathlen;
	va_list ap;
	int n;

	if (d->pathlen >= sizeof(d->path) - 1)
		return old;
	va_start(ap, fmt);
	n = vsnprintf(d->path + d->pathlen, sizeof(d->path) - d->pathlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		d->pathlen += (size_t)n < sizeof(d->path) - d->pathlen ? (size_t)n : sizeof(d->path) - d->pathlen - 1;
	return old;
}

static void path_pop(struct dec *d, size_t old)
{
	d->pathlen = old;
	d->path[old] = '\0';
}

char *pbjson_camel_to_snake(const char *s)
{
	size_t n = strlen(s), i, j = 0;
	char *out = malloc(2 * n + 1);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (isupper((unsigned char)s[i])) {
			if (j)
				out[j++] = '_';
			out[j++] = (char)tolower((unsigned char)s[i]);
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

/* protoc's json_name: drop underscores, upper-case the letter after one. */
static bool json_name_equal(const char *proto_name, const char *key)
{
	bool up = false;

	for (; *proto_name; proto_name++) {
		char c = *proto_name;

		if (c == '_') {
			up = true;
			continue;
		}
		if (up)
			c = (char)toupper((unsigned char)c);
		up = false;
		if (*key++ != c)
			return false;
	}
	return *key == '\0';
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *md, const char *key)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(md, key);
	unsigned i;

	if (f)
		return f;
	for (i = 0; i < md->n_fields; i++)
		if (json_name_equal(md->fields[i].name, key))
			return &md->fields[i];
	return NULL;
}

static size_t scalar_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static ProtobufCMessage *msg_new(const ProtobufCMessageDescriptor *md)
{
	ProtobufCMessage *m = malloc(md->sizeof_message);

	if (m)
		md->message_init(m);
	return m;
}

/* ---- scalars ------------------------------------------------------------------ */

static int get_i64(struct dec *d, const json_t *j, int64_t min, int64_t max, int64_t *ret)
{
	long long v;

	if (json_is_integer(j)) {
		v = json_integer_value(j);
	} else if (json_is_real(j)) {
		double x = json_real_value(j);

		if (x != floor(x) || x < -9.2e18 || x > 9.2e18)
			return fail(d, "%g is not an integer", x);
		v = (long long)x;
	} else if (json_is_string(j)) {
		const char *s = json_string_value(j);
		char *end;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (!*s || *end || errno || isspace((unsigned char)*s))
			return fail(d, "invalid integer \"%s\"", s);
	} else {
		return fail(d, "expected an integer");
	}
	if (v < min || v > max)
		return fail(d, "%lld is out of range", v);
	*ret = v;
	return 0;
}

static int get_u64(struct dec *d, const json_t *j, uint64_t max, uint64_t *ret)
{
	unsigned long long v;

	if (json_is_integer(j)) {
		if (json_integer_value(j) < 0)
			return fail(d, "%lld is out of range", (long long)json_integer_value(j));
		v = (unsigned long long)json_integer_value(j);
	} else if (json_is_real(j)) {
		double x = json_real_value(j);

		if (x != floor(x) || x < 0 || x > 1.8e19)
			return fail(d, "%g is not an unsigned integer", x);
		v = (unsigned long long)x;
	} else if (json_is_string(j)) {
		const char *s = json_string_value(j);
		char *end;

		errno = 0;
		v = strtoull(s, &end, 10);
		if (!*s || *end || errno || !isdigit((unsigned char)*s))
			return fail(d, "invalid unsigned integer \"%s\"", s);
	} else {
		return fail(d, "expected an unsigned integer");
	}
	if (v > max)
		return fail(d, "%llu is out of range", v);
	*ret = v;
	return 0;
}

static int get_double(struct dec *d, const json_t *j, double *ret)
{
	if (json_is_number(j)) {
		*ret = json_number_value(j);
		return 0;
	}
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		char *end;

		if (!strcmp(s, "NaN")) {
			*ret = NAN;
			return 0;
		}
		if (!strcmp(s, "Infinity")) {
			*ret = INFINITY;
			return 0;
		}
		if (!strcmp(s, "-Infinity")) {
			*ret = -INFINITY;
			return 0;
		}
		*ret = strtod(s, &end);
		if (*s && !*end)
			return 0;
		return fail(d, "invalid number \"%s\"", s);
	}
	return fail(d, "expected a number");
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard or URL-safe alphabet, padding optional (like protojson). */
static int get_bytes(struct dec *d, const json_t *j, ProtobufCBinaryData *ret)
{
	const char *s;
	size_t n, i, o = 0;
	uint32_t acc = 0;
	int bits = 0;
	uint8_t *out;

	if (!json_is_string(j))
		return fail(d, "expected a base64 string");
	s = json_string_value(j);
	n = json_string_length(j);
	while (n && s[n - 1] == '=')
		n--;
	out = malloc(n * 3 / 4 + 1);
	if (!out)
		return oom(d);
	for (i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0) {
			free(out);
			return fail(d, "invalid base64");
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	ret->data = out;
	ret->len = o;
	return 0;
}

static int get_enum(struct dec *d, const json_t *j, const ProtobufCEnumDescriptor *ed, int32_t *ret)
{
	if (json_is_string(j)) {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(ed, json_string_value(j));

		if (!v && (d->flags & PBJSON_DISCARD_UNKNOWN)) {
			*ret = 0;
			return 0;
		}
		if (!v)
			return fail(d, "unknown %s value \"%s\"", ed->name, json_string_value(j));
		*ret = v->value;
		return 0;
	}
	if (json_is_integer(j)) {
		int64_t v;
		int err = get_i64(d, j, INT32_MIN, INT32_MAX, &v);

		*ret = (int32_t)v;
		return err;
	}
	return fail(d, "expected a %s name or number", ed->name);
}

/* Decode one non-message value of field type @f->type into *p. */
static int decode_scalar(struct dec *d, const ProtobufCFieldDescriptor *f, const json_t *j, void *p)
{
	int64_t i;
	uint64_t u;
	double x;
	int err;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		err = get_i64(d, j, INT32_MIN, INT32_MAX, &i);
		if (!err)
			*(int32_t *)p = (int32_t)i;
		return err;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		err = get_i64(d, j, INT64_MIN, INT64_MAX, &i);
		if (!err)
			*(int64_t *)p = i;
		return err;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		err = get_u64(d, j, UINT32_MAX, &u);
		if (!err)
			*(uint32_t *)p = (uint32_t)u;
		return err;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		err = get_u64(d, j, UINT64_MAX, &u);
		if (!err)
			*(uint64_t *)p = u;
		return err;
	case PROTOBUF_C_TYPE_FLOAT:
		err = get_double(d, j, &x);
		if (!err)
			*(float *)p = (float)x;
		return err;
	case PROTOBUF_C_TYPE_DOUBLE:
		return get_double(d, j, (double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(j))
			return fail(d, "expected true or false");
		*(protobuf_c_boolean *)p = json_is_true(j);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return get_enum(d, j, f->descriptor, (int32_t *)p);
	case PROTOBUF_C_TYPE_STRING:
		if (!json_is_string(j))
			return fail(d, "expected a string");
		*(char **)p = strdup(json_string_value(j));
		return *(char **)p ? 0 : oom(d);
	case PROTOBUF_C_TYPE_BYTES:
		return get_bytes(d, j, (ProtobufCBinaryData *)p);
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
	return fail(d, "unsupported field type");
}

/* ---- messages ------------------------------------------------------------------ */

static int decode_message(struct dec *d, const json_t *j, const ProtobufCMessageDescriptor *md,
			  ProtobufCMessage **out);

static int set_field_by_name(struct dec *d, ProtobufCMessage *m, const char *name, const json_t *j);

static bool is_wkt(const ProtobufCMessageDescriptor *md, const char *name)
{
	return !strncmp(md->name, "google.protobuf.", 16) && !strcmp(md->name + 16, name);
}

static bool is_wrapper(const ProtobufCMessageDescriptor *md)
{
	static const char *const names[] = {
		"DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value",
		"UInt32Value", "BoolValue", "StringValue", "BytesValue",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (is_wkt(md, names[i]))
			return true;
	return false;
}

static int parse_digits(const char **p, int n, int *ret)
{
	int v = 0;

	while (n--) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*ret = v;
	return 0;
}

/* RFC 3339: 2006-01-02T15:04:05[.fraction](Z|+hh:mm|-hh:mm) */
static int parse_timestamp(const char *s, int64_t *sec, int32_t *nsec)
{
	int Y, M, D, h, m, sc, oh = 0, om = 0, sign = 0;
	const char *p = s;
	struct tm tm = { 0 };
	int32_t ns = 0;
	int digits = 0;
	time_t t;

	if (parse_digits(&p, 4, &Y) || *p++ != '-' || parse_digits(&p, 2, &M) || *p++ != '-' ||
	    parse_digits(&p, 2, &D) || (*p != 'T' && *p != 't') || !*p++ || parse_digits(&p, 2, &h) ||
	    *p++ != ':' || parse_digits(&p, 2, &m) || *p++ != ':' || parse_digits(&p, 2, &sc))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			if (digits < 9) {
				ns = ns * 10 + (*p - '0');
				digits++;
			}
			p++;
		}
		while (digits++ < 9)
			ns *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (parse_digits(&p, 2, &oh) || *p++ != ':' || parse_digits(&p, 2, &om))
			return -1;
	} else {
		return -1;
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sc > 60)
		return -1;
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sc;
	t = timegm(&tm);
	*sec = (int64_t)t - sign * (oh * 3600 + om * 60);
	*nsec = ns;
	return 0;
}

/* "1.5s", "-0.000000001s" */
static int parse_duration(const char *s, int64_t *sec, int32_t *nsec)
{
	const char *p = s;
	int neg = 0, digits = 0;
	uint64_t whole = 0;
	int32_t ns = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (whole > 315576000000ULL)
			return -1;
		whole = whole * 10 + (uint64_t)(*p++ - '0');
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (digits++ >= 9)
				return -1;
			ns = ns * 10 + (*p++ - '0');
		}
		if (!digits)
			return -1;
		while (digits++ < 9)
			ns *= 10;
	}
	if (strcmp(p, "s"))
		return -1;
	*sec = neg ? -(int64_t)whole : (int64_t)whole;
	*nsec = neg ? -ns : ns;
	return 0;
}

static int set_i64_i32(struct dec *d, ProtobufCMessage *m, int64_t a, int32_t b)
{
	json_t *ja = json_integer(a), *jb = json_integer(b);
	int err = ja && jb ? 0 : oom(d);

	if (!err)
		err = set_field_by_name(d, m, "seconds", ja);
	if (!err)
		err = set_field_by_name(d, m, "nanos", jb);
	json_decref(ja);
	json_decref(jb);
	return err;
}

/* FieldMask: "a.b,cD" -> paths ["a.b", "c_d"]. */
static int decode_field_mask(struct dec *d, const json_t *j, ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "paths");
	const char *s, *p;
	char ***arr;
	size_t *n;

	if (!json_is_string(j))
		return fail(d, "expected a field mask string (\"a.b,c\")");
	if (!f || f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_STRING)
		return fail(d, "bad FieldMask descriptor");
	arr = (char ***)((char *)m + f->offset);
	n = (size_t *)((char *)m + f->quantifier_offset);
	s = json_string_value(j);
	for (p = s; *p; p++)
		if (*p == ',')
			(*n)++;
	if (!*s) {
		*n = 0;
		return 0;
	}
	*arr = calloc(*n + 1, sizeof(char *));
	if (!*arr) {
		*n = 0;
		return oom(d);
	}
	*n = 0;
	for (p = s;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *one = strndup(p, len), *snake;

		if (!one)
			return oom(d);
		snake = pbjson_camel_to_snake(one);
		free(one);
		if (!snake)
			return oom(d);
		(*arr)[(*n)++] = snake;
		if (!len)
			return fail(d, "empty path in field mask \"%s\"", s);
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int decode_wkt(struct dec *d, const json_t *j, ProtobufCMessage *m, bool *handled)
{
	const ProtobufCMessageDescriptor *md = m->descriptor;
	int64_t sec;
	int32_t nsec;

	*handled = true;
	if (is_wrapper(md))
		return set_field_by_name(d, m, "value", j);
	if (is_wkt(md, "Timestamp")) {
		if (!json_is_string(j) || parse_timestamp(json_string_value(j), &sec, &nsec))
			return fail(d, "expected an RFC 3339 time (\"2006-01-02T15:04:05Z\")");
		return set_i64_i32(d, m, sec, nsec);
	}
	if (is_wkt(md, "Duration")) {
		if (!json_is_string(j) || parse_duration(json_string_value(j), &sec, &nsec))
			return fail(d, "expected a duration such as \"1.5s\"");
		return set_i64_i32(d, m, sec, nsec);
	}
	if (is_wkt(md, "FieldMask"))
		return decode_field_mask(d, j, m);
	if (is_wkt(md, "Empty")) {
		if (!json_is_object(j) || json_object_size(j))
			return fail(d, "expected {}");
		return 0;
	}
	if (is_wkt(md, "Any") || is_wkt(md, "Struct") || is_wkt(md, "Value") || is_wkt(md, "ListValue"))
		return fail(d, "%s is not supported", md->name);
	*handled = false;
	return 0;
}

/* map<K,V>: protoc-c gives a repeated XxxEntry{key=1, value=2}. */
static bool is_map_entry(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *md = f->descriptor;
	size_t l;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || md->n_fields != 2)
		return false;
	l = strlen(md->name);
	return l > 5 && !strcmp(md->name + l - 5, "Entry") && !strcmp(md->fields[0].name, "key") &&
	       md->fields[0].id == 1 && !strcmp(md->fields[1].name, "value") && md->fields[1].id == 2;
}

static int decode_map(struct dec *d, const ProtobufCFieldDescriptor *f, const json_t *j, ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	ProtobufCMessage ***arr = (ProtobufCMessage ***)((char *)m + f->offset);
	size_t *n = (size_t *)((char *)m + f->quantifier_offset);
	const char *key;
	json_t *val;

	if (!json_is_object(j))
		return fail(d, "expected an object (map)");
	*arr = calloc(json_object_size(j) + 1, sizeof(**arr));
	if (!*arr)
		return oom(d);
	json_object_foreach((json_t *)j, key, val) {
		ProtobufCMessage *e = msg_new(ed);
		size_t old = path_push(d, "[\"%s\"]", key);
		json_t *jk;
		int err;

		if (!e)
			return oom(d);
		(*arr)[(*n)++] = e;
		/* keys are always JSON strings; numbers and bools are spelled out */
		if (ed->fields[0].type == PROTOBUF_C_TYPE_BOOL) {
			if (strcmp(key, "true") && strcmp(key, "false"))
				return fail(d, "map key must be true or false");
			jk = json_boolean(!strcmp(key, "true"));
		} else {
			jk = json_string(key);
		}
		if (!jk)
			return oom(d);
		err = decode_scalar(d, &ed->fields[0], jk, (char *)e + ed->fields[0].offset);
		json_decref(jk);
		if (!err) {
			if (ed->fields[1].type == PROTOBUF_C_TYPE_MESSAGE)
				err = decode_message(d, val, ed->fields[1].descriptor,
						     (ProtobufCMessage **)((char *)e + ed->fields[1].offset));
			else
				err = decode_scalar(d, &ed->fields[1], val, (char *)e + ed->fields[1].offset);
		}
		if (err)
			return err;
		path_pop(d, old);
	}
	return 0;
}

static int decode_field(struct dec *d, const ProtobufCFieldDescriptor *f, const json_t *j, ProtobufCMessage *m)
{
	char *base = (char *)m;
	int err;

	if (json_is_null(j) && !(f->type == PROTOBUF_C_TYPE_MESSAGE && is_wkt(f->descriptor, "Value")))
		return 0;	/* null: leave the default */

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t *n = (size_t *)(base + f->quantifier_offset);
		void **arr = (void **)(base + f->offset);
		size_t esz = scalar_size(f->type), i;

		if (is_map_entry(f))
			return decode_map(d, f, j, m);
		if (*arr)
			return fail(d, "field given twice");
		if (!json_is_array(j))
			return fail(d, "expected an array");
		if (!json_array_size(j))
			return 0;
		*arr = calloc(json_array_size(j), esz);
		if (!*arr)
			return oom(d);
		for (i = 0; i < json_array_size(j); i++) {
			const json_t *e = json_array_get(j, i);
			size_t old = path_push(d, "[%zu]", i);

			if (json_is_null(e))
				return fail(d, "null is not allowed in a list");
			if (f->type == PROTOBUF_C_TYPE_MESSAGE)
				err = decode_message(d, e, f->descriptor, (ProtobufCMessage **)*arr + i);
			else
				err = decode_scalar(d, f, e, (char *)*arr + i * esz);
			/* count it before failing so free_unpacked releases it */
			if (f->type == PROTOBUF_C_TYPE_MESSAGE ? ((ProtobufCMessage **)*arr)[i] != NULL : !err)
				*n = i + 1;
			if (err)
				return err;
			path_pop(d, old);
		}
		return 0;
	}

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *which = (uint32_t *)(base + f->quantifier_offset);

		if (*which)
			return fail(d, "more than one field of a oneof is set");
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		ProtobufCMessage **sub = (ProtobufCMessage **)(base + f->offset);

		if (*sub)
			return fail(d, "field given twice");
		err = decode_message(d, j, f->descriptor, sub);
		if (*sub && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			*(uint32_t *)(base + f->quantifier_offset) = f->id;
		return err;
	}
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES) {
		/* decode into a temporary so a failure leaves the default in place */
		union { char *s; ProtobufCBinaryData b; } tmp = { 0 };
		char *cur = *(char **)(base + f->offset);

		if (f->type == PROTOBUF_C_TYPE_STRING && cur && cur != (const char *)f->default_value)
			return fail(d, "field given twice");
		err = decode_scalar(d, f, j, &tmp);
		if (err)
			return err;
		memcpy(base + f->offset, &tmp, scalar_size(f->type));
	} else {
		err = decode_scalar(d, f, j, base + f->offset);
		if (err)
			return err;
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(base + f->quantifier_offset) = f->id;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	return 0;
}

static int set_field_by_name(struct dec *d, ProtobufCMessage *m, const char *name, const json_t *j)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);

	if (!f)
		return fail(d, "%s has no field %s", m->descriptor->name, name);
	return decode_field(d, f, j, m);
}

static int decode_message(struct dec *d, const json_t *j, const ProtobufCMessageDescriptor *md,
			  ProtobufCMessage **out)
{
	ProtobufCMessage *m;
	const char *key;
	json_t *val;
	bool handled;
	int err = 0;

	if (d->depth >= MAX_DEPTH)
		return fail(d, "nested too deeply");
	m = msg_new(md);
	if (!m)
		return oom(d);
	*out = m;
	d->depth++;
	err = decode_wkt(d, j, m, &handled);
	if (handled)
		goto out;
	if (!json_is_object(j)) {
		err = fail(d, "expected an object (%s)", md->name);
		goto out;
	}
	json_object_foreach((json_t *)j, key, val) {
		const ProtobufCFieldDescriptor *f = find_field(md, key);
		size_t old = path_push(d, "%s%s", d->pathlen ? "." : "", key);

		if (!f && (d->flags & PBJSON_DISCARD_UNKNOWN)) {
			path_pop(d, old);
			continue;
		}
		if (!f) {
			path_pop(d, old);
			err = fail(d, "unknown field \"%s\" in %s", key, md->name);
			goto out;
		}
		err = decode_field(d, f, val, m);
		if (err)
			goto out;
		path_pop(d, old);
	}
out:
	d->depth--;
	return err;
}

int pbjson_decode(const json_t *j, const ProtobufCMessageDescriptor *md, ProtobufCMessage **out, char *err,
		  size_t errlen)
{
	return pbjson_decode_flags(j, md, out, 0, err, errlen);
}

int pbjson_decode_flags(const json_t *j, const ProtobufCMessageDescriptor *md, ProtobufCMessage **out,
			unsigned flags, char *err, size_t errlen)
{
	struct dec d = { .err = err, .errlen = errlen, .flags = flags };
	ProtobufCMessage *m = NULL;
	int r;

	*out = NULL;
	if (!json_is_object(j))
		return fail(&d, "expected a JSON object");
	r = decode_message(&d, j, md, &m);
	if (r) {
		if (m)
			protobuf_c_message_free_unpacked(m, NULL);
		return r;
	}
	*out = m;
	return 0;
}

static unsigned line_of(const char *text, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off && text[i]; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

void pbjson_free_array(ProtobufCMessage **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			protobuf_c_message_free_unpacked(v[i], NULL);
	free(v);
}

int pbjson_decode_stream(const char *text, const ProtobufCMessageDescriptor *md, ProtobufCMessage ***out,
			 size_t *n, char *err, size_t errlen)
{
	size_t off = 0, len = text ? strlen(text) : 0, cap = 0, cnt = 0;
	ProtobufCMessage **v = NULL;

	*out = NULL;
	*n = 0;
	for (;;) {
		char msg[256];
		json_error_t je;
		json_t *j;
		int r;

		while (off < len && isspace((unsigned char)text[off]))
			off++;
		if (off >= len)
			break;
		j = json_loadb(text + off, len - off, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &je);
		if (!j) {
			snprintf(err, errlen, "line %u: invalid JSON: %s", line_of(text, off) + (unsigned)je.line - 1,
				 je.text);
			pbjson_free_array(v, cnt);
			return -EINVAL;
		}
		if (cnt == cap) {
			ProtobufCMessage **nv = realloc(v, (cap ? cap * 2 : 4) * sizeof(*v));

			if (!nv) {
				json_decref(j);
				pbjson_free_array(v, cnt);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 4;
		}
		r = pbjson_decode(j, md, &v[cnt], msg, sizeof(msg));
		json_decref(j);
		if (r) {
			snprintf(err, errlen, "line %u: %s", line_of(text, off), msg);
			pbjson_free_array(v, cnt);
			return r;
		}
		cnt++;
		if (!je.position)
			break;	/* cannot happen with EOF check disabled; avoid looping */
		off += (size_t)je.position;
	}
	*out = v;
	*n = cnt;
	return 0;
}
