// SPDX-License-Identifier: Apache-2.0
/*
 * agent/loop_call: the policy RPCs' way onto the event loop. Calls from
 * other threads run on the dispatching thread, in order, each caller getting
 * its own result; closing fails the waiting and later calls.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/loop_call.h"

#define NTHREADS 4
#define NCALLS 200

struct caller {
	struct loop_calls *q;
	pthread_t loop;		/* the dispatching thread */
	int id;
	int ok;			/* calls that returned their own value, on the loop */
	int result;
};

static int counter;		/* touched on the loop only */

struct arg {
	struct caller *c;
	int value;
	bool on_loop;
};

static int fn(void *p)
{
	struct arg *a = p;

	a->on_loop = pthread_equal(pthread_self(), a->c->loop);
	counter++;
	return a->value;
}

static void *caller_main(void *p)
{
	struct caller *c = p;

	for (int i = 0; i < NCALLS; i++) {
		struct arg a = { .c = c, .value = c->id * 1000 + i };

		if (loop_calls_run(c->q, fn, &a) == a.value && a.on_loop)
			c->ok++;
	}
	return NULL;
}

static void test_calls_run_on_the_loop(void **state)
{
	struct loop_calls q;
	struct caller c[NTHREADS];
	pthread_t t[NTHREADS];
	int done = 0;

	(void)state;
	counter = 0;
	assert_int_equal(loop_calls_init(&q), 0);
	for (int i = 0; i < NTHREADS; i++) {
		c[i] = (struct caller){ .q = &q, .loop = pthread_self(), .id = i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, caller_main, &c[i]), 0);
	}
	/* the event loop: wait on the eventfd, dispatch */
	while (counter < NTHREADS * NCALLS) {
		struct pollfd pfd = { .fd = q.efd, .events = POLLIN };

		assert_true(poll(&pfd, 1, 5000) > 0);
		loop_calls_dispatch(&q);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		done += c[i].ok;
	}
	assert_int_equal(done, NTHREADS * NCALLS);
	loop_calls_close(&q);
	loop_calls_destroy(&q);
}

static void *one_call(void *p)
{
	struct caller *c = p;
	struct arg a = { .c = c, .value = 7 };

	c->result = loop_calls_run(c->q, fn, &a);
	return NULL;
}

static void test_close_cancels(void **state)
{
	struct loop_calls q;
	struct caller c = { 0 };
	struct arg a = { .c = &c, .value = 1 };
	pthread_t t;
	struct pollfd pfd;

	(void)state;
	counter = 0;
	assert_int_equal(loop_calls_init(&q), 0);
	c.q = &q;
	c.loop = pthread_self();
	assert_int_equal(pthread_create(&t, NULL, one_call, &c), 0);
	/* the call is queued (the eventfd is readable), nobody dispatches it */
	pfd = (struct pollfd){ .fd = q.efd, .events = POLLIN };
	assert_true(poll(&pfd, 1, 5000) > 0);
	loop_calls_close(&q);
	pthread_join(t, NULL);
	assert_int_equal(c.result, -ECANCELED);
	assert_int_equal(counter, 0);
	/* later calls fail at once; a dispatch runs nothing */
	assert_int_equal(loop_calls_run(&q, fn, &a), -ECANCELED);
	loop_calls_dispatch(&q);
	assert_int_equal(counter, 0);
	loop_calls_destroy(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls_run_on_the_loop),
		cmocka_unit_test(test_close_cancels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
