// SPDX-License-Identifier: Apache-2.0
/*
 * protojson encoder: every mapping rule against the output Go's protojson
 * (UseProtoNames, compact) gives, using the test schema in tests/unit/proto
 * and, once generated, the tetragon API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "encode/protojson.h"
#include "pjtest/pjtest.pb-c.h"
#include "pjtest/pjtest2.pb-c.h"
#include "pjtest/field_order.h"

#if __has_include("tetragon/events.pb-c.h")
#define HAVE_TETRAGON_API 1
#include "tetragon/events.pb-c.h"
#endif

static char *encode(const void *msg)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(protojson_encode(&sb, msg), 0);
	return strbuf_detach(&sb, NULL);
}

#define assert_json(msg, expect)				\
	do {							\
		char *s_ = encode(msg);				\
		assert_string_equal(s_, expect);		\
		free(s_);					\
	} while (0)

static int setup(void **state)
{
	(void)state;
	return protojson_add_field_order(pjtest_field_order);
}

/* ---- scalars ------------------------------------------------------------- */

static void test_proto3_zero_values_omitted(void **state)
{
	Pjtest__Scalars m = PJTEST__SCALARS__INIT;

	(void)state;
	assert_json(&m, "{}");
	m.s = "";
	assert_json(&m, "{}");
	m.s = NULL;
	assert_json(&m, "{}");
}

static void test_scalars(void **state)
{
	Pjtest__Scalars m = PJTEST__SCALARS__INIT;
	Pjtest__Inner in = PJTEST__INNER__INIT;
	static uint8_t raw[] = { 0x00, 0xff, 'a' };

	(void)state;
	m.i32 = -5;
	m.u32 = 4294967295u;
	m.s32 = INT32_MIN;
	m.f32 = 7;
	m.sf32 = -8;
	m.i64 = INT64_MIN;
	m.u64 = UINT64_MAX;
	m.s64 = -9;
	m.f64 = 10;
	m.sf64 = INT64_MAX;
	m.b = 1;
	m.fl = 1.5f;
	m.db = 0.1;
	m.s = "hi";
	m.by.data = raw;
	m.by.len = sizeof(raw);
	m.color = PJTEST__COLOR__GREEN;
	m.inner = &in;
	assert_json(&m, "{\"i32\":-5,\"u32\":4294967295,\"s32\":-2147483648,\"f32\":7,\"sf32\":-8,"
		    "\"i64\":\"-9223372036854775808\",\"u64\":\"18446744073709551615\",\"s64\":\"-9\","
		    "\"f64\":\"10\",\"sf64\":\"9223372036854775807\",\"b\":true,\"fl\":1.5,\"db\":0.1,"
		    "\"s\":\"hi\",\"by\":\"AP9h\",\"color\":\"GREEN\",\"inner\":{}}");
}

static void test_negative_zero_is_set(void **state)
{
	Pjtest__Scalars m = PJTEST__SCALARS__INIT;

	(void)state;
	/* Go's proto3 presence counts -0.0 as set (sign bit) */
	m.db = -0.0;
	m.fl = -0.0f;
	assert_json(&m, "{\"fl\":-0,\"db\":-0}");
}

static void test_enum_unknown_value_is_number(void **state)
{
	Pjtest__Scalars m = PJTEST__SCALARS__INIT;
	Pjtest__Repeated r = PJTEST__REPEATED__INIT;
	Pjtest__Color colors[] = { PJTEST__COLOR__RED, 99, PJTEST__COLOR__COLOR_UNSPECIFIED };

	(void)state;
	m.color = 42;
	assert_json(&m, "{\"color\":42}");
	m.color = -1;
	assert_json(&m, "{\"color\":-1}");
	r.n_colors = 3;
	r.colors = colors;
	assert_json(&r, "{\"colors\":[\"RED\",99,\"COLOR_UNSPECIFIED\"]}");
}

/* ---- strings ------------------------------------------------------------- */

static void check_string(const char *in, const char *expect)
{
	Pjtest__Scalars m = PJTEST__SCALARS__INIT;
	char want[512];

	m.s = (char *)in;
	snprintf(want, sizeof(want), "{\"s\":\"%s\"}", expect);
	assert_json(&m, want);
}

static void test_string_escaping(void **state)
{
	(void)state;
	check_string("a\"b\\c", "a\\\"b\\\\c");
	check_string("\b\f\n\r\t", "\\b\\f\\n\\r\\t");
	check_string("\x01\x1f\x0b", "\\u0001\\u001f\\u000b");
	/* not escaped by protojson: DEL, HTML characters, '/', non-ASCII */
	check_string("\x7f<>&/'", "\x7f<>&/'");
	check_string("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
	check_string("\xe2\x80\xa8\xe2\x80\xa9", "\xe2\x80\xa8\xe2\x80\xa9");	/* U+2028/9 */
	check_string("\xef\xbf\xbd", "\xef\xbf\xbd");	/* a real U+FFFD stays */
}

/*
 * Plain ASCII is scanned 8 bytes at a time: strings built from pieces
 * (plain letters, each byte that needs an escape, valid and invalid UTF-8)
 * at every length and offset come out as the pieces say.
 */
static void test_string_pieces_every_offset(void **state)
{
	static const struct { const char *in, *out; } pieces[] = {
		{ "a", "a" }, { "Z", "Z" }, { " ", " " }, { "~", "~" }, { "\x7f", "\x7f" },
		{ "\"", "\\\"" }, { "\\", "\\\\" }, { "\n", "\\n" }, { "\x01", "\\u0001" },
		{ "\x1f", "\\u001f" }, { "\x20", " " }, { "\x21", "!" }, { "\x5b", "[" }, { "\x5d", "]" },
		{ "\xc3\xa9", "\xc3\xa9" }, { "\xe6\x97\xa5", "\xe6\x97\xa5" }, { "\xff", "\xef\xbf\xbd" },
	};
	const size_t np = sizeof(pieces) / sizeof(pieces[0]);
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		char in[128] = "", out[512] = "";
		size_t il = 0, ol = 0, n = 1 + (size_t)(round % 40);
		int prev_bad = 0;

		for (size_t k = 0; k < n; k++) {
			size_t pi;

			seed = seed * 1103515245u + 12345u;
			/* mostly plain letters, so the 8-byte runs get long */
			pi = (seed >> 16) % 4 ? 0 : (seed >> 8) % np;
			if (pieces[pi].in[0] == '\xff' && prev_bad)
				continue;	/* a run of bad bytes is one U+FFFD: keep runs of one */
			prev_bad = pieces[pi].in[0] == '\xff';
			memcpy(in + il, pieces[pi].in, strlen(pieces[pi].in));
			il += strlen(pieces[pi].in);
			memcpy(out + ol, pieces[pi].out, strlen(pieces[pi].out));
			ol += strlen(pieces[pi].out);
		}
		in[il] = out[ol] = '\0';
		check_string(in, out);
	}
}

static void test_string_invalid_utf8(void **state)
{
	(void)state;
	/* like strings.ToValidUTF8(s, "\uFFFD"): one replacement per bad run */
	check_string("a\xff" "b", "a\xef\xbf\xbd" "b");
	check_string("\xff\xfe\xfd", "\xef\xbf\xbd");
	check_string("\xc0\xaf", "\xef\xbf\xbd");		/* overlong '/' */
	check_string("\xed\xa0\x80x", "\xef\xbf\xbdx");		/* surrogate */
	check_string("\xf4\x90\x80\x80", "\xef\xbf\xbd");	/* > U+10FFFF */
	check_string("ab\xe6\x97", "ab\xef\xbf\xbd");		/* truncated */
	check_string("\xc3\xa9\xff\xc3\xa9\x80\n", "\xc3\xa9\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\\n");
	check_string("\xff\"", "\xef\xbf\xbd\\\"");
}

static void test_bytes_base64(void **state)
{
	Pjtest__Repeated m = PJTEST__REPEATED__INIT;
	ProtobufCBinaryData b[4] = {
		{ 0, NULL }, { 1, (uint8_t *)"f" }, { 2, (uint8_t *)"fo" }, { 4, (uint8_t *)"\xfb\xff\xbf\x00" },
	};

	(void)state;
	m.n_bys = 4;
	m.bys = b;
	assert_json(&m, "{\"bys\":[\"\",\"Zg==\",\"Zm8=\",\"+/+/AA==\"]}");
}

/* ---- floats -------------------------------------------------------------- */

static void check_double(double v, const char *expect)
{
	Pjtest__Repeated m = PJTEST__REPEATED__INIT;
	char want[128];

	m.n_dbs = 1;
	m.dbs = &v;
	snprintf(want, sizeof(want), "{\"dbs\":[%s]}", expect);
	assert_json(&m, want);
}

static void check_float(float v, const char *expect)
{
	Pjtest__Repeated m = PJTEST__REPEATED__INIT;
	char want[128];

	m.n_fls = 1;
	m.fls = &v;
	snprintf(want, sizeof(want), "{\"fls\":[%s]}", expect);
	assert_json(&m, want);
}

static void test_double_format(void **state)
{
	(void)state;
	check_double(0, "0");
	check_double(-0.0, "-0");
	check_double(1, "1");
	check_double(-2.5, "-2.5");
	check_double(0.1, "0.1");
	check_double(0.3, "0.3");
	check_double(1.0 / 3, "0.3333333333333333");
	check_double(100, "100");
	check_double(12345.678, "12345.678");
	check_double(123456789, "123456789");
	check_double(9007199254740993.0, "9007199254740992");
	check_double(1e20, "100000000000000000000");
	check_double(1e21, "1e+21");
	check_double(1.5e300, "1.5e+300");
	check_double(-1e22, "-1e+22");
	check_double(1e-6, "0.000001");
	check_double(1.234e-5, "0.00001234");
	check_double(1e-7, "1e-7");
	check_double(9.99e-7, "9.99e-7");
	check_double(1.5e-10, "1.5e-10");
	check_double(5e-324, "5e-324");
	check_double(DBL_MAX, "1.7976931348623157e+308");
	check_double(DBL_MIN, "2.2250738585072014e-308");
	check_double(0.1 + 0.2, "0.30000000000000004");
	check_double(ldexp(1, 63), "9223372036854776000");	/* Go pads shortest digits */
	/*
	 * At these powers of two the nearest 16-digit decimal falls outside
	 * the (lopsided) rounding interval but the next one up is inside.
	 */
	check_double(ldexp(1, -1017), "7.120236347223045e-307");
	check_double(ldexp(1, -705), "5.940911144672375e-213");
	check_double(NAN, "\"NaN\"");
	check_double(INFINITY, "\"Infinity\"");
	check_double(-INFINITY, "\"-Infinity\"");
}

static void test_float_format(void **state)
{
	(void)state;
	check_float(0.1f, "0.1");
	check_float(3.14159f, "3.14159");
	check_float(16777216.0f, "16777216");
	check_float(1e-6f, "0.000001");
	check_float(1e-7f, "1e-7");
	check_float(1e21f, "1e+21");
	check_float(1e20f, "100000000000000000000");
	check_float(FLT_MAX, "3.4028235e+38");
	check_float(FLT_MIN, "1.1754944e-38");
	check_float(1.4e-45f, "1e-45");
	check_float(ldexpf(1, -96), "1.2621775e-29");
	check_float(ldexpf(1, 87), "1.5474251e+26");
	check_float(-0.0f, "-0");
	check_float(NAN, "\"NaN\"");
	check_float(-INFINITY, "\"-Infinity\"");
}

/*
 * Reference: for random doubles and floats, the printed number must parse
 * back exactly and no shorter digit string may do so (protojson prints the
 * shortest round-trip form).
 */
static void test_float_shortest_roundtrip(void **state)
{
	unsigned i;

	(void)state;
	srandom(42);
	for (i = 0; i < 20000; i++) {
		Pjtest__Repeated m = PJTEST__REPEATED__INIT;
		uint64_t bits = ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^ (uint64_t)random();
		double d;
		float f;
		char *s, *num, *e;
		size_t k, nd = 0;
		int p;

		if (i & 1) {
			uint32_t b32 = (uint32_t)bits;

			memcpy(&f, &b32, sizeof(f));
			if (!isfinite(f))
				continue;
			m.n_fls = 1;
			m.fls = &f;
		} else {
			memcpy(&d, &bits, sizeof(d));
			if (!isfinite(d))
				continue;
			m.n_dbs = 1;
			m.dbs = &d;
		}
		s = encode(&m);
		num = strchr(s, '[') + 1;
		*strchr(num, ']') = '\0';
		if (i & 1)
			assert_true(strtof(num, NULL) == f);
		else
			assert_true(strtod(num, NULL) == d);
		/* significant digits: strip sign, point, exponent, outer zeros */
		e = strchr(num, 'e');
		if (e)
			*e = '\0';
		for (k = 0; num[k]; k++)
			if (num[k] >= '0' && num[k] <= '9' && (nd || num[k] != '0'))
				num[nd++] = num[k];
		while (nd > 1 && num[nd - 1] == '0')
			nd--;
		/* no shorter correctly rounded decimal parses back */
		for (p = 1; p < (int)nd; p++) {
			char buf[64];

			if (i & 1) {
				snprintf(buf, sizeof(buf), "%.*e", p - 1, (double)f);
				assert_false(strtof(buf, NULL) == f);
			} else {
				snprintf(buf, sizeof(buf), "%.*e", p - 1, d);
				assert_false(strtod(buf, NULL) == d);
			}
		}
		free(s);
	}
}

/* ---- presence: oneofs, synthetic oneofs, proto2 ---------------------------- */

static void test_oneof_selected_zero_emitted(void **state)
{
	Pjtest__Oneofs m = PJTEST__ONEOFS__INIT;
	Pjtest__Inner in = PJTEST__INNER__INIT;

	(void)state;
	assert_json(&m, "{}");
	m.kind_case = PJTEST__ONEOFS__KIND_NUM;
	m.num = 0;
	assert_json(&m, "{\"num\":0}");
	m.kind_case = PJTEST__ONEOFS__KIND_TEXT;
	m.text = "";
	assert_json(&m, "{\"text\":\"\"}");
	m.text = NULL;
	assert_json(&m, "{\"text\":\"\"}");
	m.kind_case = PJTEST__ONEOFS__KIND_FLAG;
	m.flag = 0;
	assert_json(&m, "{\"flag\":false}");
	m.kind_case = PJTEST__ONEOFS__KIND_MSG;
	m.msg = &in;
	assert_json(&m, "{\"msg\":{}}");
	/* a selected message member without a message is not written */
	m.msg = NULL;
	assert_json(&m, "{}");
	m.kind_case = PJTEST__ONEOFS__KIND_RAW;
	m.raw.len = 0;
	m.raw.data = NULL;
	assert_json(&m, "{\"raw\":\"\"}");
}

static void test_synthetic_oneof_optional(void **state)
{
	Pjtest__Oneofs m = PJTEST__ONEOFS__INIT;
	Pjtest__Inner in = PJTEST__INNER__INIT;

	(void)state;
	/* proto3 `optional` rewritten to oneof _x: written when set, even if zero */
	m._opt_i_case = PJTEST__ONEOFS___OPT_I_OPT_I;
	m.opt_i = 0;
	assert_json(&m, "{\"opt_i\":0}");
	m._opt_s_case = PJTEST__ONEOFS___OPT_S_OPT_S;
	m.opt_s = "";
	m._opt_m_case = PJTEST__ONEOFS___OPT_M_OPT_M;
	m.opt_m = &in;
	in.n = 3;
	assert_json(&m, "{\"opt_i\":0,\"opt_s\":\"\",\"opt_m\":{\"n\":3}}");
	/* declaration order: raw (8) is declared inside `kind`, before opt_i (5) */
	m.kind_case = PJTEST__ONEOFS__KIND_RAW;
	assert_json(&m, "{\"raw\":\"\",\"opt_i\":0,\"opt_s\":\"\",\"opt_m\":{\"n\":3}}");
}

static void test_proto2_presence(void **state)
{
	Pjtest2__P2 m = PJTEST2__P2__INIT, child = PJTEST2__P2__INIT;
	int32_t rep[] = { 1, 2 };

	(void)state;
	/* required fields are always written; defaults are not "set" */
	assert_json(&m, "{\"ri\":0}");
	m.has_oi = 1;
	m.oi = 0;
	m.os = "";
	m.has_ob = 1;
	m.has_od = 1;
	m.od = 0;
	m.has_obool = 1;
	m.oi64 = 99;	/* no has_: not written */
	assert_json(&m, "{\"oi\":0,\"os\":\"\",\"ob\":\"\",\"ri\":0,\"od\":0,\"obool\":false}");

	m = (Pjtest2__P2)PJTEST2__P2__INIT;
	m.ods = "other";
	m.child = &child;
	m.n_rep = 2;
	m.rep = rep;
	m.has_oi64 = 1;
	assert_json(&m, "{\"ods\":\"other\",\"child\":{\"ri\":0},\"ri\":0,\"rep\":[1,2],\"oi64\":\"7\"}");
}

/* ---- repeated and nested ---------------------------------------------------- */

static void test_repeated(void **state)
{
	Pjtest__Repeated m = PJTEST__REPEATED__INIT;
	Pjtest__Inner a = PJTEST__INNER__INIT, *inners[] = { &a, NULL };
	int32_t ints[] = { 1, -2, 0 };
	char *strs[] = { "x", "", NULL };
	uint64_t u64s[] = { 0, 1ULL << 63 };
	protobuf_c_boolean bools[] = { 0, 1 };
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Timestamp *tss[] = { &ts, NULL };

	(void)state;
	m.ints = ints;	/* count 0: omitted */
	assert_json(&m, "{}");
	a.name = "a";
	m.n_ints = 3;
	m.n_strs = 3;
	m.strs = strs;
	m.n_inners = 2;
	m.inners = inners;
	m.n_u64s = 2;
	m.u64s = u64s;
	m.n_bools = 2;
	m.bools = bools;
	ts.seconds = 1;
	m.n_tss = 2;
	m.tss = tss;
	assert_json(&m, "{\"ints\":[1,-2,0],\"strs\":[\"x\",\"\",\"\"],"
		    "\"inners\":[{\"name\":\"a\"},{}],\"u64s\":[\"0\",\"9223372036854775808\"],"
		    "\"bools\":[false,true],"
		    "\"tss\":[\"1970-01-01T00:00:01Z\",\"1970-01-01T00:00:00Z\"]}");
}

/* ---- well-known types -------------------------------------------------------- */

static void check_ts(int64_t secs, int32_t nanos, const char *expect)
{
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	ts.seconds = secs;
	ts.nanos = nanos;
	assert_json(&ts, expect);
}

static void test_timestamp(void **state)
{
	(void)state;
	check_ts(1696629837, 700326678, "\"2023-10-06T22:03:57.700326678Z\"");
	check_ts(1696629837, 700326000, "\"2023-10-06T22:03:57.700326Z\"");
	check_ts(1696629837, 700000000, "\"2023-10-06T22:03:57.700Z\"");
	check_ts(1696629837, 1000, "\"2023-10-06T22:03:57.000001Z\"");
	check_ts(1696629837, 1, "\"2023-10-06T22:03:57.000000001Z\"");
	check_ts(0, 0, "\"1970-01-01T00:00:00Z\"");
	check_ts(-1, 0, "\"1969-12-31T23:59:59Z\"");
	check_ts(1709208000, 0, "\"2024-02-29T12:00:00Z\"");
	check_ts(951782400, 0, "\"2000-02-29T00:00:00Z\"");
	check_ts(253402300799LL, 999999999, "\"9999-12-31T23:59:59.999999999Z\"");
	check_ts(-62135596800LL, 0, "\"0001-01-01T00:00:00Z\"");
	/* protojson fails on these; we clamp/normalise */
	check_ts(INT64_MAX, 0, "\"9999-12-31T23:59:59.999999999Z\"");
	check_ts(INT64_MIN, 5, "\"0001-01-01T00:00:00Z\"");
	check_ts(10, -1, "\"1970-01-01T00:00:09.999999999Z\"");
	check_ts(10, 2000000000, "\"1970-01-01T00:00:12Z\"");
}

static void check_dur(int64_t secs, int32_t nanos, const char *expect)
{
	Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;

	d.seconds = secs;
	d.nanos = nanos;
	assert_json(&d, expect);
}

static void test_duration(void **state)
{
	(void)state;
	check_dur(0, 0, "\"0s\"");
	check_dur(1, 500000000, "\"1.500s\"");
	check_dur(3, 1000, "\"3.000001s\"");
	check_dur(3, 1, "\"3.000000001s\"");
	check_dur(-1, -500000000, "\"-1.500s\"");
	check_dur(0, -1, "\"-0.000000001s\"");
	check_dur(315576000000LL, 999999999, "\"315576000000.999999999s\"");
	/* invalid for protojson: clamped, mixed signs normalised */
	check_dur(INT64_MIN, 0, "\"-315576000000s\"");
	check_dur(2, -500000000, "\"1.500s\"");
	check_dur(-2, 500000000, "\"-1.500s\"");
}

static void test_wrappers(void **state)
{
	Pjtest__Wkt m = PJTEST__WKT__INIT;
	Google__Protobuf__UInt32Value u32 = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
	Google__Protobuf__Int32Value i32 = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
	Google__Protobuf__UInt64Value u64 = GOOGLE__PROTOBUF__UINT64_VALUE__INIT;
	Google__Protobuf__Int64Value i64 = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
	Google__Protobuf__BoolValue b = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
	Google__Protobuf__StringValue s = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
	Google__Protobuf__BytesValue by = GOOGLE__PROTOBUF__BYTES_VALUE__INIT;
	Google__Protobuf__FloatValue fl = GOOGLE__PROTOBUF__FLOAT_VALUE__INIT;
	Google__Protobuf__DoubleValue db = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;

	(void)state;
	m.u32 = &u32;
	m.i32 = &i32;
	m.u64 = &u64;
	m.i64 = &i64;
	m.b = &b;
	m.s = &s;
	m.by = &by;
	m.fl = &fl;
	m.db = &db;
	/* zero values are written: the wrapper itself is present */
	assert_json(&m, "{\"u32\":0,\"i32\":0,\"u64\":\"0\",\"i64\":\"0\",\"b\":false,\"s\":\"\","
		    "\"by\":\"\",\"fl\":0,\"db\":0}");
	u32.value = 52699;
	i32.value = -1;
	u64.value = UINT64_MAX;
	i64.value = -5;
	b.value = 1;
	s.value = "x\ny";
	by.value.data = (uint8_t *)"hi";
	by.value.len = 2;
	fl.value = 0.25f;
	db.value = NAN;
	assert_json(&m, "{\"u32\":52699,\"i32\":-1,\"u64\":\"18446744073709551615\",\"i64\":\"-5\","
		    "\"b\":true,\"s\":\"x\\ny\",\"by\":\"aGk=\",\"fl\":0.25,\"db\":\"NaN\"}");
	/* a wrapper at top level is its bare value too */
	assert_json(&u32, "52699");
}

static void test_field_mask_any_empty(void **state)
{
	Pjtest__Wkt m = PJTEST__WKT__INIT;
	Google__Protobuf__FieldMask fm = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
	char *paths[] = { "process.binary", "parent_exec_id", "foo_bar_baz", "x" };

	(void)state;
	m.mask = &fm;
	m.any = &any;
	m.empty = &empty;
	assert_json(&m, "{\"mask\":\"\",\"any\":{},\"empty\":{}}");
	fm.n_paths = 4;
	fm.paths = paths;
	any.type_url = "type.googleapis.com/pjtest.Inner";
	any.value.data = (uint8_t *)"\x0a\x01x";
	any.value.len = 3;
	assert_json(&m, "{\"mask\":\"process.binary,parentExecId,fooBarBaz,x\","
		    "\"any\":{\"@type\":\"type.googleapis.com/pjtest.Inner\"},\"empty\":{}}");
}

static void test_timestamp_duration_fields(void **state)
{
	Pjtest__Wkt m = PJTEST__WKT__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;

	(void)state;
	m.ts = &ts;
	m.dur = &d;
	assert_json(&m, "{\"ts\":\"1970-01-01T00:00:00Z\",\"dur\":\"0s\"}");
}

/* ---- maps -------------------------------------------------------------------- */

static void test_maps(void **state)
{
	Pjtest__Maps m = PJTEST__MAPS__INIT;
	Pjtest__Maps__LabelsEntry l[4] = {
		PJTEST__MAPS__LABELS_ENTRY__INIT, PJTEST__MAPS__LABELS_ENTRY__INIT,
		PJTEST__MAPS__LABELS_ENTRY__INIT, PJTEST__MAPS__LABELS_ENTRY__INIT,
	};
	Pjtest__Maps__LabelsEntry *lp[] = { &l[0], &l[1], NULL, &l[2], &l[3] };
	Pjtest__Maps__ByIdEntry bi[2] = { PJTEST__MAPS__BY_ID_ENTRY__INIT, PJTEST__MAPS__BY_ID_ENTRY__INIT };
	Pjtest__Maps__ByIdEntry *bip[] = { &bi[0], &bi[1] };
	Pjtest__Maps__U64KeysEntry uk[3] = {
		PJTEST__MAPS__U64_KEYS_ENTRY__INIT, PJTEST__MAPS__U64_KEYS_ENTRY__INIT,
		PJTEST__MAPS__U64_KEYS_ENTRY__INIT,
	};
	Pjtest__Maps__U64KeysEntry *ukp[] = { &uk[0], &uk[1], &uk[2] };
	Pjtest__Maps__FlagsEntry fe[2] = { PJTEST__MAPS__FLAGS_ENTRY__INIT, PJTEST__MAPS__FLAGS_ENTRY__INIT };
	Pjtest__Maps__FlagsEntry *fep[] = { &fe[0], &fe[1] };
	Pjtest__Maps__TimesEntry te = PJTEST__MAPS__TIMES_ENTRY__INIT, *tep[] = { &te };
	Pjtest__Maps__ColorsEntry ce[2] = { PJTEST__MAPS__COLORS_ENTRY__INIT, PJTEST__MAPS__COLORS_ENTRY__INIT };
	Pjtest__Maps__ColorsEntry *cep[] = { &ce[0], &ce[1] };
	Pjtest__Maps__FakeEntry fk = PJTEST__MAPS__FAKE_ENTRY__INIT, *fkp[] = { &fk };
	Pjtest__Inner in = PJTEST__INNER__INIT;

	(void)state;
	/* keys sorted bytewise; a repeated key keeps its last value */
	l[0].key = "org";
	l[0].value = "alliance";
	l[1].key = "app.kubernetes.io/name";
	l[1].value = "old";
	l[2].key = "app.kubernetes.io/name";
	l[2].value = "xwing";
	l[3].key = "q\"k";
	l[3].value = "";
	m.n_labels = 5;
	m.labels = lp;
	/* numeric keys sort numerically and are quoted; missing values are empty */
	bi[0].key = 10;
	bi[0].value = &in;
	in.name = "ten";
	bi[1].key = -1;
	m.n_by_id = 2;
	m.by_id = bip;
	uk[0].key = UINT64_MAX;
	uk[1].key = 10;
	uk[2].key = 9;
	uk[2].value = 4;
	m.n_u64_keys = 3;
	m.u64_keys = ukp;
	fe[0].key = 1;
	fe[0].value = "t";
	fe[1].key = 0;
	m.n_flags = 2;
	m.flags = fep;
	te.key = "x";
	m.n_times = 1;
	m.times = tep;
	ce[0].key = 5;
	ce[0].value = PJTEST__COLOR__RED;
	ce[1].key = -3;
	ce[1].value = 77;
	m.n_colors = 2;
	m.colors = cep;
	fk.key = "k";
	fk.value = "v";
	m.n_fake_entries = 1;
	m.fake_entries = fkp;
	assert_json(&m, "{\"labels\":{\"app.kubernetes.io/name\":\"xwing\",\"org\":\"alliance\",\"q\\\"k\":\"\"},"
		    "\"by_id\":{\"-1\":{},\"10\":{\"name\":\"ten\"}},"
		    "\"u64_keys\":{\"9\":4,\"10\":0,\"18446744073709551615\":0},"
		    "\"flags\":{\"false\":\"\",\"true\":\"t\"},"
		    "\"times\":{\"x\":\"1970-01-01T00:00:00Z\"},"
		    "\"colors\":{\"-3\":77,\"5\":\"RED\"},"
		    "\"fake_entries\":[{\"key\":\"k\",\"value\":\"v\"}]}");
}

static void test_big_map_sorted(void **state)
{
	Pjtest__Maps m = PJTEST__MAPS__INIT;
	Pjtest__Maps__LabelsEntry e[100], *ep[100];
	char keys[100][8];
	struct strbuf want = STRBUF_INIT;
	unsigned i;
	char *s;

	(void)state;
	for (i = 0; i < 100; i++) {
		e[i] = (Pjtest__Maps__LabelsEntry)PJTEST__MAPS__LABELS_ENTRY__INIT;
		snprintf(keys[i], sizeof(keys[i]), "k%02u", (i * 37) % 100);
		e[i].key = keys[i];
		e[i].value = keys[i];
		ep[i] = &e[i];
	}
	m.n_labels = 100;
	m.labels = ep;
	strbuf_adds(&want, "{\"labels\":{");
	for (i = 0; i < 100; i++)
		strbuf_addf(&want, "%s\"k%02u\":\"k%02u\"", i ? "," : "", i, i);
	strbuf_adds(&want, "}}");
	s = encode(&m);
	assert_string_equal(s, want.buf);
	free(s);
	strbuf_free(&want);
}

/* ---- field order --------------------------------------------------------------- */

static void test_declaration_order(void **state)
{
	Pjtest__Order m = PJTEST__ORDER__INIT, kid = PJTEST__ORDER__INIT, *kids[] = { &kid };

	(void)state;
	m.first = "f";
	m.mid = "m";
	m.last = "l";
	m.pick_case = PJTEST__ORDER__PICK_B;
	m.b = 2;
	kid.first = "kf";
	kid.last = "kl";
	kid.pick_case = PJTEST__ORDER__PICK_A;
	m.n_kids = 1;
	m.kids = kids;
	assert_json(&m, "{\"last\":\"l\",\"b\":2,\"mid\":\"m\",\"kids\":[{\"last\":\"kl\",\"a\":0,"
		    "\"first\":\"kf\"}],\"first\":\"f\"}");
}

/* ---- API behaviour ---------------------------------------------------------------- */

static void test_errors_and_append(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	Pjtest__Order m = PJTEST__ORDER__INIT, *self[] = { &m };
	Pjtest__Inner in = PJTEST__INNER__INIT;

	(void)state;
	assert_int_equal(protojson_encode(&sb, NULL), -EINVAL);
	strbuf_adds(&sb, "prefix ");
	in.n = 1;
	assert_int_equal(protojson_encode(&sb, &in.base), 0);
	assert_string_equal(sb.buf, "prefix {\"n\":1}");
	/* a cycle is refused and leaves the buffer as it was */
	m.n_kids = 1;
	m.kids = self;
	assert_int_equal(protojson_encode(&sb, &m.base), -ELOOP);
	assert_string_equal(sb.buf, "prefix {\"n\":1}");
	strbuf_free(&sb);
}

/* ---- robustness ------------------------------------------------------------------- */

static void check_valid_json(const char *s)
{
	json_error_t err;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &err);

	if (!j)
		fail_msg("invalid JSON (%s) from encoder: %s", err.text, s);
	json_decref(j);
}

static void fuzz_one(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
		     unsigned *accepted)
{
	ProtobufCMessage *msg = protobuf_c_message_unpack(d, NULL, len, buf);
	struct strbuf sb = STRBUF_INIT;

	if (!msg)
		return;
	(*accepted)++;
	assert_int_equal(protojson_encode(&sb, msg), 0);
	check_valid_json(sb.buf);
	strbuf_free(&sb);
	protobuf_c_message_free_unpacked(msg, NULL);
}

struct seed {
	const ProtobufCMessageDescriptor *desc;
	uint8_t buf[512];
	size_t len;
};

static void add_seed(struct seed *seeds, unsigned *n, const ProtobufCMessage *m)
{
	struct seed *s = &seeds[(*n)++];

	assert_true(protobuf_c_message_get_packed_size(m) <= sizeof(s->buf));
	s->desc = m->descriptor;
	s->len = protobuf_c_message_pack(m, s->buf);
}

/* Valid messages covering most field kinds, to be mutated. */
static unsigned make_seeds(struct seed *seeds)
{
	Pjtest__Maps maps = PJTEST__MAPS__INIT;
	Pjtest__Maps__LabelsEntry l = PJTEST__MAPS__LABELS_ENTRY__INIT, *lp[] = { &l };
	Pjtest__Maps__ByIdEntry b = PJTEST__MAPS__BY_ID_ENTRY__INIT, *bp[] = { &b };
	Pjtest__Maps__TimesEntry t = PJTEST__MAPS__TIMES_ENTRY__INIT, *tp[] = { &t };
	Pjtest__Maps__U64KeysEntry u = PJTEST__MAPS__U64_KEYS_ENTRY__INIT, *up[] = { &u, &u };
	Pjtest__Inner in = PJTEST__INNER__INIT, *inp[] = { &in, &in };
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT, *tsp[] = { &ts };
	Google__Protobuf__Duration du = GOOGLE__PROTOBUF__DURATION__INIT;
	Google__Protobuf__UInt64Value u64 = GOOGLE__PROTOBUF__UINT64_VALUE__INIT;
	Google__Protobuf__StringValue sv = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
	Google__Protobuf__DoubleValue dv = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
	Google__Protobuf__FieldMask fm = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Pjtest__Scalars sc = PJTEST__SCALARS__INIT;
	Pjtest__Repeated rep = PJTEST__REPEATED__INIT;
	Pjtest__Oneofs oo = PJTEST__ONEOFS__INIT;
	Pjtest__Wkt wkt = PJTEST__WKT__INIT;
	Pjtest__Order ord = PJTEST__ORDER__INIT, kid = PJTEST__ORDER__INIT, *kids[] = { &kid };
	Pjtest2__P2 p2 = PJTEST2__P2__INIT, p2c = PJTEST2__P2__INIT;
	int32_t ints[] = { -1, 300, 70000 };
	double dbs[] = { 0.5, -1e300 };
	float fls[] = { 1.25f };
	char *strs[] = { "a", "b\xc3\xa9", "long string with \"quotes\"" };
	char *paths[] = { "a_b", "c" };
	unsigned n = 0;

	in.name = "nm";
	in.n = 3;
	ts.seconds = 1696629837;
	ts.nanos = 5;
	l.key = "key";
	l.value = "value";
	b.key = 7;
	b.value = &in;
	t.key = "t";
	t.value = &ts;
	u.key = 12;
	u.value = -4;
	maps.n_labels = 1;
	maps.labels = lp;
	maps.n_by_id = 1;
	maps.by_id = bp;
	maps.n_times = 1;
	maps.times = tp;
	maps.n_u64_keys = 2;
	maps.u64_keys = up;
	add_seed(seeds, &n, &maps.base);

	sc.i32 = -1;
	sc.u64 = 1234567;
	sc.s64 = -77;
	sc.fl = 2.5f;
	sc.db = 1e-9;
	sc.s = "str\xc3\xa9";
	sc.by.data = (uint8_t *)"bytes";
	sc.by.len = 5;
	sc.color = 2;
	sc.inner = &in;
	add_seed(seeds, &n, &sc.base);

	rep.n_ints = 3;
	rep.ints = ints;
	rep.n_strs = 3;
	rep.strs = strs;
	rep.n_inners = 2;
	rep.inners = inp;
	rep.n_dbs = 2;
	rep.dbs = dbs;
	rep.n_fls = 1;
	rep.fls = fls;
	rep.n_tss = 1;
	rep.tss = tsp;
	add_seed(seeds, &n, &rep.base);

	oo.kind_case = PJTEST__ONEOFS__KIND_MSG;
	oo.msg = &in;
	oo._opt_s_case = PJTEST__ONEOFS___OPT_S_OPT_S;
	oo.opt_s = "o";
	oo._opt_i_case = PJTEST__ONEOFS___OPT_I_OPT_I;
	add_seed(seeds, &n, &oo.base);

	du.seconds = -3;
	du.nanos = -5;
	u64.value = 99;
	sv.value = "sv";
	dv.value = 2.5;
	fm.n_paths = 2;
	fm.paths = paths;
	any.type_url = "type.googleapis.com/x.Y";
	wkt.ts = &ts;
	wkt.dur = &du;
	wkt.u64 = &u64;
	wkt.s = &sv;
	wkt.db = &dv;
	wkt.mask = &fm;
	wkt.any = &any;
	add_seed(seeds, &n, &wkt.base);

	kid.first = "k";
	ord.n_kids = 1;
	ord.kids = kids;
	ord.last = "l";
	ord.pick_case = PJTEST__ORDER__PICK_B;
	ord.b = 5;
	add_seed(seeds, &n, &ord.base);

	p2.ri = 1;
	p2.has_oi = 1;
	p2.os = "x";
	p2.child = &p2c;
	p2.n_rep = 3;
	p2.rep = ints;
	add_seed(seeds, &n, &p2.base);
	return n;
}

static void test_fuzz_unpack_encode(void **state)
{
	struct seed seeds[8];
	uint8_t buf[600];
	unsigned i, k, n_seeds, accepted = 0, iters = 30000;
	const char *env = getenv("PROTOJSON_FUZZ_ITERS");

	(void)state;
	if (env)
		iters = (unsigned)strtoul(env, NULL, 10);
	n_seeds = make_seeds(seeds);
	srandom(7);
	for (i = 0; i < iters; i++) {
		const struct seed *s = &seeds[i % n_seeds];
		size_t len;

		if (i % 4 == 0) {
			/* pure noise */
			len = (size_t)random() % 64;
			for (k = 0; k < len; k++)
				buf[k] = (uint8_t)random();
		} else {
			/* a valid message with a few bytes changed, then maybe cut or grown */
			len = s->len;
			memcpy(buf, s->buf, len);
			for (k = 0; k < 1 + (unsigned)random() % 3; k++)
				buf[(size_t)random() % len] = (uint8_t)random();
			if (random() % 4 == 0)
				len = (size_t)random() % (len + 1);
			else if (random() % 4 == 0 && len + 8 < sizeof(buf))
				for (k = 0; k < 8; k++)
					buf[len++] = (uint8_t)random();
		}
		fuzz_one(s->desc, buf, len, &accepted);
	}
	print_message("fuzz: %u of %u inputs unpacked and encoded\n", accepted, iters);
	assert_true(accepted > iters / 10);
}

/* ---- the tetragon API -------------------------------------------------------------- */

#ifdef HAVE_TETRAGON_API
static void fill_process(Tetragon__Process *p, Google__Protobuf__UInt32Value *pid,
			 Google__Protobuf__UInt32Value *uid, Google__Protobuf__UInt32Value *auid,
			 Google__Protobuf__Timestamp *start, const char *exec_id, const char *binary,
			 const char *args, const char *parent_exec_id)
{
	pid->value = 52699;
	uid->value = 0;
	auid->value = 4294967295u;
	p->exec_id = (char *)exec_id;
	p->pid = pid;
	p->uid = uid;
	p->cwd = "/";
	p->binary = (char *)binary;
	p->arguments = (char *)args;
	p->flags = "execve rootcwd";
	p->start_time = start;
	p->auid = auid;
	p->parent_exec_id = (char *)parent_exec_id;
	p->tid = pid;
	p->docker = "551e161c47d8ff0eb665438a7bcd5b4";
}

#define POD_JSON \
	"\"pod\":{\"namespace\":\"default\",\"name\":\"xwing\",\"container\":{" \
	"\"id\":\"containerd://551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3\"," \
	"\"name\":\"spaceship\",\"image\":{\"id\":\"docker.io/tgraf/netperf@sha256:" \
	"8e86f744bfea165fd4ce68caa05abc96500f40130b857773186401926af7e9e6\"," \
	"\"name\":\"docker.io/tgraf/netperf:latest\"},\"start_time\":\"2023-10-06T21:52:41Z\"," \
	"\"pid\":49},\"pod_labels\":{\"app.kubernetes.io/name\":\"xwing\",\"class\":\"xwing\"," \
	"\"org\":\"alliance\"},\"workload\":\"xwing\"},"

static const ProtobufCMessage *cached_proc, *cached_parent;
static struct protojson_fragment slots[2];

static struct protojson_fragment *test_fragment(const ProtobufCMessage *m)
{
	if (m && m == cached_proc)
		return &slots[0];
	if (m && m == cached_parent)
		return &slots[1];
	return NULL;
}

static void test_tetragon_exec_event(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessExec exec = TETRAGON__PROCESS_EXEC__INIT;
	Tetragon__Process proc = TETRAGON__PROCESS__INIT, parent = TETRAGON__PROCESS__INIT;
	Google__Protobuf__UInt32Value pid[2] = { GOOGLE__PROTOBUF__UINT32_VALUE__INIT,
						 GOOGLE__PROTOBUF__UINT32_VALUE__INIT };
	Google__Protobuf__UInt32Value uid[2] = { GOOGLE__PROTOBUF__UINT32_VALUE__INIT,
						 GOOGLE__PROTOBUF__UINT32_VALUE__INIT };
	Google__Protobuf__UInt32Value auid[2] = { GOOGLE__PROTOBUF__UINT32_VALUE__INIT,
						  GOOGLE__PROTOBUF__UINT32_VALUE__INIT };
	Google__Protobuf__Timestamp st[2] = { GOOGLE__PROTOBUF__TIMESTAMP__INIT,
					      GOOGLE__PROTOBUF__TIMESTAMP__INIT };
	Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Timestamp cst = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__UInt32Value cpid = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
	Tetragon__Pod pod = TETRAGON__POD__INIT;
	Tetragon__Container ctr = TETRAGON__CONTAINER__INIT;
	Tetragon__Image img = TETRAGON__IMAGE__INIT;
	Tetragon__Pod__PodLabelsEntry lab[3] = { TETRAGON__POD__POD_LABELS_ENTRY__INIT,
						 TETRAGON__POD__POD_LABELS_ENTRY__INIT,
						 TETRAGON__POD__POD_LABELS_ENTRY__INIT };
	Tetragon__Pod__PodLabelsEntry *labp[] = { &lab[0], &lab[1], &lab[2] };
	struct strbuf sb = STRBUF_INIT;
	const char *n = getenv("PROTOJSON_BENCH_N");
	unsigned i, iters = n ? (unsigned)strtoul(n, NULL, 10) : 10000;
	struct timespec t0, t1;
	double ns;

	(void)state;
	st[0].seconds = 1696629837;
	st[0].nanos = 700327580;
	st[1].seconds = 1696629837;
	st[1].nanos = 696889812;
	fill_process(&proc, &pid[0], &uid[0], &auid[0], &st[0],
		     "Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4Njc0MzIxMzczOjUyNjk5",
		     "/usr/bin/curl", "https://ebpf.io/applications/#tetragon",
		     "Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjcwODgzMjk5OjUyNjk5");
	fill_process(&parent, &pid[1], &uid[1], &auid[1], &st[1],
		     "Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjcwODgzMjk5OjUyNjk5",
		     "/bin/bash", "-c \"curl https://ebpf.io/applications/#tetragon\"",
		     "Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjQ1MjQ1ODM5OjUyNjg5");
	parent.flags = "execve rootcwd clone";
	img.id = "docker.io/tgraf/netperf@sha256:8e86f744bfea165fd4ce68caa05abc96500f40130b857773186401926af7e9e6";
	img.name = "docker.io/tgraf/netperf:latest";
	cst.seconds = 1696629161;
	cpid.value = 49;
	ctr.id = "containerd://551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3";
	ctr.name = "spaceship";
	ctr.image = &img;
	ctr.start_time = &cst;
	ctr.pid = &cpid;
	lab[0].key = "org";
	lab[0].value = "alliance";
	lab[1].key = "class";
	lab[1].value = "xwing";
	lab[2].key = "app.kubernetes.io/name";
	lab[2].value = "xwing";
	pod.namespace_ = "default";
	pod.name = "xwing";
	pod.container = &ctr;
	pod.n_pod_labels = 3;
	pod.pod_labels = labp;
	pod.workload = "xwing";
	proc.pod = &pod;
	parent.pod = &pod;
	exec.process = &proc;
	exec.parent = &parent;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
	ev.process_exec = &exec;
	ev.node_name = "gke-john-632-default-pool-7041cac0-9s95";
	t.seconds = 1696629837;
	t.nanos = 700326678;
	ev.time = &t;

	/* upstream's documented process_exec event (docs/concepts/events.md), compacted */
	assert_json(&ev,
		"{\"process_exec\":{\"process\":{"
		"\"exec_id\":\"Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4Njc0MzIxMzczOjUyNjk5\","
		"\"pid\":52699,\"uid\":0,\"cwd\":\"/\",\"binary\":\"/usr/bin/curl\","
		"\"arguments\":\"https://ebpf.io/applications/#tetragon\",\"flags\":\"execve rootcwd\","
		"\"start_time\":\"2023-10-06T22:03:57.700327580Z\",\"auid\":4294967295,"
		POD_JSON "\"docker\":\"551e161c47d8ff0eb665438a7bcd5b4\","
		"\"parent_exec_id\":\"Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjcwODgzMjk5OjUyNjk5\","
		"\"tid\":52699},"
		"\"parent\":{"
		"\"exec_id\":\"Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjcwODgzMjk5OjUyNjk5\","
		"\"pid\":52699,\"uid\":0,\"cwd\":\"/\",\"binary\":\"/bin/bash\","
		"\"arguments\":\"-c \\\"curl https://ebpf.io/applications/#tetragon\\\"\","
		"\"flags\":\"execve rootcwd clone\",\"start_time\":\"2023-10-06T22:03:57.696889812Z\","
		"\"auid\":4294967295,"
		POD_JSON "\"docker\":\"551e161c47d8ff0eb665438a7bcd5b4\","
		"\"parent_exec_id\":\"Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjQ1MjQ1ODM5OjUyNjg5\","
		"\"tid\":52699}},"
		"\"node_name\":\"gke-john-632-default-pool-7041cac0-9s95\","
		"\"time\":\"2023-10-06T22:03:57.700326678Z\"}");

	/* rough speed figure; PROTOJSON_BENCH_N=100000 for the full run */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < iters; i++) {
		strbuf_reset(&sb);
		assert_int_equal(protojson_encode(&sb, &ev.base), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	print_message("exec event: %u encodes, %.0f ns each, %zu bytes\n", iters, ns / iters, sb.len);

	/* the process blocks served from fragment slots: the same bytes, each time */
	{
		struct strbuf plain = STRBUF_INIT, cached = STRBUF_INIT;

		cached_proc = &proc.base;
		cached_parent = &parent.base;
		assert_int_equal(protojson_encode(&plain, &ev.base), 0);
		for (i = 0; i < 3; i++) {
			strbuf_reset(&cached);
			assert_int_equal(protojson_encode_cached(&cached, &ev.base, test_fragment), 0);
			assert_string_equal(cached.buf, plain.buf);
		}
		assert_non_null(slots[0].json);
		assert_non_null(slots[1].json);
		/* a slot's text is what is written, not the message */
		proc.binary = "/changed";
		strbuf_reset(&cached);
		assert_int_equal(protojson_encode_cached(&cached, &ev.base, test_fragment), 0);
		assert_string_equal(cached.buf, plain.buf);
		proc.binary = "/usr/bin/curl";
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < iters; i++) {
			strbuf_reset(&cached);
			assert_int_equal(protojson_encode_cached(&cached, &ev.base, test_fragment), 0);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
		print_message("exec event, process blocks cached: %.0f ns each\n", ns / iters);
		protojson_fragment_release(&slots[0]);
		protojson_fragment_release(&slots[1]);
		cached_proc = cached_parent = NULL;
		strbuf_free(&plain);
		strbuf_free(&cached);
	}
	strbuf_free(&sb);
}

/* Both messages are declared out of number order upstream. */
static void test_tetragon_declaration_order(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__RateLimitInfo rl = TETRAGON__RATE_LIMIT_INFO__INIT;
	Tetragon__KprobeArgument arg = TETRAGON__KPROBE_ARGUMENT__INIT;

	(void)state;
	rl.number_of_dropped_process_events = 5;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_RATE_LIMIT_INFO;
	ev.rate_limit_info = &rl;
	ev.node_name = "n";
	assert_json(&ev, "{\"rate_limit_info\":{\"number_of_dropped_process_events\":\"5\"},"
		    "\"node_name\":\"n\"}");

	arg.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_KERNEL_CAP_T_ARG;
	arg.kernel_cap_t_arg = "0x1";
	arg.label = "caps";
	assert_json(&arg, "{\"kernel_cap_t_arg\":\"0x1\",\"label\":\"caps\"}");
	arg.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BPF_CMD_ARG;
	arg.bpf_cmd_arg = 0;
	assert_json(&arg, "{\"bpf_cmd_arg\":\"BPF_MAP_CREATE\",\"label\":\"caps\"}");
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto3_zero_values_omitted),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_negative_zero_is_set),
		cmocka_unit_test(test_enum_unknown_value_is_number),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_string_invalid_utf8),
		cmocka_unit_test(test_string_pieces_every_offset),
		cmocka_unit_test(test_bytes_base64),
		cmocka_unit_test(test_double_format),
		cmocka_unit_test(test_float_format),
		cmocka_unit_test(test_float_shortest_roundtrip),
		cmocka_unit_test(test_oneof_selected_zero_emitted),
		cmocka_unit_test(test_synthetic_oneof_optional),
		cmocka_unit_test(test_proto2_presence),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_wrappers),
		cmocka_unit_test(test_field_mask_any_empty),
		cmocka_unit_test(test_timestamp_duration_fields),
		cmocka_unit_test(test_maps),
		cmocka_unit_test(test_big_map_sorted),
		cmocka_unit_test(test_declaration_order),
		cmocka_unit_test(test_errors_and_append),
		cmocka_unit_test(test_fuzz_unpack_encode),
#ifdef HAVE_TETRAGON_API
		cmocka_unit_test(test_tetragon_exec_event),
		cmocka_unit_test(test_tetragon_declaration_order),
#endif
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
