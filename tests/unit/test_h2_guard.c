// SPDX-License-Identifier: Apache-2.0
/*
 * h2_guard: the HTTP/2 framing of a client's bytes followed across any
 * split, header blocks bounded; peer_cred's loopback test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "grpc/h2_guard.h"
#include "grpc/peer_cred.h"

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static size_t frame(uint8_t *out, uint32_t len, uint8_t type, uint8_t flags, uint32_t sid)
{
	out[0] = (uint8_t)(len >> 16);
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)len;
	out[3] = type;
	out[4] = flags;
	out[5] = (uint8_t)(sid >> 24);
	out[6] = (uint8_t)(sid >> 16);
	out[7] = (uint8_t)(sid >> 8);
	out[8] = (uint8_t)sid;
	memset(out + 9, 'x', len);
	return 9 + len;
}

/* feed buf in pieces of `step` bytes (0: whole) */
static int feed(struct h2_guard *g, const uint8_t *buf, size_t n, size_t step)
{
	size_t off = 0;

	if (!step)
		return h2_guard_feed(g, buf, n);
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		int r = h2_guard_feed(g, buf + off, k);

		if (r)
			return r;
		off += k;
	}
	return 0;
}

static uint8_t buf[1 << 20];

static void test_normal_client(void **state)
{
	size_t steps[] = { 0, 1, 7, 9, 4096 }, i;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct h2_guard g;
		size_t n = 0;

		h2_guard_init(&g, 1024);
		memcpy(buf, preface, 24);
		n = 24;
		n += frame(buf + n, 0, 0x4, 0, 0);		/* SETTINGS */
		n += frame(buf + n, 600, 0x1, 0x4, 1);		/* HEADERS, END_HEADERS */
		n += frame(buf + n, 5000, 0x0, 0x1, 1);		/* DATA: not a header block */
		n += frame(buf + n, 500, 0x1, 0, 3);		/* HEADERS ... */
		n += frame(buf + n, 500, 0x9, 0x4, 3);		/* ... + CONTINUATION = 1000 <= 1024 */
		n += frame(buf + n, 8, 0x6, 0, 0);		/* PING */
		assert_int_equal(feed(&g, buf, n, steps[i]), 0);
		assert_int_equal(g.frames, 6);
		assert_false(g.in_block);
	}
}

static void test_endless_continuation(void **state)
{
	struct h2_guard g;
	size_t n = 24, k;

	(void)state;
	h2_guard_init(&g, 64 * 1024);
	memcpy(buf, preface, 24);
	n += frame(buf + n, 100, 0x1, 0, 1);
	for (k = 0; k < 10; k++)
		n += frame(buf + n, 16000, 0x9, 0, 1);
	assert_int_equal(feed(&g, buf, n, 1000), -EPROTO);
	assert_non_null(strstr(g.why, "header block of more than"));
	assert_non_null(strstr(g.why, "the limit is 65536"));
	/* refused at the frame header that crosses the bound, before its payload */
	assert_int_equal(g.block, 100 + 5 * 16000);
}

static void test_one_big_headers_frame(void **state)
{
	struct h2_guard g;
	size_t n = 24;

	(void)state;
	h2_guard_init(&g, 1024);
	memcpy(buf, preface, 24);
	n += frame(buf + n, 1025, 0x1, 0x4, 1);
	assert_int_equal(feed(&g, buf, 24 + 9, 0), -EPROTO);
	(void)n;
}

static void test_not_http2(void **state)
{
	static const uint8_t get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct h2_guard g;

	(void)state;
	h2_guard_init(&g, 0);
	assert_int_equal(g.max_block, H2_GUARD_DEFAULT_MAX_BLOCK);
	assert_int_equal(h2_guard_feed(&g, get, sizeof(get) - 1), -EPROTO);
	assert_non_null(strstr(g.why, "preface"));
	/* a preface split anywhere is still a preface */
	h2_guard_init(&g, 0);
	assert_int_equal(h2_guard_feed(&g, (const uint8_t *)preface, 3), 0);
	assert_int_equal(h2_guard_feed(&g, (const uint8_t *)preface + 3, 21), 0);
}

static void test_loopback(void **state)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &a4.sin_addr);
	assert_true(peer_addr_is_loopback((struct sockaddr *)&a4));
	inet_pton(AF_INET, "127.1.2.3", &a4.sin_addr);
	assert_true(peer_addr_is_loopback((struct sockaddr *)&a4));
	inet_pton(AF_INET, "10.0.0.1", &a4.sin_addr);
	assert_false(peer_addr_is_loopback((struct sockaddr *)&a4));
	inet_pton(AF_INET6, "::1", &a6.sin6_addr);
	assert_true(peer_addr_is_loopback((struct sockaddr *)&a6));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
	assert_true(peer_addr_is_loopback((struct sockaddr *)&a6));
	inet_pton(AF_INET6, "::ffff:192.168.1.1", &a6.sin6_addr);
	assert_false(peer_addr_is_loopback((struct sockaddr *)&a6));
	inet_pton(AF_INET6, "fe80::1", &a6.sin6_addr);
	assert_false(peer_addr_is_loopback((struct sockaddr *)&a6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_client),
		cmocka_unit_test(test_endless_continuation),
		cmocka_unit_test(test_one_big_headers_frame),
		cmocka_unit_test(test_not_http2),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
