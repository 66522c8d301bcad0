// SPDX-License-Identifier: Apache-2.0
/*
 * maxData chunks (src/sensors/policy_chunks.c): joined into their record's
 * argument; lost, orphaned, evicted and malformed ones counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sensors/policy_chunks.h"

static struct msg_gt_chunk ch;

static void chunk(struct policy_chunks *c, uint32_t tid, uint64_t ktime, uint32_t off, uint32_t seq, uint32_t len,
		  char fill)
{
	memset(&ch, 0, sizeof(ch));
	ch.common.op = MSG_OP_DATA;
	ch.common.ktime = ktime;
	ch.hook_id = 7;
	ch.tid = tid;
	ch.slot = 1;
	ch.off = off;
	ch.seq = seq;
	ch.len = len;
	/* the malformed ones' bytes do not matter */
	memset(ch.data, fill, len < sizeof(ch.data) ? len : sizeof(ch.data));
	policy_chunks_add(c, &ch, sizeof(ch));
}

static void record(struct msg_generic *m, uint32_t tid, uint64_t ktime, uint32_t nchunks, uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	m->common.ktime = ktime;
	m->hook_id = 7;
	m->tid = tid;
	m->args[1].kind = GT_ARG_BUF_USER;
	m->args[1].flags = nchunks << GT_ARGV_CHUNKS_SHIFT | flags;
}

static void test_join_whole_and_lost(void **state)
{
	struct policy_chunks *c = policy_chunks_new();
	struct policy_data_stats st;
	struct msg_generic m;
	char first[GT_ARG_MAX];
	const uint8_t *b;
	size_t n;

	(void)state;
	memset(first, 'a', sizeof(first));
	/* the most there is: 4096 + 78 full chunks + the 79th's 3904 bytes */
	for (uint32_t k = 0; k < GT_MAXDATA_CHUNKS - 1; k++) {
		uint32_t off = GT_ARG_MAX + k * GT_CHUNK_MAX;
		uint32_t len = GT_MAXDATA_MAX - off < GT_CHUNK_MAX ? GT_MAXDATA_MAX - off : GT_CHUNK_MAX;

		chunk(c, 10, 100, off, k, len, (char)('b' + k % 20));
	}
	record(&m, 10, 100, GT_MAXDATA_CHUNKS - 1, 0);
	b = policy_chunks_join(c, &m, 1, first, sizeof(first), &n);
	assert_non_null(b);
	assert_int_equal(n, GT_MAXDATA_MAX);
	assert_int_equal(b[0], 'a');
	assert_int_equal(b[GT_ARG_MAX], 'b');
	assert_int_equal(b[GT_MAXDATA_MAX - 1], 'b' + (GT_MAXDATA_CHUNKS - 2) % 20);
	/* three posted, the middle one lost: the bytes up to the gap */
	chunk(c, 10, 200, 4096, 0, 4096, 'x');
	chunk(c, 10, 200, 12288, 2, 100, 'z');
	record(&m, 10, 200, 3, 0);
	b = policy_chunks_join(c, &m, 1, first, sizeof(first), &n);
	assert_non_null(b);
	assert_int_equal(n, 8192);
	assert_int_equal(b[8191], 'x');
	/* the record says chunks, none came */
	record(&m, 10, 300, 2, 0);
	assert_null(policy_chunks_join(c, &m, 1, first, sizeof(first), &n));
	assert_int_equal(n, 0);
	/* the kernel's ring had no room for the first one */
	record(&m, 10, 400, 0, GT_ARGV_CHUNK_LOST);
	assert_null(policy_chunks_join(c, &m, 1, first, sizeof(first), &n));
	/* no chunks: nothing to do, nothing counted */
	record(&m, 10, 500, 0, 0);
	assert_null(policy_chunks_join(c, &m, 1, first, sizeof(first), &n));
	policy_chunks_stats(c, &st);
	assert_int_equal(st.received, GT_MAXDATA_CHUNKS - 1 + 2);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.appended, GT_MAXDATA_CHUNKS - 2 + 1);
	assert_int_equal(st.matched, 1);
	assert_int_equal(st.not_matched, 3);
	assert_int_equal(st.bad, 0);
	policy_chunks_free(c);
}

static void test_orphans_eviction_bad(void **state)
{
	struct policy_chunks *c = policy_chunks_new();
	struct policy_data_stats st;
	struct msg_generic m;
	const uint8_t *b;
	size_t n;

	(void)state;
	/* a call whose record never came (a return filter): the thread's next call replaces it */
	chunk(c, 20, 100, 4, 0, 10, 'o');
	chunk(c, 20, 200, 4, 0, 10, 'n');
	record(&m, 20, 200, 1, 0);
	b = policy_chunks_join(c, &m, 1, "abcd", 4, &n);
	assert_non_null(b);
	assert_int_equal(n, 14);
	assert_memory_equal(b, "abcdnnnnnnnnnn", 14);
	/* more threads waiting than room: the least recently fed goes */
	for (uint32_t t = 0; t < CHUNKS_PENDING + 1; t++)
		chunk(c, 100 + t, 1000, 4, 0, 1, 'p');
	record(&m, 100, 1000, 1, 0);
	assert_null(policy_chunks_join(c, &m, 1, "abcd", 4, &n));
	record(&m, 101, 1000, 1, 0);
	assert_non_null(policy_chunks_join(c, &m, 1, "abcd", 4, &n));
	/* a chunk whose first one is missing is no use */
	chunk(c, 30, 100, 4100, 1, 10, 'q');
	/* malformed: too long, past the limit, a bad slot, a short record */
	chunk(c, 31, 100, 4, 0, GT_CHUNK_MAX + 1, 0);
	chunk(c, 31, 100, GT_MAXDATA_MAX - 1, 0, 2, 0);
	memset(&ch, 0, sizeof(ch));
	ch.slot = GT_MAX_ARGS;
	ch.len = 1;
	policy_chunks_add(c, &ch, sizeof(ch));
	policy_chunks_add(c, &ch, 10);
	ch.slot = 0;
	ch.len = 100;
	policy_chunks_add(c, &ch, offsetof(struct msg_gt_chunk, data) + 50);
	policy_chunks_stats(c, &st);
	assert_int_equal(st.received, 2 + CHUNKS_PENDING + 1 + 1 + 5);
	assert_int_equal(st.bad, 5);
	/* the orphan, thread 100's evicted chunks and then its record short of them, the chunk without its start */
	assert_int_equal(st.not_matched, 4);
	assert_int_equal(st.matched, 2);
	policy_chunks_free(c);
	/* no state yet: nothing */
	policy_chunks_stats(NULL, &st);
	assert_int_equal(st.received, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_whole_and_lost),
		cmocka_unit_test(test_orphans_eviction_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
